package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.testkit.DigestTarget;
import com.mintreplica.backup.testkit.SampleSource;
import com.mintreplica.backup.testkit.http.FaultProxy;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Transient is not damage: through a fault-injecting proxy in front of the test S3 server, a byte flipped on the way
 * is read again rather than called corruption (stored damage is still called so, and told apart), a LIST whose
 * response is cut off by a connection reset is asked for again, and a {@code 501} says the store does not implement
 * the request instead of "try again later".
 */
@Timeout(120)
class S3TransientFaultTest extends FaultProxyBucketTest {
    private static SampleSource sample() {
        return SampleSource.builder().generated("db.dump", 3 * 1024 * 1024, 21).add("notes.txt", "notes".getBytes())
                .generated("big.bin", 2 * 1024 * 1024, 22).build();
    }

    /** Flips a byte in the first {@code times} GETs of each object whose key matches, and passes the rest. */
    private FaultProxy.Plan flipFirstGets(int times, java.util.function.Predicate<String> which) {
        ConcurrentHashMap<String, AtomicInteger> gets = new ConcurrentHashMap<>();
        return (method, target, n) -> {
            String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
            boolean get = method.equals("GET") && !target.contains("list-type=2") && which.test(path);
            return get && gets.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet() <= times
                    ? FaultProxy.Fault.FLIP_BYTE_IN_RESPONSE_BODY : FaultProxy.Fault.NONE;
        };
    }

