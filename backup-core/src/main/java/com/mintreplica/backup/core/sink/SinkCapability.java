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
    SERVER_SIDE_ENCRYPTION
}
