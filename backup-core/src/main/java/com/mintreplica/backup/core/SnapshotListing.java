package com.mintreplica.backup.core;

import java.util.List;

/**
 * The snapshots of a repository as one listing found them: those whose manifest reads (oldest first), and those whose
 * manifest is damaged (by id). A damaged manifest affects only its own snapshot.
 *
 * @param snapshots the readable snapshots, oldest first
 * @param damaged the snapshots whose manifest cannot be read, by id
 * @param untrusted the snapshots whose manifest is authentic but not trusted by the keys, oldest first (see
 *     {@link Repository#untrustedSnapshots()}); they are not among {@code snapshots}
 */
public record SnapshotListing(List<Snapshot> snapshots, List<DamagedSnapshot> damaged, List<UntrustedSnapshot> untrusted) {
    public SnapshotListing {
        snapshots = List.copyOf(snapshots);
        damaged = List.copyOf(damaged);
        untrusted = List.copyOf(untrusted);
    }

    /** A listing in which no snapshot is untrusted. */
    public SnapshotListing(List<Snapshot> snapshots, List<DamagedSnapshot> damaged) {
        this(snapshots, damaged, List.of());
    }
}
