package com.mintreplica.backup.core.internal;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The union of a repository's index objects: where each blob is, and which index objects it came from. A writer (write-
 * only keys) knows only which blobs exist, from the id parts of index objects, not where they are.
 */
public final class BlobIndex {
    private final Map<BlobId, BlobLocation> locations = new HashMap<>();
    private final Set<BlobId> idsOnly = new HashSet<>();
    private final Set<String> indexObjects = new HashSet<>();

    public synchronized void add(String indexObject, List<IndexFile.PackBlobs> packs) {
        indexObjects.add(indexObject);
        for (IndexFile.PackBlobs p : packs) {
            for (Packs.PackedBlob b : p.blobs()) {
                locations.putIfAbsent(b.id(), b.location());
            }
        }
    }

    /** Adds the blob ids of an index object whose locations these keys cannot read. */
    public synchronized void addIds(String indexObject, java.util.Collection<BlobId> ids) {
        indexObjects.add(indexObject);
        idsOnly.addAll(ids);
    }

    public synchronized Optional<BlobLocation> find(BlobId id) {
        return Optional.ofNullable(locations.get(id));
    }

    public synchronized boolean contains(BlobId id) {
        return locations.containsKey(id) || idsOnly.contains(id);
    }

    public synchronized Set<BlobId> blobIds() {
        if (idsOnly.isEmpty()) {
            return Set.copyOf(locations.keySet());
        }
        Set<BlobId> all = new HashSet<>(idsOnly);
        all.addAll(locations.keySet());
        return all;
    }

    public synchronized Map<BlobId, BlobLocation> locations() {
        return Collections.unmodifiableMap(new HashMap<>(locations));
    }

    public synchronized Set<String> indexObjects() {
        return Set.copyOf(indexObjects);
    }

    public synchronized int size() {
        if (idsOnly.isEmpty()) {
            return locations.size();
        }
        Set<BlobId> all = new HashSet<>(idsOnly);
        all.addAll(locations.keySet());
        return all.size();
    }
}
