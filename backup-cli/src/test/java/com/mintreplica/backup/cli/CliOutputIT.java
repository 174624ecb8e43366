package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator's terminal shows, from the real {@code main} in its own JVM (logging is configured once per JVM):
 * no line from a library's logger unless {@code --debug}, and each backup warning once.
 */
@Timeout(120)
class CliOutputIT {
    @TempDir
    Path temp;

    private record Run(int code, String out, String err) {
    }

    private static Run java(String main, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void no_library_log_line_reaches_the_terminal_unless_debug() throws Exception {
        Path repo = temp.resolve("repo");
        assertThat(java(MintBackup.class.getName(), "init", "--repo", repo.toString()).code()).isZero();

        Run quiet = java(LoggingProbeMain.class.getName(), "list", "--repo", repo.toString());

        assertThat(quiet.code()).as(quiet.err()).isZero();
        assertThat(quiet.out()).contains("no snapshots");
        assertThat(quiet.err()).contains("mint-backup's own warning (probe)")
                .doesNotContain("ApiCallAttemptTimeoutTrackingStage").doesNotContain("Failed to close the response stream")
                .doesNotContain("grpc channel probe").doesNotContain("I/O exception").doesNotContain("\tat ");

        Run debug = java(LoggingProbeMain.class.getName(), "--debug", "list", "--repo", repo.toString());

        assertThat(debug.code()).as(debug.err()).isZero();
        assertThat(debug.err()).contains("Failed to close the response stream (probe)").contains("grpc channel probe")
                .contains("I/O exception (java.net.SocketException)");
    }

    @Test
    void each_backup_warning_is_printed_once() throws Exception {
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("notes.txt"), "notes\n");
        // A socket in a tree is left out with a warning (FIFOs and devices are kept since manifest version 2).
        Path socket = data.resolve("a-socket");
        try (java.nio.channels.ServerSocketChannel listening = java.nio.channels.ServerSocketChannel
                .open(java.net.StandardProtocolFamily.UNIX).bind(java.net.UnixDomainSocketAddress.of(socket))) {
            Path repo = temp.resolve("repo");
            assertThat(java(MintBackup.class.getName(), "init", "--repo", repo.toString()).code()).isZero();

            Run backup = java(MintBackup.class.getName(), "backup", "--repo", repo.toString(), data.toString());

            assertThat(backup.code()).as(backup.err()).isZero();
            assertThat(backup.err()).contains("warning: " + socket.toString().substring(1) + ": is a socket; not in this snapshot");
            assertThat(backup.err().split("a-socket", -1)).as(backup.err()).hasSize(2);
        }
    }
}
