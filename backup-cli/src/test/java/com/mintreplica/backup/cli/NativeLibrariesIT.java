package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zstd-jni and JNA unpack their native libraries from their jars into a temporary directory and load them from there.
 * On a host whose /tmp is mounted noexec (a common hardening) zstd's load failed, and every command that opens a
 * repository ended in an UnsatisfiedLinkError and a stack trace. The build ships both libraries unpacked beside the
 * jar (target/native, the packages' lib/native) and the CLI loads them from there. Here the temporary directory is a
 * regular file, so nothing can be unpacked into it (mounting noexec needs root; the failure is the same), and there
 * is no home directory (JNA's other place to unpack).
 */
class NativeLibrariesIT {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String LAUNCHER = Path.of("..", "bin", "mint-backup").toAbsolutePath().normalize().toString();

    @TempDir
    Path temp;

    private record Run(int code, String out) {
    }

    private Run run(List<String> command, String javaOpts) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(Map.of("JAVA", JAVA, "PATH", "/usr/bin:/bin", "HOME", temp.resolve("no-home").toString(),
                "JAVA_OPTS", javaOpts));
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), out);
    }

    private String unusableTmp() throws Exception {
        return "-Djava.io.tmpdir=" + Files.writeString(temp.resolve("not-a-directory"), "x");
    }

    @Test
    void the_launcher_loads_the_shipped_libraries_where_nothing_can_be_unpacked() throws Exception {
        assertThat(Path.of("target", "native", "linux", "amd64")).isDirectory();
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("ledger.csv"), "2026-12-06,tx-1,EUR,12.50\n".repeat(1000));
        String repo = temp.resolve("repo").toString();
        String opts = unusableTmp();
        for (List<String> args : List.of(List.of("init", "--repo", repo), List.of("backup", "--repo", repo,
                data.toString()), List.of("verify", "--repo", repo, "--read-data"), List.of("cat", "--repo", repo,
                "latest", data.resolve("ledger.csv").toString().substring(1)))) {
            List<String> command = new ArrayList<>(List.of(LAUNCHER));
            command.addAll(args);
            Run r = run(command, opts);
            assertThat(r.code()).as(args + ": " + r.out()).isZero();
            if (args.get(0).equals("cat")) {
                assertThat(r.out()).isEqualTo("2026-12-06,tx-1,EUR,12.50\n".repeat(1000));
            }
        }
    }

    @Test
    void without_them_the_failure_to_load_zstd_says_what_to_do_without_a_stack_trace() throws Exception {
        String repo = temp.resolve("repo").toString();
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("ledger.csv"), "2026-12-06,tx-1,EUR,12.50\n");
        // the tests' class path with this module's classes from target/classes instead of the jar failsafe puts there:
        // no jar, so no shipped libraries beside it
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            boolean ours = Path.of(entry).toAbsolutePath().normalize().startsWith(Path.of("target").toAbsolutePath())
                    && entry.endsWith(".jar");
            entries.add(ours ? Path.of("target", "classes").toAbsolutePath().toString() : entry);
        }
        assertThat(entries).as("the class path names its entries").contains(
                Path.of("target", "classes").toAbsolutePath().toString());
        List<String> cli = List.of(JAVA, unusableTmp(), "-cp", String.join(File.pathSeparator, entries),
                MintBackup.class.getName());
        assertThat(run(List.of(LAUNCHER, "init", "--repo", repo), "").code()).isZero();
        List<String> backup = new ArrayList<>(cli);
        backup.addAll(List.of("backup", "--repo", repo, data.toString()));
        Run r = run(backup, "");
        assertThat(r.code()).as(r.out()).isEqualTo(MintBackup.FAILED);
        assertThat(r.out()).contains("zstd's native library could not be loaded", "not-a-directory",
                "-DZstdTempFolder=DIR").doesNotContain("\tat ", "Exception in thread");
    }
}
