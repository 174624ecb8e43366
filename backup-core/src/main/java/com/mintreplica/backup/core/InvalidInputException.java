package com.mintreplica.backup.core;

/**
 * An argument, a path or a configuration value is not valid. The message says which and what is expected.
 */
public class InvalidInputException extends BackupException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isCallerError() {
        return true;
    }
}
