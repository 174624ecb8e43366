package com.mintreplica.backup.core;

/**
 * Stored data does not match what was written: a checksum or authentication tag failed, an object is truncated or a referenced object is missing. Never ignored: no corrupt data is restored.
 */
public class CorruptDataException extends BackupException {
    private static final long serialVersionUID = 1L;

    public CorruptDataException(String message) {
        super(message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
