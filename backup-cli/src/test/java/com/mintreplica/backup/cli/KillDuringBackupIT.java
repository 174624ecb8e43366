package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 in the middle of a backup: no half snapshot is listed, verify passes, the next backup succeeds. */
class KillDuringBackupIT {
    @TempDir
    Path temp;

    private static long packs(Path repo) throws Exception {
        Path data = repo.resolve("data");
        if (!Files.isDirectory(data)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(data)) {
            return files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    private static Process startBackup(Path repo, Path tree) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MintBackup.class.getName(),
                "backup", "--repo", repo.toString(), tree.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void a_backup_killed_at_any_point_leaves_earlier_snapshots_intact() throws Exception {
        Path repo = temp.resolve("repo");
        Path small = temp.resolve("small");
        TestTrees.mixedTree(small, 5L << 20, 1);
        Path big = temp.resolve("big");
        TestTrees.mixedTree(big, 600L << 20, 2);
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        Cli.Result earlier = Cli.run("backup", "--repo", repo.toString(), small.toString());
        assertThat(earlier.code()).as(earlier.toString()).isZero();
        String earlierId = earlier.out().split(" ")[1];

        // Kill after the first, the third and the sixth new pack appears: early, middle and late in the run.
        for (int packsBeforeKill : new int[] {1, 3, 6}) {
            long before = packs(repo);
            Process backup = startBackup(repo, big);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (packs(repo) < before + packsBeforeKill && backup.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(backup.isAlive()).as("the backup is still running when it is killed").isTrue();
            backup.destroyForcibly(); // SIGKILL
            backup.waitFor();

            JsonNode list = new ObjectMapper().readTree(Cli.run("list", "--repo", repo.toString(), "--json").out());
            assertThat(list).hasSize(1);
            assertThat(list.get(0).get("id").asText()).isEqualTo(earlierId);
            Cli.Result verify = Cli.run("verify", "--repo", repo.toString(), "--read-data");
            assertThat(verify.code()).as(verify.toString()).isZero();
        }

        Cli.Result next = Cli.run("backup", "--repo", repo.toString(), big.toString());
        assertThat(next.code()).as(next.toString()).isZero();
        Cli.Result verify = Cli.run("verify", "--repo", repo.toString(), "--read-data");
        assertThat(verify.code()).as(verify.toString()).isZero();
        Path target = temp.resolve("restore");
        assertThat(Cli.run("restore", "--repo", repo.toString(), "latest", "--target", target.toString()).code()).isZero();
        assertThat(TestTrees.size(target)).isEqualTo(TestTrees.size(big));
    }
}
