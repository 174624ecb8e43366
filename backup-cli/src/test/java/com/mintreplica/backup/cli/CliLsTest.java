package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ls SNAPSHOT DIR...}: one directory of a snapshot, as restic's ls takes it (a leading /, --recursive). */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CliLsTest {
    @TempDir
    Path temp;

    @Test
    void ls_of_a_directory_lists_what_is_in_it_and_with_recursive_what_is_below() throws Exception {
        Path data = temp.resolve("data");
        Files.createDirectories(data.resolve("logs/old"));
        Files.writeString(data.resolve("logs/app.log"), "log");
        Files.writeString(data.resolve("logs/old/app.log.1"), "old log");
        Files.writeString(data.resolve("config.yml"), "config");
        String repo = temp.resolve("repo").toString();
        assertThat(Cli.run("init", "--repo", repo).code()).isZero();
        Cli.Result backup = Cli.run("backup", "--repo", repo, data.toString());
        assertThat(backup.code()).as(backup.toString()).isZero();
        String logs = data.resolve("logs").toString();   // absolute, as restic's ls takes it

        Cli.Result ls = Cli.run("ls", "--repo", repo, "latest", logs);
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out().lines().map(l -> l.substring(l.lastIndexOf("  ") + 2)))
                .containsExactly(logs.substring(1) + "/app.log", logs.substring(1) + "/old");

        Cli.Result recursive = Cli.run("ls", "--repo", repo, "latest", logs.substring(1), "--recursive", "--json");
        assertThat(recursive.code()).as(recursive.toString()).isZero();
        assertThat(recursive.out()).contains("logs/app.log\"").contains("logs/old\"").contains("logs/old/app.log.1\"")
                .doesNotContain("config.yml");

        Cli.Result missing = Cli.run("ls", "--repo", repo, "latest", data.resolve("nothing").toString());
        assertThat(missing.code()).as(missing.toString()).isEqualTo(2);
        assertThat(missing.err()).contains("has no directory '" + data.resolve("nothing") + "'")
                .doesNotContain("Exception");
        Cli.Result file = Cli.run("ls", "--repo", repo, "latest", data.resolve("config.yml").toString());
        assertThat(file.code()).as(file.toString()).isEqualTo(2);
        assertThat(file.err()).contains("is a regular, not a directory");
        Cli.Result alone = Cli.run("ls", "--repo", repo, "latest", "--recursive");
        assertThat(alone.code()).as(alone.toString()).isEqualTo(2);
        assertThat(alone.err()).contains("--recursive goes with one or more DIR arguments");
    }
}
