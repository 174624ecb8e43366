package com.mintreplica.backup.core;

import com.mintreplica.backup.core.source.SourceId;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The summary of one committed snapshot, as its manifest records it. Snapshot ids sort by time.
 *
 * @param id the snapshot id, e.g. {@code 20261124-010000-3fa2c1d0}
 * @param time when it was taken (or the time it was given)
 * @param host the host that took it
 * @param source what it was taken of
 * @param job the job that took it, when it ran as a named job
 * @param tags its tags, sorted
 * @param parent the snapshot whose unchanged content it reused
 * @param stats sizes and duration
 * @param facts what the Source recorded (server version, row counts), sorted
 * @param warnings problems that did not fail the backup (files that changed or vanished while read)
 * @param toolVersion the mint-backup version that wrote it
 */
public record Snapshot(String id, Instant time, String host, SourceId source, Optional<String> job, Set<String> tags,
                       Optional<String> parent, Stats stats, Map<String, String> facts, List<Warning> warnings,
                       String toolVersion) {

    public Snapshot {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(stats, "stats");
        tags = Collections.unmodifiableSortedSet(new TreeSet<>(tags));
        facts = Collections.unmodifiableSortedMap(new TreeMap<>(facts));
        warnings = List.copyOf(warnings);
    }

    /** Whether the snapshot carries {@code tag}. */
    public boolean hasTag(String tag) {
        return tags.contains(tag);
    }

    /** Whether the snapshot carries all of {@code required}. */
    public boolean hasTags(Set<String> required) {
        return tags.containsAll(required);
    }

    /** The facts whose keys start with {@code prefix}, with the prefix removed. */
    public Map<String, String> facts(String prefix) {
        Map<String, String> out = new TreeMap<>();
        facts.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /**
     * The sizes of a snapshot.
     *
     * @param entries how many entries it holds
     * @param totalBytes the content size of all its entries
     * @param bytesRead content bytes read from the Source (less than {@code totalBytes} when unchanged content was
     *     reused from the parent)
     * @param bytesNew content bytes that were not in the repository before (before compression)
     * @param bytesStored bytes written to the Sink (after compression, with metadata)
     * @param durationMillis how long the backup took
     */
    public record Stats(long entries, long totalBytes, long bytesRead, long bytesNew, long bytesStored, long durationMillis) {
    }

    /**
     * A problem recorded during the backup that did not fail it.
     *
     * @param path the entry path it concerns
     * @param message what happened
     */
    public record Warning(String path, String message) {
    }
}
