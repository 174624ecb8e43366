package com.mintreplica.backup.core.sink;

/** What a {@link Sink} can do beyond put, get, stat, list and delete. */
public enum SinkCapability {
    /** {@link Sink#putIfAbsent} is atomic: of two concurrent creates of one name exactly one wins. */
    ATOMIC_CREATE,
    /** The store keeps earlier versions of overwritten and deleted objects. */
    VERSIONING,
    /** Objects can be stored in different storage classes per {@link ObjectKind}. */
    STORAGE_CLASSES,
    /** Objects can be made immutable for a retention period (Object Lock, bucket retention). */
    IMMUTABILITY,
    /** The store encrypts objects at rest with keys it manages. */
    SERVER_SIDE_ENCRYPTION,
    /**
     * A ranged read is a read of a local file, not a request to a service, so a restore may read one pack with several
     * ranged reads at once. Without it, a restore reads the blobs it needs from one pack through one ranged read that
     * runs on from run to run of them: each request to a remote store costs a round trip and is billed.
     */
    LOCAL_READS
}
