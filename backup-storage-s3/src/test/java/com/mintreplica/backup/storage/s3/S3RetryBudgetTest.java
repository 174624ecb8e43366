package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.SinkOptions;
import com.mintreplica.backup.testkit.http.FaultProxy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The S3 Sink's retries are bounded by time, not by a count: a request that fails more often in a row than any fixed
 * count allowed (the SDK's 3, our former 5) is still stored while the budget lasts, and a store that keeps failing
 * fails the call once the budget is spent, not later. Through the fault-injecting proxy in front of s3proxy.
 */
class S3RetryBudgetTest extends FaultProxyBucketTest {
    /**
     * 1 MiB: one PUT, whose half the proxy forwards before it cuts the connection. Not a few bytes: the SDK sends a
     * small body aws-chunked with a trailing checksum, and half of that can hold all the data and the last chunk, which
     * the store then answers 200 before the cut.
     */
    private static final byte[] CONTENT = new byte[1024 * 1024];

    static {
        new java.util.Random(5).nextBytes(CONTENT);
    }

    /** The first {@code cuts} uploads of one object are cut off in the middle of their body. */
    private FaultProxy.Plan cutUploads(int cuts) {
        AtomicInteger seen = new AtomicInteger();
        return (method, target, n) -> method.equals("PUT") && target.contains("/snapshots/s1")
                && seen.incrementAndGet() <= cuts ? FaultProxy.Fault.DROP_DURING_UPLOAD : FaultProxy.Fault.NONE;
    }

    private static void put(S3Sink sink) throws IOException {
        sink.put("snapshots/s1", new ByteArrayInputStream(CONTENT), CONTENT.length, ObjectKind.SNAPSHOT);
    }

    @Test
    void an_upload_cut_off_seven_times_in_a_row_is_stored_with_the_default_budget() throws Exception {
        proxy.plan(cutUploads(7));
        try (S3Sink sink = throughProxy().build(); S3Sink direct = direct()) {
            put(sink);

            assertThat(proxy.faults()).as("seven tries failed before the eighth stored it: %s", proxy.seen()).isEqualTo(7);
            try (InputStream in = direct.get("snapshots/s1")) {
                assertThat(in.readAllBytes()).isEqualTo(CONTENT);
            }
        }
    }

    @Test
    void a_store_that_keeps_failing_fails_the_call_once_its_retry_budget_is_spent() throws Exception {
        proxy.plan(cutUploads(Integer.MAX_VALUE));
        try (S3Sink sink = throughProxy().retryFor(Duration.ofSeconds(2)).build()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> put(sink)).as(() -> "seen: " + proxy.seen()).isInstanceOf(IOException.class)
                    .hasMessageContaining("snapshots/s1");
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(proxy.faults()).as("tried again within the budget").isGreaterThan(1);
            assertThat(took).as("no wait begins past the budget").isLessThan(Duration.ofSeconds(2).plusSeconds(5));
        }
    }

    @Test
    void max_attempts_still_caps_the_tries_within_the_budget() throws Exception {
        proxy.plan(cutUploads(Integer.MAX_VALUE));
        try (S3Sink sink = throughProxy().maxAttempts(3).build()) {
            assertThatThrownBy(() -> put(sink)).as(() -> "seen: " + proxy.seen()).isInstanceOf(IOException.class);
            assertThat(proxy.faults()).isEqualTo(3);
        }
    }

    @Test
    void the_budget_a_caller_asks_for_applies_unless_the_repository_uri_names_one() throws Exception {
        proxy.plan(cutUploads(Integer.MAX_VALUE));
        S3TestSinks.server().exportCredentials();
        try {
            openedThroughTheProvider();
        } finally {
            S3TestSinks.server().close(); // the shared server keeps running: this clears the exported credentials
        }
    }

    private void openedThroughTheProvider() throws Exception {
        String uri = S3TestSinks.server().repositoryUri(bucket, "repo", proxy.endpoint());
        SinkOptions shortBudget = SinkOptions.defaults().retryFor(Duration.ofMillis(300));

        long start = System.nanoTime();
        try (var sink = new S3SinkProvider().open(URI.create(uri), shortBudget)) {
            assertThatThrownBy(() -> sink.put("snapshots/s1", new ByteArrayInputStream(CONTENT), CONTENT.length,
                    ObjectKind.SNAPSHOT)).as(() -> "seen: " + proxy.seen()).isInstanceOf(IOException.class);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        // the operator's retryFor in the URI wins over the caller's wish: seven cuts are ridden out
        proxy.plan(cutUploads(7));
        long before = proxy.faults();
        try (var sink = new S3SinkProvider().open(URI.create(uri + "&retryFor=2m"), shortBudget)) {
            sink.put("snapshots/s1", new ByteArrayInputStream(CONTENT), CONTENT.length, ObjectKind.SNAPSHOT);
        }
        assertThat(proxy.faults() - before).isEqualTo(7);
    }
}
