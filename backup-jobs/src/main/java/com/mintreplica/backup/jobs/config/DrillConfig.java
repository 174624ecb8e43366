package com.mintreplica.backup.jobs.config;

import com.mintreplica.backup.jobs.CronSchedule;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A restore drill: now and then, restore a job's latest snapshot into a scratch target, check it, and remove the
 * scratch target again. Run by {@link com.mintreplica.backup.jobs.DrillRunner} (and {@code mint-backup drill}),
 * scheduled like a job when it has a schedule. See docs/drills.md.
 *
 * <p>The scratch target is never the original: a directory job is restored into a new directory under
 * {@code target} (default: the temporary directory), a PostgreSQL job into a new database (named
 * {@code <database>_drill_<random>}, or {@code options.target-database}) on the server {@code target} names (default:
 * the job's own server), a MongoDB job into new databases the same way. Each is removed when the drill ends, whatever
 * its outcome.
 *
 * @param name the drill's name
 * @param job the job whose latest snapshot it restores
 * @param schedule when it runs; empty: only by hand
 * @param target for a directory job, the directory the scratch directory is made in; for a database job, the server
 *     to restore on (a URI such as {@code postgresql://drill@drill-db:5432/postgres}); empty: the temporary directory,
 *     or the job's own server
 * @param options the restore target's options (for PostgreSQL {@code target-database}, {@code jobs},
 *     {@code no-owner}, {@code replace}: the target database may exist and belongs to drills, ...)
 * @param environment variables the target reads, as for a source (used with {@code target} only)
 * @param password the target server's password, by reference (used with {@code target} only)
 * @param checks which checks to run, by name (see {@link #CHECKS}); empty: every check that applies to the job's
 *     kind. The checks a restore target makes itself (PostgreSQL: VACUUM ANALYZE and row counts; MongoDB: document
 *     counts) always run; {@code verify} (read and check every blob of the snapshot) runs only when listed
 * @param smoke for PostgreSQL, an SQL query run in the restored database whose first column of the first row must be
 *     true (or a non-zero number, or a non-empty text other than {@code f}, {@code false}, {@code 0}); empty: none.
 *     An application can give a Java smoke check instead ({@link com.mintreplica.backup.jobs.DrillRunner.Builder#smokeCheck})
 */
public record DrillConfig(String name, String job, Optional<CronSchedule> schedule, Optional<String> target,
                          Map<String, String> options, Map<String, SecretRef> environment, Optional<SecretRef> password,
                          List<String> checks, Optional<String> smoke) {

    /** Restoring the snapshot; every drill has it. */
    public static final String RESTORE = "restore";
    /** Directory jobs: every restored file's bytes hash as the snapshot's content (checked blob by blob) did. */
    public static final String FILE_HASHES = "file-hashes";
    /** PostgreSQL: VACUUM ANALYZE after pg_restore, run by the PostgreSQL target. */
    public static final String VACUUM_ANALYZE = "vacuum-analyze";
    /** PostgreSQL: every table has the row count the backup recorded. */
    public static final String ROW_COUNTS = "row-counts";
    /** MongoDB: every collection has the document count the backup recorded. */
    public static final String DOCUMENT_COUNTS = "document-counts";
    /** Every blob of the snapshot is read and checked against its id ({@code verify --read-data} for one snapshot). */
    public static final String VERIFY = "verify";
    /** The smoke query or the application's smoke check. */
    public static final String SMOKE = "smoke";
    /** Removing the scratch target; every drill has it. */
    public static final String CLEANUP = "cleanup";
    /** The names {@code checks} accepts. */
    public static final Set<String> CHECKS = Set.of(FILE_HASHES, VACUUM_ANALYZE, ROW_COUNTS, DOCUMENT_COUNTS, VERIFY, SMOKE);

    public DrillConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(smoke, "smoke");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        checks = List.copyOf(checks);
    }

    /** A builder for drill {@code name} of job {@code job}. */
    public static Builder builder(String name, String job) {
        return new Builder(name, job);
    }

    /** The drill a job gets when none is configured for it: its name, by hand, scratch target and checks by default. */
    public static DrillConfig of(String job) {
        return builder(job, job).build();
    }

    /** Whether {@code check} runs: it is listed, or nothing is listed. */
    public boolean wants(String check) {
        return checks.isEmpty() ? !check.equals(VERIFY) : checks.contains(check);
    }

    /** Builds a {@link DrillConfig}. */
    public static final class Builder {
        private final String name;
        private final String job;
        private CronSchedule schedule;
        private String target;
        private final Map<String, String> options = new LinkedHashMap<>();
        private final Map<String, SecretRef> environment = new LinkedHashMap<>();
        private SecretRef password;
        private final List<String> checks = new ArrayList<>();
        private String smoke;

        private Builder(String name, String job) {
            this.name = Objects.requireNonNull(name, "name");
            this.job = Objects.requireNonNull(job, "job");
        }

        public Builder schedule(CronSchedule value) {
            schedule = value;
            return this;
        }

        /** The directory scratch directories are made in, or the database server to restore on. */
        public Builder target(String value) {
            target = value;
            return this;
        }

        public Builder option(String key, String value) {
            options.put(key, value);
            return this;
        }

        public Builder environment(String variable, SecretRef value) {
            environment.put(variable, value);
            return this;
        }

        public Builder password(SecretRef value) {
            password = value;
            return this;
        }

        public Builder checks(String... names) {
            checks.addAll(List.of(names));
            return this;
        }

        /** An SQL query that must return a true value in the restored database (PostgreSQL). */
        public Builder smoke(String query) {
            smoke = query;
            return this;
        }

        public DrillConfig build() {
            return new DrillConfig(name, job, Optional.ofNullable(schedule), Optional.ofNullable(target), options,
                    environment, Optional.ofNullable(password), checks, Optional.ofNullable(smoke));
        }
    }
}
