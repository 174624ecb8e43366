package com.mintreplica.backup.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

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
 *
 * <p>A target that can write files at offsets from several threads says so through {@link #positionalFiles()}: its
 * regular files then come through {@link PositionalFiles} instead of {@link #write}, in the order of the repository's
 * packs (see there for the order of calls).
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

    /**
     * The target's writer of files in pieces, when it has one (a directory tree): a restore then reads each pack of the
     * repository once, in order, and writes each blob wherever it is needed, from several threads. The default is
     * empty: every entry's content is streamed to {@link #write} in snapshot order (a database restore).
     */
    default Optional<PositionalFiles> positionalFiles() {
        return Optional.empty();
    }

    /**
     * A dry run ({@code restore --dry-run}): told, in snapshot order and without content, every entry a restore would
     * write, the target changes nothing and tells {@code wouldRemove} each path it would remove that the snapshot does
     * not have (a mirror's deletions), as it would name it. Called instead of {@link #begin}, {@link #write} and
     * {@link #finish}. The default reads the entries and removes nothing.
     */
    default void plan(RestoreContext context, java.util.Iterator<Entry> entries,
                      java.util.function.Consumer<String> wouldRemove) throws IOException {
        while (entries.hasNext()) {
            entries.next();
        }
    }

    /** Cleans up after a failed restore. The default does nothing. */
    default void abort(Exception cause) {
    }
}
