package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import picocli.CommandLine;

/** The packages this build made (in {@code package}, before failsafe runs), and processes run as a person would. */
final class Packages {
    private Packages() {
    }

    record Run(int code, String out) {
    }

    /** The version the build gave the packages (failsafe's {@code mint.backup.version}, the project's version). */
    static String version() {
        // Only when a -Dtest pattern also hands an *IT to surefire, which runs before `package` made the packages:
        // the same test then runs in failsafe, after `package`, where this property is unset.
        Assumptions.assumeFalse(Boolean.getBoolean("mint.backup.before.package"),
                "the packages are made in `package`: this test runs in failsafe (verify), not in surefire");
        String version = System.getProperty("mint.backup.version");
        assertThat(version).as("failsafe sets mint.backup.version to the project's version").isNotBlank();
        return version;
    }

    static Path tarball() {
        return existing(Path.of("target", "mint-backup-" + version() + ".tar.gz"));
    }

    static Path deb() {
        return existing(Path.of("target", "mint-backup_" + version() + "_all.deb"));
    }

    private static Path existing(Path file) {
        assertThat(file).as("made by ./mvnw package").isRegularFile();
        return file.toAbsolutePath();
    }

    /** The qualified names of the command and of every command under it: mint-backup, mint-backup-key-writer-export... */
    static List<String> commandNames() {
        List<String> names = new ArrayList<>();
        collect(MintBackup.model(), names);
        return names;
    }

    private static void collect(CommandLine command, List<String> names) {
        names.add(command.getCommandSpec().qualifiedName("-"));
        for (CommandLine sub : new java.util.LinkedHashSet<>(command.getSubcommands().values())) { // aliases once
            collect(sub, names);
        }
    }

    /** Runs a command with exactly this environment (as env -i would) in a directory; it must end within 5 minutes. */
    static Run run(List<String> command, Map<String, String> environment, Path workingDirectory)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile("mint-backup-run", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workingDirectory.toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().clear();
            pb.environment().putAll(environment);
            Process p = pb.start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("did not end within 5 minutes: " + command + "\n" + Files.readString(output));
            }
            return new Run(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** Like {@link #run}, asserting exit code 0; returns the output. */
    static String ok(List<String> command, Map<String, String> environment, Path workingDirectory)
            throws IOException, InterruptedException {
        Run r = run(command, environment, workingDirectory);
        assertThat(r.code()).as("%s\n--- output\n%s", command, r.out()).isZero();
        return r.out();
    }

    /**
     * Runs {@code bin/mint-backup-cds} of an unpacked package, then shows that its launcher starts from the archive it
     * made: the JVM's class-loading log names the shared archive (the dynamic, "top" layer) as the source of the CLI's
     * classes, which it does only when the archive maps (same jar path, same JDK).
     */
    static void assertCdsArchiveMadeAndUsed(Path bin, Map<String, String> environment, Path workingDirectory)
            throws IOException, InterruptedException {
        Path jsa = bin.resolveSibling("lib").resolve("mint-backup.jsa");
        assertThat(jsa).as("no archive before bin/mint-backup-cds").doesNotExist();
        ok(List.of(bin.resolve("mint-backup-cds").toString()), environment, workingDirectory);
        assertThat(jsa).isRegularFile();
        assertThat(Files.size(jsa)).isGreaterThan(1_000_000);
        Map<String, String> logging = new java.util.HashMap<>(environment);
        logging.put("JAVA_OPTS", "-Xlog:class+load=info");
        assertThat(ok(List.of(bin.resolve("mint-backup").toString(), "--version"), logging, workingDirectory))
                .contains("com.mintreplica.backup.cli.MintBackup source: shared objects file (top)");
    }

    /** An environment as under cron or on a rescue shell: a PATH, no LANG or LC_*, the build's Java as JAVA_HOME. */
    static Map<String, String> bareEnvironment(Path home) {
        return Map.of("PATH", "/usr/bin:/bin", "HOME", home.toString(), "JAVA_HOME", System.getProperty("java.home"));
    }
}
