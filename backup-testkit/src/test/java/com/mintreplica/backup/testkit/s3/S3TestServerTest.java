package com.mintreplica.backup.testkit.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The test kit's S3 server: what its users rely on (buckets, keys, URIs, credentials cleared, stopped on close). */
class S3TestServerTest {

    @Test
    void a_bucket_created_by_the_fixture_takes_objects_from_a_client_signed_with_its_keys() {
        try (S3TestServer s3 = S3TestServer.start(); S3Client client = s3.client()) {
            String bucket = s3.newBucket();
            client.putObject(r -> r.bucket(bucket).key("a/b"), RequestBody.fromString("hello"));
            assertThat(client.getObjectAsBytes(r -> r.bucket(bucket).key("a/b")).asUtf8String()).isEqualTo("hello");
            assertThat(s3.newBucket()).isNotEqualTo(bucket);
            assertThatThrownBy(() -> s3.createBucket(bucket)).hasMessageContaining(bucket).hasMessageContaining("exists");
        }
    }

    @Test
    void repository_uris_name_the_bucket_the_prefix_and_the_endpoint_or_a_proxy_in_front() throws Exception {
        try (S3TestServer s3 = S3TestServer.start()) {
            assertThat(s3.repositoryUri("backups", "mint/prod")).isEqualTo(
                    "s3://backups/mint/prod?region=us-east-1&endpoint=" + s3.endpoint() + "&pathStyle=true");
            assertThat(s3.repositoryUri("b", "p", new java.net.URI("http://127.0.0.1:9"))).isEqualTo(
                    "s3://b/p?region=us-east-1&endpoint=http://127.0.0.1:9&pathStyle=true");
        }
    }

    @Test
    void exported_credentials_are_cleared_on_close_and_the_server_stops() throws Exception {
        S3TestServer s3 = S3TestServer.start().exportCredentials();
        int port = s3.endpoint().getPort();
        assertThat(System.getProperty("aws.accessKeyId")).isEqualTo(s3.accessKey());
        assertThat(System.getProperty("aws.secretAccessKey")).isEqualTo(s3.secretKey());
        assertThat(s3.credentialsEnvironment()).containsEntry("AWS_ACCESS_KEY_ID", s3.accessKey())
                .containsEntry("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        s3.close();
        assertThat(System.getProperty("aws.accessKeyId")).isNull();
        assertThat(System.getProperty("aws.secretAccessKey")).isNull();
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            }
        }).isInstanceOf(ConnectException.class);
    }

    @Test
    void the_shared_server_survives_close_and_an_on_disk_server_keeps_objects_in_its_directory(@TempDir Path dir) {
        S3TestServer shared = S3TestServer.shared();
        shared.close();
        assertThat(S3TestServer.shared()).isSameAs(shared);
        try (S3Client client = shared.client()) {
            String bucket = shared.newBucket();
            client.putObject(r -> r.bucket(bucket).key("k"), RequestBody.fromString("still up"));
        }
        try (S3TestServer s3 = S3TestServer.onDisk(dir); S3Client client = s3.client()) {
            s3.createBucket("large");
            client.putObject(r -> r.bucket("large").key("k"), RequestBody.fromString("on disk"));
            assertThat(Files.isDirectory(dir.resolve("large"))).isTrue();
        }
    }
}
