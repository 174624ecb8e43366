package com.mintreplica.backup.core;

import java.util.List;

/**
 * The snapshots of a repository as one listing found them: those whose manifest reads (oldest first), and those whose
 * manifest is damaged (by id). A damaged manifest affects only its own snapshot.
 *
 * @param snapshots the readable snapshots, oldest first
 * @param damaged the snapshots whose manifest cannot be read, by id
 */
public record SnapshotListing(List<Snapshot> snapshots, List<DamagedSnapshot> damaged) {
    public SnapshotListing {
        snapshots = List.copyOf(snapshots);
        damaged = List.copyOf(damaged);
    }
}
