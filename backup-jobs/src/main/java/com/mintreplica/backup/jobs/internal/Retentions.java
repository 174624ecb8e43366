package com.mintreplica.backup.jobs.internal;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.retention.GroupBy;
import com.mintreplica.backup.core.retention.Retention;
import java.time.Clock;
import java.time.ZoneId;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import com.mintreplica.backup.jobs.config.RetentionConfig;
import java.util.ArrayList;
import java.util.List;

/** A job's retention on the core's API. */
public final class Retentions {
    private Retentions() {
    }

    /**
     * The core policy a job's retention config stands for: restic's rules ({@link Retention}), with days, weeks and
     * months of {@code zone} (the job's schedule zone) and {@code clock}'s idea of the future.
     *
     * @throws com.mintreplica.backup.core.InvalidInputException when the config is not a valid policy
     */
    public static RetentionPolicy policy(RetentionConfig config, ZoneId zone, Clock clock) {
        Retention.Builder b = Retention.builder().zone(zone).clock(clock);
        if (config.keepLast() != 0) {
            b.keepLast(config.keepLast());
        }
        if (config.keepHourly() != 0) {
            b.keepHourly(config.keepHourly());
        }
        if (config.keepDaily() != 0) {
            b.keepDaily(config.keepDaily());
        }
        if (config.keepWeekly() != 0) {
            b.keepWeekly(config.keepWeekly());
        }
        if (config.keepMonthly() != 0) {
            b.keepMonthly(config.keepMonthly());
        }
        if (config.keepYearly() != 0) {
            b.keepYearly(config.keepYearly());
        }
        config.keepWithin().ifPresent(b::keepWithin);
        for (String tag : config.keepTags()) {
            b.keepTag(tag);
        }
        return b.build();
    }

    /** A job's retention groups: the snapshots of one job and host (see {@link #forget}). */
    private static final GroupBy GROUP_BY = GroupBy.of(GroupBy.Field.HOST, GroupBy.Field.JOB);

    /**
     * What {@code policy} decides for {@code snapshots} (a job's), group by group as {@link #forget} applies it, without
     * forgetting anything: for reports.
     */
    public static List<RetentionDecision> decide(List<Snapshot> snapshots, RetentionPolicy policy) {
        List<RetentionDecision> out = new ArrayList<>();
        for (var group : GROUP_BY.group(snapshots)) {
            out.add(policy.apply(group.snapshots()));
        }
        return out;
    }

    /**
     * Applies {@code policy} in {@code repository} to the group of {@code snapshot}: the snapshots of the same job and
     * host. Not by source and host (the pipeline's default): two jobs of one source, such as "daily" and "hourly" dumps
     * of one database, each keep what their own retention says. Never forgets {@code snapshot} itself; returns the
     * snapshots forgotten.
     */
    public static List<Snapshot> forget(Repository repository, Snapshot snapshot, RetentionPolicy policy) {
        GroupBy groupBy = GROUP_BY;
        Object key = groupBy.keyOf(snapshot);
        List<Snapshot> group = repository.snapshots().stream().filter(s -> groupBy.keyOf(s).equals(key)).toList();
        RetentionDecision decision = policy.apply(group);
        List<Snapshot> forgotten = new ArrayList<>();
        for (Snapshot s : decision.removed()) {
            if (!s.id().equals(snapshot.id())) {
                repository.forget(s);
                forgotten.add(s);
            }
        }
        return forgotten;
    }
}
