package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code s3://} repository URIs, opened through the SinkProvider found on the class path. */
class S3SinkProviderTest {

    @BeforeEach
    void credentialsFromTheDefaultChain() {
        // the SDK's default chain reads these system properties (as it reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
        S3TestSinks.server().exportCredentials();
    }

    @AfterEach
    void clear() {
        S3TestSinks.server().close(); // the shared server keeps running: this clears the exported credentials
    }

    @Test
    void an_s3_uri_opens_a_working_sink_with_credentials_from_the_default_chain() throws Exception {
        S3TestServer server = S3TestSinks.server();
        String bucket = server.newBucket();
        String uri = server.repositoryUri(bucket, "mint/prod");

        try (Sink sink = Sinks.open(uri)) {
            assertThat(sink).isInstanceOf(S3Sink.class);
            assertThat(sink.describe()).startsWith("s3://" + bucket + "/mint/prod");
            assertThat(sink.capabilities()).contains(SinkCapability.ATOMIC_CREATE);
            sink.put("config", new ByteArrayInputStream("x".getBytes()), 1, ObjectKind.CONFIG);
        }
        try (S3Sink direct = S3TestSinks.sink(bucket).prefix("mint/prod").build(); InputStream in = direct.get("config")) {
            assertThat(in.readAllBytes()).containsExactly('x');
        }
        String empty = server.repositoryUri(bucket, "other");
        assertThatThrownBy(() -> Repository.open(empty))
                .isInstanceOf(com.mintreplica.backup.core.NotFoundException.class)
                .hasMessageContaining("s3://" + bucket + "/other");
    }

    /**
     * Explorers' D-9: {@code list} on a bucket that does not exist said "there is no repository: create one with
     * init", whose init then failed on the bucket. A missing bucket is named as one.
     */
    @Test
    void a_bucket_that_does_not_exist_is_named_not_taken_for_an_empty_repository() throws Exception {
        String bucket = "no-such-bucket-" + Long.toHexString(System.nanoTime());
        try (S3Sink sink = S3TestSinks.sink(bucket).build()) {
            assertThatThrownBy(() -> com.mintreplica.backup.core.Repository.open(sink))
                    .isInstanceOf(com.mintreplica.backup.core.NotFoundException.class)
                    .hasMessageContaining("the bucket '" + bucket + "'").hasMessageContaining("does not exist")
                    .hasMessageNotContaining("no repository");
            assertThatThrownBy(() -> sink.list("snapshots/").count())
                    .hasMessageContaining("the bucket '" + bucket + "'").hasMessageContaining("does not exist");
        }
    }

    @Test
    void uri_parameters_configure_the_sink() {
        S3Sink.Builder b = S3SinkProvider.configure(URI.create(
                "s3://bucket/p?region=eu-west-1&storageClass=STANDARD_IA&sse=kms&kmsKeyId=alias%2Fbackups"
                        + "&objectLock=compliance:30d&partSize=16MiB&parallelUploads=8&maxAttempts=7&retryFor=90s"));
        try (S3Sink sink = b.credentials(S3TestSinks.server().credentials()).build()) {
            assertThat(sink.bucket()).isEqualTo("bucket");
            assertThat(sink.prefix()).isEqualTo("p/");
            assertThat(sink.describe()).isEqualTo("s3://bucket/p");
        }
    }

    @Test
    void credentials_in_the_uri_are_refused_without_repeating_them() {
        assertThatThrownBy(() -> Sinks.open("s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/prefix?region=us-east-1"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("default chain")
                .hasMessageNotContaining("wJalrXUtnFEMI")
                .hasMessageNotContaining("AKIAEXAMPLE");
    }

    @Test
    void unknown_parameters_and_archive_classes_are_refused_with_what_to_use() {
        assertThatThrownBy(() -> Sinks.open("s3://bucket/p?region=us-east-1&colour=blue"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("colour").hasMessageContaining("region");
        assertThatThrownBy(() -> Sinks.open("s3://bucket/p?region=us-east-1&retryFor=5"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("retryFor=5 ").hasMessageContaining("15m");
        assertThatThrownBy(() -> Sinks.open("s3://bucket/p?region=us-east-1&maxAttempts=0"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> Sinks.open("s3://bucket/p?region=us-east-1&storageClass=DEEP_ARCHIVE"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("applyLifecycle");
        assertThatThrownBy(() -> Sinks.open("s3:///p?region=us-east-1"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("bucket");
    }
}
