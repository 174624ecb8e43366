package com.mintreplica.backup.core.source;

import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * One read of a {@link Source}: its entries, one at a time, then the facts the Source wants recorded in the manifest.
 * Not thread-safe: the pipeline calls it from one thread.
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
