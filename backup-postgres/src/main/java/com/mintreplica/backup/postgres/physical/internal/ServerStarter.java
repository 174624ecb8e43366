package com.mintreplica.backup.postgres.physical.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.UnsupportedException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts a restored data directory with {@code pg_ctl} (as the directory's owner, through {@code runuser}, when this
 * runs as root) and follows its log until recovery ended: promoted ({@code ready to accept connections}), paused at
 * the target ({@code pausing at the end of recovery}) or shut down at it; a server that exits on the way fails with
 * its last log lines. Every wait is bounded.
 */
public final class ServerStarter {
    private static final Pattern STOPPING = Pattern.compile("recovery stopping [^\\n]*");
    private static final Pattern LAST_TX = Pattern.compile(
            "last completed transaction was at log time (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?[+-]\\d\\d(?::?\\d\\d)?)");
    private static final Pattern CONSISTENT = Pattern.compile("consistent recovery state reached at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern REDO_DONE = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern TIMELINE = Pattern.compile("selected new timeline ID: (\\d+)");

    /** What the started server reached. */
    public record Outcome(int port, String state, Optional<String> stoppedAt, Optional<Instant> lastTransaction,
                          Optional<String> redoDoneAt, Optional<Integer> newTimeline, Path log, Duration took) {
    }

    private ServerStarter() {
    }

    /** The directory of pg_ctl for {@code major}: Debian's versioned directory, else PATH. */
    public static Path binDir(Optional<Path> given, String version) {
        if (given.isPresent()) {
            return given.get();
        }
        String major = version.replaceAll("^(\\d+).*", "$1");
        Path debian = Path.of("/usr/lib/postgresql", major, "bin");
        if (Files.isExecutable(debian.resolve("pg_ctl"))) {
            return debian;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "pg_ctl"))) {
                return Path.of(dir);
            }
        }
        throw new UnsupportedException("no pg_ctl of PostgreSQL " + major + " found (" + debian + " or PATH): install"
                + " the server package or give the binaries' directory");
    }

    /** A free TCP port on the loopback interface. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new BackupException("no free port for the restored server: " + e.getMessage(), e);
        }
    }

    /** Starts the server in {@code dataDir} on {@code port} and waits up to {@code timeout} until recovery ended. */
    public static Outcome start(Path dataDir, Path binDir, int port, String listen, Duration timeout)
            throws IOException, InterruptedException {
        Instant began = Instant.now();
        Path log = dataDir.resolve("mint-backup-recovery.log");
        String options = "-p " + port + " -c listen_addresses=" + listen + " -c unix_socket_directories=''";
        List<String> cmd = asOwner(dataDir, List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(),
                "-l", log.toString(), "-W", "-o", options, "start"));
        run(cmd, Duration.ofSeconds(60));
        long deadline = System.nanoTime() + timeout.toNanos();
        String state = null;
        String text = "";
        while (System.nanoTime() < deadline) {
            Thread.sleep(200);
            text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            if (text.contains("pausing at the end of recovery")) {
                state = "paused";
            } else if (text.contains("database system is ready to accept connections")) {
                state = "promoted";
            } else if (text.contains("shutdown at recovery target")) {
                state = "shut down"; // recovery_target_action = shutdown, at the target
            } else if (!running(dataDir) && (text.contains("FATAL") || text.contains("database system is shut down")
                    || Duration.between(began, Instant.now()).toSeconds() > 10)) {
                // A server that stopped without reaching its target (FATAL "recovery ended before configured recovery
                // target was reached", a missing segment before consistency...) also logs "database system is shut
                // down": that is a failed restore, not the shutdown recovery_target_action asks for.
                Thread.sleep(200);
                text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
                if (!text.contains("shutdown at recovery target")) {
                    throw new BackupException("the restored server in " + dataDir + " stopped before recovery ended:\n"
                            + tail(text, 12));
                }
                state = "shut down";
            }
            if (state != null) {
                break;
            }
        }
        if (state == null) {
            throw new BackupException("recovery of " + dataDir + " did not end within " + timeout + " (the server keeps"
                    + " running on port " + port + "; see " + log + "):\n" + tail(text, 8));
        }
        String logText = text;
        return new Outcome(port, state, last(STOPPING, logText, 0), last(LAST_TX, logText, 1).map(ServerStarter::time),
                last(REDO_DONE, logText, 1).or(() -> last(CONSISTENT, logText, 1)),
                last(TIMELINE, logText, 1).map(Integer::valueOf), log, Duration.between(began, Instant.now()));
    }

    /** Stops the server in {@code dataDir} (fast mode), waiting at most a minute. */
    public static void stop(Path dataDir, Path binDir) throws IOException, InterruptedException {
        run(asOwner(dataDir, List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w",
                "-t", "60", "stop")), Duration.ofSeconds(90));
    }

    private static boolean running(Path dataDir) {
        return Files.exists(dataDir.resolve("postmaster.pid"));
    }

    private static Instant time(String text) {
        String t = text.replace(' ', 'T');
        if (t.matches(".*[+-]\\d\\d$")) {
            t = t + ":00";
        }
        return OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    }

    private static Optional<String> last(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        String found = null;
        while (m.find()) {
            found = m.group(group);
        }
        return Optional.ofNullable(found);
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static List<String> asOwner(Path dataDir, List<String> command) throws IOException {
        boolean root = Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        if (!root) {
            return command;
        }
        String owner = Files.readAttributes(dataDir, PosixFileAttributes.class).owner().getName();
        if (owner.equals("root")) {
            throw new com.mintreplica.backup.core.InvalidInputException("the restored data directory " + dataDir
                    + " belongs to root, and PostgreSQL does not run as root: make its parent or the target directory"
                    + " belong to the user the server runs as (chown postgres) and restore again");
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", owner, "--"));
        out.addAll(command);
        return out;
    }

    private static void run(List<String> cmd, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.directory(new java.io.File("/"));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new BackupException(cmd.get(cmd.size() - 1) + " of the restored server did not finish in " + timeout);
        }
        if (p.exitValue() != 0) {
            throw new BackupException("pg_ctl " + cmd.get(cmd.size() - 1) + " failed (exit " + p.exitValue() + "): "
                    + new String(out, StandardCharsets.UTF_8).strip());
        }
    }
}
