package com.mintreplica.backup.core.drill;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The doctor's checks of one source kind, before a job has to run: the login works, the tools a backup or restore runs
 * are there and fit the server. Returned by {@link com.mintreplica.backup.core.source.SourceProvider#preflight()}.
 * Nothing here changes the source.
 */
public interface Preflight {

    /**
     * Checks that {@code location} can be backed up from this machine.
     *
     * @param field the config field of the source, for fixes: {@code jobs.NAME.source}
     * @throws java.io.IOException or a {@link com.mintreplica.backup.core.BackupException} when the location or its
     *     options are wrong before anything could be checked
     */
    List<Finding> source(URI location, Map<String, String> options, Map<String, String> environment, String field)
            throws java.io.IOException;

    /**
     * Checks that snapshots of this kind can be restored to the server {@code location} (a drill's target). The default
     * checks nothing.
     */
    default List<Finding> restoreServer(URI location, Map<String, String> options, Map<String, String> environment,
                                        String field) throws java.io.IOException {
        return List.of();
    }

    /**
     * Where a restore of a source with {@code options} writes temporary files (PostgreSQL's {@code temp-dir}), so that
     * the doctor checks the directory and its free space. The default: nowhere.
     */
    default Optional<Spool> restoreSpool(Map<String, String> options, Path tempDir) {
        return Optional.empty();
    }

    /**
     * How continuous protection of {@code location} stands, for {@code status}, {@code doctor} and the daemon's
     * metrics: for PostgreSQL, WAL archiving as {@code pg_stat_archiver} shows it, and the newest WAL the repository
     * holds. Empty when the kind has nothing continuous or the source's options do not ask for the check (PostgreSQL:
     * {@code wal-stall-after}). The default: empty. Nothing here changes the source or the repository.
     *
     * @param repository the job's repository, open (read-only use: listings)
     * @param name the job's name, which names its WAL archive
     * @param now the time to measure ages against
     */
    default Optional<Continuity> continuity(URI location, Map<String, String> options, Map<String, String> environment,
                                            com.mintreplica.backup.core.Repository repository, String name,
                                            java.time.Instant now) throws java.io.IOException {
        return Optional.empty();
    }

    /**
     * How continuous archiving stands.
     *
     * @param stallAfter the configured time after which archiving counts as stalled
     * @param lastArchived when the source last archived something (PostgreSQL: {@code last_archived_time}), if known
     * @param lastFailed when archiving last failed ({@code last_failed_time}), if it ever did
     * @param failures how many times archiving failed ({@code failed_count}, since the statistics were reset)
     * @param newestInRepository when the newest file of the repository's archive was archived, if there is one
     * @param stalled whether archiving has stalled for longer than {@code stallAfter} (on the source or as seen from
     *     the repository)
     * @param failing whether archiving is failing now (its last attempt failed)
     * @param findings what was found, for status and doctor; never a secret
     */
    record Continuity(java.time.Duration stallAfter, Optional<java.time.Instant> lastArchived,
                      Optional<java.time.Instant> lastFailed, long failures,
                      Optional<java.time.Instant> newestInRepository, boolean stalled, boolean failing,
                      List<Finding> findings) {
        public Continuity {
            Objects.requireNonNull(stallAfter, "stallAfter");
            Objects.requireNonNull(lastArchived, "lastArchived");
            Objects.requireNonNull(lastFailed, "lastFailed");
            Objects.requireNonNull(newestInRepository, "newestInRepository");
            findings = List.copyOf(findings);
        }

        /** Whether nothing needs attention. */
        public boolean ok() {
            return findings.stream().allMatch(f -> f.severity() == Severity.OK);
        }
    }

    /**
     * A directory restores write temporary files to.
     *
     * @param directory where
     * @param wholeSnapshot whether what goes there is as large as the snapshot (directory-format and parallel
     *     PostgreSQL restores), or small
     */
    record Spool(Path directory, boolean wholeSnapshot) {
        public Spool {
            Objects.requireNonNull(directory, "directory");
        }
    }

    /**
     * One thing checked.
     *
     * @param check what: {@code database}, {@code pg_dump}, ...
     * @param severity how it went
     * @param message what was found; never a secret
     * @param fix what to do about it, for warnings and problems
     */
    record Finding(String check, Severity severity, String message, Optional<String> fix) {
        public Finding {
            Objects.requireNonNull(check, "check");
            Objects.requireNonNull(severity, "severity");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(fix, "fix");
        }

        public static Finding ok(String check, String message) {
            return new Finding(check, Severity.OK, message, Optional.empty());
        }

        public static Finding warning(String check, String message, String fix) {
            return new Finding(check, Severity.WARNING, message, Optional.of(fix));
        }

        public static Finding problem(String check, String message, String fix) {
            return new Finding(check, Severity.PROBLEM, message, Optional.of(fix));
        }
    }

    /** How a finding went. */
    enum Severity {
        OK, WARNING, PROBLEM
    }
}
