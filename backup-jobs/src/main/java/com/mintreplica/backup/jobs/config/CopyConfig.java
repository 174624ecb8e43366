package com.mintreplica.backup.jobs.config;

import java.util.Objects;
import java.util.Optional;

/**
 * A repository a job's new snapshots are copied to after each run.
 *
 * @param repository the target's name in {@code repositories}
 * @param retention what to keep there; empty: the job's own retention
 */
public record CopyConfig(String repository, Optional<RetentionConfig> retention) {
    public CopyConfig {
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(retention, "retention");
    }

    /** A copy to {@code repository} with the job's retention. */
    public static CopyConfig to(String repository) {
        return new CopyConfig(repository, Optional.empty());
    }
}
