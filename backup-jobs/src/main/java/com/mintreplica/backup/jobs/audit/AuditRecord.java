package com.mintreplica.backup.jobs.audit;

import com.mintreplica.backup.core.sink.Sinks;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One audited operation, as one line of the audit log records it. The repository location is redacted when the
 * record is built ({@link Sinks#redact}), so no credential of a URI reaches the log.
 *
 * @param time when the operation started
 * @param operation what it was
 * @param job the job it ran for, if any
 * @param snapshot the snapshot it made or used, if any
 * @param repository where, redacted
 * @param host the machine it ran on
 * @param user the operating system user it ran as
 * @param ok whether it succeeded
 * @param bytes the bytes it read (backup), wrote (restore), copied (copy) or freed (prune)
 * @param duration how long it took
 * @param error what went wrong, when it failed (a message that names no secret)
 * @param detail a short note, such as {@code forgot 3 snapshots} or {@code added key 0xABCD}
 */
public record AuditRecord(Instant time, AuditOperation operation, Optional<String> job, Optional<String> snapshot,
                          Optional<String> repository, String host, String user, boolean ok, long bytes,
                          Duration duration, Optional<String> error, Optional<String> detail) {
    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(snapshot, "snapshot");
        repository = Objects.requireNonNull(repository, "repository").map(Sinks::redact);
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(detail, "detail");
    }

    /** A builder for a record of {@code operation} that started at {@code time}. */
    public static Builder builder(AuditOperation operation, Instant time) {
        return new Builder(operation, time);
    }

    /** Builds an {@link AuditRecord}; host and user must be given (the edge knows them). */
    public static final class Builder {
        private final AuditOperation operation;
        private final Instant time;
        private String job;
        private String snapshot;
        private String repository;
        private String host = "";
        private String user = "";
        private boolean ok = true;
        private long bytes;
        private Duration duration = Duration.ZERO;
        private String error;
        private String detail;

        private Builder(AuditOperation operation, Instant time) {
            this.operation = operation;
            this.time = time;
        }

        public Builder job(String value) {
            job = value;
            return this;
        }

        public Builder snapshot(String value) {
            snapshot = value;
            return this;
        }

        public Builder repository(String value) {
            repository = value;
            return this;
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder user(String value) {
            user = value;
            return this;
        }

        public Builder bytes(long value) {
            bytes = value;
            return this;
        }

        public Builder duration(Duration value) {
            duration = value;
            return this;
        }

        public Builder detail(String value) {
            detail = value;
            return this;
        }

        /** Marks the record failed with {@code message}. */
        public Builder failed(String message) {
            ok = false;
            error = message;
            return this;
        }

        public AuditRecord build() {
            return new AuditRecord(time, operation, Optional.ofNullable(job), Optional.ofNullable(snapshot),
                    Optional.ofNullable(repository), host, user, ok, bytes, duration, Optional.ofNullable(error),
                    Optional.ofNullable(detail));
        }
    }
}
