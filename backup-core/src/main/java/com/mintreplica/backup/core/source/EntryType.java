package com.mintreplica.backup.core.source;

/** The kinds of entries a snapshot holds. */
public enum EntryType {
    /** Content: a file, a database dump, a collection's documents. */
    REGULAR,
    /** A directory; it has no content and is restored even when empty. */
    DIRECTORY,
    /** A symbolic link, stored as its target (never followed). */
    SYMLINK
}
