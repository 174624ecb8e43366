package com.mintreplica.backup.storage.gcs.internal;

import com.google.api.gax.retrying.ResultRetryAlgorithm;
import com.google.api.gax.retrying.TimedAttemptSettings;
import com.google.cloud.BaseServiceException;
import com.google.cloud.storage.StorageRetryStrategy;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The client library's retry strategy, unchanged in what it retries and when, that reports requests still failing
 * {@code after} the first failure (a warning, then one a minute), as the S3 Sink does: the library retries a failing
 * request for up to the Sink's {@code retryFor} (15 minutes by default) and says nothing meanwhile, so an operator
 * whose command waits on a store that is down could not tell why.
 *
 * <p>The library retries a request on the thread that made it and asks the strategy about each failure (with no
 * word of which request it was, nor of a success), so failures are counted per thread: a failure more than {@link
 * #GAP} after the thread's last one starts a new count (the library waits at most 32 s between tries, a try takes at
 * most its timeout), and one the strategy does not retry ends it.
 */
public final class RetryWarnings implements StorageRetryStrategy {
    private static final long serialVersionUID = 1L;
    private static final long EVERY = Duration.ofMinutes(1).toNanos();
    /** Longer than the library's longest wait between two tries plus a try that times out. */
    static final long GAP = Duration.ofMinutes(2).toNanos();

    /**
     * How long a request that cannot connect is tried while the store has never answered (explorers' D-6, as the S3
     * Sink's): a typo in the host made every command wait the whole budget, 15 minutes, before it said anything useful.
     */
    public static final Duration UNREACHED_FOR = Duration.ofSeconds(30);

    private final transient Algorithm<?> idempotent;
    private final transient Algorithm<?> nonIdempotent;
    private final transient Reporter reporter;

    /**
     * @param strategy what is retried
     * @param after how long after the first failure of a run of them it is reported
     * @param budget the retry budget, as the message names it (e.g. {@code 15m})
     * @param nanoTime the clock ({@link System#nanoTime} but in tests)
     * @param report where a report goes (a logger's warn but in tests)
     */
    public RetryWarnings(StorageRetryStrategy strategy, Duration after, String budget, LongSupplier nanoTime,
                         Consumer<String> report) {
        this(strategy, after, budget, nanoTime, report, UNREACHED_FOR);
    }

    /** The same, giving up on a store never reached after {@code unreachedFor}. */
    public RetryWarnings(StorageRetryStrategy strategy, Duration after, String budget, LongSupplier nanoTime,
                         Consumer<String> report, Duration unreachedFor) {
        Objects.requireNonNull(strategy, "strategy");
        Reporter reporter = new Reporter(after.toNanos(), budget, nanoTime, report, unreachedFor.toNanos());
        this.reporter = reporter;
        this.idempotent = new Algorithm<>(strategy.getIdempotentHandler(), reporter);
        this.nonIdempotent = new Algorithm<>(strategy.getNonidempotentHandler(), reporter);
    }

    /** The store answered a request: from now on, a request that cannot connect is tried for the whole budget. */
    public void answered() {
        reporter.answered = true;
    }

    /** Whether a request failed before it reached the store: refused, no route, or a host name that does not resolve. */
    public static boolean cannotConnect(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.UnknownHostException || t instanceof java.net.ConnectException
                    || t instanceof java.net.NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public ResultRetryAlgorithm<?> getIdempotentHandler() {
        return idempotent;
    }

    @Override
    public ResultRetryAlgorithm<?> getNonidempotentHandler() {
        return nonIdempotent;
    }

    /** A thread's run of failures: when it started, when the last one was, whether and when it was last reported. */
    private static final class Failures {
        final long start;
        long last;
        boolean reported;
        long reportedAt;

        Failures(long start) {
            this.start = start;
            this.last = start;
        }
    }

    private static final class Reporter {
        private final long after;
        private final String budget;
        private final LongSupplier nanoTime;
        private final Consumer<String> report;
        private final ThreadLocal<Failures> failures = new ThreadLocal<>();
        private final long unreachedFor;
        /** Whether the store ever answered a request (a success, or an error of its own such as a 503). */
        volatile boolean answered;

        Reporter(long after, String budget, LongSupplier nanoTime, Consumer<String> report, long unreachedFor) {
            this.unreachedFor = unreachedFor;
            this.after = after;
            this.budget = budget;
            this.nanoTime = nanoTime;
            this.report = report;
        }

        /** Counts a failure the strategy judged; whether it is retried (not when the store was never reached for long). */
        boolean failed(Throwable failure, boolean retried) {
            if (failure instanceof BaseServiceException e && e.getCode() > 0) {
                answered = true;
            }
            if (!retried) {
                failures.remove();
                return false;
            }
            long now = nanoTime.getAsLong();
            Failures run = failures.get();
            if (run == null || now - run.last > GAP) {
                run = new Failures(now);
                failures.set(run);
            }
            run.last = now;
            long failing = now - run.start;
            if (!answered && failing >= unreachedFor && cannotConnect(failure)) {
                failures.remove();
                return false;
            }
            if (failing >= after && (!run.reported || now - run.reportedAt >= EVERY)) {
                run.reported = true;
                run.reportedAt = now;
                report.accept("the store keeps failing requests (" + what(failure) + "; failing for "
                        + Duration.ofNanos(failing).toSeconds() + " s): each is tried again for up to " + budget
                        + " from its first try" + (!answered && cannotConnect(failure) ? " (it has not answered yet: "
                        + Duration.ofNanos(unreachedFor).toSeconds() + " s)" : ""));
            }
            return true;
        }

        private static String what(Throwable failure) {
            String message = failure.getMessage();
            String code = failure instanceof BaseServiceException e && e.getCode() > 0 ? "HTTP " + e.getCode() + " " : "";
            return code + failure.getClass().getSimpleName()
                    + (message == null ? "" : ": " + message.lines().findFirst().orElse(""));
        }
    }

    /** One of the strategy's algorithms, telling the reporter of every failure it judges. */
    private static final class Algorithm<T> implements ResultRetryAlgorithm<T> {
        private final ResultRetryAlgorithm<T> algorithm;
        private final Reporter reporter;

        @SuppressWarnings("unchecked")
        Algorithm(ResultRetryAlgorithm<?> algorithm, Reporter reporter) {
            this.algorithm = (ResultRetryAlgorithm<T>) algorithm;
            this.reporter = reporter;
        }

        @Override
        public TimedAttemptSettings createNextAttempt(Throwable failure, T response, TimedAttemptSettings tried) {
            return algorithm.createNextAttempt(failure, response, tried);
        }

        @Override
        public boolean shouldRetry(Throwable failure, T response) {
            boolean retry = algorithm.shouldRetry(failure, response);
            if (failure != null) {
                retry = reporter.failed(failure, retry);
            }
            return retry;
        }
    }
}
