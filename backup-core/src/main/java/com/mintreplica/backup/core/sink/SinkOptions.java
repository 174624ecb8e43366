package com.mintreplica.backup.core.sink;

import com.mintreplica.backup.core.InvalidInputException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the caller that opens a Sink through {@link Sinks#open(String, SinkOptions)} asks of it, beyond what the
 * location says. A parameter in the location's URI (the operator's word) wins over an option here.
 *
 * <p>{@link #retryFor}: how long a Sink that talks to a remote store keeps retrying one failing request before the
 * call fails. A backup wants a store that is down for a few minutes ridden out (the S3 and GCS Sinks default to 15
 * minutes, as restic does); PostgreSQL's {@code archive_command} and {@code restore_command} want an answer within a
 * minute, because PostgreSQL retries them itself. A local directory has nothing to retry and ignores it.
 */
public final class SinkOptions {
    private static final SinkOptions DEFAULTS = new SinkOptions(null);

    private final Duration retryFor;

    private SinkOptions(Duration retryFor) {
        this.retryFor = retryFor;
    }

    /** No wish: each Sink's own defaults. */
    public static SinkOptions defaults() {
        return DEFAULTS;
    }

    /** These options, with failing requests retried for at most {@code retryFor} (zero: tried once). */
    public SinkOptions retryFor(Duration retryFor) {
        Objects.requireNonNull(retryFor, "retryFor");
        if (retryFor.isNegative()) {
            throw new InvalidInputException("retryFor must not be negative: " + retryFor);
        }
        return new SinkOptions(retryFor);
    }

    /** How long a failing request may be retried, when the caller said. */
    public Optional<Duration> retryFor() {
        return Optional.ofNullable(retryFor);
    }

    @Override
    public String toString() {
        return "SinkOptions[retryFor=" + (retryFor == null ? "default" : retryFor) + "]";
    }
}
