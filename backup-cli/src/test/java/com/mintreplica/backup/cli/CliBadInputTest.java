package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets words that say what is wrong, and exit 2 (the README's promise). */
class CliBadInputTest {
    @TempDir
    Path temp;

    @Test
    void a_repository_that_is_a_file_is_called_a_file_by_every_command_including_init() throws Exception {
        Path file = Files.writeString(temp.resolve("F"), "not a repository\n");
        Path data = Files.writeString(temp.resolve("data.txt"), "data\n");
        Path good = temp.resolve("good");
        assertThat(Cli.run("init", "--repo", good.toString()).code()).isZero();
        String f = file.toString();
        List<String[]> commands = List.of(
                new String[] {"init", "--repo", f},
                new String[] {"backup", "--repo", f, data.toString()},
                new String[] {"list", "--repo", f},
                new String[] {"ls", "--repo", f, "latest"},
                new String[] {"restore", "--repo", f, "latest", "--target", temp.resolve("out").toString()},
                new String[] {"verify", "--repo", f},
                new String[] {"cat", "--repo", f, "latest", "data.txt"},
                new String[] {"prune", "--repo", f, "--keep-last", "1"},
                new String[] {"key", "list", "--repo", f},
                new String[] {"copy", "--from", f, "--to", good.toString()},
                new String[] {"copy", "--from", good.toString(), "--to", f},
                new String[] {"recover", "--repo", f});
        for (String[] command : commands) {
            Cli.Result r = Cli.run(command);
            assertThat(r.code()).as(String.join(" ", command) + "\n" + r).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", command)).contains(f + " is a file, not a repository")
                    .doesNotContain("\tat ");
        }
        Cli.Result below = Cli.run("init", "--repo", file.resolve("sub").toString());
        assertThat(below.code()).isEqualTo(2);
        assertThat(below.err()).contains(file.resolve("sub") + " cannot be a repository: " + f + " is a file");
        assertThat(file).hasContent("not a repository");
    }

    @Test
    void an_empty_restore_target_or_one_below_a_file_is_bad_input_that_names_it() throws Exception {
        // It said "a source location is empty" (the parser of locations is shared with backup's sources).
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("a.txt"), "a\n");
        String repo = temp.resolve("repo").toString();
        assertThat(Cli.run("init", "--repo", repo).code()).isZero();
        assertThat(Cli.run("backup", "--repo", repo, data.toString()).code()).isZero();

        Cli.Result empty = Cli.run("restore", "--repo", repo, "latest", "--target", "");

        assertThat(empty.code()).isEqualTo(2);
        assertThat(empty.err()).contains("--target is empty").doesNotContain("source location");
        // a target below a regular file is bad input too, as a target that is a file is (it was exit 1)
        Path file = Files.writeString(temp.resolve("afile"), "x");
        Cli.Result below = Cli.run("restore", "--repo", repo, "latest", "--target", file.resolve("x").toString());
        assertThat(below.code()).as(below.toString()).isEqualTo(2);
        assertThat(below.err()).contains("'" + file + "' is not a directory");
        // and a dry run refuses it as the restore would (it said "would restore" and exit 0: explorers' C-9)
        Cli.Result dry = Cli.run("restore", "--repo", repo, "latest", "--target", file.toString(), "--dry-run");
        assertThat(dry.code()).as(dry.toString()).isEqualTo(2);
        assertThat(dry.err()).contains("'" + file + "': it exists and is not a directory");
    }
}
