package com.mintreplica.backup.core.sink;

/**
 * What an object is to the repository, so a Sink can store kinds differently (for example data in an infrequent-access
 * class while what the repository must read at every start stays instantly readable).
 */
public enum ObjectKind {
    /** The repository's {@code config}. */
    CONFIG,
    /** Key material: wrapped data keys ({@code keys/}), the writers list ({@code writers/}), writers' session keys ({@code sessions/}). */
    KEY,
    /** Snapshot manifests ({@code snapshots/}). */
    SNAPSHOT,
    /** Blob indexes ({@code index/}). */
    INDEX,
    /** Packs of blobs, or whole entries in the single-object layout. */
    DATA,
    /**
     * Packs of directory listings ({@code tree/}): read by every backup (to compare with the parent), by listing and by
     * prune, so keep them as readily readable as {@link #INDEX}; never archive them with {@link #DATA}.
     */
    TREE,
    /** Short-lived locks and leases ({@code locks/}, the scheduler's {@code jobs/.../lease-*}). */
    LOCK,
    /**
     * Records the jobs layer keeps about runs: the scheduler's run records ({@code jobs/<job>/<slot>/done}). Not
     * snapshots: they are deleted by count (the newest few hundred per job are kept), so a Sink that protects data
     * with retention (S3 Object Lock) writes them without it.
     */
    RECORD,
    /**
     * Copies of audit log lines ({@code audit/}). Evidence, not backup data: a Sink that protects objects with retention
     * keeps them under it (a rewritten audit file is caught by copies nobody can change), and nothing deletes them.
     */
    AUDIT,
    /**
     * Archived PostgreSQL WAL files ({@code wal/}: segments, timeline history files, backup history files), one object
     * per file. Read by every point-in-time restore, in order, so never archive them to a class that must be restored
     * before it is read; a Sink that protects data with retention keeps them under it, like {@link #DATA}.
     */
    WAL
}
