package com.mintreplica.backup.storage.s3.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryToken;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The retry budget on a clock the test moves: each try takes 2 s, and the strategy's waits pass as it asks. The SDK's
 * standard strategy inside decides what is retried and how long each wait is (random, with jitter).
 */
class TimedRetryStrategyTest {
    private final AtomicLong now = new AtomicLong();

    private static S3Exception answered(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build()).build();
    }

    /** Tries one request that always fails with {@code failure} until the strategy gives up; returns the tries made. */
    private int triesUntilGivenUp(TimedRetryStrategy strategy, Throwable failure) {
        RetryToken token = strategy.acquireInitialToken(AcquireInitialTokenRequest.create("s3")).token();
        int tries = 1;
        while (true) {
            now.addAndGet(Duration.ofSeconds(2).toNanos()); // the try itself
            RefreshRetryTokenResponse next;
            try {
                next = strategy.refreshRetryToken(RefreshRetryTokenRequest.builder().token(token).failure(failure).build());
            } catch (TokenAcquisitionFailedException e) {
                assertThat(e.getCause()).isSameAs(failure);
                return tries;
            }
            now.addAndGet(next.delay().toNanos());
            token = next.token();
            tries++;
        }
    }

    @Test
    void a_failure_that_is_retried_is_tried_again_until_the_budget_is_spent_and_no_wait_runs_past_it() {
        Duration budget = Duration.ofMinutes(15);
        TimedRetryStrategy strategy = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(), budget, 0, now::get);

        int tries = triesUntilGivenUp(strategy, answered(503, "SlowDown"));

        assertThat(tries).as("far more than any count a client sets (the SDK's 3)").isGreaterThan(40);
        assertThat(Duration.ofNanos(now.get())).as("the last try began within the budget")
                .isLessThanOrEqualTo(budget.plusSeconds(2));
        assertThat(Duration.ofNanos(now.get())).as("and the budget was used").isGreaterThan(budget.minusSeconds(25));
    }

    @Test
    void a_failure_that_is_not_retried_is_given_up_at_once() {
        TimedRetryStrategy strategy = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(),
                Duration.ofMinutes(15), 0, now::get);

        assertThat(triesUntilGivenUp(strategy, answered(403, "AccessDenied"))).isEqualTo(1);
        assertThat(triesUntilGivenUp(strategy, answered(501, "NotImplemented"))).isEqualTo(1);
    }

    @Test
    void max_attempts_caps_the_tries_and_a_zero_budget_tries_once() {
        TimedRetryStrategy capped = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(),
                Duration.ofMinutes(15), 4, now::get);
        assertThat(triesUntilGivenUp(capped, answered(500, "InternalError"))).isEqualTo(4);

        TimedRetryStrategy once = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(), Duration.ZERO, 0, now::get);
        assertThat(triesUntilGivenUp(once, answered(500, "InternalError"))).isEqualTo(1);
    }

    @Test
    void the_broken_answers_and_cut_uploads_of_S3Errors_are_retried() {
        TimedRetryStrategy strategy = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(),
                Duration.ofMinutes(1), 0, now::get);
        Throwable cut = answered(400, "IncompleteBody");
        assertThat(triesUntilGivenUp(strategy, cut)).isGreaterThan(5);
    }

    @Test
    void a_store_never_reached_is_given_up_after_half_a_minute_and_one_that_answered_gets_the_whole_budget() {
        // `list` of a repository whose endpoint had a typo in its port waited the whole budget, 15 minutes
        Throwable refused = software.amazon.awssdk.core.exception.SdkClientException.create("Unable to execute HTTP"
                + " request: Connect to 127.0.0.1:1 failed", new java.net.ConnectException("Connection refused"));
        TimedRetryStrategy fresh = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(),
                Duration.ofMinutes(15), 0, now::get);
        triesUntilGivenUp(fresh, refused);
        assertThat(Duration.ofNanos(now.get())).isLessThanOrEqualTo(TimedRetryStrategy.UNREACHED_FOR.plusSeconds(2));

        // once the store has answered (an error of its own counts), a refused connection is an outage: the budget
        now.set(0);
        TimedRetryStrategy known = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(),
                Duration.ofMinutes(15), 0, now::get);
        RetryToken token = known.acquireInitialToken(AcquireInitialTokenRequest.create("s3")).token();
        known.refreshRetryToken(RefreshRetryTokenRequest.builder().token(token).failure(answered(503, "SlowDown")).build());
        now.set(0);
        triesUntilGivenUp(known, refused);
        assertThat(Duration.ofNanos(now.get())).isGreaterThan(Duration.ofMinutes(14));
        assertThat(TimedRetryStrategy.cannotConnect(refused)).isTrue();
        assertThat(TimedRetryStrategy.cannotConnect(answered(503, "SlowDown"))).isFalse();
    }

    @Test
    void each_request_has_its_own_budget_and_a_success_is_recorded() {
        TimedRetryStrategy strategy = new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(),
                Duration.ofSeconds(30), 0, now::get);
        triesUntilGivenUp(strategy, answered(503, "SlowDown"));
        // a later request starts its budget when it starts
        RetryToken token = strategy.acquireInitialToken(AcquireInitialTokenRequest.create("s3")).token();
        RefreshRetryTokenResponse next = strategy.refreshRetryToken(RefreshRetryTokenRequest.builder().token(token)
                .failure(answered(503, "SlowDown")).build());
        assertThat(strategy.recordSuccess(RecordSuccessRequest.create(next.token())).token()).isSameAs(next.token());
    }
}
