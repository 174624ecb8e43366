package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.BackupException;

/**
 * A MongoDB restore ran to the end, but its checks failed: a collection's document count differs from what the
 * snapshot recorded, an index could not be built, or the server refused documents. The {@linkplain #report() report}
 * says which collection and by how much.
 */
public class MongoCheckException extends BackupException {
    private static final long serialVersionUID = 1L;

    private final transient MongoRestoreReport report;

    public MongoCheckException(String message, MongoRestoreReport report) {
        super(message);
        this.report = report;
    }

    /** The per-collection checks. */
    public MongoRestoreReport report() {
        return report;
    }
}
