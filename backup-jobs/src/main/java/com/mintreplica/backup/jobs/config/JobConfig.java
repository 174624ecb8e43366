package com.mintreplica.backup.jobs.config;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.jobs.CronSchedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One backup job: a source, the repository it goes to, when it runs, how its snapshots are tagged and kept, and where
 * they are copied.
 *
 * @param name the job's name, recorded in every snapshot it takes ({@code [A-Za-z0-9][A-Za-z0-9._-]*})
 * @param source what it backs up
 * @param repository the name of its repository in {@code repositories}
 * @param schedule when it runs; empty: only when run by hand ({@code mint-backup run --job NAME})
 * @param jitter each run starts after a random delay below this, so replicas and jobs do not all start at once
 * @param tags the tags of its snapshots
 * @param retention what to keep after each run; empty: keep everything
 * @param copies where to copy its snapshots; empty: the repository's {@code copies}
 * @param host the host name recorded in its snapshots; empty: the config's {@code host}, else this machine's. Set
 *     it when several replicas run the job, so that their snapshots form one group for retention and deduplication
 * @param alertAfter how long after a slot its snapshot may take before status warns; empty: half the interval
 *     between slots, at least 10 minutes and at most 2 hours
 */
public record JobConfig(String name, SourceConfig source, String repository, Optional<CronSchedule> schedule,
                        Duration jitter, Set<String> tags, Optional<RetentionConfig> retention,
                        Optional<List<CopyConfig>> copies, Optional<String> host, Optional<Duration> alertAfter) {
    public JobConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(jitter, "jitter");
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(alertAfter, "alertAfter");
        tags = Set.copyOf(new TreeSet<>(tags));
        copies = copies.map(List::copyOf);
    }

    /** A builder for job {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Builds a {@link JobConfig}; {@link #build()} checks that source and repository are given. */
    public static final class Builder {
        private final String name;
        private SourceConfig source;
        private String repository;
        private CronSchedule schedule;
        private Duration jitter = Duration.ZERO;
        private final Set<String> tags = new TreeSet<>();
        private RetentionConfig retention;
        private List<CopyConfig> copies;
        private String host;
        private Duration alertAfter;

        private Builder(String name) {
            this.name = name;
        }

        public Builder source(SourceConfig value) {
            source = value;
            return this;
        }

        public Builder repository(String value) {
            repository = value;
            return this;
        }

        public Builder schedule(CronSchedule value) {
            schedule = value;
            return this;
        }

        public Builder jitter(Duration value) {
            jitter = value;
            return this;
        }

        public Builder tags(String... values) {
            tags.addAll(List.of(values));
            return this;
        }

        public Builder retention(RetentionConfig value) {
            retention = value;
            return this;
        }

        /** Where to copy (replacing the repository's copies); no argument: copy nowhere. */
        public Builder copies(CopyConfig... values) {
            copies = new ArrayList<>(List.of(values));
            return this;
        }

        /** Copies to these repositories with the job's retention. */
        public Builder copiesTo(String... repositories) {
            copies = new ArrayList<>();
            for (String r : repositories) {
                copies.add(CopyConfig.to(r));
            }
            return this;
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder alertAfter(Duration value) {
            alertAfter = value;
            return this;
        }

        public JobConfig build() {
            if (source == null) {
                throw new InvalidInputException("job '" + name + "' needs a source");
            }
            if (repository == null) {
                throw new InvalidInputException("job '" + name + "' needs a repository");
            }
            return new JobConfig(name, source, repository, Optional.ofNullable(schedule), jitter, tags,
                    Optional.ofNullable(retention), Optional.ofNullable(copies), Optional.ofNullable(host),
                    Optional.ofNullable(alertAfter));
        }
    }
}
