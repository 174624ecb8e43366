package com.mintreplica.backup.core;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Repository#repairSnapshots} found and did (or, in a dry run, would do).
 *
 * @param dryRun whether nothing was changed
 * @param repaired the snapshots that lost data, each with the new snapshot written beside it
 * @param intact the ids of the snapshots checked whose data is all there
 * @param unreadable the snapshots whose manifest cannot be read: nothing of them can be saved
 * @param forgotten the ids of the damaged snapshots removed (with {@code forget}), after their repaired copy was
 *     written
 * @param duration how long it took
 */
public record SnapshotRepairReport(boolean dryRun, List<Repaired> repaired, List<String> intact,
                                   List<DamagedSnapshot> unreadable, List<String> forgotten, Duration duration) {
    public SnapshotRepairReport {
        repaired = List.copyOf(repaired);
        intact = List.copyOf(intact);
        unreadable = List.copyOf(unreadable);
        forgotten = List.copyOf(forgotten);
    }

    /**
     * One damaged snapshot and its repaired copy.
     *
     * @param original the damaged snapshot's id; it stays unless {@code forget} was asked for
     * @param replacement the new snapshot's id (empty in a dry run): same time (a millisecond later, so that it sorts
     *     right after the original and {@code latest} picks it), host, source, job and tags, plus the
     *     tag {@value Repository#REPAIRED_TAG}, and every entry whose data is all there
     * @param entriesKept how many entries the new snapshot holds
     * @param lost the entries left out, each with why
     * @param earlier whether {@code replacement} is the copy an earlier repair wrote (none is written again)
     */
    public record Repaired(String original, Optional<String> replacement, long entriesKept, List<LostEntry> lost,
                           boolean earlier) {
        public Repaired {
            lost = List.copyOf(lost);
        }

        /** A repair whose copy this run wrote (or, in a dry run, would write). */
        public Repaired(String original, Optional<String> replacement, long entriesKept, List<LostEntry> lost) {
            this(original, replacement, entriesKept, lost, false);
        }
    }

    /**
     * An entry whose data is gone.
     *
     * @param path the entry's path in the snapshot
     * @param reason what is missing, e.g. {@code pack 'data/3f/3fa2...' is missing}
     */
    public record LostEntry(String path, String reason) {
    }
}
