package com.mintreplica.backup.core.retention;

import com.mintreplica.backup.core.Snapshot;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link RetentionPolicy} decided for one group.
 *
 * @param kept the snapshots to keep, newest first, each with the reasons it is kept
 * @param removed the snapshots to remove, newest first
 */
public record RetentionDecision(List<Kept> kept, List<Snapshot> removed) {
    public RetentionDecision {
        kept = List.copyOf(kept);
        removed = List.copyOf(removed);
    }

    /**
     * A kept snapshot and why.
     *
     * @param snapshot the snapshot
     * @param reasons why it is kept, e.g. {@code daily snapshot}, {@code oldest monthly snapshot}; never empty
     */
    public record Kept(Snapshot snapshot, List<String> reasons) {
        public Kept {
            Objects.requireNonNull(snapshot, "snapshot");
            reasons = List.copyOf(reasons);
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a kept snapshot needs a reason: " + snapshot.id());
            }
        }
    }
}
