package com.mintreplica.backup.core;

/**
 * Something needed is not available: a repository format newer than this version, a Sink that lacks a capability, a missing module for a URI scheme or transformer.
 */
public class UnsupportedException extends BackupException {
    private static final long serialVersionUID = 1L;

    public UnsupportedException(String message) {
        super(message);
    }

    public UnsupportedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isCallerError() {
        return true;
    }
}