    @Test
    void bytes_damaged_once_in_transit_are_read_again_and_backup_restore_and_verify_succeed() throws Exception {
        SampleSource source = sample();
        String first;
        try (S3Sink direct = direct()) {
            first = Backup.pipeline().source(source).to(Repository.init(direct, small())).build().run().snapshotId();
        }
        // Every object read through the proxy arrives damaged the first time: the config, the index objects and
        // manifests, and each pack range a restore or verify reads.
        proxy.plan(flipFirstGets(1, path -> true));
        try (S3Sink sink = throughProxy().build()) {
            Repository repo = Repository.open(sink);
            String second = Backup.pipeline().source(source).to(repo).build().run().snapshotId();
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(first)).to(target).run();
            assertThat(target.digests()).isEqualTo(source.digests());
            VerifyReport report = repo.verify(true);
            assertThat(report.problems()).isEmpty();
            assertThat(report.snapshots()).extracting(s -> s.id()).containsExactly(first, second);
        }
        assertThat(proxy.seen()).filteredOn(s -> s.fault() == FaultProxy.Fault.FLIP_BYTE_IN_RESPONSE_BODY)
                .extracting(FaultProxy.Seen::target)
                .anyMatch(t -> t.endsWith("/config")).anyMatch(t -> t.contains("/index/"))
                .anyMatch(t -> t.contains("/snapshots/")).anyMatch(t -> t.contains("/data/"));
    }

    @Test
    void a_single_object_damaged_in_transit_is_told_from_one_damaged_in_the_store() throws Exception {
        SampleSource source = sample();
        String id;
        try (S3Sink direct = direct()) {
            id = Backup.pipeline().source(source).to(Repository.init(direct, RepositorySettings.defaults()
                    .withLayout(com.mintreplica.backup.core.Layout.SINGLE))).build().run().snapshotId();
        }
        proxy.plan(flipFirstGets(1, path -> path.contains("/files/") && path.contains("db.dump")));
        try (S3Sink sink = throughProxy().build()) {
            Repository repo = Repository.open(sink);
            // Streamed into the target, the object cannot be read again in place: the restore stops, and says the
            // store holds it intact, which a second restore shows.
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(id)).to(new DigestTarget()).run())
                    .isInstanceOf(BackupException.class)
                    .isNotInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("intact in the store: damage in transit")
                    .hasMessageContaining("run the restore again");
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(id)).to(target).run();
            assertThat(target.digests()).isEqualTo(source.digests());

            proxy.plan(flipFirstGets(1, path -> path.contains("/files/")));
            assertThat(repo.verify(true).problems()).as("verify reads a damaged object again").isEmpty();
        }
        // Damaged in the store: every read brings the same bytes, and verify says so.
        try (S3Sink direct = direct()) {
            String object;
            try (Stream<ObjectInfo> objects = direct.list("files/")) {
                object = objects.filter(o -> o.name().contains("db.dump")).findFirst().orElseThrow().name();
            }
            byte[] bytes;
            try (InputStream in = direct.get(object)) {
                bytes = in.readAllBytes();
            }
            bytes[bytes.length / 2] ^= 0x40;
            direct.put(object, new ByteArrayInputStream(bytes), bytes.length, ObjectKind.DATA);
            List<VerifyReport.Problem> problems = Repository.open(direct).verify(true).problems();
            assertThat(problems).hasSize(1);
            assertThat(problems.get(0).message()).contains(object).contains("the stored object is damaged");
            assertThatThrownBy(() -> Repository.open(direct).restore(SnapshotSelector.id(id)).to(new DigestTarget()).run())
                    .isInstanceOf(CorruptDataException.class);
        }
    }

    @Test
    void bytes_damaged_on_four_reads_in_a_row_are_read_a_fifth_time_and_a_restore_succeeds() throws Exception {
        SampleSource source = sample();
        String id;
        try (S3Sink direct = direct()) {
            id = Backup.pipeline().source(source).to(Repository.init(direct, small())).build().run().snapshotId();
        }
        // a link that damages one answer in ten meets four bad reads in a row of some object in a long command
        proxy.plan(flipFirstGets(4, path -> true));
        try (S3Sink sink = throughProxy().build()) {
            DigestTarget target = new DigestTarget();
            Repository.open(sink).restore(SnapshotSelector.id(id)).to(target).run();
            assertThat(target.digests()).isEqualTo(source.digests());
        }
    }

    @Test
    void damage_in_the_store_and_damage_on_every_read_are_told_apart() throws Exception {
        try (S3Sink direct = direct()) {
            Backup.pipeline().source(sample()).to(Repository.init(direct, small())).build().run();
            // The stored index object itself is damaged: every read brings the same bad bytes.
            String index;
            try (Stream<ObjectInfo> objects = direct.list("index/")) {
                index = objects.findFirst().orElseThrow().name();
            }
            byte[] bytes;
            try (InputStream in = direct.get(index)) {
                bytes = in.readAllBytes();
            }
            bytes[bytes.length / 2] ^= 0x40;
            direct.put(index, new ByteArrayInputStream(bytes), bytes.length, ObjectKind.INDEX);

            assertThatThrownBy(() -> Repository.open(direct).restore(SnapshotSelector.latest()).to(new DigestTarget()).run())
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("'" + index + "' is corrupt")
                    .hasMessageContaining("the stored object is damaged");
        }

        // Intact in the store, damaged differently on every read: not corruption, and said so.
        String other = S3TestSinks.server().newBucket();
        try (S3Sink direct = S3TestSinks.sink(other).build()) {
            Repository.init(direct, small());
        }
        proxy.plan(flipFirstGets(Integer.MAX_VALUE, path -> path.endsWith("/config")));
        try (S3Sink sink = S3TestSinks.sink(other).endpoint(proxy.endpoint()).build()) {
            assertThatThrownBy(() -> Repository.open(sink))
                    .isInstanceOf(BackupException.class)
                    .isNotInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("'config' arrived damaged 5 times")
                    .hasMessageContaining("different bytes each time")
                    .hasMessageContaining("the stored object may be intact");
        }
    }

    @Test
    void a_connection_reset_in_the_middle_of_a_list_response_is_retried() throws Exception {
        try (S3Sink direct = direct(); S3Sink sink = throughProxy().build()) {
            for (int i = 0; i < 40; i++) {
                direct.put("index/" + String.format("%064x", i), new ByteArrayInputStream(new byte[] {1}), 1, ObjectKind.INDEX);
            }
            AtomicInteger lists = new AtomicInteger();
            proxy.plan((method, target, n) -> method.equals("GET") && target.contains("list-type=2")
                    && lists.incrementAndGet() == 1 ? FaultProxy.Fault.RESET_IN_RESPONSE_BODY : FaultProxy.Fault.NONE);

            List<ObjectInfo> listed;
            try (Stream<ObjectInfo> objects = sink.list("index/")) {
                listed = objects.toList();
            }

            assertThat(listed).hasSize(40);
            assertThat(proxy.faults()).isEqualTo(1);
            assertThat(lists.get()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void a_read_whose_answer_arrives_without_its_length_is_asked_for_again() throws Exception {
        byte[] data = new byte[200_000];
        new java.util.Random(3).nextBytes(data);
        try (S3Sink direct = direct(); S3Sink sink = throughProxy().build()) {
            direct.put("data/p1", new ByteArrayInputStream(data), data.length, ObjectKind.DATA);
            AtomicInteger gets = new AtomicInteger();
            proxy.plan((method, target, n) -> method.equals("GET") && target.contains("/data/p1")
                    && gets.incrementAndGet() == 1 ? FaultProxy.Fault.DAMAGE_CONTENT_LENGTH_HEADER : FaultProxy.Fault.NONE);

            byte[] read;
            try (java.io.InputStream in = sink.get("data/p1", 1000, 150_000)) {
                read = in.readAllBytes();
            }

            assertThat(read).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 151_000));
            assertThat(proxy.faults()).isEqualTo(1);
            assertThat(gets.get()).isEqualTo(2);
        }
    }

    @Test
    void a_stat_whose_answer_arrives_without_its_length_is_asked_for_again_and_then_named() throws Exception {
        // A backup's last lock check (a HEAD) failed on such an answer with a NullPointerException's text
        byte[] data = new byte[5_000];
        try (S3Sink direct = direct(); S3Sink sink = throughProxy().build()) {
            direct.put("locks/l1", new ByteArrayInputStream(data), data.length, ObjectKind.DATA);
            AtomicInteger heads = new AtomicInteger();
            proxy.plan((method, target, n) -> method.equals("HEAD") && target.contains("/locks/l1")
                    && heads.incrementAndGet() == 1 ? FaultProxy.Fault.DAMAGE_CONTENT_LENGTH_HEADER : FaultProxy.Fault.NONE);

            assertThat(sink.stat("locks/l1")).hasValueSatisfying(info -> assertThat(info.size()).isEqualTo(data.length));
            assertThat(heads.get()).isEqualTo(2);

            proxy.plan((method, target, n) -> method.equals("HEAD") ? FaultProxy.Fault.DAMAGE_CONTENT_LENGTH_HEADER
                    : FaultProxy.Fault.NONE);
            assertThatThrownBy(() -> sink.stat("locks/l1")).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("cannot stat 'locks/l1'").hasMessageContaining("had no Content-Length 3 times");
        }
    }

    @Test
    void an_http_501_says_the_store_does_not_implement_the_request_not_to_try_again_later() throws Exception {
        try (S3Sink direct = direct()) {
            Repository.init(direct, small());
        }
        // The lock a backup writes first is a conditional PUT (If-None-Match), which some S3-compatible stores lack.
        proxy.plan((method, target, n) -> method.equals("PUT") && target.contains("/locks/")
                ? FaultProxy.Fault.NOT_IMPLEMENTED_501 : FaultProxy.Fault.NONE);
        try (S3Sink sink = throughProxy().build()) {
            assertThatThrownBy(() -> Backup.pipeline().source(sample()).to(Repository.open(sink)).build().run())
                    .isInstanceOf(BackupException.class)
                    .hasMessageContaining("HTTP 501 NotImplemented")
                    .hasMessageContaining("the store does not implement this request")
                    .hasMessageContaining("atomicCreate=false")
                    .hasMessageNotContaining("try again later");
        }
        assertThat(proxy.seen()).filteredOn(s -> s.fault() == FaultProxy.Fault.NOT_IMPLEMENTED_501).hasSize(1);

        proxy.plan((method, target, n) -> method.equals("GET") && target.endsWith("/config")
                ? FaultProxy.Fault.NOT_IMPLEMENTED_501 : FaultProxy.Fault.NONE);
        try (S3Sink sink = throughProxy().build()) {
            assertThatThrownBy(() -> Repository.open(sink))
                    .hasMessageContaining("HTTP 501")
                    .hasMessageContaining("the store does not implement this request")
                    .hasMessageNotContaining("try again later");
        }
    }
}
