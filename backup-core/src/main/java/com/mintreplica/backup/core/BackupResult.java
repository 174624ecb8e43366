package com.mintreplica.backup.core;

import java.time.Duration;
import java.util.List;

/**
 * What a backup did.
 *
 * @param snapshot the committed snapshot
 * @param duration how long the whole run took, retention included
 * @param forgotten the snapshots the retention policy removed afterwards (empty without a policy)
 */
public record BackupResult(Snapshot snapshot, Duration duration, List<Snapshot> forgotten) {
    /** The snapshot fact that counts the entries a backup left out ({@link #entriesLeftOut()}). */
    public static final String LEFT_OUT_FACT = "backup.leftOut";

    public BackupResult {
        forgotten = List.copyOf(forgotten);
    }

    /** The new snapshot's id. */
    public String snapshotId() {
        return snapshot.id();
    }

    public long entries() {
        return snapshot.stats().entries();
    }

    /** Content bytes read from the source. */
    public long bytesRead() {
        return snapshot.stats().bytesRead();
    }

    /** Content bytes that were new to the repository (before compression). */
    public long bytesNew() {
        return snapshot.stats().bytesNew();
    }

    /**
     * Entries the snapshot leaves out because they could not be read (each one a warning of the snapshot): a backup
     * that is saved but incomplete. The CLI exits 3 then, as restic does.
     */
    public long entriesLeftOut() {
        String n = snapshot.facts().get(LEFT_OUT_FACT);
        return n == null ? 0 : Long.parseLong(n);
    }

    /** Bytes written to the Sink (after compression, with metadata). */
    public long bytesStored() {
        return snapshot.stats().bytesStored();
    }
}
