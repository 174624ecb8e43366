package com.mintreplica.backup.jobs.config;

import com.mintreplica.backup.jobs.CronSchedule;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A repository jobs back up into or copy to.
 *
 * @param name how jobs refer to it
 * @param location a directory, {@code file:}, {@code s3://bucket/prefix} or {@code gs://bucket/prefix}; never with
 *     credentials (S3 and GCS take theirs from their SDK's default chain)
 * @param encryption how it is encrypted; empty: not encrypted
 * @param copies the repositories every job into this one copies its snapshots to, unless the job says otherwise
 * @param prune when to prune it (delete the data no snapshot needs any more); empty: never by schedule
 * @param create whether a job creates it when it does not exist yet (default) or fails
 */
public record RepositoryConfig(String name, String location, Optional<EncryptionConfig> encryption, List<String> copies,
                               Optional<CronSchedule> prune, boolean create) {
    public RepositoryConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(prune, "prune");
        copies = List.copyOf(copies);
    }

    /** An unencrypted repository at {@code location}, created when missing, without copies. */
    public static RepositoryConfig of(String name, String location) {
        return new RepositoryConfig(name, location, Optional.empty(), List.of(), Optional.empty(), true);
    }

    public RepositoryConfig withCopies(String... names) {
        return new RepositoryConfig(name, location, encryption, List.of(names), prune, create);
    }

    public RepositoryConfig withEncryption(EncryptionConfig value) {
        return new RepositoryConfig(name, location, Optional.of(value), copies, prune, create);
    }

    public RepositoryConfig withPrune(CronSchedule value) {
        return new RepositoryConfig(name, location, encryption, copies, Optional.of(value), create);
    }
}
