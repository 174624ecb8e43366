package com.mintreplica.backup.storage.s3.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import com.mintreplica.backup.core.sink.Sinks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.AcquireInitialTokenResponse;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RecordSuccessResponse;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.RetryToken;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 client's retries, bounded by time: the SDK's standard strategy decides what is retried and how long to wait
 * (exponential backoff with full jitter, longer for throttling), and this one stops a request once waiting again would
 * take it past {@code retryFor} since its first try, or once it has been tried {@code maxAttempts} times when a count
 * is set. A count alone fails a long backup on bad luck (a store failing half its requests answers one request 503
 * five times in a row every few thousand requests) and still gives up on a store that is back within a minute; a time
 * budget rides out both, and is what restic does (15 minutes).
 *
 * <p>The standard strategy's circuit breaker (a shared quota of retries) is off: under a long outage it would fail
 * every request at once long before the budget, which is what the budget is there to prevent. Requests of the Sink run
 * a few at a time, so there is no storm of retries to break.
 *
 * <p>Until the store has answered this client once, a request that cannot even connect (refused, a host name that does
 * not resolve) is tried for {@link #UNREACHED_FOR} only: a typo in the endpoint is said within half a minute.
 *
 * <p>A request still failing 10 seconds after its first try is reported (a warning, then one a minute), so that an
 * operator whose command waits on a store that is down sees why, as restic's "retrying after" lines say.
 *
 * <p>The SDK uses this strategy as given ({@link #useClientDefaults()} is false): the standard strategy inside it is
 * already configured with the SDK's and AWS's defaults (what is retryable, what is throttling).
 */
public final class TimedRetryStrategy implements RetryStrategy {
    /** The standard strategy's own cap, never reached first: the budget or {@code maxAttempts} stops a request. */
    private static final int UNBOUNDED = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(TimedRetryStrategy.class);
    private static final long WARN_AFTER = Duration.ofSeconds(10).toNanos();
    private static final long WARN_EVERY = Duration.ofMinutes(1).toNanos();

    /**
     * How long a request is tried when the store has never answered this client and the request cannot even connect
     * (a typo in the endpoint's host or port, a host that does not resolve): `list` of such a repository waited the
     * whole budget, 15 minutes, where the mistake is the operator's to fix now.
     */
    static final Duration UNREACHED_FOR = Duration.ofSeconds(30);

    private final RetryStrategy standard;
    private final Duration retryFor;
    /** Whether the store has answered this client once (a success, or an error of its own such as a 503). */
    private volatile boolean answered;
    private final int maxAttempts;
    private final LongSupplier nanoTime;

    /**
     * @param standard what is retried and the waits between tries; its own limit on attempts should be above any
     *     budget (see {@link #standardWithoutLimits})
     * @param retryFor how long after its first try a request may still be tried again
     * @param maxAttempts at most this many tries of one request; 0 for no limit but the time
     * @param nanoTime the clock the budget is measured with ({@link System#nanoTime} but in tests)
     */
    public TimedRetryStrategy(RetryStrategy standard, Duration retryFor, int maxAttempts, LongSupplier nanoTime) {
        this.standard = Objects.requireNonNull(standard, "standard");
        this.retryFor = Objects.requireNonNull(retryFor, "retryFor");
        this.maxAttempts = maxAttempts;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** The SDK's standard strategy for AWS with no limit of its own, retrying also what {@link S3Errors} adds. */
    public static RetryStrategy standardWithoutLimits() {
        return software.amazon.awssdk.awscore.retry.AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(UNBOUNDED).circuitBreakerEnabled(false)
                .retryOnException(S3Errors::brokenAnswer).retryOnException(S3Errors::cutUpload).build();
    }

    /**
     * One request's tries: the standard strategy's token, when the first try started, how many were made, and when the
     * last warning about it was given ({@code startNanos}: none yet).
     */
    private record Tries(RetryToken standard, long startNanos, int attempt, long warnedNanos) implements RetryToken {
    }

    @Override
    public AcquireInitialTokenResponse acquireInitialToken(AcquireInitialTokenRequest request) {
        AcquireInitialTokenResponse first = standard.acquireInitialToken(request);
        long now = nanoTime.getAsLong();
        return AcquireInitialTokenResponse.create(new Tries(first.token(), now, 1, now), first.delay());
    }

    @Override
    public RefreshRetryTokenResponse refreshRetryToken(RefreshRetryTokenRequest request) {
        Tries tries = (Tries) request.token();
        RefreshRetryTokenRequest.Builder inner = RefreshRetryTokenRequest.builder().token(tries.standard())
                .failure(request.failure());
        request.suggestedDelay().ifPresent(inner::suggestedDelay);
        RefreshRetryTokenResponse next;
        try {
            next = standard.refreshRetryToken(inner.build());
        } catch (TokenAcquisitionFailedException e) {
            // not a failure to retry (a 403, a 404, a 501): the SDK throws the request's own failure
            throw new TokenAcquisitionFailedException(e.getMessage(), tries, request.failure());
        }
        if (maxAttempts > 0 && tries.attempt() >= maxAttempts) {
            throw new TokenAcquisitionFailedException("tried " + tries.attempt() + " times (maxAttempts)", tries,
                    request.failure());
        }
        long elapsed = nanoTime.getAsLong() - tries.startNanos();
        if (request.failure() instanceof S3Exception) {
            answered = true;
        }
        if (!answered && cannotConnect(request.failure()) && elapsed + next.delay().toNanos() > UNREACHED_FOR.toNanos()
                && elapsed + next.delay().toNanos() <= retryFor.toNanos()) {
            throw new TokenAcquisitionFailedException("the store was never reached: tried " + tries.attempt()
                    + " times in " + Duration.ofNanos(elapsed).toSeconds() + " s", tries, request.failure());
        }
        if (elapsed + next.delay().toNanos() > retryFor.toNanos()) {
            throw new TokenAcquisitionFailedException("tried " + tries.attempt() + " times in "
                    + Duration.ofNanos(elapsed).toSeconds() + " s (retryFor " + Sinks.durationText(retryFor) + ")", tries, request.failure());
        }
        long now = tries.startNanos() + elapsed;
        long warned = tries.warnedNanos();
        boolean neverWarned = warned == tries.startNanos();
        if (elapsed >= WARN_AFTER && (neverWarned || now - warned >= WARN_EVERY)) {
            warned = now;
            boolean unreached = !answered && cannotConnect(request.failure());
            LOG.warn("the store keeps failing a request ({}; {} tries in {} s): trying again in {} ms, for up to {} from"
                    + " its first try{}", what(request.failure()), tries.attempt(), Duration.ofNanos(elapsed).toSeconds(),
                    next.delay().toMillis(), Sinks.durationText(unreached ? UNREACHED_FOR : retryFor),
                    unreached ? " (it has not answered yet)" : "");
        }
        return RefreshRetryTokenResponse.create(new Tries(next.token(), tries.startNanos(), tries.attempt() + 1, warned),
                next.delay());
    }


    /** Whether a request failed before it reached the store: refused, no route, or a host name that does not resolve. */
    static boolean cannotConnect(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    /** A failure in a few words: the HTTP status and S3's code, or the client's message (a refused connection). */
    private static String what(Throwable failure) {
        if (failure instanceof S3Exception e) {
            String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
            return "HTTP " + e.statusCode() + (code != null ? " " + code : "");
        }
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    @Override
    public RecordSuccessResponse recordSuccess(RecordSuccessRequest request) {
        answered = true;
        Tries tries = (Tries) request.token();
        standard.recordSuccess(RecordSuccessRequest.create(tries.standard()));
        return RecordSuccessResponse.create(tries);
    }

    @Override
    public int maxAttempts() {
        return maxAttempts > 0 ? maxAttempts : UNBOUNDED;
    }

    @Override
    public boolean useClientDefaults() {
        return false;
    }

    /** Not supported: the S3 Sink builds this strategy whole; the SDK asks for a builder only of its own strategies. */
    @Override
    public Builder<?, ?> toBuilder() {
        throw new UnsupportedOperationException("TimedRetryStrategy is built by the S3 Sink, not through a builder");
    }
}
