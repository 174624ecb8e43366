package com.mintreplica.backup.postgres.wal;

import java.time.Instant;

/**
 * One archived WAL file, as its object name records it (so a copy of the bucket keeps all of it).
 *
 * @param name the file's name in {@code pg_wal} ({@code 000000010000000000000003}, {@code 00000002.history})
 * @param type what it is
 * @param timeline its timeline
 * @param startLsn the first LSN it covers (a segment's start; a backup history file's backup start; 0 for history)
 * @param endLsn the LSN just past it (a segment's start plus the segment size; = startLsn for the others)
 * @param time when it was archived: the file's last-modified time at push, an upper bound of its last commit
 * @param sha256 the SHA-256 of its content, hex; checked on every fetch
 * @param object the repository object holding it
 * @param storedSize the object's stored (compressed, encrypted) size in bytes
 */
public record WalFile(String name, Type type, int timeline, long startLsn, long endLsn, Instant time, String sha256,
                      String object, long storedSize) {
    /** Kinds of WAL file. */
    public enum Type {
        /** A complete WAL segment. */
        SEGMENT,
        /** A partial segment ({@code .partial}): streamed by wal-receive, or left by a promotion. */
        PARTIAL,
        /** A backup history file ({@code .backup}), written by pg_backup_stop. */
        BACKUP,
        /** A timeline history file ({@code .history}), written by a promotion. */
        HISTORY
    }

    /** {@link #startLsn} as PostgreSQL writes it: {@code 0/3000000}. */
    public String startLsnText() {
        return WalArchive.lsnText(startLsn);
    }
}
