package com.mintreplica.backup.core.source;

import com.mintreplica.backup.core.Layout;
import java.time.Clock;

/** What a {@link Source} may use while it is read. */
public interface BackupContext {

    /** The clock of the backup, so sources run on a fake clock in tests. */
    Clock clock();

    /**
     * Records a problem that does not fail the backup, such as a file that changed or vanished while it was read. It
     * is kept in the snapshot's manifest and shown by the CLI.
     */
    void warn(String path, String message);

    /**
     * Records, as {@link #warn} does, an entry the snapshot leaves out because it could not be read (permission
     * denied, an I/O error, vanished): the backup is saved without it but is incomplete, which the snapshot's fact
     * {@code backup.leftOut} counts and the CLI's exit status 3 says (restic's), so that a cron job notices.
     */
    default void leftOut(String path, String message) {
        warn(path, message);
    }

    /**
     * The layout of the repository the backup goes to. A Source that can compress its own output (pg_dump, mongodump)
     * leaves it uncompressed for a {@link Layout#CHUNKED} repository: chunks deduplicate only where unchanged data
     * gives unchanged bytes, and the pipeline compresses each chunk anyway. Contexts that do not know say CHUNKED.
     */
    default Layout layout() {
        return Layout.CHUNKED;
    }
}
