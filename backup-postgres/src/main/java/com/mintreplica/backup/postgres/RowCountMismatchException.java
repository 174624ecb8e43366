package com.mintreplica.backup.postgres;

import com.mintreplica.backup.core.CorruptDataException;

/**
 * A restored database does not hold the rows the backup counted: the restore failed its check. The message is the
 * table-by-table report; {@link #check()} has it as data.
 */
public class RowCountMismatchException extends CorruptDataException {
    private static final long serialVersionUID = 1L;

    private final transient RowCountCheck check;

    public RowCountMismatchException(RowCountCheck check, String outcome) {
        super("row counts after the restore differ from the backup's: " + check.report() + "\n" + outcome);
        this.check = check;
    }

    /** The comparison, table by table. */
    public RowCountCheck check() {
        return check;
    }
}
