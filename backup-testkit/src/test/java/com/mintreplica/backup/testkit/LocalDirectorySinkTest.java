package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local-directory Sink passes the Sink kit, and publishes objects only whole. */
class LocalDirectorySinkTest extends SinkContract {
    @TempDir
    Path dir;

    @Override
    protected Sink newSink() {
        return new LocalDirectorySink(dir.resolve("repo"));
    }

    @Test
    void objects_are_files_under_the_root_and_no_temporary_file_is_left() throws Exception {
        byte[] data = randomBytes(1000, 9);
        sink.put("data/ab/abc", new ByteArrayInputStream(data), data.length, ObjectKind.DATA);
        assertThat(Files.readAllBytes(dir.resolve("repo/data/ab/abc"))).isEqualTo(data);
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .containsExactly("abc");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void the_first_write_removes_temporary_files_of_dead_writers_and_never_a_live_writers() throws Exception {
        // A live writer: a put whose content is still being read, in another Sink (as another process would be).
        LocalDirectorySink writer = new LocalDirectorySink(dir.resolve("repo"));
        writer.put("config", new ByteArrayInputStream(new byte[] {0}), 1, ObjectKind.CONFIG);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        InputStream slow = new InputStream() {
            private int left = 3;

            @Override
            public int read() throws java.io.IOException {
                if (left == 1) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                }
                return left-- > 0 ? 7 : -1;
            }
        };
        java.util.concurrent.CompletableFuture<Void> live = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                writer.put("data/ab/live", slow, 3, ObjectKind.DATA);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Path liveTemp = null;
        while (liveTemp == null) {
            try (Stream<Path> files = Files.list(dir.resolve("repo/data/ab"))) {
                liveTemp = files.filter(p -> p.getFileName().toString().startsWith(".tmp-")).findFirst().orElse(null);
            } catch (java.nio.file.NoSuchFileException notYet) {
                // the directory comes with the temporary file
            }
            Thread.sleep(5);
        }
        // .tmp-<host tag>-<pid>-<random>: the same host tag with the pid of a process that has exited is a dead writer.
        String[] owner = liveTemp.getFileName().toString().substring(".tmp-".length()).split("-", 3);
        assertThat(Long.parseLong(owner[1])).isEqualTo(ProcessHandle.current().pid());
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        Process running = new ProcessBuilder("sleep", "60").start();
        try {
            // In the directory the next write goes to: its first write there sweeps it.
            Path data = dir.resolve("repo/data/ab");
            Files.createDirectories(data);
            Path dead = Files.write(data.resolve(".tmp-" + owner[0] + "-" + exited.pid() + "-a"), new byte[1000]);
            Path alive = Files.write(data.resolve(".tmp-" + owner[0] + "-" + running.pid() + "-b"), new byte[1000]);
            // The pid now names a process started long after the file last changed: it cannot be the writer.
            Path reused = Files.write(data.resolve(".tmp-" + owner[0] + "-" + running.pid() + "-c"), new byte[1000]);
            age(reused, java.time.Duration.ofMinutes(30));
            Path otherHostRecent = Files.write(data.resolve(".tmp-zzzzzzzz-1-d"), new byte[1000]);
            Path otherHostOld = Files.write(data.resolve(".tmp-zzzzzzzz-1-e"), new byte[1000]);
            age(otherHostOld, java.time.Duration.ofHours(25));
            Path oldStyleRecent = Files.write(data.resolve(".tmp-" + java.util.UUID.randomUUID()), new byte[1000]);
            Path oldStyleOld = Files.write(data.resolve(".tmp-" + java.util.UUID.randomUUID()), new byte[1000]);
            age(oldStyleOld, java.time.Duration.ofHours(25));

            new LocalDirectorySink(dir.resolve("repo")).put("data/ab/x", new ByteArrayInputStream(new byte[] {1}), 1, ObjectKind.DATA);

            assertThat(dead).doesNotExist();
            assertThat(reused).doesNotExist();
            assertThat(otherHostOld).doesNotExist();
            assertThat(oldStyleOld).doesNotExist();
            assertThat(liveTemp).as("a live writer's file stays").exists();
            assertThat(alive).exists();
            assertThat(otherHostRecent).exists();
            assertThat(oldStyleRecent).exists();
            release.countDown();
            live.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(Files.readAllBytes(dir.resolve("repo/data/ab/live"))).containsExactly(7, 7, 7);
        } finally {
            release.countDown();
            running.destroyForcibly();
        }
    }

