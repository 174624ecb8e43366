package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Sink} must have. An adapter's test extends this class and supplies a fresh, empty Sink:
 *
 * <pre>{@code
 * class S3SinkTest extends SinkContract {
 *     protected Sink newSink() { return S3Sink.builder().bucket("test").prefix(UUID.randomUUID().toString()).build(); }
 * }
 * }</pre>
 *
 * Tests that need a capability assume it, so they are skipped (and reported as skipped) where the Sink lacks it.
 */
public abstract class SinkContract {

    /** A new, empty Sink for one test. It is closed after the test. */
    protected abstract Sink newSink() throws Exception;

    /** How many objects {@link Listing#lists_every_object_when_there_are_more_than_a_page_of_them} stores. */
    protected int manyObjects() {
        return 1100;
    }

    protected Sink sink;

    @BeforeEach
    void openSink() throws Exception {
        sink = newSink();
    }

    @AfterEach
    void closeSink() throws Exception {
        if (sink != null) {
            sink.close();
        }
    }

    protected static byte[] randomBytes(int n, long seed) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    protected void put(String name, byte[] data) throws IOException {
        sink.put(name, new ByteArrayInputStream(data), data.length, ObjectKind.DATA);
    }

    protected byte[] get(String name) throws IOException {
        try (InputStream in = sink.get(name)) {
            return in.readAllBytes();
        }
    }

    protected Set<String> names(String prefix) throws IOException {
        try (Stream<ObjectInfo> s = sink.list(prefix)) {
            return s.map(ObjectInfo::name).collect(Collectors.toSet());
        }
    }

    @Nested
    class Writing_and_reading {
        @Test
        void an_object_reads_back_as_it_was_written() throws IOException {
            byte[] data = randomBytes(100_000, 1);
            put("data/ab/object-1", data);
            assertThat(get("data/ab/object-1")).isEqualTo(data);
        }

        @Test
        void an_empty_object_is_an_object() throws IOException {
            put("locks/empty", new byte[0]);
            assertThat(get("locks/empty")).isEmpty();
            assertThat(sink.stat("locks/empty")).hasValueSatisfying(i -> assertThat(i.size()).isZero());
        }

        @Test
        void put_replaces_an_existing_object() throws IOException {
            put("config", "first".getBytes());
            put("config", "second, longer".getBytes());
            assertThat(new String(get("config"))).isEqualTo("second, longer");
        }

        @Test
        void content_of_unknown_length_is_stored_whole() throws IOException {
            byte[] data = randomBytes(12 * 1024 * 1024 + 17, 2);
            sink.put("files/big.zst", new ByteArrayInputStream(data), -1, ObjectKind.DATA);
            assertThat(get("files/big.zst")).isEqualTo(data);
            assertThat(sink.stat("files/big.zst")).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(data.length));
        }

        @Test
        void reading_a_missing_object_throws_NoSuchObjectException() {
            assertThatThrownBy(() -> sink.get("data/00/missing")).isInstanceOf(NoSuchObjectException.class);
            assertThatThrownBy(() -> sink.get("data/00/missing", 0, 10)).isInstanceOf(NoSuchObjectException.class);
        }

        @Test
        void a_failed_write_leaves_no_object_behind() throws IOException {
            InputStream failing = new InputStream() {
                int n;

                @Override
                public int read() throws IOException {
                    if (++n > 70_000) {
                        throw new IOException("source broke");
                    }
                    return 'x';
                }
            };
            assertThatThrownBy(() -> sink.put("data/cd/half", failing, -1, ObjectKind.DATA)).isInstanceOf(IOException.class);
            assertThat(sink.stat("data/cd/half")).isEmpty();
            assertThat(names("")).doesNotContain("data/cd/half");
        }

