package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk, for real: the repository lives on a small tmpfs mounted for the test (this needs root, which the
 * build machine and CI have; elsewhere the test is skipped with a message saying so). A backup that fails for want
 * of space leaves no temporary file; the temporary files a killed backup left behind do not make the next backup
 * fail on {@code cannot write the lock ... No space left}.
 */
@Timeout(300)
class DiskFullIT {
    @TempDir
    Path temp;
    Path disk;

    @BeforeEach
    void mount() throws Exception {
        disk = temp.resolve("disk");
        Files.createDirectories(disk);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", disk.toString())
                .redirectErrorStream(true).start();
        String output = new String(mount.getInputStream().readAllBytes());
        Assumptions.assumeTrue(mount.waitFor() == 0, "mounting a 48 MiB tmpfs needs root: " + output);
    }

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", "-l", disk.toString()).inheritIO().start().waitFor();
    }

    private static void random(Path file, long size, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        TestTrees.write(file, size, new Random(seed));
    }

    private static List<Path> temporaryFiles(Path repo) throws IOException {
        try (Stream<Path> files = Files.walk(repo)) {
            return files.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
        }
    }

    /** Fills what is left of the disk with a file outside the repository; returns its size. */
    private static long fill(Path file) throws IOException {
        long written = 0;
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
                written += block.length;
            }
        } catch (IOException full) {
            assertThat(full.getMessage()).contains("No space left");
        }
        return written;
    }

    @Test
    void a_backup_that_fills_the_disk_fails_cleanly_and_the_next_small_one_succeeds() throws Exception {
        Path repo = disk.resolve("repo");
        Path big = temp.resolve("big");
        random(big.resolve("dump.bin"), 80L << 20, 1);
        Path small = temp.resolve("small");
        random(small.resolve("notes.bin"), 1L << 20, 2);
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();

        Cli.Result full = Cli.run("backup", "--repo", repo.toString(), big.toString());

        assertThat(full.code()).as(full.toString()).isEqualTo(1);
        assertThat(full.err()).contains("No space left on device").doesNotContain("\tat ");
        assertThat(full.err()).as("which file system is full").contains("cannot write " + repo);
        assertThat(temporaryFiles(repo)).as("the failed run removed its temporary files").isEmpty();
        assertThat(repo.resolve("locks")).isEmptyDirectory();
        Cli.Result next = Cli.run("backup", "--repo", repo.toString(), small.toString());
        assertThat(next.code()).as(next.toString()).isZero();
    }

    @Test
    void a_restore_onto_a_full_disk_says_what_it_could_not_write() throws Exception {
        // It said "restore of snapshot ... failed: No space left on device", not where.
        Path repo = temp.resolve("repo");
        Path data = temp.resolve("data");
        random(data.resolve("dump.bin"), 8L << 20, 5);
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        assertThat(Cli.run("backup", "--repo", repo.toString(), data.toString()).code()).isZero();
        fill(disk.resolve("filler"));
        Path target = disk.resolve("restore");

        Cli.Result full = Cli.run("restore", "--repo", repo.toString(), "latest", "--target", target.toString());

        assertThat(full.code()).as(full.toString()).isEqualTo(1);
        assertThat(full.err()).contains("No space left on device").contains(target.toString()).doesNotContain("\tat ");
    }

    @Test
    void temporary_files_a_killed_backup_left_on_a_full_disk_do_not_stop_the_next_backup() throws Exception {
        Path repo = disk.resolve("repo");
        Path big = temp.resolve("big");
        random(big.resolve("dump.bin"), 40L << 20, 3);
        Path small = temp.resolve("small");
        random(small.resolve("notes.bin"), 1L << 20, 4);
        // The single-object layout streams an entry into one temporary file as it is read: a kill leaves it half written.
        assertThat(Cli.run("init", "--repo", repo.toString(), "--layout", "single").code()).isZero();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MintBackup.class.getName(),
                "backup", "--repo", repo.toString(), big.toString()));
        Process backup = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long tempBytes = 0;
        while (tempBytes < (8L << 20) && backup.isAlive() && System.nanoTime() < deadline) {
            tempBytes = temporaryFiles(repo).stream().mapToLong(p -> p.toFile().length()).sum();
            Thread.sleep(2);
        }
        assertThat(backup.isAlive()).as("the backup still writes when it is killed").isTrue();
        backup.destroyForcibly(); // SIGKILL: its temporary file stays
        backup.waitFor();
        assertThat(temporaryFiles(repo)).isNotEmpty();
        fill(disk.resolve("filler"));

        Cli.Result next = Cli.run("backup", "--repo", repo.toString(), small.toString());

        assertThat(next.code()).as("the killed run's temporary file made room: " + next).isZero();
        assertThat(temporaryFiles(repo)).isEmpty();
        Path target = temp.resolve("restore");
        assertThat(Cli.run("restore", "--repo", repo.toString(), "latest", "--target", target.toString()).code()).isZero();
        assertThat(target.resolve(small.resolve("notes.bin").toString().substring(1))).hasSameBinaryContentAs(small.resolve("notes.bin"));
    }
}
