package com.mintreplica.backup.core.internal;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The union of a repository's index objects: where each blob is, and which index objects it came from. */
public final class BlobIndex {
    private final Map<BlobId, BlobLocation> locations = new HashMap<>();
    private final Set<String> indexObjects = new HashSet<>();

    public synchronized void add(String indexObject, List<IndexFile.PackBlobs> packs) {
        indexObjects.add(indexObject);
        for (IndexFile.PackBlobs p : packs) {
            for (Packs.PackedBlob b : p.blobs()) {
                locations.putIfAbsent(b.id(), b.location());
            }
        }
    }

    public synchronized Optional<BlobLocation> find(BlobId id) {
        return Optional.ofNullable(locations.get(id));
    }

    public synchronized boolean contains(BlobId id) {
        return locations.containsKey(id);
    }

    public synchronized Set<BlobId> blobIds() {
        return Set.copyOf(locations.keySet());
    }

    public synchronized Map<BlobId, BlobLocation> locations() {
        return Collections.unmodifiableMap(new HashMap<>(locations));
    }

    public synchronized Set<String> indexObjects() {
        return Set.copyOf(indexObjects);
    }

    public synchronized int size() {
        return locations.size();
    }
}