    /** {@code <host tag>-<pid>} of this process, as its temporary files are named: read off one while it is written. */
    private static String ownerTag(Path repo) throws Exception {
        LocalDirectorySink probe = new LocalDirectorySink(repo, false);
        String[] seen = new String[1];
        InputStream peek = new InputStream() {
            @Override
            public int read() throws java.io.IOException {
                try (Stream<Path> files = Files.list(repo.resolve("probe"))) {
                    seen[0] = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).findFirst().orElseThrow();
                }
                return -1;
            }
        };
        probe.put("probe/x", peek, 0, ObjectKind.DATA);
        probe.delete("probe/x");
        String[] parts = seen[0].substring(".tmp-".length()).split("-", 3);
        return parts[0] + "-" + parts[1];
    }

    private static Path deadWritersTemporary(Path directory, String hostTag) throws Exception {
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        Files.createDirectories(directory);
        return Files.write(directory.resolve(".tmp-" + hostTag + "-" + exited.pid() + "-dead"), new byte[1000]);
    }

    @Test
    void the_first_write_sweeps_the_directories_it_writes_into_and_walks_no_other() throws Exception {
        Path repo = dir.resolve("repo");
        String owner = ownerTag(repo);
        String hostTag = owner.split("-")[0];
        Path here = deadWritersTemporary(repo.resolve("data/ab"), hostTag);
        Path elsewhere = deadWritersTemporary(repo.resolve("data/cd"), hostTag);
        Path oldElsewhere = Files.write(repo.resolve("data/cd/.tmp-" + java.util.UUID.randomUUID()), new byte[1000]);
        age(oldElsewhere, java.time.Duration.ofHours(25));
        LocalDirectorySink sink = new LocalDirectorySink(repo, false);

        sink.putIfAbsent("data/ab/pack", new ByteArrayInputStream(new byte[] {1}), 1, ObjectKind.DATA);

        assertThat(here).as("stale, in the directory written to").doesNotExist();
        assertThat(elsewhere).as("stale, in a directory not written to: not looked at").exists();
        assertThat(oldElsewhere).exists();
        // Each directory is swept at the first write into it, once: a stale file made there later stays until then.
        Path later = deadWritersTemporary(repo.resolve("data/ab"), hostTag);
        sink.put("snapshots/s1", new ByteArrayInputStream(new byte[] {2}), 1, ObjectKind.SNAPSHOT);
        sink.put("data/ab/pack2", new ByteArrayInputStream(new byte[] {3}), 1, ObjectKind.DATA);
        assertThat(later).exists();
        assertThat(elsewhere).exists();
        sink.put("data/cd/pack3", new ByteArrayInputStream(new byte[] {4}), 1, ObjectKind.DATA);
        assertThat(elsewhere).doesNotExist();
        assertThat(oldElsewhere).doesNotExist();
        sink.cleanTemporaryFiles();
        assertThat(later).doesNotExist();
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void a_sink_that_writes_long_enough_sweeps_the_whole_tree_beside_its_writes() throws Exception {
        Path repo = dir.resolve("repo");
        String owner = ownerTag(repo);
        Path elsewhere = deadWritersTemporary(repo.resolve("data/cd"), owner.split("-")[0]);
        Path deeper = deadWritersTemporary(repo.resolve("index/ef/gh"), owner.split("-")[0]);
        // A live writer's (this process, which runs and started before the file changed), and another host's, recent.
        Path live = Files.write(repo.resolve("data/cd/.tmp-" + owner + "-live"), new byte[1000]);
        Path otherHost = Files.write(repo.resolve("index/ef/.tmp-zzzzzzzz-1-other"), new byte[1000]);
        try (LocalDirectorySink sink = new LocalDirectorySink(repo, false)) {
            byte[] pack = randomBytes(4 << 20, 5);
            int i = 0;
            for (long written = 0; written <= (64L << 20); written += pack.length) {
                assertThat(elsewhere).as("a short run does not walk the tree").exists();
                sink.put("data/ab/pack" + i++, new ByteArrayInputStream(pack), pack.length, ObjectKind.DATA);
            }
            sink.put("data/ab/pack" + i, new ByteArrayInputStream(pack), pack.length, ObjectKind.DATA);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while ((Files.exists(elsewhere) || Files.exists(deeper)) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        assertThat(elsewhere).doesNotExist();
        assertThat(deeper).doesNotExist();
        assertThat(live).exists();
        assertThat(otherHost).exists();
    }

    /**
     * A full disk, for real: a 4 MiB tmpfs mounted for the test (root only; skipped elsewhere, saying so). The stale
     * temporary file of a dead writer, in a directory the write does not go to, is what the write needs the room of.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void a_write_that_fails_for_want_of_space_sweeps_the_whole_tree_and_tries_again_once() throws Exception {
        Path disk = dir.resolve("disk");
        Files.createDirectories(disk);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk.toString())
                .redirectErrorStream(true).start();
        String output = new String(mount.getInputStream().readAllBytes());
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "mounting a 4 MiB tmpfs needs root: " + output);
        try {
            Path repo = disk.resolve("repo");
            String owner = ownerTag(repo);
            Path stale = deadWritersTemporary(repo.resolve("data/cd"), owner.split("-")[0]);
            Files.write(stale, new byte[1536 * 1024]);
            Path live = Files.write(repo.resolve("data/cd/.tmp-" + owner + "-live"), new byte[1000]);
            Path otherHost = Files.write(repo.resolve("data/cd/.tmp-zzzzzzzz-1-other"), new byte[1000]);
            fill(disk.resolve("filler"));
            LocalDirectorySink sink = new LocalDirectorySink(repo);
            byte[] lock = randomBytes(256 * 1024, 6);
            byte[] pack = randomBytes(1 << 20, 7);

            // The lock fails for want of space, once: the sweep makes room, and the write goes on from where it stopped.
            assertThat(sink.putIfAbsent("locks/l", new ByteArrayInputStream(lock), lock.length, ObjectKind.LOCK)).isTrue();
            sink.put("data/ab/pack", new ByteArrayInputStream(pack), pack.length, ObjectKind.DATA);

            assertThat(stale).doesNotExist();
            assertThat(live).exists();
            assertThat(otherHost).exists();
            assertThat(Files.readAllBytes(repo.resolve("locks/l"))).isEqualTo(lock);
            assertThat(Files.readAllBytes(repo.resolve("data/ab/pack"))).isEqualTo(pack);
            // With nothing stale left to remove, a write that does not fit fails, once swept and tried again, and
            // leaves no temporary file.
            byte[] tooBig = randomBytes(2 << 20, 8);
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> sink.put("data/ab/big", new ByteArrayInputStream(tooBig), tooBig.length, ObjectKind.DATA))
                    .hasMessageContaining("No space left");
            try (Stream<Path> files = Files.list(repo.resolve("data/ab"))) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("pack");
            }
        } finally {
            new ProcessBuilder("umount", "-l", disk.toString()).inheritIO().start().waitFor();
        }
    }

    /** Fills what is left of a file system with one file. */
    private static void fill(Path file) throws java.io.IOException {
        byte[] block = new byte[4096];
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (java.io.IOException full) {
            assertThat(full.getMessage()).contains("No space left");
        }
    }

    private static void age(Path file, java.time.Duration age) throws java.io.IOException {
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(age)));
    }

    @Test
    void a_failed_write_leaves_no_temporary_file() throws Exception {
        InputStream failing = new InputStream() {
            private int n;

            @Override
            public int read() throws java.io.IOException {
                if (n++ > 100_000) {
                    throw new java.io.IOException("No space left on device");
                }
                return 1;
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> sink.put("data/ef/pack", failing, -1, ObjectKind.DATA))
                .hasMessageContaining("No space left");
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void a_temporary_file_left_by_a_crash_is_never_listed_and_can_be_cleaned() throws Exception {
        Files.createDirectories(dir.resolve("repo/data/ab"));
        Files.write(dir.resolve("repo/data/ab/.tmp-123"), new byte[] {1, 2});
        assertThat(names("data/")).isEmpty();
        ((LocalDirectorySink) sink).cleanTemporaryFiles();
        assertThat(dir.resolve("repo/data/ab/.tmp-123")).doesNotExist();
    }
}
