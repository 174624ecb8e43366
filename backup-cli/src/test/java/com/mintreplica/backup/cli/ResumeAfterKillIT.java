package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupted work resumes: a first backup of 2 GiB killed with SIGKILL at about 70% leaves its finished packs
 * indexed by checkpoints, so the backup run again uploads little of it again (less than a tenth of what was uploaded
 * before the kill), and removes the temporary files the killed process left.
 */
@Timeout(900)
class ResumeAfterKillIT {
    private static final long TREE_BYTES = 2L << 30;

    @TempDir
    Path temp;

    /**
     * The bytes of the packs in a repository: what has been uploaded, without temporary files. Measured while a backup
     * writes: a temporary file renamed between the walk's listing and its look at it is walked past, and the walk is
     * made again.
     */
    private static long packBytes(Path repo) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return packBytesOnce(repo);
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    private static long packBytesOnce(Path repo) throws IOException {
        Path data = repo.resolve("data");
        return Files.isDirectory(data) ? packBytesUnder(data) : 0;
    }

    /**
     * Sums the packs below a directory while a backup writes there: a temporary file renamed or removed between the
     * listing and a look at it is skipped (Files.walk stats each entry, and failed the test when one vanished).
     */
    private static long packBytesUnder(Path dir) throws IOException {
        long sum = 0;
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                try {
                    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        sum += packBytesUnder(p);
                    } else if (p.getFileName().toString().matches("[0-9a-f]{64}")) {
                        sum += Files.size(p);
                    }
                } catch (java.nio.file.NoSuchFileException vanished) {
                    // renamed or removed since the listing
                }
            }
        } catch (java.nio.file.NoSuchFileException vanished) {
            return 0;
        }
        return sum;
    }

    private static List<Path> temporaryFiles(Path repo) throws IOException {
        try (Stream<Path> files = Files.walk(repo)) {
            return files.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
        }
    }

    private static Process startBackup(Path repo, Path tree) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MintBackup.class.getName(),
                "backup", "--repo", repo.toString(), tree.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static JsonNode backup(Path repo, Path tree) throws Exception {
        Cli.Result r = Cli.run("backup", "--repo", repo.toString(), tree.toString(), "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void a_first_backup_killed_at_70_percent_is_not_uploaded_again() throws Exception {
        Path tree = temp.resolve("tree");
        TestTrees.mixedTree(tree, TREE_BYTES, 17);

        // What an uninterrupted backup of this tree stores: the measure for 70% and for what the rerun must add.
        Path reference = temp.resolve("reference");
        assertThat(Cli.run("init", "--repo", reference.toString()).code()).isZero();
        backup(reference, tree);
        long whole = packBytes(reference);

        Path repo = temp.resolve("repo");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        Process first = startBackup(repo, tree);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (packBytes(repo) < whole * 7 / 10 && first.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(first.isAlive()).as("the first backup still runs when it is killed").isTrue();
        first.destroyForcibly(); // SIGKILL: nothing of the run's own clean-up happens
        first.waitFor();
        long uploadedBeforeKill = packBytes(repo);
        assertThat(uploadedBeforeKill).isGreaterThan(whole * 6 / 10);

        JsonNode rerun = backup(repo, tree);

        // Every byte stored beyond what one uninterrupted backup stores was uploaded twice.
        long uploadedAgain = packBytes(repo) - whole;
        System.out.printf("ResumeAfterKillIT: %d bytes uploaded before the kill, %d uploaded again (%.1f%%)%n",
                uploadedBeforeKill, uploadedAgain, 100.0 * uploadedAgain / uploadedBeforeKill);
        assertThat(uploadedAgain)
                .as("uploaded again: %d of the %d bytes uploaded before the kill", uploadedAgain, uploadedBeforeKill)
                .isLessThan(uploadedBeforeKill / 10);
        assertThat(rerun.get("bytesNew").asLong()).as("the rerun stores the rest, and not much more")
                .isLessThan(TREE_BYTES - uploadedBeforeKill + uploadedBeforeKill / 10);
        assertThat(temporaryFiles(repo)).as("the killed process's temporary files are gone").isEmpty();
        Cli.Result verify = Cli.run("verify", "--repo", repo.toString());
        assertThat(verify.code()).as(verify.toString()).isZero();
        Path target = temp.resolve("restore");
        Cli.Result restore = Cli.run("restore", "--repo", repo.toString(), "latest", "--target", target.toString(),
                "--include", tree.resolve("large").toString().substring(1));
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(TestTrees.size(target)).isEqualTo(TestTrees.size(tree.resolve("large")));
    }
}
