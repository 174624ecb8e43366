package com.mintreplica.backup.core.source;

import java.io.IOException;
import java.io.InputStream;

/**
 * The restore side of a {@link Source}: rebuilds a directory tree, a database, ... from a snapshot's entries. A target
 * may also only check entries without writing anything (pg_restore --list): a restore that rebuilds nothing is a
 * verification.
 *
 * <p>Calls come in this order from one thread: {@link #begin} once, {@link #write} for each selected entry in snapshot
 * order (a directory before what it holds), then {@link #finish} if every write succeeded, or {@link #abort} after a
 * failure. Content streams check every block against its hash and throw
 * {@link com.mintreplica.backup.core.CorruptDataException} before handing over corrupt bytes; a target should write
 * to a temporary name and publish only complete content, so a failed restore leaves nothing corrupt behind.
 */
public interface RestoreTarget {

    /** Prepares the target; {@code context} says which snapshot is restored and what its Source recorded. */
    void begin(RestoreContext context) throws IOException;

    /**
     * Restores one entry. {@code content} is the entry's content for a regular entry (read it to the end; do not close
     * it) and empty for others.
     */
    void write(Entry entry, InputStream content) throws IOException;

    /** Completes the restore: directory times, deletion of extra files, checks against recorded facts. */
    void finish() throws IOException;

    /** Cleans up after a failed restore. The default does nothing. */
    default void abort(Exception cause) {
    }
}
