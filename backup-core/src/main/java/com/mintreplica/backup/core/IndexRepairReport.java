package com.mintreplica.backup.core;

import java.time.Duration;
import java.util.List;

/**
 * What {@link Repository#repairIndex} found and did (or, in a dry run, would do).
 *
 * @param dryRun whether nothing was changed
 * @param packsIndexed how many stored packs the new index lists
 * @param packsAdded packs no readable index object listed, now indexed from their headers
 * @param packsDropped packs an index object listed that are not stored (their blobs are gone; `repair snapshots`
 *     then writes snapshots without the entries that need them)
 * @param headersRead how many pack headers were read
 * @param damagedPacks stored packs whose header cannot be read, with the problem: indexed only as an index object
 *     lists them (that listing is kept), otherwise not
 * @param damagedIndexObjects index objects that could not be read, with the problem: they are replaced
 * @param indexObjectsWritten index objects written
 * @param indexObjectsDeleted old index objects deleted (after the new ones were written)
 * @param duration how long it took
 * @param damagedBlobs with {@code readData}: blobs damaged in the store, left out of the new index (the next backup
 *     of a source that still has their content stores them again; {@code repair snapshots} saves the rest)
 */
public record IndexRepairReport(boolean dryRun, long packsIndexed, List<String> packsAdded, List<String> packsDropped,
                                long headersRead, List<VerifyReport.Problem> damagedPacks,
                                List<VerifyReport.Problem> damagedIndexObjects, long indexObjectsWritten,
                                long indexObjectsDeleted, Duration duration, List<VerifyReport.Problem> damagedBlobs) {
    public IndexRepairReport {
        damagedBlobs = List.copyOf(damagedBlobs);
        packsAdded = List.copyOf(packsAdded);
        packsDropped = List.copyOf(packsDropped);
        damagedPacks = List.copyOf(damagedPacks);
        damagedIndexObjects = List.copyOf(damagedIndexObjects);
    }

    /** Whether the index already matched the stored packs: nothing to change. */
    public boolean unchanged() {
        return indexObjectsWritten == 0 && indexObjectsDeleted == 0;
    }
}
