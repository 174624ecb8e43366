package com.mintreplica.backup.core.sink;

/**
 * What an object is to the repository, so a Sink can store kinds differently (for example data in an infrequent-access
 * class while what the repository must read at every start stays instantly readable).
 */
public enum ObjectKind {
    /** The repository's {@code config}. */
    CONFIG,
    /** Wrapped data keys ({@code keys/}). */
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
    /** Short-lived locks and leases ({@code locks/}). */
    LOCK
}
