package com.mintreplica.backup.core;

/**
 * The root of mint-backup's unchecked exceptions. Every message names the object, snapshot, path or key at fault and,
 * where there is one, what to do about it.
 *
 * <p>Callers that want to tell failures apart catch one of the subclasses: {@link NotFoundException},
 * {@link CorruptDataException}, {@link AccessDeniedException}, {@link ConflictException},
 * {@link UnsupportedException} and {@link InvalidInputException}. Anything else is an operational failure (an I/O
 * error of a Sink, a tool that exited with an error, ...).
 */
public class BackupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether the failure is caused by what the caller asked for (a missing repository, an unknown snapshot, a bad
     * argument) rather than by the operation itself. The CLI exits with 2 for these and with 1 for the rest.
     */
    public boolean isCallerError() {
        return false;
    }
}
