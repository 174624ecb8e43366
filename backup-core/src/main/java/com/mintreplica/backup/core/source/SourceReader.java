package com.mintreplica.backup.core.source;

import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * One read of a {@link Source}: its entries, one at a time, then the facts the Source wants recorded in the manifest.
 * Not thread-safe: the pipeline calls it from one thread.
 *
 * <p>Entries come in restore order, as a depth-first walk of a tree would give them:
 * <ul>
 *   <li>a directory entry comes before the entries below it;</li>
 *   <li>the entries below a directory come together: once an entry outside a directory follows entries inside it,
 *       no later entry lies inside it (a snapshot is stored as one listing per directory, written when the backup
 *       leaves the directory, so memory does not grow with the number of entries);</li>
 *   <li>the directories above an entry need not be entries themselves: a Source may name {@code mydb/orders.bson}
 *       without a {@code mydb} entry, or a single {@code shop.dump}; such directories are implicit, neither listed
 *       nor restored;</li>
 *   <li>a path comes once, and a path below a non-directory (a file, a symlink) never comes;</li>
 *   <li>within a directory, entries keep the order they came in: a restore hands them to the target in that order.</li>
 * </ul>
 * A backup of a reader that breaks this order fails with a message naming the entry. {@code SourceContract}
 * (backup-testkit) checks it.
 */
public interface SourceReader extends Closeable {

    /**
     * The next entry, or empty after the last one. The content of the previous entry is no longer read once this is
     * called.
     */
    Optional<SourceEntry> next() throws IOException;

    /**
     * Facts for the manifest (server version, row counts per table), known after the last entry. Keys are dotted
     * names such as {@code postgresql.rows.public.accounts}; values are never secrets.
     */
    default Map<String, String> facts() {
        return Map.of();
    }
}
