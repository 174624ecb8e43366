package com.mintreplica.backup.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the GCS Sink sends on the wire and how it reads GCS's answers, against a tiny stand-in for the GCS JSON API in
 * the test JVM (no GCS emulator runs here): it records each request and answers bucket updates, object metadata, and
 * deletes refused as GCS refuses them under a retention policy or hold. A stand-in, not GCS: it checks our side of the
 * protocol, as the GCS documentation describes it.
 */
class GcsJsonApiTest {
    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String> bodies = new ConcurrentHashMap<>();
    /** object name -> its metadata JSON; objects listed here refuse deletion with 403. */
    private final Map<String, String> protectedObjects = new ConcurrentHashMap<>();
    private Storage storage;
    /** How many uploads to fail, and how: "503" answers Service Unavailable, "drop" closes the connection unanswered. */
    private final java.util.concurrent.atomic.AtomicInteger uploadFaults = new java.util.concurrent.atomic.AtomicInteger();
    private volatile String uploadFault = "503";
    private final Map<String, byte[]> uploaded = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        storage = StorageOptions.http().setHost("http://127.0.0.1:" + server.getAddress().getPort())
                .setProjectId("test-project").setCredentials(NoCredentials.getInstance()).build().getService();
    }

    @AfterEach
    void stop() throws Exception {
        storage.close();
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            serve(exchange);
        } catch (RuntimeException e) {
            exchange.close();
        }
    }

    private void serve(HttpExchange exchange) throws IOException {
        // google-http-client sends PATCH as POST with X-HTTP-Method-Override
        String override = exchange.getRequestHeaders().getFirst("X-HTTP-Method-Override");
        String method = override != null ? override : exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        byte[] raw = exchange.getRequestBody().readAllBytes();
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            raw = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw)).readAllBytes();
        }
        String body = new String(raw, StandardCharsets.UTF_8);
        requests.add(method + " " + path);
        bodies.put(method + " " + path, body);
        if (path.startsWith("/upload/storage/v1/b/bucket/o") && method.equals("POST")) {
            if (uploadFaults.getAndDecrement() > 0) {
                if (uploadFault.equals("drop")) {
                    exchange.getResponseBody().close();   // closes the connection without a response
                    return;
                }
                answer(exchange, 503, "{\"error\":{\"code\":503,\"message\":\"Service Unavailable\"}}");
                return;
            }
            String name = body.replaceAll("(?s).*\"name\":\"([^\"]+)\".*", "$1");
            uploaded.put(name, raw);
            answer(exchange, 200, objectJson(name, ""));
            return;
        }
        if (path.matches("/storage/v1/b/[^/]+") && (method.equals("PATCH") || method.equals("PUT"))) {
            String bucket = path.substring(path.lastIndexOf('/') + 1);
            answer(exchange, 200, "{\"kind\":\"storage#bucket\",\"name\":\"" + bucket + "\"}");
            return;
        }
        if (path.startsWith("/storage/v1/b/bucket/o/")) {
            String object = URLDecoder.decode(path.substring("/storage/v1/b/bucket/o/".length()), StandardCharsets.UTF_8);
            String metadata = protectedObjects.get(object);
            if (metadata == null) {
                answer(exchange, 404, "{\"error\":{\"code\":404,\"message\":\"No such object: bucket/" + object + "\"}}");
            } else if (method.equals("DELETE")) {
                answer(exchange, 403, "{\"error\":{\"code\":403,\"message\":\"Object 'bucket/" + object + "' is subject to "
                        + "bucket's retention policy or object retention and cannot be deleted or overwritten\","
                        + "\"errors\":[{\"reason\":\"retentionPolicyNotMet\"}]}}");
            } else {
                answer(exchange, 200, metadata);
            }
            return;
        }
        answer(exchange, 400, "{\"error\":{\"code\":400,\"message\":\"not expected by the test: " + method + " " + path + "\"}}");
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static String objectJson(String name, String extra) {
        return "{\"kind\":\"storage#object\",\"bucket\":\"bucket\",\"name\":\"" + name + "\",\"generation\":\"5\","
                + "\"metageneration\":\"1\",\"size\":\"3\",\"updated\":\"2026-11-20T00:00:00.000Z\"" + extra + "}";
    }

    private static String squeeze(String json) {
        return json.replaceAll("\\s", "");
    }

    private GcsSink sinkWithItsOwnClient(int maxAttempts) {
        return GcsSink.builder().host("http://127.0.0.1:" + server.getAddress().getPort()).projectId("test-project")
                .credentials(com.google.cloud.NoCredentials.getInstance()).maxAttempts(maxAttempts)
                .bucket("bucket").prefix("repo").build();
    }

    private static void put(GcsSink sink, String name, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        sink.put(name, new java.io.ByteArrayInputStream(bytes), bytes.length, com.mintreplica.backup.core.sink.ObjectKind.SNAPSHOT);
    }

    @Test
    void an_upload_answered_503_is_retried_and_the_object_is_stored() throws IOException {
        uploadFaults.set(2);
        try (GcsSink sink = sinkWithItsOwnClient(6)) {
            put(sink, "snapshots/s1", "manifest");
        }
        assertThat(requests.stream().filter(r -> r.startsWith("POST /upload/")).count()).isEqualTo(3);
        assertThat(uploaded).containsKey("repo/snapshots/s1");
    }

    @Test
    void a_request_that_keeps_failing_is_reported_while_it_is_retried() throws IOException {
        uploadFaults.set(2);
        List<String> reports = new CopyOnWriteArrayList<>();
        try (GcsSink sink = GcsSink.builder().host("http://127.0.0.1:" + server.getAddress().getPort())
                .projectId("test-project").credentials(NoCredentials.getInstance())
                .retryWarnings(java.time.Duration.ZERO, reports::add).bucket("bucket").prefix("repo").build()) {
            put(sink, "snapshots/s5", "manifest");
        }
        // reported at once here (after 10 s by default), then not again within a minute
        assertThat(reports).singleElement().asString().contains("503").contains("for up to 15m");
        assertThat(uploaded).containsKey("repo/snapshots/s5");
    }

    /**
     * A host where nothing listens (a typo in {@code host=}) is given up once the store has not answered for the
     * budget of a store never reached (30 s, 2 s here), and the error says to check the host; it waited 15 minutes.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void a_store_never_reached_is_given_up_and_the_error_names_the_host() throws IOException {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String host = "http://127.0.0.1:" + closed;
        long start = System.nanoTime();
        try (GcsSink sink = GcsSink.builder().host(host).projectId("test-project").credentials(NoCredentials.getInstance())
                .unreachedFor(java.time.Duration.ofSeconds(2)).bucket("bucket").prefix("repo").build()) {
            assertThatThrownBy(() -> sink.list("snapshots/").count()).hasMessageContaining("never reached")
                    .hasMessageContaining(host);
        }
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(60));
    }

    @Test
    void an_upload_whose_connection_drops_is_retried_and_the_object_is_stored() throws IOException {
        uploadFault = "drop";
        uploadFaults.set(1);
        try (GcsSink sink = sinkWithItsOwnClient(6)) {
            put(sink, "snapshots/s2", "manifest");
        }
        assertThat(requests.stream().filter(r -> r.startsWith("POST /upload/")).count()).isEqualTo(2);
        assertThat(uploaded).containsKey("repo/snapshots/s2");
    }

    @Test
    void an_endpoint_that_keeps_failing_fails_the_write_with_the_object_named() {
        uploadFaults.set(100);
        try (GcsSink sink = sinkWithItsOwnClient(2)) {
            assertThatThrownBy(() -> put(sink, "snapshots/s3", "manifest"))
                    .isInstanceOf(IOException.class).hasMessageContaining("snapshots/s3").hasMessageContaining("503");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(requests.stream().filter(r -> r.startsWith("POST /upload/")).count()).isEqualTo(2);
        assertThat(uploaded).isEmpty();
    }

    @Test
    void an_endpoint_that_keeps_failing_fails_the_write_once_its_retry_budget_is_spent() {
        uploadFaults.set(Integer.MAX_VALUE);
        long start = System.nanoTime();
        try (GcsSink sink = GcsSink.builder().host("http://127.0.0.1:" + server.getAddress().getPort())
                .projectId("test-project").credentials(NoCredentials.getInstance())
                .retryFor(java.time.Duration.ofSeconds(3)).bucket("bucket").prefix("repo").build()) {
            assertThatThrownBy(() -> put(sink, "snapshots/s4", "manifest"))
                    .isInstanceOf(IOException.class).hasMessageContaining("snapshots/s4").hasMessageContaining("503");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        java.time.Duration took = java.time.Duration.ofNanos(System.nanoTime() - start);
        // no count of tries is set: the time alone ends the retries, backing off from 1 s
        assertThat(requests.stream().filter(r -> r.startsWith("POST /upload/")).count()).isGreaterThan(1);
        assertThat(took).isLessThan(java.time.Duration.ofSeconds(3 + 10));
        assertThat(uploaded).isEmpty();
    }

    @Test
    void the_lifecycle_helper_sends_set_storage_class_and_delete_rules_for_the_repository_prefix() throws IOException {
        try (GcsSink sink = GcsSink.builder().storage(storage).bucket("backups").prefix("mint/prod").build()) {
            sink.applyLifecycle(GcsLifecycle.none().withArchiveDataAfter(30, "COLDLINE").withDeleteNoncurrentAfter(60)
                    .withDeleteAfter(400));
        }
        String sent = requests.stream().filter(r -> r.endsWith("/storage/v1/b/backups")).findFirst().orElseThrow();
        assertThat(sent).startsWith("PATCH");
        String body = squeeze(bodies.get(sent));
        assertThat(body).contains("\"lifecycle\":{\"rule\":[");
        assertThat(body).contains("{\"action\":{\"storageClass\":\"COLDLINE\",\"type\":\"SetStorageClass\"},"
                + "\"condition\":{\"age\":30,\"matchesPrefix\":[\"mint/prod/data/\",\"mint/prod/files/\"]}}");
        assertThat(body).contains("{\"action\":{\"type\":\"Delete\"},\"condition\":{\"daysSinceNoncurrentTime\":60,"
                + "\"isLive\":false,\"matchesPrefix\":[\"mint/prod/\"]}}");
        assertThat(body).contains("{\"action\":{\"type\":\"Delete\"},\"condition\":{\"age\":400,\"matchesPrefix\":[\"mint/prod/\"]}}");
    }

    @Test
    void a_delete_refused_under_the_bucket_retention_policy_is_an_ObjectLockedException_with_the_end_of_retention() {
        protectedObjects.put("repo/data/ab/pack", objectJson("repo/data/ab/pack",
                ",\"retentionExpirationTime\":\"2030-01-01T00:00:00.000Z\""));
        try (GcsSink sink = GcsSink.builder().storage(storage).bucket("bucket").prefix("repo").build()) {
            assertThatThrownBy(() -> sink.delete("data/ab/pack"))
                    .isInstanceOfSatisfying(ObjectLockedException.class, e -> {
                        assertThat(e.objectName()).isEqualTo("data/ab/pack");
                        assertThat(e.retainUntil()).contains(Instant.parse("2030-01-01T00:00:00Z"));
                    });
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(requests).contains("DELETE /storage/v1/b/bucket/o/repo%2Fdata%2Fab%2Fpack");
    }

    @Test
    void a_delete_refused_under_a_temporary_hold_is_an_ObjectLockedException_without_an_end() throws IOException {
        protectedObjects.put("repo/snapshots/s1", objectJson("repo/snapshots/s1", ",\"temporaryHold\":true"));
        try (GcsSink sink = GcsSink.builder().storage(storage).bucket("bucket").prefix("repo").build()) {
            assertThatThrownBy(() -> sink.delete("snapshots/s1"))
                    .isInstanceOfSatisfying(ObjectLockedException.class, e -> assertThat(e.retainUntil()).isEmpty())
                    .hasMessageContaining("temporary hold");
        }
    }

    @Test
    void a_delete_refused_for_another_reason_is_a_plain_failure_not_a_lock() throws IOException {
        protectedObjects.put("repo/index/i1", objectJson("repo/index/i1", ""));
        try (GcsSink sink = GcsSink.builder().storage(storage).bucket("bucket").prefix("repo").build()) {
            assertThatThrownBy(() -> sink.delete("index/i1"))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(ObjectLockedException.class)
                    .hasMessageContaining("index/i1").hasMessageContaining("403");
        }
    }
}
