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

    /**
     * Whether later entries of this backup may name this one as their {@link Entry#hardLinkTo()} (a file with several
     * links): the pipeline then remembers its content ids, so a link takes them without reading the file again. It
     * remembers nothing of other entries, so its memory does not grow with the entries; a link to an entry that did
     * not say so has its own content read (the same blobs, deduplicated). Default false.
     */
    default boolean mayBeHardLinked() {
        return false;
    }

    /** A source entry without content (a directory or a symlink), or with content from a supplier. */
    static SourceEntry of(Entry entry, ContentSupplier content) {
        return of(entry, content, false);
    }

    /** Like {@link #of(Entry, ContentSupplier)}, saying whether later entries may be hard links to this one. */
    static SourceEntry of(Entry entry, ContentSupplier content, boolean mayBeHardLinked) {
        return new SourceEntry() {
            @Override
            public boolean mayBeHardLinked() {
                return mayBeHardLinked;
            }

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
