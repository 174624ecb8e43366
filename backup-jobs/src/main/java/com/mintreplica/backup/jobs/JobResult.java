package com.mintreplica.backup.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one run of a job did. Also what the repository's run record of a scheduled run says (see docs/jobs.md), so
 * {@code status} shows the last run of every replica.
 *
 * @param job the job's name
 * @param slot the scheduled time the run was for (for a run by hand: when it was asked for)
 * @param host the host that ran it
 * @param started when it started
 * @param finished when it ended
 * @param outcome how it ended
 * @param snapshot the snapshot it committed, if any
 * @param bytes content bytes read from the source (a scheduled prune: the bytes it freed, which an index rewrite can
 *              make slightly negative)
 * @param error what went wrong, when it failed or was skipped (a message that names no secret)
 * @param copies the repositories its snapshot was copied to
 */
public record JobResult(String job, Instant slot, String host, Instant started, Instant finished, Outcome outcome,
                        Optional<String> snapshot, long bytes, Optional<String> error, List<String> copies) {

    /** How a run ended. */
    public enum Outcome {
        /** The snapshot was committed (and copied and retention applied). */
        SUCCEEDED,
        /** It failed; {@link #error()} says why. A snapshot may exist when only a copy failed. */
        FAILED,
        /** It did not run: another replica ran it or is running it, or it was not due. */
        SKIPPED,
        /** It was stopped (shutdown, or its lease was lost); no run record was written, another replica may run it. */
        STOPPED
    }

    public JobResult {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(finished, "finished");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(error, "error");
        copies = List.copyOf(copies);
    }

    public boolean succeeded() {
        return outcome == Outcome.SUCCEEDED;
    }

    public Duration duration() {
        return Duration.between(started, finished);
    }

    /** A run that did not happen, and why. */
    public static JobResult skipped(String job, Instant slot, String host, Instant now, String why) {
        return new JobResult(job, slot, host, now, now, Outcome.SKIPPED, Optional.empty(), 0, Optional.of(why), List.of());
    }
}
