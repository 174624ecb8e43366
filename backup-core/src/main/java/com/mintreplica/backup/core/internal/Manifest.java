package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot object ({@code snapshots/<id>}): the summary, and where the entries are. Writing it is the commit point of
 * a backup.
 *
 * <p>Since format version 3 the entries are a tree of tree blobs ({@link TreeFormat}) and the object names only the
 * root ({@link #tree()}), so it stays small whatever the snapshot holds and nothing needs all entries in memory.
 * Snapshots of versions 1 and 2 list every entry in the object itself ({@link #items()}); they are still read, and
 * {@link SnapshotWalker} walks both kinds alike.
 *
 * @param items the entries of a flat (version 1 or 2) snapshot; empty for a tree snapshot
 * @param tree the root tree blob of a tree snapshot
 */
public record Manifest(Snapshot snapshot, Layout layout, List<Item> items, Optional<BlobId> tree) {

    public static final String PREFIX = "snapshots/";

    public Manifest {
        items = List.copyOf(items);
        if (tree.isPresent() && !items.isEmpty()) {
            throw new IllegalArgumentException("a tree snapshot lists no entries itself");
        }
    }

    /** A flat snapshot: every entry listed in the object (formats 1 and 2; copies of such snapshots). */
    public Manifest(Snapshot snapshot, Layout layout, List<Item> items) {
        this(snapshot, layout, items, Optional.empty());
    }

    /** A tree snapshot whose entries hang from the tree blob {@code root}. */
    public static Manifest ofTree(Snapshot snapshot, Layout layout, BlobId root) {
        return new Manifest(snapshot, layout, List.of(), Optional.of(root));
    }

    public boolean isTree() {
        return tree.isPresent();
    }

    public static String objectName(String snapshotId) {
        return PREFIX + snapshotId;
    }

    /**
     * One entry and its content.
     *
     * @param entry the metadata
     * @param size the content size actually stored (0 for non-regular entries)
     * @param blobs in the chunked layout, the content's chunks in order
     * @param object in the single-object layout, the object holding the encoded content
     * @param sha256 in the single-object layout, the SHA-256 of the plaintext content (hex)
     */
    public record Item(Entry entry, long size, List<BlobId> blobs, Optional<String> object, Optional<String> sha256) {
        public Item {
            blobs = List.copyOf(blobs);
        }

        public static Item chunked(Entry entry, long size, List<BlobId> blobs) {
            return new Item(entry, size, blobs, Optional.empty(), Optional.empty());
        }

        public static Item single(Entry entry, long size, String object, String sha256) {
            return new Item(entry, size, List.of(), Optional.of(object), Optional.of(sha256));
        }

        public static Item noContent(Entry entry) {
            return new Item(entry, 0, List.of(), Optional.empty(), Optional.empty());
        }

        /** The same content under other metadata (a copy that maps ids keeps the entry, and the other way round). */
        public Item withBlobs(List<BlobId> mapped) {
            return new Item(entry, size, mapped, object, sha256);
        }
    }
}
