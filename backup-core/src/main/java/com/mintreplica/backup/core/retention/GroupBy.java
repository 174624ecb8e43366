package com.mintreplica.backup.core.retention;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Snapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How snapshots are divided into groups before a {@link RetentionPolicy} is applied to each group on its own, so that
 * one job's history never removes another's. The default groups by host, source and job: the nightly dump of one
 * database on one machine is one group, and an hourly job of the same database is another.
 *
 * <pre>{@code
 * List<SnapshotGroup> groups = GroupBy.parse("host,source").group(repository.snapshots());
 * }</pre>
 *
 * <p>Grouping by nothing ({@code GroupBy.parse("")}) puts every snapshot into one group. Immutable.
 */
public final class GroupBy {

    /** What snapshots can be grouped by. */
    public enum Field {
        /** The host that took the snapshot. */
        HOST,
        /** What the snapshot was taken of ({@code kind:name}). */
        SOURCE,
        /** The job that took it (snapshots without a job form their own group). */
        JOB,
        /** The whole set of tags: snapshots with exactly the same tags form a group. */
        TAGS;

        /** The lowercase name used in {@link GroupBy#parse} and in group keys. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final GroupBy DEFAULT = new GroupBy(EnumSet.of(Field.HOST, Field.SOURCE, Field.JOB));
    private static final GroupBy HOST_AND_SOURCE = new GroupBy(EnumSet.of(Field.HOST, Field.SOURCE));

    private final EnumSet<Field> fields;

    private GroupBy(Set<Field> fields) {
        this.fields = EnumSet.noneOf(Field.class);
        this.fields.addAll(fields);
    }

    /**
     * By host, source and job: the default. One job's history never removes another's, even when both back up the
     * same source (a daily and an hourly job of one database); without jobs this is restic's host and source.
     */
    public static GroupBy defaults() {
        return DEFAULT;
    }

    /** By host and source only (restic's default), so jobs of one source share a history. */
    public static GroupBy hostAndSource() {
        return HOST_AND_SOURCE;
    }

    /** By the given fields; none puts every snapshot into one group. */
    public static GroupBy of(Field... fields) {
        return new GroupBy(fields.length == 0 ? EnumSet.noneOf(Field.class) : EnumSet.of(fields[0], fields));
    }

    /**
     * Parses a comma-separated list such as {@code host,source,tags} (fields: host, source, job, tags); an empty text
     * groups nothing (one group).
     *
     * @throws InvalidInputException naming an unknown field
     */
    public static GroupBy parse(String text) {
        Set<Field> fields = EnumSet.noneOf(Field.class);
        for (String part : Objects.requireNonNull(text, "text").split(",")) {
            String name = part.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            Field field = null;
            for (Field f : Field.values()) {
                if (f.key().equals(name)) {
                    field = f;
                }
            }
            if (field == null) {
                throw new InvalidInputException("cannot group snapshots by '" + part.strip()
                        + "': use a comma-separated list of host, source, job and tags (or nothing for one group)");
            }
            fields.add(field);
        }
        return new GroupBy(fields);
    }

    /** The fields, in declaration order. */
    public Set<Field> fields() {
        return EnumSet.copyOf(fields);
    }

    /** The group key of one snapshot: the value of each field, as text. */
    public Map<Field, String> keyOf(Snapshot snapshot) {
        Map<Field, String> key = new EnumMap<>(Field.class);
        for (Field f : fields) {
            key.put(f, switch (f) {
                case HOST -> snapshot.host();
                case SOURCE -> snapshot.source().toString();
                case JOB -> snapshot.job().orElse("");
                case TAGS -> String.join(",", snapshot.tags());
            });
        }
        return key;
    }

    /**
     * Divides {@code snapshots} into groups, ordered by key; the snapshots of each group are oldest first.
     */
    public List<SnapshotGroup> group(Collection<Snapshot> snapshots) {
        Map<String, List<Snapshot>> members = new LinkedHashMap<>();
        Map<String, Map<Field, String>> keys = new LinkedHashMap<>();
        for (Snapshot s : snapshots) {
            Map<Field, String> key = keyOf(s);
            String text = SnapshotGroup.describe(key);
            keys.putIfAbsent(text, key);
            members.computeIfAbsent(text, k -> new ArrayList<>()).add(s);
        }
        List<SnapshotGroup> groups = new ArrayList<>();
        members.forEach((text, list) -> {
            list.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
            groups.add(new SnapshotGroup(keys.get(text), list));
        });
        groups.sort(Comparator.comparing(SnapshotGroup::describe));
        return groups;
    }

    /** The comma-separated fields, as {@link #parse} reads them. */
    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        fields.forEach(f -> names.add(f.key()));
        return String.join(",", names);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GroupBy other && other.fields.equals(fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }
}
