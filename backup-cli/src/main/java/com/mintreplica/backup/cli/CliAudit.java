package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import com.mintreplica.backup.jobs.audit.AuditRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Appends an audit line for a command (backup, restore, verify, key) when an audit log is given ({@code --audit-log F}
 * or {@value #ENV}). The line names the repository redacted, and the error message of a failure, which names no
 * secret.
 */
final class CliAudit {
    static final String ENV = "MINT_BACKUP_AUDIT_LOG";

    /** What the command learnt, to put in its line. */
    static final class Facts {
        String repository;
        String snapshot;
        long bytes;
        String detail;
    }

    private CliAudit() {
    }

    static Optional<Path> file(MintBackup root) {
        if (root.auditLog != null) {
            return Optional.of(root.auditLog);
        }
        String env = root.env.get(ENV);
        return env == null || env.isBlank() ? Optional.empty() : Optional.of(Path.of(env));
    }

    /** Appends the line of an operation that started at {@code start}; {@code error} is null when it succeeded. */
    static void record(MintBackup root, AuditOperation operation, Instant start, Facts facts, Exception error) {
        Optional<Path> file = file(root);
        if (file.isEmpty()) {
            return;
        }
        AuditRecord.Builder b = AuditRecord.builder(operation, start).repository(facts.repository).snapshot(facts.snapshot)
                .bytes(facts.bytes).detail(facts.detail).duration(Duration.between(start, Instant.now()))
                .host(JobsSupport.host()).user(JobsSupport.user());
        if (error != null) {
            b.failed(error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage());
        }
        AuditLog.at(file.get()).append(b.build());
    }

    /** Runs {@code body}, then appends its line, also when it fails. */
    static int around(MintBackup root, AuditOperation operation, Facts facts, Body body) throws Exception {
        Instant start = Instant.now();
        int code;
        try {
            code = body.run();
        } catch (Exception e) {
            try {
                record(root, operation, start, facts, e);
            } catch (RuntimeException auditFailure) {
                e.addSuppressed(auditFailure);
            }
            throw e;
        }
        record(root, operation, start, facts, code == MintBackup.OK ? null
                : new IllegalStateException(facts.detail != null ? facts.detail : "exit code " + code));
        return code;
    }

    @FunctionalInterface
    interface Body {
        int run() throws Exception;
    }
}
