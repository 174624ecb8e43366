package com.mintreplica.backup.core;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Repository#rewrite} changed (or, in a dry run, would change).
 *
 * @param dryRun whether nothing was changed
 * @param rewritten the snapshots that held excluded entries, each with the new snapshot written beside it
 * @param unchanged the ids of the snapshots that hold nothing the patterns match
 * @param forgotten the ids of the original snapshots removed (with {@code forget}) once their new one was written
 * @param duration how long it took
 */
public record RewriteReport(boolean dryRun, List<Rewritten> rewritten, List<String> unchanged, List<String> forgotten,
                            Duration duration) {
    public RewriteReport {
        rewritten = List.copyOf(rewritten);
        unchanged = List.copyOf(unchanged);
        forgotten = List.copyOf(forgotten);
    }

    /**
     * One snapshot rewritten.
     *
     * @param original the snapshot's id; it stays unless {@code forget} was asked for
     * @param replacement the new snapshot's id (empty in a dry run): the same time (a millisecond later, so that it
     *     sorts right after the original and {@code latest} picks it), host, source, job and tags, the fact
     *     {@code rewrite.of} naming the original, and every entry but those removed
     * @param entriesKept how many entries the new snapshot holds
     * @param removed the paths of the entries left out; a directory's stands for everything below it
     */
    public record Rewritten(String original, Optional<String> replacement, long entriesKept, List<String> removed) {
        public Rewritten {
            removed = List.copyOf(removed);
        }
    }
}
