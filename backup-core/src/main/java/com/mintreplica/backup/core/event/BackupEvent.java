package com.mintreplica.backup.core.event;

import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.SourceId;
import java.time.Instant;

/**
 * Something that happened during a backup, told to {@link BackupListener}s: the CLI's progress line, logs, the audit
 * log, metrics.
 */
public sealed interface BackupEvent {

    /** When the event happened, on the backup's clock. */
    Instant time();

    /** A backup of {@code source} into {@code repository} started. */
    record Started(Instant time, SourceId source, String repository) implements BackupEvent {
    }

    /** Progress so far; sent at most a few times a second. */
    record Progress(Instant time, long entries, long bytesRead, long bytesNew, String currentPath) implements BackupEvent {
    }

    /** An entry is read completely. */
    record EntryDone(Instant time, String path, long bytes) implements BackupEvent {
    }

    /** A problem that does not fail the backup (a file changed while it was read). */
    record Warned(Instant time, String path, String message) implements BackupEvent {
    }

    /** The backup committed {@code snapshot}. */
    record Finished(Instant time, Snapshot snapshot) implements BackupEvent {
    }

    /** The backup failed; no snapshot was committed. */
    record Failed(Instant time, SourceId source, Exception error) implements BackupEvent {
    }
}
