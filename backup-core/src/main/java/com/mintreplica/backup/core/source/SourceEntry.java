package com.mintreplica.backup.core.source;

import java.io.IOException;
import java.io.InputStream;

/** An entry being backed up: its metadata and, for a regular entry, a way to read its content. */
public interface SourceEntry {

    /** The entry's metadata. */
    Entry entry();

    /**
     * Opens the content of a regular entry; the caller reads it to the end and closes it. Called at most once, and not
     * at all when the pipeline reuses the parent snapshot's content (see {@link Entry#changeToken()}).
     *
     * @throws java.nio.file.NoSuchFileException when the entry vanished since it was listed: the pipeline records a
     *     warning and leaves the entry out instead of failing
     */
    InputStream openContent() throws IOException;

    /** A source entry without content (a directory or a symlink), or with content from a supplier. */
    static SourceEntry of(Entry entry, ContentSupplier content) {
        return new SourceEntry() {
            @Override
            public Entry entry() {
                return entry;
            }

            @Override
            public InputStream openContent() throws IOException {
                return content.open();
            }
        };
    }

    /** Opens content on demand. */
    @FunctionalInterface
    interface ContentSupplier {
        InputStream open() throws IOException;
    }
}
