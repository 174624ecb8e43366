package com.mintreplica.backup.fs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore in pack order plans its files on disk, in memory bounded by a budget taken from the heap: a tree of 100,000
 * files restores into a directory from a JVM with a 48 MiB heap (its plan in sorted runs of a few thousand pieces),
 * identical to the tree.
 */
class ManyFilesRestoreIT {
    @TempDir
    Path temp;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void a_hundred_thousand_files_restore_in_a_48_MiB_heap() throws Exception {
        Path tree = temp.resolve("tree");
        int count = 100_000;
        byte[] buffer = new byte[3000];
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int d = 0; d < count / 500; d++) {
            Path dir = Files.createDirectories(tree.resolve(String.format("g%02d/d%03d", d / 20, d)));
            for (int f = 0; f < 500; f++) {
                int n = 100 + random.nextInt(2900);
                for (int i = 0; i < n; i++) {
                    buffer[i] = (byte) random.nextInt(256);
                }
                Files.write(dir.resolve("f" + f), java.util.Arrays.copyOf(buffer, n));
            }
        }
        Path repoDir = temp.resolve("repo");
        try (Repository repo = Repository.init(new LocalDirectorySink(repoDir))) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
        }
        Path restored = temp.resolve("restored");
        Path log = temp.resolve("restore.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx48m",
                "-cp", System.getProperty("java.class.path"), ForkedFs.class.getName(), "restore", repoDir.toString(),
                restored.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = p.waitFor(10, TimeUnit.MINUTES);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log);
        assertThat(ended).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).doesNotContain("OutOfMemoryError");
        Trees.assertSameTree(tree, Trees.restoredRoot(restored, tree));
    }

}
