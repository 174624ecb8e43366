package com.mintreplica.backup.core.retention;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Snapshot;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The retention policy users know from restic's {@code forget}, with the same rules:
 *
 * <ul>
 *   <li><b>Counts</b> ({@code keepLast}, {@code keepHourly}, {@code keepDaily}, {@code keepWeekly},
 *       {@code keepMonthly}, {@code keepYearly}): going from the newest snapshot to the oldest, the newest snapshot of
 *       each hour, day, ISO week (Monday first), month or year is kept, until the count of periods is used up. Only
 *       periods that have a snapshot count; one snapshot may fill a slot in several counts. {@link #UNLIMITED} (-1)
 *       keeps one per period for ever.</li>
 *   <li><b>The oldest rule</b> (restic 0.16+): while a count still has slots left, the oldest snapshot of the group
 *       is kept too ({@code oldest daily snapshot}), so a young history is kept whole rather than cut short.</li>
 *   <li><b>Keep-within</b> ({@code keepWithin}): every snapshot newer than the period before the <em>newest
 *       snapshot</em> (not before now) is kept, so a group that stopped receiving backups is not emptied.</li>
 *   <li><b>Keep-within-hourly/-daily/-weekly/-monthly/-yearly</b>: within the period before the newest snapshot,
 *       the newest snapshot of each hour, day, week, month or year is kept, with no count; the oldest rule applies
 *       inside the period as well.</li>
 *   <li><b>Keep-tag</b>: every snapshot carrying all the tags of one list is kept; it does not use up any count.</li>
 * </ul>
 *
 * <p>Hours, days, weeks, months and years are those of the policy's time zone (UTC unless {@link Builder#zone} says
 * otherwise). As in restic, a snapshot dated in the future (after the policy's clock) is not taken as the newest when
 * the keep-within periods are measured.
 *
 * <p>Every kept snapshot carries its reasons, in this order: {@code tag keep} (or {@code tags a,b}),
 * {@code within 30d}, {@code last snapshot}, {@code hourly snapshot}, {@code daily snapshot}, {@code weekly snapshot},
 * {@code monthly snapshot}, {@code yearly snapshot} (each may be prefixed by {@code oldest }), then
 * {@code hourly within 30d} ... {@code yearly within 1y} (also with {@code oldest }).
 *
 * <pre>{@code
 * RetentionPolicy policy = Retention.builder().keepDaily(30).keepMonthly(12).build();
 * RetentionPolicy same = Retention.builder().keepWithinDaily("30d").keepWithinMonthly("1y").build();
 * }</pre>
 *
 * <p>A policy with no rule is refused by {@link Builder#build()}: it would remove every snapshot. Immutable and
 * thread-safe.
 */
public final class Retention implements RetentionPolicy {

    /** A count that never runs out: one snapshot per period for ever. */
    public static final int UNLIMITED = -1;

    private static final Comparator<Snapshot> NEWEST_FIRST =
            Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id).reversed();

    /** The periods snapshots are counted in, in restic's order. */
    private enum Bucket {
        LAST("last"), HOURLY("hourly"), DAILY("daily"), WEEKLY("weekly"), MONTHLY("monthly"), YEARLY("yearly");

        final String word;

        Bucket(String word) {
            this.word = word;
        }

        long of(ZonedDateTime t, int position) {
            return switch (this) {
                case LAST -> position;
                case HOURLY -> t.getYear() * 1_000_000L + t.getMonthValue() * 10_000L + t.getDayOfMonth() * 100L + t.getHour();
                case DAILY -> t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth();
                case WEEKLY -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
                case MONTHLY -> t.getYear() * 100L + t.getMonthValue();
                case YEARLY -> t.getYear();
            };
        }
    }

    private final int[] counts;                       // by Bucket ordinal; 0 = not set
    private final RetentionPeriod within;              // null = not set
    private final RetentionPeriod[] withinBuckets;     // by Bucket ordinal, LAST unused; null = not set
    private final List<Set<String>> tagLists;
    private final ZoneId zone;
    private final Clock clock;

    private Retention(Builder b) {
        this.counts = b.counts.clone();
        this.within = b.within;
        this.withinBuckets = b.withinBuckets.clone();
        this.tagLists = List.copyOf(b.tagLists);
        this.zone = b.zone;
        this.clock = b.clock;
    }

    /** A new, empty builder: add at least one rule. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A policy that keeps every snapshot any of {@code policies} keeps, with the reasons of each in the order given,
     * and removes the rest.
     */
    public static RetentionPolicy anyOf(RetentionPolicy... policies) {
        List<RetentionPolicy> all = List.of(policies);
        if (all.isEmpty()) {
            throw new InvalidInputException("anyOf needs at least one policy: with none it would remove every snapshot");
        }
        return new AnyOf(all);
    }

    /** The time zone whose hours, days, weeks, months and years the counts use. */
    public ZoneId zone() {
        return zone;
    }

    @Override
    public RetentionDecision apply(List<Snapshot> group) {
        List<Snapshot> sorted = new ArrayList<>(group);
        sorted.sort(NEWEST_FIRST);
        if (sorted.isEmpty()) {
            return new RetentionDecision(List.of(), List.of());
        }
        Instant newest = newestNotInFuture(sorted);
        Instant withinStart = within == null ? null : start(within, newest);
        Instant[] bucketStarts = new Instant[withinBuckets.length];
        for (Bucket b : Bucket.values()) {
            if (withinBuckets[b.ordinal()] != null) {
                bucketStarts[b.ordinal()] = start(withinBuckets[b.ordinal()], newest);
            }
        }
        int[] left = counts.clone();
        long[] lastValue = new long[counts.length];
        long[] lastWithinValue = new long[counts.length];
        Arrays.fill(lastValue, Long.MIN_VALUE);
        Arrays.fill(lastWithinValue, Long.MIN_VALUE);

        List<RetentionDecision.Kept> kept = new ArrayList<>();
        List<Snapshot> removed = new ArrayList<>();
        int oldest = sorted.size() - 1;
        for (int nr = 0; nr < sorted.size(); nr++) {
            Snapshot s = sorted.get(nr);
            ZonedDateTime local = s.time().atZone(zone);
            List<String> reasons = new ArrayList<>();
            for (Set<String> tags : tagLists) {
                if (s.hasTags(tags)) {
                    reasons.add((tags.size() == 1 ? "tag " : "tags ") + String.join(",", tags));
                }
            }
            if (within != null && inRange(s.time(), withinStart)) {
                reasons.add("within " + within);
            }
            for (Bucket b : Bucket.values()) {
                int i = b.ordinal();
                if (left[i] == 0) {
                    continue;
                }
                long value = b.of(local, nr);
                if (value != lastValue[i] || nr == oldest) {
                    reasons.add((value == lastValue[i] ? "oldest " : "") + b.word + " snapshot");
                    lastValue[i] = value;
                    if (left[i] > 0) {
                        left[i]--;
                    }
                }
            }
            for (Bucket b : Bucket.values()) {
                int i = b.ordinal();
                RetentionPeriod period = withinBuckets[i];
                if (period == null || !inRange(s.time(), bucketStarts[i])) {
                    continue;
                }
                long value = b.of(local, nr);
                if (value != lastWithinValue[i] || nr == oldest) {
                    reasons.add((value == lastWithinValue[i] ? "oldest " : "") + b.word + " within " + period);
                    lastWithinValue[i] = value;
                }
            }
            if (reasons.isEmpty()) {
                removed.add(s);
            } else {
                kept.add(new RetentionDecision.Kept(s, reasons));
            }
        }
        return new RetentionDecision(kept, removed);
    }

    /** The time of the newest snapshot that is not in the future, or null when all are (then everything is within). */
    private Instant newestNotInFuture(List<Snapshot> newestFirst) {
        Instant now = clock.instant();
        for (Snapshot s : newestFirst) {
            if (s.time().isBefore(now)) {
                return s.time();
            }
        }
        return null;
    }

    private Instant start(RetentionPeriod period, Instant newest) {
        return newest == null ? null : period.before(newest, zone);
    }

    private static boolean inRange(Instant time, Instant start) {
        return start == null || time.isAfter(start);
    }

    /** What the policy keeps, in words, e.g. {@code keep 30 daily, 12 monthly snapshots in UTC}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        List<String> countParts = new ArrayList<>();
        for (Bucket b : Bucket.values()) {
            int n = counts[b.ordinal()];
            if (n == UNLIMITED) {
                countParts.add("all " + b.word);
            } else if (n > 0) {
                countParts.add(n + " " + b.word);
            }
        }
        if (!countParts.isEmpty()) {
            parts.add(String.join(", ", countParts) + " snapshots");
        }
        for (Bucket b : Bucket.values()) {
            RetentionPeriod p = withinBuckets[b.ordinal()];
            if (p != null) {
                parts.add(b.word + " snapshots within " + p + " of the newest");
            }
        }
        if (within != null) {
            parts.add("all snapshots within " + within + " of the newest");
        }
        for (Set<String> tags : tagLists) {
            parts.add("all snapshots tagged " + String.join(",", tags));
        }
        return "keep " + String.join(", ", parts) + " (periods in " + zone + ")";
    }

    /** Builds a {@link Retention}; {@link #build()} refuses a policy without any rule. */
    public static final class Builder {
        private final int[] counts = new int[Bucket.values().length];
        private RetentionPeriod within;
        private final RetentionPeriod[] withinBuckets = new RetentionPeriod[Bucket.values().length];
        private final List<Set<String>> tagLists = new ArrayList<>();
        private ZoneId zone = ZoneOffset.UTC;
        private Clock clock = Clock.systemUTC();

        Builder() {
        }

        /** Keeps the {@code n} newest snapshots ({@link #UNLIMITED}: all; 0: no such rule). */
        public Builder keepLast(int n) {
            return count(Bucket.LAST, n, "keepLast");
        }

        /** Keeps the newest snapshot of each of the last {@code n} hours that have one. */
        public Builder keepHourly(int n) {
            return count(Bucket.HOURLY, n, "keepHourly");
        }

        /** Keeps the newest snapshot of each of the last {@code n} days that have one. */
        public Builder keepDaily(int n) {
            return count(Bucket.DAILY, n, "keepDaily");
        }

        /** Keeps the newest snapshot of each of the last {@code n} ISO weeks (Monday first) that have one. */
        public Builder keepWeekly(int n) {
            return count(Bucket.WEEKLY, n, "keepWeekly");
        }

        /** Keeps the newest snapshot of each of the last {@code n} months that have one. */
        public Builder keepMonthly(int n) {
            return count(Bucket.MONTHLY, n, "keepMonthly");
        }

        /** Keeps the newest snapshot of each of the last {@code n} years that have one. */
        public Builder keepYearly(int n) {
            return count(Bucket.YEARLY, n, "keepYearly");
        }

        private Builder count(Bucket bucket, int n, String name) {
            if (n < UNLIMITED) {
                throw new InvalidInputException(name + " must be a count of at least 0, or -1 (unlimited), not " + n);
            }
            counts[bucket.ordinal()] = n;
            return this;
        }

        /** Keeps every snapshot newer than {@code period} (restic syntax: {@code 30d}, {@code 1y2m}) before the newest. */
        public Builder keepWithin(String period) {
            return keepWithin(RetentionPeriod.parse(period));
        }

        /** Keeps every snapshot newer than {@code period} before the newest. */
        public Builder keepWithin(Duration period) {
            return keepWithin(RetentionPeriod.of(period));
        }

        /** Keeps every snapshot newer than {@code period} before the newest; a zero period removes the rule. */
        public Builder keepWithin(RetentionPeriod period) {
            this.within = nonZero(period);
            return this;
        }

        /** Keeps the newest snapshot of each hour within {@code period} before the newest snapshot. */
        public Builder keepWithinHourly(String period) {
            return withinBucket(Bucket.HOURLY, RetentionPeriod.parse(period));
        }

        /** See {@link #keepWithinHourly(String)}. */
        public Builder keepWithinHourly(RetentionPeriod period) {
            return withinBucket(Bucket.HOURLY, period);
        }

        /** Keeps the newest snapshot of each day within {@code period} before the newest snapshot. */
        public Builder keepWithinDaily(String period) {
            return withinBucket(Bucket.DAILY, RetentionPeriod.parse(period));
        }

        /** See {@link #keepWithinDaily(String)}. */
        public Builder keepWithinDaily(RetentionPeriod period) {
            return withinBucket(Bucket.DAILY, period);
        }

        /** Keeps the newest snapshot of each ISO week within {@code period} before the newest snapshot. */
        public Builder keepWithinWeekly(String period) {
            return withinBucket(Bucket.WEEKLY, RetentionPeriod.parse(period));
        }

        /** See {@link #keepWithinWeekly(String)}. */
        public Builder keepWithinWeekly(RetentionPeriod period) {
            return withinBucket(Bucket.WEEKLY, period);
        }

        /** Keeps the newest snapshot of each month within {@code period} before the newest snapshot. */
        public Builder keepWithinMonthly(String period) {
            return withinBucket(Bucket.MONTHLY, RetentionPeriod.parse(period));
        }

        /** See {@link #keepWithinMonthly(String)}. */
        public Builder keepWithinMonthly(RetentionPeriod period) {
            return withinBucket(Bucket.MONTHLY, period);
        }

        /** Keeps the newest snapshot of each year within {@code period} before the newest snapshot. */
        public Builder keepWithinYearly(String period) {
            return withinBucket(Bucket.YEARLY, RetentionPeriod.parse(period));
        }

        /** See {@link #keepWithinYearly(String)}. */
        public Builder keepWithinYearly(RetentionPeriod period) {
            return withinBucket(Bucket.YEARLY, period);
        }

        private Builder withinBucket(Bucket bucket, RetentionPeriod period) {
            withinBuckets[bucket.ordinal()] = nonZero(period);
            return this;
        }

        private static RetentionPeriod nonZero(RetentionPeriod period) {
            Objects.requireNonNull(period, "period");
            return period.isZero() ? null : period;
        }

        /**
         * Keeps every snapshot that carries all of {@code tags} (restic's {@code --keep-tag a,b}: an argument may list
         * several tags separated by commas). Call it again for another list; a snapshot matching any list is kept.
         * Tagged snapshots do not use up any count.
         */
        public Builder keepTag(String... tags) {
            java.util.SortedSet<String> list = new TreeSet<>();
            for (String t : tags) {
                for (String part : Objects.requireNonNull(t, "tag").split(",", -1)) {
                    if (part.isBlank()) {
                        throw new InvalidInputException("keepTag: the tag list '" + String.join(",", tags)
                                + "' has an empty tag");
                    }
                    list.add(part.strip());
                }
            }
            if (list.isEmpty()) {
                throw new InvalidInputException("keepTag needs at least one tag");
            }
            tagLists.add(java.util.Collections.unmodifiableSortedSet(list));
            return this;
        }

        /** The time zone whose calendar the periods use (default UTC). */
        public Builder zone(ZoneId value) {
            this.zone = Objects.requireNonNull(value, "zone");
            return this;
        }

        /**
         * The clock that tells which snapshots are dated in the future (default: the system clock). Only that depends
         * on it: the keep-within periods are measured from the newest snapshot, not from now.
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * The policy.
         *
         * @throws InvalidInputException when no rule is set: such a policy would remove every snapshot
         */
        public Retention build() {
            boolean any = within != null || !tagLists.isEmpty();
            for (int i = 0; i < counts.length; i++) {
                any |= counts[i] != 0 || withinBuckets[i] != null;
            }
            if (!any) {
                throw new InvalidInputException("the retention policy has no keep rule, so it would remove every snapshot:"
                        + " give at least one of keep-last, keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly,"
                        + " keep-within(-hourly/-daily/-weekly/-monthly/-yearly) or keep-tag");
            }
            return new Retention(this);
        }
    }

    /** Keeps what any of its policies keeps. */
    private static final class AnyOf implements RetentionPolicy {
        private final List<RetentionPolicy> policies;

        AnyOf(List<RetentionPolicy> policies) {
            this.policies = policies;
        }

        @Override
        public RetentionDecision apply(List<Snapshot> group) {
            Map<String, Snapshot> byId = new LinkedHashMap<>();
            List<Snapshot> sorted = new ArrayList<>(group);
            sorted.sort(NEWEST_FIRST);
            sorted.forEach(s -> byId.put(s.id(), s));
            Map<String, Set<String>> reasons = new LinkedHashMap<>();
            for (RetentionPolicy p : policies) {
                for (RetentionDecision.Kept k : p.apply(group).kept()) {
                    reasons.computeIfAbsent(k.snapshot().id(), id -> new LinkedHashSet<>()).addAll(k.reasons());
                }
            }
            List<RetentionDecision.Kept> kept = new ArrayList<>();
            List<Snapshot> removed = new ArrayList<>();
            for (Snapshot s : byId.values()) {
                Collection<String> why = reasons.get(s.id());
                if (why == null) {
                    removed.add(s);
                } else {
                    kept.add(new RetentionDecision.Kept(s, List.copyOf(why)));
                }
            }
            return new RetentionDecision(kept, removed);
        }

        @Override
        public String toString() {
            return "any of " + policies;
        }
    }
}
