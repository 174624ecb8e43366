package com.mintreplica.backup.core;

import com.mintreplica.backup.core.source.Entry;

/**
 * What changed from one snapshot to another ({@link Repository#diff}), as restic's {@code diff} says it.
 *
 * @param added entries only the newer snapshot has
 * @param removed entries only the older snapshot has
 * @param changed entries both have whose content, type or metadata differ
 * @param bytesAdded the content bytes of the added regular files and, of a changed one, of the pieces it did not
 *                   have before (its whole content in a single-object repository)
 * @param bytesRemoved the content bytes of the removed regular files and, of a changed one, of the pieces it no
 *                     longer has (between snapshots of the first, flat format: added and removed files only)
 */
public record SnapshotDiff(long added, long removed, long changed, long bytesAdded, long bytesRemoved) {

    /** How an entry changed. */
    public enum Kind {
        /** Only in the newer snapshot ({@code +}). */
        ADDED("+"),
        /** Only in the older snapshot ({@code -}). */
        REMOVED("-"),
        /** The content differs ({@code M}). */
        CONTENT("M"),
        /** The type differs, a file that became a link or a directory ({@code T}). */
        TYPE("T"),
        /** Only metadata differ: mode, owner, times, attributes ({@code U}). Access times do not count. */
        METADATA("U");

        private final String mark;

        Kind(String mark) {
            this.mark = mark;
        }

        /** The one-character mark restic's {@code diff} prints. */
        public String mark() {
            return mark;
        }
    }

    /**
     * One entry that changed.
     *
     * @param kind how
     * @param entry the entry as the newer snapshot has it (the older one's, when removed)
     */
    public record Change(Kind kind, Entry entry) {
    }
}
