package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.TransitionStorageClass;

/**
 * The lifecycle, versioning and Object Lock helpers against S3Mock (in the test JVM), which stores lifecycle and
 * Object Lock configuration and per-object retention and gives them back, so what the Sink sent is checked as S3 stores
 * it. S3Mock does not enforce Object Lock (it would let a locked object be deleted): the refusal is the Sink's own
 * check of the stored retention, which is what these tests exercise.
 */
class S3BucketHelpersTest {
    @RegisterExtension
    static final S3MockExtension S3_MOCK = S3MockExtension.builder().silent().withSecureConnection(false)
            .withHttpPort(0).withHttpsPort(0).build();

    /** S3Mock takes any key pair. */
    private static final StaticCredentialsProvider MOCK_CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("mock-access", "mock-secret-not-real"));

    private final S3Client client = S3_MOCK.createS3ClientV2();
    private S3Sink sink;

    @AfterEach
    void close() {
        if (sink != null) {
            sink.close();
        }
        client.close();
    }

    private static String newBucket() {
        return "helpers-" + UUID.randomUUID().toString().substring(0, 12);
    }

    private S3Sink.Builder sinkOn(String bucket) {
        return S3Sink.builder().bucket(bucket).prefix("repo").endpoint(URI.create("http://127.0.0.1:" + S3_MOCK.getHttpPort()))
                .pathStyle(true).region("us-east-1").credentials(MOCK_CREDENTIALS);
    }

    private static void put(S3Sink s, String name, String content, ObjectKind kind) throws IOException {
        byte[] bytes = content.getBytes();
        s.put(name, new ByteArrayInputStream(bytes), bytes.length, kind);
    }

    private static String read(S3Sink s, String name) throws IOException {
        try (InputStream in = s.get(name)) {
            return new String(in.readAllBytes());
        }
    }

    @Test
    void lifecycle_rules_archive_data_and_expire_noncurrent_versions_under_the_repository_prefix() throws IOException {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket));
        sink = sinkOn(bucket).build();

        sink.applyLifecycle(S3Lifecycle.defaults().withArchiveDataAfter(30, "GLACIER").withExpireNoncurrentAfter(90));

        List<LifecycleRule> stored = client.getBucketLifecycleConfiguration(r -> r.bucket(bucket)).rules();
        assertThat(stored).hasSize(3);
        // data objects live under every prefix the core's layout gives DATA: packs and single-object entries
        for (String[] idAndPrefix : new String[][] {{"mint-backup-archive-data", "repo/data/"},
                {"mint-backup-archive-files", "repo/files/"}}) {
            LifecycleRule archive = stored.stream().filter(r -> r.id().equals(idAndPrefix[0])).findFirst().orElseThrow();
            assertThat(archive.filter().prefix()).isEqualTo(idAndPrefix[1]);
            assertThat(archive.statusAsString()).isEqualTo("Enabled");
            assertThat(archive.transitions()).singleElement().satisfies(t -> {
                assertThat(t.days()).isEqualTo(30);
                assertThat(t.storageClass()).isEqualTo(TransitionStorageClass.GLACIER);
            });
            assertThat(archive.noncurrentVersionExpiration()).isNull();
        }
        LifecycleRule cleanup = stored.stream().filter(r -> r.id().equals("mint-backup-cleanup")).findFirst().orElseThrow();
        assertThat(cleanup.filter().prefix()).isEqualTo("repo/");
        assertThat(cleanup.noncurrentVersionExpiration().noncurrentDays()).isEqualTo(90);
        assertThat(cleanup.abortIncompleteMultipartUpload().daysAfterInitiation()).isEqualTo(7);
        assertThat(cleanup.transitions()).isEmpty();
    }

    @Test
    void an_archive_class_that_is_not_one_is_refused_before_anything_is_sent() {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket));
        sink = sinkOn(bucket).build();
        assertThatThrownBy(() -> sink.applyLifecycle(S3Lifecycle.defaults().withArchiveDataAfter(30, "FREEZER")))
                .hasMessageContaining("FREEZER");
        assertThatThrownBy(() -> client.getBucketLifecycleConfiguration(r -> r.bucket(bucket)))
                .isInstanceOf(S3Exception.class);
    }

    @Test
    void versioning_is_reported_and_can_be_enabled() throws IOException {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket));
        sink = sinkOn(bucket).build();
        assertThat(sink.bucketStatus().versioning()).isEqualTo(S3BucketStatus.Versioning.UNVERSIONED);
        assertThat(sink.capabilities()).doesNotContain(SinkCapability.VERSIONING);

        sink.enableVersioning();

        assertThat(client.getBucketVersioning(r -> r.bucket(bucket)).statusAsString()).isEqualTo("Enabled");
        assertThat(sink.bucketStatus().versioning()).isEqualTo(S3BucketStatus.Versioning.ENABLED);
        assertThat(sink.capabilities()).contains(SinkCapability.VERSIONING);
    }

    @Test
    void object_lock_of_the_bucket_is_reported_with_its_default_retention() throws IOException {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket).objectLockEnabledForBucket(true));
        client.putObjectLockConfiguration(r -> r.bucket(bucket).objectLockConfiguration(c -> c.objectLockEnabled("Enabled")
                .rule(rule -> rule.defaultRetention(d -> d.mode(ObjectLockRetentionMode.COMPLIANCE).days(30)))));
        sink = sinkOn(bucket).build();

        S3BucketStatus status = sink.bucketStatus();

        assertThat(status.objectLockEnabled()).isTrue();
        assertThat(status.defaultRetention()).contains(S3ObjectLock.compliance(Duration.ofDays(30)));
        assertThat(status.describe()).contains("Object Lock enabled");
    }

    @Test
    void data_and_manifests_are_sent_with_the_retention_period_and_a_content_md5_and_locks_without() throws IOException {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket).objectLockEnabledForBucket(true));
        // S3Mock accepts the Object Lock headers of a PUT but does not store them: they are checked on the request
        RecordingInterceptor requests = new RecordingInterceptor();
        S3Client recorded = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + S3_MOCK.getHttpPort()))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(MOCK_CREDENTIALS)
                .overrideConfiguration(o -> o.addExecutionInterceptor(requests)).build();
        sink = sinkOn(bucket).client(recorded).objectLock(S3ObjectLock.governance(Duration.ofDays(7))).build();
        Instant expected = Instant.now().plus(Duration.ofDays(7));

        put(sink, "data/ab/pack", "pack bytes", ObjectKind.DATA);
        put(sink, "snapshots/s1", "manifest", ObjectKind.SNAPSHOT);
        put(sink, "locks/l1", "lease", ObjectKind.LOCK);

        for (String key : List.of("/" + bucket + "/repo/data/ab/pack", "/" + bucket + "/repo/snapshots/s1")) {
            Map<String, List<String>> headers = requests.headersOf("PUT", key);
            assertThat(headers.get("x-amz-object-lock-mode")).as(key).containsExactly("GOVERNANCE");
            assertThat(Instant.parse(headers.get("x-amz-object-lock-retain-until-date").get(0))).as(key)
                    .isCloseTo(expected, within(1, ChronoUnit.MINUTES));
            assertThat(headers).as(key).containsKey("Content-MD5");
        }
        assertThat(requests.headersOf("PUT", "/" + bucket + "/repo/locks/l1")).doesNotContainKey("x-amz-object-lock-mode");
        assertThat(sink.capabilities()).contains(SinkCapability.IMMUTABILITY);
        recorded.close();
    }

    @Test
    void server_side_encryption_is_asked_for_on_every_write() throws IOException {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket));
        RecordingInterceptor requests = new RecordingInterceptor();
        S3Client recorded = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + S3_MOCK.getHttpPort()))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(MOCK_CREDENTIALS)
                .overrideConfiguration(o -> o.addExecutionInterceptor(requests)).build();
        sink = sinkOn(bucket).client(recorded).serverSideEncryption(S3ServerSideEncryption.s3Managed()).build();
        put(sink, "data/ab/pack", "pack bytes", ObjectKind.DATA);
        assertThat(requests.headersOf("PUT", "/" + bucket + "/repo/data/ab/pack").get("x-amz-server-side-encryption"))
                .containsExactly("AES256");
        assertThat(client.headObject(r -> r.bucket(bucket).key("repo/data/ab/pack")).serverSideEncryptionAsString())
                .isEqualTo("AES256");
        assertThat(sink.capabilities()).contains(SinkCapability.SERVER_SIDE_ENCRYPTION);
        recorded.close();
    }

    @Test
    void deleting_a_locked_object_is_refused_with_a_typed_signal_and_other_deletes_go_on() throws IOException {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket).objectLockEnabledForBucket(true));
        sink = sinkOn(bucket).objectLock(S3ObjectLock.governance(Duration.ofDays(7))).build();
        put(sink, "data/ab/old-pack", "still protected", ObjectKind.DATA);
        put(sink, "locks/prune", "lease", ObjectKind.LOCK);
        // the retention S3 keeps for the pack (S3Mock does not take it from the PUT headers, so it is set as S3 would)
        Instant until = Instant.now().plus(Duration.ofDays(7));
        client.putObjectRetention(r -> r.bucket(bucket).key("repo/data/ab/old-pack")
                .retention(x -> x.mode(ObjectLockRetentionMode.GOVERNANCE).retainUntilDate(until)));

        // what a prune does: delete each unneeded object, keep going past the protected ones
        assertThatThrownBy(() -> sink.delete("data/ab/old-pack"))
                .isInstanceOfSatisfying(ObjectLockedException.class, e -> {
                    assertThat(e.objectName()).isEqualTo("data/ab/old-pack");
                    assertThat(e.retainUntil()).hasValueSatisfying(t -> assertThat(t).isAfter(Instant.now().plus(Duration.ofDays(6))));
                    assertThat(e.getMessage()).contains("data/ab/old-pack").contains("retention until");
                });
        sink.delete("locks/prune");

        assertThat(read(sink, "data/ab/old-pack")).isEqualTo("still protected");
        assertThat(sink.stat("locks/prune")).isEmpty();
        // no delete marker was written over the protected object either
        assertThat(client.listObjectVersions(r -> r.bucket(bucket).prefix("repo/data/")).deleteMarkers()).isEmpty();
    }

    @Test
    void run_records_and_leases_get_no_retention_so_they_are_cleaned_up_while_snapshots_stay_locked() throws IOException {
        String bucket = newBucket();
        client.createBucket(r -> r.bucket(bucket).objectLockEnabledForBucket(true));
        RecordingInterceptor requests = new RecordingInterceptor();
        S3Client recorded = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + S3_MOCK.getHttpPort()))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(MOCK_CREDENTIALS)
                .overrideConfiguration(o -> o.addExecutionInterceptor(requests)).build();
        sink = sinkOn(bucket).client(recorded).objectLock(S3ObjectLock.governance(Duration.ofDays(7))).build();

        put(sink, "snapshots/s1", "manifest", ObjectKind.SNAPSHOT);
        put(sink, "jobs/etc/20261124T0100Z/done", "{\"outcome\":\"SUCCEEDED\"}", ObjectKind.RECORD);
        put(sink, "jobs/etc/20261124T0200Z/lease-000001", "{\"holder\":\"a\"}", ObjectKind.LOCK);
        put(sink, "audit/6f1c/000000000001", "{\"seq\":1}", ObjectKind.AUDIT);

        for (String name : List.of("snapshots/s1", "audit/6f1c/000000000001")) {
            assertThat(requests.headersOf("PUT", "/" + bucket + "/repo/" + name).get("x-amz-object-lock-mode")).as(name)
                    .containsExactly("GOVERNANCE");
        }
        for (String name : List.of("jobs/etc/20261124T0100Z/done", "jobs/etc/20261124T0200Z/lease-000001")) {
            assertThat(requests.headersOf("PUT", "/" + bucket + "/repo/" + name)).as(name)
                    .doesNotContainKey("x-amz-object-lock-mode").doesNotContainKey("x-amz-object-lock-retain-until-date");
        }
        // what S3 keeps from those headers (S3Mock does not take it from a PUT, so it is set as S3 would)
        Instant until = Instant.now().plus(Duration.ofDays(7));
        client.putObjectRetention(r -> r.bucket(bucket).key("repo/snapshots/s1")
                .retention(x -> x.mode(ObjectLockRetentionMode.GOVERNANCE).retainUntilDate(until)));

        // the jobs layer's cleanup of old run records goes on while the snapshot stays locked
        sink.delete("jobs/etc/20261124T0100Z/done");
        sink.delete("jobs/etc/20261124T0200Z/lease-000001");
        assertThat(sink.stat("jobs/etc/20261124T0100Z/done")).isEmpty();
        assertThat(sink.stat("jobs/etc/20261124T0200Z/lease-000001")).isEmpty();
        assertThatThrownBy(() -> sink.delete("snapshots/s1")).isInstanceOf(ObjectLockedException.class);
        assertThat(read(sink, "snapshots/s1")).isEqualTo("manifest");
        recorded.close();
    }
}
