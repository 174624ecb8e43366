package com.mintreplica.backup.jobs.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where audit lines go.
 *
 * @param file the audit log file (JSON lines, hash-chained); empty: no audit log
 * @param repository whether each line is also stored in the job's repository (under {@code audit/}), so that
 *     {@code mint-backup audit verify} can tell a truncated or rewritten file from the original
 */
public record AuditConfig(Optional<Path> file, boolean repository) {
    public AuditConfig {
        Objects.requireNonNull(file, "file");
    }

    /** No audit log. */
    public static AuditConfig none() {
        return new AuditConfig(Optional.empty(), false);
    }

    /** An audit log file, not copied into repositories. */
    public static AuditConfig file(Path path) {
        return new AuditConfig(Optional.of(path), false);
    }
}
