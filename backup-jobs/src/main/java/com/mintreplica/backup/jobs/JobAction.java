package com.mintreplica.backup.jobs;

import com.mintreplica.backup.jobs.config.JobConfig;
import java.time.Instant;

/**
 * The work of one run of a job. {@link JobRunner} is the real one (backup, retention, copies, audit); an app may wrap
 * it to add its own steps. The scheduler decides when, and makes sure no two replicas run the same slot.
 */
@FunctionalInterface
public interface JobAction {

    /**
     * Runs {@code job} for {@code slot}. Stops soon when the thread is interrupted (shutdown, lost lease), committing
     * nothing more. Returns a failed result or throws when the work failed.
     */
    JobResult run(JobConfig job, Instant slot) throws Exception;
}
