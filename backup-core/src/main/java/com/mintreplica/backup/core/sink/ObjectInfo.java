package com.mintreplica.backup.core.sink;

import java.time.Instant;
import java.util.Objects;

/**
 * What a Sink knows of one stored object.
 *
 * @param name the object's full name
 * @param size its size in bytes
 * @param lastModified when it was stored
 */
public record ObjectInfo(String name, long size, Instant lastModified) {
    public ObjectInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(lastModified, "lastModified");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0: " + size);
        }
    }
}
