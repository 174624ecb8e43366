package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Clear words when --repo names something that is not a usable repository directory. */
@Timeout(120)
class CliRepositoryPathTest {
    @TempDir
    Path temp;

    @Test
    void a_regular_file_as_the_repository_exits_2_and_says_it_is_a_file() throws Exception {
        Path file = Files.writeString(temp.resolve("backup.tar"), "not a repository\n");
        Path tree = Files.createDirectories(temp.resolve("tree"));
        Files.writeString(tree.resolve("a.txt"), "a\n");

        for (String[] args : List.of(new String[] {"init", "--repo", file.toString()},
                new String[] {"backup", "--repo", file.toString(), tree.toString()},
                new String[] {"list", "--repo", file.toString()},
                new String[] {"restore", "--repo", file.toString(), "latest", "--target", temp.resolve("t").toString()})) {
            Cli.Result r = Cli.run(args);
            assertThat(r.code()).as(r.toString()).isEqualTo(2);
            assertThat(r.err()).as(args[0]).contains(file + " is a file, not a repository").doesNotContain("\tat ");
        }
        assertThat(file).hasContent("not a repository");
    }

    /**
     * A repository the user may read but not write: the message says "permission denied" with the path. The command
     * runs in a process without root's power to override file permissions ({@code setpriv} drops it), as a non-root
     * user would.
     */
    @Test
    void a_read_only_repository_says_permission_denied_with_the_path() throws Exception {
        Path repo = temp.resolve("repo");
        Path tree = Files.createDirectories(temp.resolve("tree"));
        Files.writeString(tree.resolve("a.txt"), "a\n");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        assertThat(Cli.run("backup", "--repo", repo.toString(), tree.toString()).code()).isZero();
        Files.writeString(tree.resolve("b.txt"), "b\n");
        try (Stream<Path> paths = Files.walk(repo)) {
            for (Path p : paths.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "r-xr-xr-x" : "r--r--r--"));
            }
        }
        try {
            List<String> command = new ArrayList<>(List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), MintBackup.class.getName(),
                    "backup", "--repo", repo.toString(), tree.toString()));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

            assertThat(p.exitValue()).as(output).isNotZero();
            assertThat(output).contains("permission denied").contains(repo.toString()).doesNotContain("\tat ");
        } finally {
            try (Stream<Path> paths = Files.walk(repo)) {
                for (Path p : paths.toList()) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        }
    }
}
