package com.mintreplica.backup.core;

import java.util.List;

/**
 * What {@link Repository#verify} found.
 *
 * @param snapshots the snapshots checked, oldest first (by the time each was taken, as a listing shows them)
 * @param problems every problem found; empty when the repository is sound
 * @param objectsRead how many stored objects were read whole (with {@code readData})
 * @param bytesRead how many stored bytes were read
 * @param unreferencedPacks packs that no index lists (left by an interrupted backup; prune removes them)
 */
public record VerifyReport(List<Snapshot> snapshots, List<Problem> problems, long objectsRead, long bytesRead,
                           long unreferencedPacks) {
    public VerifyReport {
        snapshots = List.copyOf(snapshots);
        problems = List.copyOf(problems);
    }

    /** Whether no problem was found. */
    public boolean ok() {
        return problems.isEmpty();
    }

    /**
     * One problem.
     *
     * @param object the stored object at fault, e.g. {@code data/3f/3fa2...} or {@code snapshots/20261124-...}
     * @param snapshots the snapshots it affects
     * @param message what is wrong
     */
    public record Problem(String object, List<String> snapshots, String message) {
        public Problem {
            snapshots = List.copyOf(snapshots);
        }

        @Override
        public String toString() {
            return message + (snapshots.isEmpty() ? "" : " (affects snapshot" + (snapshots.size() > 1 ? "s " : " ")
                    + String.join(", ", snapshots) + ")");
        }
    }
}
