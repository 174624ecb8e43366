package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;

/**
 * Every read of an object failed its check, with different bytes each time: the data was damaged on the way from the
 * store, which may hold it intact. Not a {@link com.mintreplica.backup.core.CorruptDataException}: nothing stored is
 * known to be damaged, and the same operation may well succeed when run again.
 */
public final class TransitDamageException extends BackupException {
    private static final long serialVersionUID = 1L;

    public TransitDamageException(String message, Throwable cause) {
        super(message, cause);
    }
}
