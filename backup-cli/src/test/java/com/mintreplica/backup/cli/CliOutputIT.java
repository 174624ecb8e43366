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
    void a_copy_from_a_plain_repository_into_an_encrypted_one_warns_of_no_unused_key() throws Exception {
        // --key serves both ends of a copy: the source was opened with it too, and a plain source logged "WARN the
        // repository at ... is not encrypted: the openpgp keys given are not used" although the target needed them.
        try (com.mintreplica.backup.testkit.gpg.GnuPG gpg = com.mintreplica.backup.testkit.gpg.GnuPG.start()) {
            com.mintreplica.backup.testkit.gpg.GnuPG.Key key = gpg.generate("Ops <ops@mint.example>", "future-default");
            Path data = temp.resolve("data");
            Files.createDirectories(data);
            Files.writeString(data.resolve("ledger.csv"), "1;2;3\n");
            String plain = temp.resolve("plain").toString();
            String encrypted = temp.resolve("encrypted").toString();
            String[] keys = {"--key", key.secretFile().toString(), "--passphrase-file", gpg.passphraseFile.toString()};
            assertThat(java(MintBackup.class.getName(), "init", "--repo", plain).code()).isZero();
            assertThat(java(MintBackup.class.getName(), "init", "--repo", encrypted, "--encrypt-to",
                    key.publicFile().toString()).code()).isZero();
            assertThat(java(MintBackup.class.getName(), "backup", "--repo", plain, data.toString()).code()).isZero();

            Run copy = java(MintBackup.class.getName(), concat(new String[] {"copy", "--from", plain, "--to", encrypted}, keys));

            assertThat(copy.code()).as(copy.err()).isZero();
            assertThat(copy.out()).contains("copied 1 snapshot");
            assertThat(copy.err()).as(copy.err()).doesNotContain("not used").doesNotContain("WARN");
            Run restore = java(MintBackup.class.getName(), concat(new String[] {"restore", "--repo", encrypted, "latest",
                    "--target", temp.resolve("restored").toString()}, keys));
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(temp.resolve("restored").resolve(data.toString().substring(1)).resolve("ledger.csv"))
                    .hasContent("1;2;3\n");

            // and back: the key opens the encrypted source, the plain target needs none
            Run back = java(MintBackup.class.getName(), concat(new String[] {"copy", "--from", encrypted, "--to", plain}, keys));
            assertThat(back.code()).as(back.err()).isZero();
            assertThat(back.err()).as(back.err()).doesNotContain("WARN");
            // with neither end encrypted the keys are indeed not used: said once
            String other = temp.resolve("other").toString();
            assertThat(java(MintBackup.class.getName(), "init", "--repo", other).code()).isZero();
            Run plainCopy = java(MintBackup.class.getName(), concat(new String[] {"copy", "--from", plain, "--to", other}, keys));
            assertThat(plainCopy.code()).as(plainCopy.err()).isZero();
            assertThat(plainCopy.err()).isEqualTo("warning: neither repository is encrypted: the keys given are not used\n");
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
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
