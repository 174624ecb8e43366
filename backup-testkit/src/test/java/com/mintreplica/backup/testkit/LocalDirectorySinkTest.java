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
            Path data = dir.resolve("repo/data/cd");
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

            new LocalDirectorySink(dir.resolve("repo")).put("locks/x", new ByteArrayInputStream(new byte[] {1}), 1, ObjectKind.LOCK);

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
