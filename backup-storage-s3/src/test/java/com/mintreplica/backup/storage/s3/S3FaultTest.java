package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.testkit.DigestTarget;
import com.mintreplica.backup.testkit.SampleSource;
import com.mintreplica.backup.testkit.http.FaultProxy;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What the S3 Sink does when the endpoint misbehaves: a fault-injecting HTTP proxy in the test JVM sits between the
 * Sink and s3proxy and answers 503, cuts connections in the middle of uploads and downloads, or refuses deletes as
 * S3 does under Object Lock.
 */
class S3FaultTest extends FaultProxyBucketTest {
    private static SampleSource sample() {
        return SampleSource.builder().generated("db.dump", 8 * 1024 * 1024, 11).add("notes.txt", "notes".getBytes())
                .generated("big.bin", 7 * 1024 * 1024, 12).build();
    }

    private static void assertRestores(S3Sink sink, SampleSource source, String snapshotId) {
        Repository repo = Repository.open(sink);
        DigestTarget target = new DigestTarget();
        repo.restore(SnapshotSelector.id(snapshotId)).to(target).run();
        assertThat(target.digests()).isEqualTo(source.digests());
        assertThat(repo.verify(true).ok()).isTrue();
    }

    @Test
    void uploads_answered_503_slow_down_are_retried_and_the_backup_completes() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        proxy.plan((method, target, n) -> method.equals("PUT") && puts.incrementAndGet() % 3 == 1 && puts.get() < 30
                ? FaultProxy.Fault.SLOW_DOWN_503 : FaultProxy.Fault.NONE);
        SampleSource source = sample();
        try (S3Sink sink = throughProxy().build(); S3Sink direct = direct()) {
            String id = Backup.pipeline().source(source).to(Repository.init(sink, small())).build().run().snapshotId();

            assertThat(proxy.faults()).isGreaterThanOrEqualTo(3);
            assertRestores(direct, source, id);
        }
    }

    @Test
    void a_connection_cut_in_the_middle_of_an_upload_is_retried_and_the_backup_completes() throws Exception {
        AtomicInteger cuts = new AtomicInteger();
        proxy.plan((method, target, n) -> method.equals("PUT") && target.contains("/data/") && cuts.incrementAndGet() <= 4
                ? FaultProxy.Fault.DROP_DURING_UPLOAD : FaultProxy.Fault.NONE);
        SampleSource source = sample();
        try (S3Sink sink = throughProxy().build(); S3Sink direct = direct()) {
            String id = Backup.pipeline().source(source).to(Repository.init(sink, small())).build().run().snapshotId();

            assertThat(proxy.faults()).isEqualTo(4);
            assertRestores(direct, source, id);
        }
    }

    @Test
    void an_upload_answered_400_incomplete_body_is_sent_again() throws Exception {
        // S3's answer when an upload's body was cut between the client and S3 (a proxy, a load balancer) while the
        // client's connection stayed open: nothing was stored, and the SDK does not retry a 400. Through the fault
        // proxy, a cut upload got this answer about once in a few hundred requests, and the backup failed.
        AtomicInteger cuts = new AtomicInteger();
        proxy.plan((method, target, n) -> method.equals("PUT") && target.contains("/data/") && cuts.incrementAndGet() <= 2
                ? FaultProxy.Fault.INCOMPLETE_BODY_400 : FaultProxy.Fault.NONE);
        SampleSource source = sample();
        try (S3Sink sink = throughProxy().build(); S3Sink direct = direct()) {
            String id = Backup.pipeline().source(source).to(Repository.init(sink, small())).build().run().snapshotId();

            assertThat(proxy.faults()).isEqualTo(2);
            assertRestores(direct, source, id);
        }
    }

    @Test
    void a_multipart_upload_whose_part_is_cut_off_is_retried_and_stored_whole() throws Exception {
        proxy.plan(inTurn((method, target) -> method.equals("PUT") && target.contains("partNumber=2"),
                FaultProxy.Fault.DROP_DURING_UPLOAD));

        assertStoredWhole(throughProxy(), 13 * 1024 * 1024, 3, 1);
    }

    @Test
    void an_answer_that_breaks_off_as_an_upload_starts_is_asked_for_again() throws Exception {
        // The connection resets in the middle of CreateMultipartUpload's XML: the SDK fails to parse it and did not
        // retry, so the backup failed. The upload S3 started for the lost answer is left to the lifecycle rule.
        proxy.plan(inTurn((method, target) -> method.equals("POST") && target.endsWith("?uploads"),
                FaultProxy.Fault.RESET_IN_RESPONSE_BODY));

        assertStoredWhole(throughProxy(), 13 * 1024 * 1024, 5, 1);
    }

    @Test
    void an_upload_whose_completion_answer_is_lost_after_s3_applied_it_counts_as_stored() throws Exception {
        // S3 completed the upload, then the connection reset in the middle of its answer. AWS answers a retried
        // completion 404 NoSuchUpload (s3proxy completes it again), and with one attempt there is no retry: either
        // way the Sink asks for the object, which is there as sent, so the write succeeded.
        proxy.plan(inTurn(S3FaultTest::completion, FaultProxy.Fault.RESET_IN_RESPONSE_BODY));

        assertStoredWhole(throughProxy().maxAttempts(1), 13 * 1024 * 1024, 6, 1);
        assertThat(proxy.seen()).filteredOn(seen -> completion(seen.method(), seen.target())).isNotEmpty();
    }

    @Test
    void a_completion_applied_and_then_refused_on_its_retry_counts_as_stored() throws Exception {
        // What a store answers a retried completion of an upload it completed varies (AWS: 404 NoSuchUpload, or 412
        // with If-None-Match; s3proxy once: 400 InvalidRequest): whatever the refusal, the object is there as sent.
        proxy.plan(inTurn(S3FaultTest::completion, FaultProxy.Fault.RESET_IN_RESPONSE_BODY,
                FaultProxy.Fault.NOT_IMPLEMENTED_501));

        assertStoredWhole(throughProxy(), 11 * 1024 * 1024, 9, 2);
    }

    @Test
    void a_completion_whose_list_of_parts_was_cut_on_its_way_is_sent_again() throws Exception {
        // S3 answers 400 (MalformedXML; s3proxy: InvalidRequest) when the completion's XML body arrives cut, and the
        // SDK does not retry a 400: one backup in four through a store failing half its requests failed so.
        proxy.plan(inTurn(S3FaultTest::completion, FaultProxy.Fault.MALFORMED_XML_400, FaultProxy.Fault.MALFORMED_XML_400));

        assertStoredWhole(throughProxy(), 9 * 1024 * 1024, 10, 2);
    }

    @Test
    void an_upload_whose_completion_answer_arrives_damaged_counts_as_stored() throws Exception {
        proxy.plan(inTurn(S3FaultTest::completion, FaultProxy.Fault.FLIP_BYTE_IN_RESPONSE_BODY));

        assertStoredWhole(throughProxy(), 9 * 1024 * 1024, 7, 1);
    }

    @Test
    void an_upload_that_did_not_complete_is_still_a_failure_when_its_answers_keep_breaking_off() throws Exception {
        // The check that follows a lost answer must not turn a failed upload into a success: here the store never
        // completes it (every completion is answered 503), so no object appears and the put fails.
        proxy.plan((method, target, n) -> method.equals("POST") && target.contains("uploadId=")
                ? FaultProxy.Fault.SLOW_DOWN_503 : FaultProxy.Fault.NONE);
        byte[] data = new byte[9 * 1024 * 1024];
        new Random(8).nextBytes(data);
        try (S3Sink sink = throughProxy().maxAttempts(2).build(); S3Sink direct = direct()) {
            assertThatThrownBy(() -> sink.put("files/big.dump", new ByteArrayInputStream(data), -1, ObjectKind.DATA))
                    .hasMessageContaining("complete the upload of 'files/big.dump'").hasMessageContaining("503");
            assertThat(direct.stat("files/big.dump")).isEmpty();
        }
    }

    @Test
    void a_create_whose_answer_was_lost_counts_as_ours_even_when_its_check_reads_damaged_bytes() throws Exception {
        // The first PUT is stored and its answer lost; the SDK's retry gets 412, and the Sink reads the object to see
        // whether it holds the bytes it sent. That read arrived with a flipped byte once, and the create counted as
        // lost: a writer's backup failed ("it exists already ..., and a writer never replaces an object").
        AtomicInteger puts = new AtomicInteger();
        AtomicInteger gets = new AtomicInteger();
        proxy.plan((method, target, n) -> {
            if (method.equals("PUT") && target.contains("/locks/") && puts.incrementAndGet() == 1) {
                return FaultProxy.Fault.RESET_IN_RESPONSE_BODY;
            }
            if (method.equals("GET") && target.contains("/locks/") && gets.incrementAndGet() == 1) {
                return FaultProxy.Fault.FLIP_BYTE_IN_RESPONSE_BODY;
            }
            return FaultProxy.Fault.NONE;
        });
        byte[] content = ("a lease held by this writer, unique to it: " + "x".repeat(200)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (S3Sink sink = throughProxy().atomicCreate(true).build()) {
            assertThat(sink.putIfAbsent("locks/lease", new ByteArrayInputStream(content), content.length, ObjectKind.LOCK)).isTrue();

            assertThat(puts.get()).as("the PUT and its retry").isEqualTo(2);
            assertThat(gets.get()).as("reads of what is stored").isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void a_pack_whose_create_lost_its_answer_is_compared_with_what_is_stored_as_it_is_read() throws Exception {
        // The check reads the stored object in pieces and compares each with the bytes sent, instead of holding a copy
        // of a whole pack beside them (a writer's backup through a failing store ran out of heap there).
        AtomicInteger puts = new AtomicInteger();
        proxy.plan((method, target, n) -> method.equals("PUT") && target.contains("/data/") && puts.incrementAndGet() == 1
                ? FaultProxy.Fault.RESET_IN_RESPONSE_BODY : FaultProxy.Fault.NONE);
        byte[] pack = new byte[3 << 20];
        new Random(11).nextBytes(pack);
        byte[] other = pack.clone();
        other[other.length - 1] ^= 1;
        try (S3Sink sink = throughProxy().atomicCreate(true).build()) {
            assertThat(sink.putIfAbsent("data/ab/pack", new ByteArrayInputStream(pack), pack.length, ObjectKind.DATA))
                    .isTrue();
            assertThat(puts.get()).as("the PUT and its retry").isEqualTo(2);

            // another writer's object of the same length, different in its last byte, and a longer and shorter one
            assertThat(sink.putIfAbsent("data/ab/pack", new ByteArrayInputStream(other), other.length, ObjectKind.DATA))
                    .isFalse();
            byte[] shorter = java.util.Arrays.copyOf(pack, pack.length - 1);
            assertThat(sink.putIfAbsent("data/ab/pack", new ByteArrayInputStream(shorter), shorter.length, ObjectKind.DATA))
                    .isFalse();
            byte[] longer = java.util.Arrays.copyOf(pack, pack.length + 1);
            assertThat(sink.putIfAbsent("data/ab/pack", new ByteArrayInputStream(longer), longer.length, ObjectKind.DATA))
                    .isFalse();
        }
    }

    /** Whether a request is a multipart upload's completion. */
    private static boolean completion(String method, String target) {
        return method.equals("POST") && target.contains("uploadId=");
    }

    /** The requests that {@code matches} get {@code faults} in turn, one each; later ones and all others get none. */
    private static FaultProxy.Plan inTurn(java.util.function.BiPredicate<String, String> matches, FaultProxy.Fault... faults) {
        AtomicInteger matched = new AtomicInteger();
        return (method, target, n) -> {
            if (!matches.test(method, target)) {
                return FaultProxy.Fault.NONE;
            }
            int i = matched.getAndIncrement();
            return i < faults.length ? faults[i] : FaultProxy.Fault.NONE;
        };
    }

    /**
     * Puts {@code size} random bytes through {@code proxied} as a multipart upload, checks that the proxy applied
     * {@code faults} faults and that the store holds the bytes.
     */
    private void assertStoredWhole(S3Sink.Builder proxied, int size, long seed, int faults) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        try (S3Sink sink = proxied.build(); S3Sink direct = direct()) {
            sink.put("files/big.dump", new ByteArrayInputStream(data), -1, ObjectKind.DATA);

            assertThat(proxy.faults()).isEqualTo(faults);
            try (InputStream in = direct.get("files/big.dump")) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }
    }

    @Test
    void a_connection_cut_in_the_middle_of_a_download_is_resumed_where_it_broke() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024];
        new Random(4).nextBytes(data);
        try (S3Sink sink = throughProxy().build(); S3Sink direct = direct()) {
            direct.put("data/ab/pack", new ByteArrayInputStream(data), data.length, ObjectKind.DATA);
            AtomicInteger gets = new AtomicInteger();
            proxy.plan((method, target, n) -> method.equals("GET") && gets.incrementAndGet() == 1
                    ? FaultProxy.Fault.DROP_DURING_DOWNLOAD : FaultProxy.Fault.NONE);

            byte[] read;
            try (InputStream in = sink.get("data/ab/pack")) {
                read = in.readAllBytes();
            }

            assertThat(read).isEqualTo(data);
            assertThat(proxy.faults()).isEqualTo(1);
            assertThat(proxy.seen().stream().filter(s -> s.method().equals("GET")).count()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void an_endpoint_that_keeps_failing_fails_the_backup_cleanly_and_commits_no_half_snapshot() throws Exception {
        try (S3Sink direct = direct()) {
            Repository.init(direct, small());
            proxy.plan((method, target, n) -> method.equals("PUT") && target.contains("/data/")
                    ? FaultProxy.Fault.SLOW_DOWN_503 : FaultProxy.Fault.NONE);
            try (S3Sink sink = throughProxy().maxAttempts(2).build()) {
                assertThatThrownBy(() -> Backup.pipeline().source(sample()).to(Repository.open(sink)).build().run())
                        .isInstanceOf(BackupException.class)
                        .hasMessageContaining("503");
            }
            assertThat(Repository.open(direct).snapshots()).isEmpty();
            try (var manifests = direct.list("snapshots/"); var indexes = direct.list("index/")) {
                assertThat(manifests.toList()).isEmpty();
                assertThat(indexes.toList()).isEmpty();
            }
        }
    }

    @Test
    void a_delete_that_s3_refuses_for_object_lock_is_reported_as_ObjectLockedException_and_the_object_stays() throws Exception {
        try (S3Sink sink = throughProxy().build(); S3Sink direct = direct()) {
            direct.put("data/cd/pack", new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, ObjectKind.DATA);
            proxy.plan((method, target, n) -> method.equals("DELETE") ? FaultProxy.Fault.DENY_OBJECT_LOCKED : FaultProxy.Fault.NONE);

            assertThatThrownBy(() -> sink.delete("data/cd/pack"))
                    .isInstanceOfSatisfying(ObjectLockedException.class, e -> assertThat(e.objectName()).isEqualTo("data/cd/pack"))
                    .hasMessageContaining("Object Lock");
            assertThat(direct.stat("data/cd/pack")).isPresent();
        }
    }
}
