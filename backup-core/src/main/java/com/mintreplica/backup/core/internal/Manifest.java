package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot manifest ({@code snapshots/<id>}): the summary, then every entry with where its content is. Writing it is
 * the commit point of a backup.
 */
public record Manifest(Snapshot snapshot, Layout layout, List<Item> items) {

    public static final String PREFIX = "snapshots/";

    public Manifest {
        items = List.copyOf(items);
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
    }
}
