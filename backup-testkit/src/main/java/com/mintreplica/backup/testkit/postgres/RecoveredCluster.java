package com.mintreplica.backup.testkit.postgres;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A base backup taken with the real {@code pg_basebackup -X none} from a {@link PostgresCluster} (built with
 * {@link PostgresCluster.Builder#allowReplication()}), then recovered by a real server whose {@code restore_command}
 * is the test's (or copies WAL from {@link #walDirectory()}), to the end of the WAL it finds
 * ({@code recovery_target_timeline=latest}), and queried. Without WAL in the backup, every byte of WAL the recovery
 * replays comes through the restore_command: what WAL archiving tests need. Runs the server as the {@code postgres}
 * user when the JVM is root, as {@link PostgresCluster} does; {@link #close()} stops it and deletes everything.
 */
public final class RecoveredCluster implements AutoCloseable {
    private final Path binDir;
    private final Path root;
    private final Path data;
    private final Path walDir;
    private final String password;
    private final boolean asPostgres;
    private int port = -1;

    private RecoveredCluster(Path binDir, Path root, String password) {
        this.binDir = binDir;
        this.root = root;
        this.data = root.resolve("data");
        this.walDir = root.resolve("wal");
        this.password = password;
        this.asPostgres = "root".equals(System.getProperty("user.name"));
    }

    /** Takes a base backup of {@code source} (without WAL: the archive has to provide it). */
    public static RecoveredCluster baseBackup(PostgresCluster source) throws Exception {
        Path root = Files.createTempDirectory("mint-recovered-");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        RecoveredCluster s = new RecoveredCluster(source.binDir(), root, source.password().reveal());
        Files.createDirectories(s.walDir);
        s.chown(root);
        s.run(List.of(s.bin("pg_basebackup"), "-h", source.host(), "-p", Integer.toString(source.port()), "-U",
                source.user(), "-D", s.data.toString(), "-X", "none", "-c", "fast", "--no-sync"),
                Map.of("PGPASSWORD", source.password().reveal()));
        return s;
    }

    /** Where the WAL the restore_command serves goes (the test fills it from the archive). */
    public Path walDirectory() {
        return walDir;
    }

    /** Starts recovery to the end of the WAL in {@link #walDirectory()} and waits (at most 180 s) until it ended. */
    public void recover() throws Exception {
        recover("cp " + walDir + "/%f %p");
    }

    /**
     * Starts recovery with {@code restoreCommand} ({@code %f}, {@code %p} as PostgreSQL passes them; no single quote)
     * to the end of the WAL it gets, and waits (at most 180 s) until recovery ended and the server was promoted.
     */
    public void recover(String restoreCommand) throws Exception {
        if (restoreCommand.contains("'")) {
            throw new IllegalArgumentException("the restore_command must not hold a single quote: " + restoreCommand);
        }
        chown(root);
        Files.writeString(data.resolve("postgresql.auto.conf"), "\nrestore_command = '" + restoreCommand + "'\n"
                + "recovery_target_timeline = 'latest'\narchive_mode = off\n", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        Files.writeString(data.resolve("recovery.signal"), "");
        chown(root);
        try (ServerSocket sock = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = sock.getLocalPort();
        }
        run(List.of(bin("pg_ctl"), "-D", data.toString(), "-l", root.resolve("server.log").toString(), "-w", "-t",
                "180", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
                        + " -c fsync=off", "start"), Map.of());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!inRecoveryAnswer().equals("f")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("recovery did not end in 180 s: " + log());
            }
            Thread.sleep(200);
        }
    }

    private String inRecoveryAnswer() throws Exception {
        try {
            return query("select pg_is_in_recovery()").strip();
        } catch (IOException notYet) {
            return "not accepting connections yet";
        }
    }

    /** The recovered server's log. */
    public String log() throws IOException {
        Path log = root.resolve("server.log");
        return Files.exists(log) ? Files.readString(log) : "(no server log)";
    }

    /** psql's unaligned, tuples-only output of {@code sql} in database {@code postgres}. */
    public String query(String sql) throws Exception {
        return run(List.of(bin("psql"), "-X", "-q", "-At", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U",
                "postgres", "-d", "postgres", "-c", sql), Map.of("PGPASSWORD", password));
    }

    @Override
    public void close() throws Exception {
        if (port > 0) {
            try {
                run(List.of(bin("pg_ctl"), "-D", data.toString(), "-m", "immediate", "-w", "stop"), Map.of());
            } catch (IOException ignored) {
                // not running
            }
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private String bin(String tool) {
        return binDir.resolve(tool).toString();
    }

    private void chown(Path dir) throws Exception {
        if (asPostgres) {
            run0(List.of("chown", "-R", "postgres:", dir.toString()), Map.of());
        }
    }

    private String run(List<String> command, Map<String, String> env) throws Exception {
        List<String> cmd = command;
        if (asPostgres) {
            cmd = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
            cmd.addAll(command);
        }
        return run0(cmd, env);
    }

    private String run0(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(root.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(200, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd + " did not finish in 200 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
        }
        return out;
    }
}
