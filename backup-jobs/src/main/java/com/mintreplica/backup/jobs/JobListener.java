package com.mintreplica.backup.jobs;

import com.mintreplica.backup.jobs.config.JobConfig;
import java.time.Instant;

/**
 * Told when jobs start and end: for notifications (a failed backup pages someone), metrics ({@link JobMetrics}) and
 * logs. Called on the thread that runs the job; keep it quick. An exception thrown here is logged and ignored.
 */
public interface JobListener {

    /** {@code job} starts its run for {@code slot}. */
    default void started(JobConfig job, Instant slot) {
    }

    /** A run ended with a snapshot. */
    default void succeeded(JobResult result) {
    }

    /** A run failed (or was stopped): the hook for notifications. */
    default void failed(JobResult result) {
    }

    /** A run was not made: another replica ran it, or runs it now. */
    default void skipped(JobResult result) {
    }
}
