package com.mintreplica.backup.core;

import com.mintreplica.backup.core.retention.GroupBy;
import com.mintreplica.backup.core.retention.RetentionDecision;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link Prune} did, or with {@link #dryRun()} would do.
 *
 * @param dryRun whether nothing was changed
 * @param groups per group of snapshots, what the policy kept (with reasons) and removed; empty without a policy
 * @param packsDeleted packs deleted because no remaining snapshot uses any of their blobs (or another pack holds
 *     them), repacked packs not counted
 * @param packsRepacked packs whose used blobs were copied into new packs before they were deleted
 * @param packsWritten new packs written by repacking
 * @param unindexedPacksDeleted packs that no index lists (left by interrupted backups or prunes), older than the grace
 *     period, deleted
 * @param unindexedPacksKept packs that no index lists but are younger than the grace period: a running backup may
 *     still need them, so they wait for a later prune
 * @param indexObjectsWritten index objects written by consolidating the index
 * @param indexObjectsDeleted index objects replaced by the consolidated ones
 * @param objectsDeleted whole-entry objects of the single-object layout deleted
 * @param staleLocksRemoved locks of processes that are gone, removed
 * @param bytesDeleted stored bytes deleted (manifests, packs, index objects, objects)
 * @param bytesWritten stored bytes written (new packs and index objects); estimated on a dry run
 * @param unusedBytesLeft bytes of unused blobs left in packs that were kept because repacking them would cost more
 *     than it frees (see {@link Prune#maxUnused})
 * @param retainedObjects objects the store refused to delete because of a retention period or a legal hold (S3 Object
 *     Lock, GCS retention policies and holds): kept, and deleted by a later prune once the store allows it. A
 *     snapshot whose manifest is retained is not removed, and its data stays.
 * @param duration how long it took
 * @param untrusted the snapshots the keys do not trust (a revoked writer's, see
 *     {@link Repository#untrustedSnapshots()}), oldest first: in no group, and kept with their data until forgotten
 */
public record PruneReport(boolean dryRun, List<Group> groups, long packsDeleted, long packsRepacked, long packsWritten,
                          long unindexedPacksDeleted, long unindexedPacksKept, long indexObjectsWritten,
                          long indexObjectsDeleted, long objectsDeleted, long staleLocksRemoved, long bytesDeleted,
                          long bytesWritten, long unusedBytesLeft, List<String> retainedObjects, Duration duration,
                          List<UntrustedSnapshot> untrusted) {

    public PruneReport {
        groups = List.copyOf(groups);
        retainedObjects = List.copyOf(retainedObjects);
        untrusted = List.copyOf(untrusted);
    }

    /** A report in which no snapshot is untrusted. */
    public PruneReport(boolean dryRun, List<Group> groups, long packsDeleted, long packsRepacked, long packsWritten,
                       long unindexedPacksDeleted, long unindexedPacksKept, long indexObjectsWritten,
                       long indexObjectsDeleted, long objectsDeleted, long staleLocksRemoved, long bytesDeleted,
                       long bytesWritten, long unusedBytesLeft, List<String> retainedObjects, Duration duration) {
        this(dryRun, groups, packsDeleted, packsRepacked, packsWritten, unindexedPacksDeleted, unindexedPacksKept,
                indexObjectsWritten, indexObjectsDeleted, objectsDeleted, staleLocksRemoved, bytesDeleted, bytesWritten,
                unusedBytesLeft, retainedObjects, duration, List.of());
    }

    /** Stored bytes freed: deleted minus written (may be estimated on a dry run). */
    public long bytesFreed() {
        return bytesDeleted - bytesWritten;
    }

    /** Every snapshot removed, in all groups. */
    public List<Snapshot> removed() {
        List<Snapshot> out = new ArrayList<>();
        groups.forEach(g -> out.addAll(g.removed()));
        return out;
    }

    /** Every snapshot kept, with its reasons, in all groups. */
    public List<RetentionDecision.Kept> kept() {
        List<RetentionDecision.Kept> out = new ArrayList<>();
        groups.forEach(g -> out.addAll(g.kept()));
        return out;
    }

    /**
     * The decision for one group.
     *
     * @param key the group's key (see {@link GroupBy}), in field order
     * @param description the key in words, e.g. {@code host=db1 source=fs:/etc}
     * @param kept the snapshots kept, newest first, each with its reasons
     * @param removed the snapshots removed, newest first
     */
    public record Group(Map<GroupBy.Field, String> key, String description, List<RetentionDecision.Kept> kept,
                       List<Snapshot> removed) {
        public Group {
            key = key.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(key));
            kept = List.copyOf(kept);
            removed = List.copyOf(removed);
        }
    }
}
