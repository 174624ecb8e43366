package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --stall-timeout}: a run whose store stops answering fails with exit 1 and says what it waits for. */
@Timeout(120)
class CliStallTest {
    @TempDir
    Path temp;

    @Test
    void a_restore_whose_pack_never_answers_fails_after_the_stall_timeout_naming_the_pack() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("app.yaml"), "port: 8080\n");
        Path repo = temp.resolve("repo");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        assertThat(Cli.run("backup", "--repo", repo.toString(), data.toString()).code()).isZero();
        // A real stuck read: the pack becomes a named pipe that nobody writes, so opening it waits forever.
        Path pack;
        try (Stream<Path> files = Files.walk(repo.resolve("data"))) {
            pack = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        Files.delete(pack);
        Process mkfifo = new ProcessBuilder("mkfifo", pack.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0).isTrue();
        try {
            long start = System.nanoTime();
            Cli.Result r = Cli.run("restore", "--repo", repo.toString(), "latest", "--target",
                    temp.resolve("restore").toString(), "--stall-timeout", "1s");
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat((System.nanoTime() - start) / 1_000_000_000L).isLessThan(15);
            String pathInRepo = repo.relativize(pack).toString();
            assertThat(r.err()).contains("made no progress for 1.0 s", "Sink.get of '" + pathInRepo + "'",
                    "waiting for blob").doesNotContain("\tat ");
        } finally {
            // Lets the abandoned read go: it gets an empty pack and fails, and its thread ends.
            try (FileOutputStream unblock = new FileOutputStream(pack.toFile())) {
                unblock.flush();
            }
        }
    }

    @Test
    void a_stall_timeout_that_is_not_a_duration_is_a_usage_error() {
        for (List<String> command : List.of(
                List.of("backup", "--repo", temp.resolve("repo").toString(), temp.toString()),
                List.of("restore", "--repo", temp.resolve("repo").toString(), "latest", "--target", temp.toString()),
                List.of("prune", "--repo", temp.resolve("repo").toString(), "--keep-last", "1"),
                List.of("copy", "--from", temp.resolve("a").toString(), "--to", temp.resolve("b").toString()))) {
            String[] args = Stream.concat(command.stream(), Stream.of("--stall-timeout", "soon")).toArray(String[]::new);
            Cli.Result r = Cli.run(args);
            assertThat(r.code()).as(r.toString()).isEqualTo(2);
            assertThat(r.err()).as(r.toString()).contains("--stall-timeout 'soon' is not a duration");
        }
    }
}
