package com.mintreplica.backup.core.retention;

import com.mintreplica.backup.core.Snapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Snapshots that share a group key (see {@link GroupBy}): a retention policy decides for each group on its own.
 *
 * @param key the value of each grouping field, e.g. {@code host=db1, source=postgresql:db1:5432/mint}; empty when
 *     nothing is grouped by
 * @param snapshots the members, oldest first
 */
public record SnapshotGroup(Map<GroupBy.Field, String> key, List<Snapshot> snapshots) {

    public SnapshotGroup {
        key = key.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(key));
        snapshots = List.copyOf(snapshots);
    }

    /** The key in words, e.g. {@code host=db1 source=fs:/etc/mint}; {@code all snapshots} without a key. */
    public String describe() {
        return describe(key);
    }

    static String describe(Map<GroupBy.Field, String> key) {
        if (key.isEmpty()) {
            return "all snapshots";
        }
        List<String> parts = new ArrayList<>();
        new EnumMap<>(key).forEach((f, v) -> {
            // Snapshots taken outside a job: say nothing of the job, unless it is all the key says.
            if (f != GroupBy.Field.JOB || !v.isEmpty()) {
                parts.add(f.key() + "=" + v);
            } else if (key.size() == 1) {
                parts.add("job=(none)");
            }
        });
        return String.join(" ", parts);
    }

    @Override
    public String toString() {
        return describe() + " (" + snapshots.size() + " snapshots)";
    }
}
