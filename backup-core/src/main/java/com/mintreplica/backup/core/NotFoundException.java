package com.mintreplica.backup.core;

/**
 * Something the caller named does not exist: a repository, a snapshot, an entry, an object.
 */
public class NotFoundException extends BackupException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }

    public NotFoundException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isCallerError() {
        return true;
    }
}
