package com.mintreplica.backup.core;

import com.mintreplica.backup.core.source.SourceId;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Chooses one snapshot: by id (or a unique prefix of it), the latest, or the latest taken at or before a time,
 * optionally only among snapshots of one source, host, job or with some tags.
 */
public final class SnapshotSelector {
    private final String id;
    private final Instant before;
    private final Predicate<Snapshot> filter;
    private final String description;

    private SnapshotSelector(String id, Instant before, Predicate<Snapshot> filter, String description) {
        this.id = id;
        this.before = before;
        this.filter = filter;
        this.description = description;
    }

    /**
     * The snapshot with this id, or the only one whose id starts with it, or whose last part (the hex after the time)
     * starts with it.
     */
    public static SnapshotSelector id(String id) {
        Objects.requireNonNull(id, "id");
        return new SnapshotSelector(id, null, s -> true, "snapshot '" + id + "'");
    }

    /** The newest snapshot. */
    public static SnapshotSelector latest() {
        return new SnapshotSelector(null, null, s -> true, "the latest snapshot");
    }

    /** The newest snapshot taken at or before {@code time}. */
    public static SnapshotSelector latestBefore(Instant time) {
        Objects.requireNonNull(time, "time");
        return new SnapshotSelector(null, time, s -> true, "the latest snapshot at or before " + time);
    }

    /**
     * Parses what a user types: {@code latest}, {@code latest@2026-11-24T01:00:00Z} (latest at or before a time), or
     * an id or id prefix.
     */
    public static SnapshotSelector parse(String text) {
        if (text.equals("latest")) {
            return latest();
        }
        if (text.startsWith("latest@")) {
            try {
                return latestBefore(Instant.parse(text.substring("latest@".length())));
            } catch (java.time.format.DateTimeParseException e) {
                throw new InvalidInputException("'" + text + "': the time after 'latest@' must be ISO-8601, e.g. latest@2026-11-24T01:00:00Z");
            }
        }
        return id(text);
    }

    /** Only among snapshots of {@code source}. */
    public SnapshotSelector source(SourceId source) {
        return and(s -> s.source().equals(source), " of " + source);
    }

    /** Only among snapshots taken on {@code host}. */
    public SnapshotSelector host(String host) {
        return and(s -> s.host().equals(host), " on host " + host);
    }

    /** Only among snapshots of job {@code job}. */
    public SnapshotSelector job(String job) {
        return and(s -> s.job().filter(job::equals).isPresent(), " of job " + job);
    }

    /** Only among snapshots carrying all of {@code tags}. */
    public SnapshotSelector tags(Set<String> tags) {
        return tags.isEmpty() ? this : and(s -> s.hasTags(tags), " tagged " + tags);
    }

    private SnapshotSelector and(Predicate<Snapshot> more, String text) {
        return new SnapshotSelector(id, before, filter.and(more), description + text);
    }

    /**
     * Picks from {@code snapshots}.
     *
     * @throws NotFoundException when none matches
     * @throws InvalidInputException when an id prefix matches several snapshots
     */
    public Snapshot select(List<Snapshot> snapshots, String repository) {
        if (id != null) {
            Optional<Snapshot> exact = snapshots.stream().filter(s -> s.id().equals(id)).findFirst();
            if (exact.isPresent()) {
                return exact.get();
            }
            List<Snapshot> candidates = snapshots.stream().filter(filter).toList();
            List<String> names = matching(candidates.stream().map(Snapshot::id).toList(), id);
            List<Snapshot> prefixed = candidates.stream().filter(s -> names.contains(s.id())).toList();
            if (prefixed.size() > 1) {
                throw new InvalidInputException("'" + id + "' matches " + prefixed.size() + " snapshots in " + repository
                        + ": give more of the id (" + prefixed.get(0).id() + ", " + prefixed.get(1).id() + ", ...)");
            }
            if (prefixed.isEmpty()) {
                throw new NotFoundException("no " + description + " in " + repository + ": `mint-backup list` shows the snapshots there");
            }
            return prefixed.get(0);
        }
        return snapshots.stream()
                .filter(filter)
                .filter(s -> before == null || !s.time().isAfter(before))
                .max(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id))
                .orElseThrow(() -> new NotFoundException("found no snapshot in " + repository + " for " + description
                        + (snapshots.isEmpty() ? ": the repository has no snapshots yet" : ": `mint-backup list` shows the snapshots there")));
    }

    /**
     * The ids among {@code ids} that {@code wanted} names: the one equal to it; else those it begins; else, for four or
     * more hex digits, those whose last part (the random one, after the time: {@code 20261207-082733-1e09bedf}) it
     * begins, which is what a restic user types.
     */
    static List<String> matching(List<String> ids, String wanted) {
        if (ids.contains(wanted)) {
            return List.of(wanted);
        }
        List<String> prefixed = ids.stream().filter(id -> id.startsWith(wanted)).toList();
        if (prefixed.isEmpty() && wanted.length() >= 4 && wanted.chars().allMatch(c -> Character.digit(c, 16) >= 0
                && !Character.isUpperCase(c))) {
            prefixed = ids.stream().filter(id -> id.substring(id.lastIndexOf('-') + 1).startsWith(wanted)).toList();
        }
        return prefixed;
    }

    /** The id or id prefix this selector names, or null when it chooses by time. */
    String idOrPrefix() {
        return id;
    }

    @Override
    public String toString() {
        return description;
    }
}
