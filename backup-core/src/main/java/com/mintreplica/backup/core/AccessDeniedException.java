package com.mintreplica.backup.core;

/**
 * The caller may not do this: a file cannot be read, a key does not open the repository, credentials were refused.
 */
public class AccessDeniedException extends BackupException {
    private static final long serialVersionUID = 1L;

    public AccessDeniedException(String message) {
        super(message);
    }

    public AccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isCallerError() {
        return true;
    }
}
