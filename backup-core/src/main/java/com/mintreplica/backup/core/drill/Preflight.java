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
