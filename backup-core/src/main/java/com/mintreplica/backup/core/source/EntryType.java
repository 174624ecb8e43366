package com.mintreplica.backup.core.source;

/**
 * The kinds of entries a snapshot holds. Sources other than file trees only use the first three. Sockets are never
 * stored: the program that listens on one makes it.
 */
public enum EntryType {
    /** Content: a file, a database dump, a collection's documents. */
    REGULAR,
    /** A directory; it has no content and is restored even when empty. */
    DIRECTORY,
    /** A symbolic link, stored as its target (never followed). */
    SYMLINK,
    /** A named pipe (FIFO); no content. */
    FIFO,
    /** A character device node, with its {@linkplain Entry#device() device number}; restored only by root. */
    CHAR_DEVICE,
    /** A block device node, with its {@linkplain Entry#device() device number}; restored only by root. */
    BLOCK_DEVICE
}
