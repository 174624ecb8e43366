package com.mintreplica.backup.storage.gcs;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.testkit.SinkContract;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The Sink kit against fake-gcs-server in Docker, on machines with a Docker engine: it speaks the JSON API over HTTP,
 * resumable uploads and preconditions included, so it covers what the in-memory helper of {@link GcsSinkTest} does not
 * (real HTTP, real resumable sessions). Without Docker the whole class is skipped, and {@link GcsSinkTest} still runs.
 */
@Testcontainers(disabledWithoutDocker = true)
class GcsSinkFakeServerIT extends SinkContract {
    private static final int PORT = 4443;

    @Container
    static final GenericContainer<?> FAKE_GCS = new GenericContainer<>("fsouza/fake-gcs-server:1.52.2")
            .withCommand("-scheme", "http", "-port", String.valueOf(PORT), "-backend", "memory")
            .withExposedPorts(PORT);

    private static Storage storage;

    @BeforeAll
    static void connect() throws Exception {
        String base = "http://" + FAKE_GCS.getHost() + ":" + FAKE_GCS.getMappedPort(PORT);
        // resumable upload URLs must point at the mapped port, not the container's own
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/_internal/config"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"externalUrl\":\"" + base + "\"}")).build(),
                HttpResponse.BodyHandlers.discarding());
        storage = StorageOptions.http().setHost(base).setProjectId("test-project")
                .setCredentials(NoCredentials.getInstance()).build().getService();
    }

    @AfterAll
    static void disconnect() throws Exception {
        if (storage != null) {
            storage.close();
        }
    }

    @Override
    protected Sink newSink() {
        String bucket = "kit-" + UUID.randomUUID().toString().substring(0, 8);
        storage.create(BucketInfo.of(bucket));
        return GcsSink.builder().storage(storage).bucket(bucket).prefix("repo").chunkSize(GcsSink.CHUNK_UNIT * 4).build();
    }
}
