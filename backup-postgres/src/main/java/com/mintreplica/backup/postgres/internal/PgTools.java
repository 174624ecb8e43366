package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.UnsupportedException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds pg_dump, pg_restore, pg_dumpall and psql: in the configured directory only, when there is one; otherwise the
 * first of PATH, {@code /usr/lib/postgresql/<server major>/bin} and newer {@code /usr/lib/postgresql/<N>/bin} that
 * runs and whose major version is at least the server's (one that fails {@code --version} is passed over). Versions are compared as PostgreSQL compares majors: 15 for 15.x, 9.6 for
 * 9.6.x.
 */
public final class PgTools {
    /** Where Debian and Ubuntu install each PostgreSQL major version's binaries. */
    public static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

    private final Optional<Path> configuredDir;
    private final String path;
    private final Path installRoot;

    /**
     * @param configuredDir the directory the user chose ({@code pg-bin-dir}); when present nothing else is searched
     * @param environment the environment whose {@code PATH} is searched
     * @param installRoot the root of versioned installations, {@link #DEBIAN_ROOT} outside tests
     */
    public PgTools(Optional<Path> configuredDir, Map<String, String> environment, Path installRoot) {
        this.configuredDir = configuredDir;
        this.path = environment.getOrDefault("PATH", "");
        this.installRoot = installRoot;
    }

    /** A found binary and its version. */
    public record Tool(String name, Path path, String version, int major) {
        @Override
        public String toString() {
            return name + " " + version + " (" + path + ")";
        }
    }

    /**
     * The tool {@code name} whose major version is at least {@code wantedMajor} (a major as {@link #majorOf} gives).
     *
     * @param serverDescription what needs that version, for messages: {@code the server 15.4 at db:5432}
     * @throws UnsupportedException naming where it looked when there is none, or naming both versions and the binary
     *     when the one found is too old
     */
    public Tool find(String name, int wantedMajor, String serverDescription) {
        if (configuredDir.isPresent()) {
            Path dir = configuredDir.get();
            Path candidate = dir.resolve(name);
            if (!Files.isRegularFile(candidate) || !Files.isExecutable(candidate)) {
                throw new UnsupportedException(name + " not found in the configured PostgreSQL binary directory " + dir
                        + " (pg-bin-dir): point pg-bin-dir at the directory that holds " + name + " (for example "
                        + installRoot.resolve(majorText(wantedMajor)).resolve("bin") + "), or install the PostgreSQL "
                        + majorText(wantedMajor) + " client tools");
            }
            Tool tool = version(name, candidate);
            checkVersion(tool, wantedMajor, serverDescription);
            return tool;
        }
        List<Path> candidates = candidates(name, wantedMajor);
        if (candidates.isEmpty()) {
            throw new UnsupportedException(name + " not found: looked on PATH (" + path + ") and in " + installRoot
                    + "/<major>/bin. Install the PostgreSQL " + majorText(wantedMajor) + " client tools (Debian:"
                    + " postgresql-client-" + majorText(wantedMajor) + ") or set pg-bin-dir to the directory holding "
                    + name);
        }
        Tool first = null;
        List<String> unusable = new ArrayList<>();
        for (Path candidate : candidates) {
            Tool tool;
            try {
                tool = version(name, candidate);
            } catch (BackupException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                // a binary that does not run or does not answer as pg_dump does never hides a later one that works
                unusable.add(e.getMessage());
                continue;
            }
            if (first == null) {
                first = tool;
            }
            if (tool.major() >= wantedMajor) {
                return tool;
            }
        }
        if (first == null) {
            throw new UnsupportedException("no " + name + " found that runs: " + String.join("; ", unusable)
                    + ". Install the PostgreSQL " + majorText(wantedMajor) + " client tools (Debian: postgresql-client-"
                    + majorText(wantedMajor) + ") or set pg-bin-dir to the directory holding " + name);
        }
        checkVersion(first, wantedMajor, serverDescription);
        return first;
    }

    private static void checkVersion(Tool tool, int wantedMajor, String serverDescription) {
        if (tool.major() < wantedMajor) {
            throw new UnsupportedException(tool.name() + " " + tool.version() + " at " + tool.path() + " is older than "
                    + serverDescription + ": " + tool.name() + " must be at least major version " + majorText(wantedMajor)
                    + ". Install the PostgreSQL " + majorText(wantedMajor) + " client tools (Debian: postgresql-client-"
                    + majorText(wantedMajor) + ") and use them (pg-bin-dir)");
        }
    }

    private List<Path> candidates(String name, int wantedMajor) {
        Set<Path> out = new LinkedHashSet<>();
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                out.add(candidate);
            }
        }
        if (Files.isDirectory(installRoot)) {
            try (Stream<Path> versions = Files.list(installRoot)) {
                versions.map(p -> p.getFileName().toString())
                        .filter(v -> v.matches("\\d+(\\.\\d+)?"))
                        .filter(v -> majorOf(v) >= wantedMajor)
                        // the matching major first, then newer ones from the closest up
                        .sorted(Comparator.comparingInt(PgTools::majorOf))
                        .map(v -> installRoot.resolve(v).resolve("bin").resolve(name))
                        .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                        .forEach(out::add);
            } catch (IOException e) {
                // an unreadable install root just offers no candidates
            }
        }
        return new ArrayList<>(out);
    }

    /** Runs {@code binary --version} and parses it. */
    public static Tool version(String name, Path binary) {
        String out;
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new BackupException(binary + " --version did not answer in 30 s");
            }
            if (p.exitValue() != 0) {
                throw new UnsupportedException(binary + " --version failed (exit code " + p.exitValue() + "): " + out);
            }
        } catch (IOException e) {
            throw new UnsupportedException("cannot run " + binary + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("interrupted while running " + binary + " --version", e);
        }
        Matcher m = VERSION.matcher(out);
        if (!m.find()) {
            throw new UnsupportedException(binary + " --version printed '" + out + "', which names no PostgreSQL"
                    + " version: is it really " + name + "?");
        }
        String version = m.group(1) + (m.group(2) != null ? "." + m.group(2) : "") + (m.group(3) != null ? "." + m.group(3) : "");
        return new Tool(name, binary, version, majorOf(version));
    }

    /**
     * The major version of a version string as a comparable number: 1500 for {@code 15.4}, 906 for {@code 9.6.24}
     * (before 10, the first two numbers form the major).
     */
    public static int majorOf(String version) {
        String[] parts = version.split("\\.");
        int first = Integer.parseInt(parts[0].replaceAll("\\D.*", ""));
        if (first >= 10) {
            return first * 100;
        }
        int second = parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0;
        return first * 100 + second;
    }

    /** The major of a server_version_num, as {@link #majorOf}: 1500 for 150004, 906 for 90624. */
    public static int majorOfVersionNum(int versionNum) {
        return versionNum >= 100000 ? versionNum / 10000 * 100 : versionNum / 100;
    }

    /** The major as people write it: 15, or 9.6. */
    public static String majorText(int major) {
        return major >= 1000 ? Integer.toString(major / 100) : major / 100 + "." + major % 100;
    }
}
