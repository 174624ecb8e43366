package com.mintreplica.backup.core;

/**
 * The state of the repository does not allow the operation now: an object already exists, a lock is held by another process.
 */
public class ConflictException extends BackupException {
    private static final long serialVersionUID = 1L;

    public ConflictException(String message) {
        super(message);
    }

    public ConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