        @Test
        void a_write_that_fails_after_many_megabytes_leaves_no_object_behind() throws IOException {
            // Past the part size of multipart and resumable uploads, so parts may already be stored when it fails.
            long failAt = 20L << 20;
            InputStream failing = new InputStream() {
                private long n;
                private final byte[] block = randomBytes(1 << 16, 8);

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (n >= failAt) {
                        throw new IOException("source broke after " + n + " bytes");
                    }
                    int k = (int) Math.min(Math.min(len, block.length), failAt - n);
                    System.arraycopy(block, 0, b, off, k);
                    n += k;
                    return k;
                }
            };
            assertThatThrownBy(() -> sink.put("files/s1/big.zst", failing, -1, ObjectKind.DATA)).isInstanceOf(IOException.class);
            assertThat(sink.stat("files/s1/big.zst")).isEmpty();
            assertThat(names("files/")).isEmpty();
        }

        @Test
        void an_object_is_listed_and_dated_as_soon_as_put_returns() throws IOException {
            java.time.Instant before = java.time.Instant.now();
            put("locks/fresh", new byte[] {1});
            assertThat(names("locks/")).contains("locks/fresh");
            // Leases and grace periods compare stored times with the writer's clock.
            assertThat(sink.stat("locks/fresh")).hasValueSatisfying(i -> assertThat(i.lastModified())
                    .isBetween(before.minusSeconds(60), java.time.Instant.now().plusSeconds(60)));
        }

        @Test
        void a_failed_overwrite_keeps_the_previous_object() throws IOException {
            put("snapshots/s1", "committed".getBytes());
            InputStream failing = new InputStream() {
                int n;

                @Override
                public int read() throws IOException {
                    if (++n > 10) {
                        throw new IOException("source broke");
                    }
                    return 'y';
                }
            };
            assertThatThrownBy(() -> sink.put("snapshots/s1", failing, -1, ObjectKind.SNAPSHOT)).isInstanceOf(IOException.class);
            assertThat(new String(get("snapshots/s1"))).isEqualTo("committed");
        }
    }

    @Nested
    class Ranged_reads {
        @Test
        void a_range_returns_exactly_those_bytes() throws IOException {
            byte[] data = randomBytes(50_000, 3);
            put("data/ef/pack", data);
            try (InputStream in = sink.get("data/ef/pack", 1234, 5000)) {
                assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 1234, 6234));
            }
        }

        @Test
        void a_range_past_the_end_is_cut_at_the_end() throws IOException {
            byte[] data = randomBytes(1000, 4);
            put("data/ef/short", data);
            try (InputStream in = sink.get("data/ef/short", 900, 500)) {
                assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 900, 1000));
            }
        }

        @Test
        void a_range_at_the_start_and_one_of_zero_length_work() throws IOException {
            byte[] data = randomBytes(1000, 5);
            put("data/ef/start", data);
            try (InputStream in = sink.get("data/ef/start", 0, 10)) {
                assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 0, 10));
            }
            try (InputStream in = sink.get("data/ef/start", 10, 0)) {
                assertThat(in.readAllBytes()).isEmpty();
            }
        }
    }

    @Nested
    class Stat {
        @Test
        void stat_gives_the_size_of_an_object() throws IOException {
            put("index/i1", randomBytes(4321, 6));
            ObjectInfo info = sink.stat("index/i1").orElseThrow();
            assertThat(info.name()).isEqualTo("index/i1");
            assertThat(info.size()).isEqualTo(4321);
            assertThat(info.lastModified()).isNotNull();
        }

        @Test
        void stat_of_a_missing_object_is_empty() throws IOException {
            assertThat(sink.stat("index/none")).isEmpty();
        }
    }

    @Nested
    class Listing {
        @Test
        void lists_the_objects_under_a_prefix_and_no_others() throws IOException {
            put("data/aa/1", new byte[] {1});
            put("data/ab/2", new byte[] {2});
            put("data/ab/3", new byte[] {3});
            put("snapshots/x", new byte[] {4});
            put("database", new byte[] {5});
            assertThat(names("data/")).containsExactlyInAnyOrder("data/aa/1", "data/ab/2", "data/ab/3");
            assertThat(names("data/ab/")).containsExactlyInAnyOrder("data/ab/2", "data/ab/3");
            assertThat(names("snapshots/")).containsExactly("snapshots/x");
            assertThat(names("")).containsExactlyInAnyOrder("data/aa/1", "data/ab/2", "data/ab/3", "snapshots/x", "database");
        }

        @Test
        void a_prefix_may_end_inside_a_name() throws IOException {
            put("data/ab/2", new byte[] {2});
            put("data/ac/3", new byte[] {3});
            put("database", new byte[] {5});
            assertThat(names("data/a")).containsExactlyInAnyOrder("data/ab/2", "data/ac/3");
            assertThat(names("data")).containsExactlyInAnyOrder("data/ab/2", "data/ac/3", "database");
        }

        @Test
        void listing_reports_sizes() throws IOException {
            put("keys/k1", randomBytes(77, 7));
            try (Stream<ObjectInfo> s = sink.list("keys/")) {
                assertThat(s.toList()).singleElement().satisfies(i -> assertThat(i.size()).isEqualTo(77));
            }
        }

        @Test
        void listing_an_empty_prefix_gives_nothing() throws IOException {
            assertThat(names("nothing-here/")).isEmpty();
        }

        @Test
        void lists_every_object_when_there_are_more_than_a_page_of_them() throws Exception {
            int n = manyObjects();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> writes = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String name = String.format("data/%02x/obj-%05d", i % 256, i);
                    writes.add(pool.submit((Callable<Void>) () -> {
                        put(name, new byte[] {(byte) 1});
                        return null;
                    }));
                }
                for (Future<?> f : writes) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            Set<String> listed = names("data/");
            assertThat(listed).hasSize(n);
        }

        @Test
        void deleted_objects_are_not_listed() throws IOException {
            put("locks/a", new byte[] {1});
            put("locks/b", new byte[] {1});
            sink.delete("locks/a");
            assertThat(names("locks/")).containsExactly("locks/b");
        }
    }

    @Nested
    class Deleting {
        @Test
        void a_deleted_object_is_gone() throws IOException {
            put("snapshots/s", new byte[] {1});
            sink.delete("snapshots/s");
            assertThat(sink.stat("snapshots/s")).isEmpty();
            assertThatThrownBy(() -> sink.get("snapshots/s")).isInstanceOf(NoSuchObjectException.class);
        }

        @Test
        void deleting_a_missing_object_is_not_an_error() throws IOException {
            sink.delete("snapshots/never-existed");
            assertThat(sink.stat("snapshots/never-existed")).isEmpty();
        }
    }

    @Nested
    class Atomic_create {
        @BeforeEach
        void needsCapability() {
            assumeTrue(sink.capabilities().contains(SinkCapability.ATOMIC_CREATE),
                    "this Sink does not declare ATOMIC_CREATE");
        }

        @Test
        void the_first_create_wins_and_the_second_changes_nothing() throws IOException {
            assertThat(sink.putIfAbsent("locks/l", new ByteArrayInputStream("first".getBytes()), 5, ObjectKind.LOCK)).isTrue();
            assertThat(sink.putIfAbsent("locks/l", new ByteArrayInputStream("second".getBytes()), 6, ObjectKind.LOCK)).isFalse();
            assertThat(new String(get("locks/l"))).isEqualTo("first");
        }

        @Test
        void of_concurrent_creates_of_one_name_exactly_one_wins() throws Exception {
            int contenders = 8;
            for (int round = 0; round < 5; round++) {
                String name = "locks/race-" + round;
                ExecutorService pool = Executors.newFixedThreadPool(contenders);
                CountDownLatch start = new CountDownLatch(1);
                try {
                    List<Future<Boolean>> results = new ArrayList<>();
                    for (int i = 0; i < contenders; i++) {
                        byte[] body = ("contender-" + i).getBytes();
                        results.add(pool.submit(() -> {
                            start.await();
                            return sink.putIfAbsent(name, new ByteArrayInputStream(body), body.length, ObjectKind.LOCK);
                        }));
                    }
                    start.countDown();
                    int winners = 0;
                    Set<String> winnerBodies = new HashSet<>();
                    for (int i = 0; i < contenders; i++) {
                        if (results.get(i).get()) {
                            winners++;
                            winnerBodies.add("contender-" + i);
                        }
                    }
                    assertThat(winners).as("winners of round %d", round).isEqualTo(1);
                    assertThat(winnerBodies).containsExactly(new String(get(name)));
                } finally {
                    pool.shutdownNow();
                }
            }
        }

        @Test
        void create_after_delete_succeeds() throws IOException {
            assertThat(sink.putIfAbsent("locks/x", new ByteArrayInputStream(new byte[] {1}), 1, ObjectKind.LOCK)).isTrue();
            sink.delete("locks/x");
            assertThat(sink.putIfAbsent("locks/x", new ByteArrayInputStream(new byte[] {2}), 1, ObjectKind.LOCK)).isTrue();
            assertThat(get("locks/x")).containsExactly(2);
        }
    }

    @Nested
    class Concurrency {
        @Test
        void concurrent_writers_of_different_objects_do_not_interfere() throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<?>> writes = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    int n = i;
                    writes.add(pool.submit((Callable<Void>) () -> {
                        put("data/cc/w" + n, randomBytes(200_000, n));
                        return null;
                    }));
                }
                for (Future<?> f : writes) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            for (int i = 0; i < 24; i++) {
                assertThat(get("data/cc/w" + i)).isEqualTo(randomBytes(200_000, i));
            }
        }
    }

    @Nested
    class Description {
        @Test
        void describe_names_the_location() {
            assertThat(sink.describe()).isNotBlank();
        }
    }
}
