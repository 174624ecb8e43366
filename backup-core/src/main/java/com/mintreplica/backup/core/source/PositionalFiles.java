package com.mintreplica.backup.core.source;

import java.io.IOException;

/**
 * A {@link RestoreTarget} that can take a regular file's content in pieces, at their offsets, in any order and from
 * several threads (a directory of files can; a database stream cannot). A restore into such a target reads the
 * repository's packs in order, each once for the whole restore, and writes every blob to every file and offset that needs it, from several
 * threads, instead of streaming each file's content in turn: see {@link RestoreTarget#positionalFiles()}.
 *
 * <p>Order: {@link #open} is called on the restore's thread, in place of {@link RestoreTarget#write} for the regular
 * entries whose content comes in pieces, in the order their first pieces are read (the order of the repository's
 * packs, not the snapshot's), after every entry of the snapshot without content (directories, links, devices) was
 * written, so every directory above a file exists when it is opened. An entry with no content at all is opened and
 * completed during the walk, in snapshot order. The pieces, then {@link Content#complete} or {@link Content#discard},
 * come from other threads, interleaved with later {@code open} calls. Hard links are handed to {@code write} after
 * every file in pieces is complete. Every opened file is completed or discarded before {@link RestoreTarget#finish};
 * after a failure {@link RestoreTarget#abort} may come while pieces are still being written, and then removes what is
 * not complete.
 */
public interface PositionalFiles {

    /**
     * Starts restoring the regular file {@code entry}, whose content is {@code length} bytes.
     *
     * @return where its pieces go
     */
    Content open(Entry entry, long length) throws IOException;

    /**
     * The regular file already where {@code entry} goes, when the target has one of exactly {@code length} bytes that
     * the restore may keep if its content is the snapshot's: a restore over an earlier restore (or over the tree that
     * was backed up) then reads and writes only the files that changed, as restic's does since 0.17. Called on the
     * restore's thread while it walks the snapshot, before any file is {@linkplain #open opened}; the restore reads the
     * file, checks each piece against its blob's id, and calls {@link Existing#keep} (from another thread) when every
     * piece matches, or {@link Existing#close} and later {@link #open} when one does not. The default (a target that
     * does not look) is empty: every file is written.
     */
    default java.util.Optional<Existing> existing(Entry entry, long length) throws IOException {
        return java.util.Optional.empty();
    }

    /** A file already in the target, read to compare its content with the snapshot's. */
    interface Existing extends java.io.Closeable {

        /** Reads up to {@code len} bytes at {@code offset} of the file into {@code bytes}; the number read, or -1 at its end. */
        int read(long offset, byte[] bytes, int off, int len) throws IOException;

        /**
         * Its content is the snapshot's: close it and give it the entry's metadata (owner, mode, extended attributes,
         * times) where it is, as a restored file gets them. Nothing else is called for this file.
         */
        void keep() throws IOException;
    }

    /** One file being restored in pieces. */
    interface Content {

        /**
         * Writes {@code len} bytes of {@code bytes}, from {@code off}, at {@code offset} in the file. Each range of
         * the file is written once; calls for one file may come from several threads at once. The bytes were checked
         * against their blob's id. They are the caller's again once the call returns (the restore reuses the array for
         * other blobs): keep a copy, not {@code bytes}.
         */
        void write(long offset, byte[] bytes, int off, int len) throws IOException;

        /**
         * Every piece was written and checked: apply the entry's metadata and publish the file under its name. Called
         * once, after every {@link #write} of the file returned.
         */
        void complete() throws IOException;

        /**
         * The content cannot be restored (a blob of it is damaged): remove what was written, publish nothing. Called
         * at most once instead of {@link #complete}, after every {@link #write} of the file returned.
         */
        void discard();
    }
}
