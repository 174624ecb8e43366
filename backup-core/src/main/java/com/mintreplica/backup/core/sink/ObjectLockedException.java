package com.mintreplica.backup.core.sink;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * Thrown by {@link Sink#delete} when the store refuses to delete an object because it is immutable for now: under an
 * S3 Object Lock retention period or legal hold, a GCS bucket retention policy, or an event-based or temporary hold.
 *
 * <p>This is not a failure of the repository: the object is protected on purpose. A prune that meets it should leave
 * the object in place, report it (with {@link #retainUntil()} when known) and go on with the other objects; a later
 * prune, after the retention ends, removes it.
 */
public class ObjectLockedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String objectName;
    private final transient Optional<Instant> retainUntil;

    /**
     * @param objectName the object the store refused to delete
     * @param retainUntil when its retention ends, when the store says so
     * @param message what the store said and what to do
     */
    public ObjectLockedException(String objectName, Optional<Instant> retainUntil, String message) {
        super(message);
        this.objectName = objectName;
        this.retainUntil = retainUntil == null ? Optional.empty() : retainUntil;
    }

    /** The name of the protected object. */
    public String objectName() {
        return objectName;
    }

    /** When the object's retention ends, if the store told; empty for holds, which have no end date. */
    public Optional<Instant> retainUntil() {
        return retainUntil == null ? Optional.empty() : retainUntil;
    }
}
