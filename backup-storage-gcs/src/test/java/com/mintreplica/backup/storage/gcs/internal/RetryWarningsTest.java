package com.mintreplica.backup.storage.gcs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.gax.retrying.ResultRetryAlgorithm;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageRetryStrategy;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The client library's retry strategy with reports of requests that keep failing, on a clock the test moves. */
class RetryWarningsTest {
    private final AtomicLong now = new AtomicLong(Duration.ofHours(5).toNanos());
    private final long start = now.get();
    private final List<String> reports = new CopyOnWriteArrayList<>();
    private final RetryWarnings strategy = new RetryWarnings(StorageRetryStrategy.getUniformStorageRetryStrategy(),
            Duration.ofSeconds(10), "15m", now::get, reports::add);
    private final SocketException reset = new SocketException("Connection reset");
    /** How the client library fails a request to a port nothing listens on. */
    private final StorageException refused = new StorageException(0, "Connection refused",
            new java.net.ConnectException("Connection refused"));

    @SuppressWarnings("unchecked")
    private ResultRetryAlgorithm<Object> handler() {
        return (ResultRetryAlgorithm<Object>) strategy.getIdempotentHandler();
    }

    /** The library asks whether to retry {@code failure}, {@code seconds} into the test. */
    private boolean fails(Throwable failure, long seconds) {
        now.set(start + Duration.ofSeconds(seconds).toNanos());
        return handler().shouldRetry(failure, null);
    }

    @Test
    void failures_for_ten_seconds_are_reported_then_once_a_minute() {
        for (long at : new long[] {0, 1, 3, 7}) {
            assertThat(fails(reset, at)).isTrue();
        }
        assertThat(reports).isEmpty();

        fails(reset, 15);
        assertThat(reports).singleElement().asString().contains("SocketException: Connection reset")
                .contains("failing for 15 s").contains("for up to 15m from its first try");

        fails(reset, 47);
        fails(reset, 74);
        assertThat(reports).hasSize(1);
        fails(reset, 76);
        assertThat(reports).hasSize(2).last().asString().contains("failing for 76 s");
    }

    @Test
    void a_failure_long_after_the_last_one_starts_a_new_count() {
        fails(reset, 0);
        fails(reset, 8);
        fails(reset, 8 + 121);   // a later request: the one before succeeded, or gave up
        fails(reset, 8 + 121 + 9);
        assertThat(reports).isEmpty();
    }

    @Test
    void a_failure_that_is_not_retried_is_not_reported_and_ends_the_count() {
        fails(reset, 0);
        assertThat(fails(new StorageException(403, "Forbidden"), 30)).isFalse();
        assertThat(reports).isEmpty();
        fails(reset, 35);   // counted afresh
        assertThat(reports).isEmpty();
        assertThat(fails(new StorageException(503, "Service Unavailable"), 46)).isTrue();
        assertThat(reports).singleElement().asString().contains("503").contains("failing for 11 s");
    }

    @Test
    void each_thread_counts_its_own_failures() throws InterruptedException {
        fails(reset, 0);
        Thread other = new Thread(() -> fails(reset, 12));   // its first failure
        other.start();
        other.join();
        assertThat(reports).isEmpty();
        fails(reset, 12);
        assertThat(reports).hasSize(1);
    }

    /**
     * Explorers' D-6 for GCS: a typo in the host made every command wait the whole budget (15 minutes). A store that
     * never answered is given up after 30 s, with a report that says it has not answered; once it answered (an error
     * of its own, or a success the Sink reports), a request that cannot connect gets the whole budget.
     */
    @Test
    void a_store_never_reached_is_given_up_after_thirty_seconds_one_that_answered_is_not() {
        assertThat(fails(refused, 0)).isTrue();
        assertThat(fails(refused, 12)).isTrue();
        assertThat(reports).singleElement().asString().contains("it has not answered yet: 30 s");
        assertThat(fails(refused, 29)).isTrue();
        assertThat(fails(refused, 31)).as("given up").isFalse();

        fails(new StorageException(503, "Service Unavailable"), 200);   // the store answers now
        assertThat(fails(refused, 201)).isTrue();
        assertThat(fails(refused, 260)).as("retried for the whole budget once the store answered").isTrue();
    }

    @Test
    void a_success_the_sink_reports_counts_as_an_answer() {
        strategy.answered();
        assertThat(fails(refused, 0)).isTrue();
        assertThat(fails(refused, 45)).isTrue();
    }
}
