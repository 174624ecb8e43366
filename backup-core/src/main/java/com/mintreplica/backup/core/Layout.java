package com.mintreplica.backup.core;

/** How a repository stores entry content. */
public enum Layout {
    /**
     * Content-defined chunks, each stored once in packs: unchanged data costs nothing in later backups. The default.
     */
    CHUNKED,
    /**
     * One object per entry, the transformer chain over the whole stream: every stored object is a standard file that
     * {@code zstd -d} (and {@code gpg --decrypt}) opens without this library. No deduplication.
     */
    SINGLE
}
