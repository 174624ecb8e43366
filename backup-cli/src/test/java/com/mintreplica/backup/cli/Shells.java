package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs shell commands as a person would paste them, with a {@code mint-backup} command on the PATH. */
final class Shells {
    private Shells() {
    }

    /** Writes {@code dir/mint-backup}, which runs this build's CLI (the test class path) with its arguments. */
    static Path mintBackupCommand(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path script = dir.resolve("mint-backup");
        Files.writeString(script, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' -cp '" + System.getProperty("java.class.path") + "' " + MintBackup.class.getName() + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** The output of {@code sh -c script} (stdout and stderr), asserting it exits 0 within {@code seconds}. */
    static String run(String script, Map<String, String> environment, Path workingDirectory, int seconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).directory(workingDirectory.toFile());
        pb.environment().putAll(environment);
        Process p = pb.start();
        byte[] output = p.getInputStream().readAllBytes();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(done && p.exitValue() == 0).as("sh -c %s\n--- output\n%s", script, text).isTrue();
        return text;
    }
}
