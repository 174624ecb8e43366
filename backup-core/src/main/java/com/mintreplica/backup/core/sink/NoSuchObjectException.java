package com.mintreplica.backup.core.sink;

import java.io.IOException;

/** Thrown by a {@link Sink} when the object it was asked for does not exist. */
public class NoSuchObjectException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String objectName;

    public NoSuchObjectException(String objectName, String message) {
        super(message);
        this.objectName = objectName;
    }

    /** The name of the missing object. */
    public String objectName() {
        return objectName;
    }
}
