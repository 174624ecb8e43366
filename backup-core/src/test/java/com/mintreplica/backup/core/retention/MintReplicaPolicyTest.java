package com.mintreplica.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Snapshot;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The Mint Replica policy written both ways, over daily 01:00 UTC backups from 2025-01-01 to 2026-03-31: the facts
 * docs/retention.md states about where the two forms agree and where they differ. The steady, missed-days,
 * missed-month and late-backup sets were also checked against restic 0.14's forget on the same snapshot times (none of
 * them depends on the 0.16 oldest rule).
 */
class MintReplicaPolicyTest {
    static final Retention BY_TIME = Retention.builder().keepWithinDaily("30d").keepWithinMonthly("1y").build();
    static final Retention BY_COUNT = Retention.builder().keepDaily(30).keepMonthly(12).build();

    static List<Snapshot> daily(String from, String to, Predicate<LocalDate> skip) {
        List<Snapshot> out = new ArrayList<>();
        for (LocalDate d = LocalDate.parse(from); !d.isAfter(LocalDate.parse(to)); d = d.plusDays(1)) {
            if (!skip.test(d)) {
                out.add(RetentionTableTest.snap(d.toString(), d.atTime(1, 0).toInstant(ZoneOffset.UTC).toString()));
            }
        }
        return out;
    }

    static Set<String> kept(Retention policy, List<Snapshot> group) {
        return RetentionTableTest.keptIds(policy.apply(group));
    }

    static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }

    @Test
    void with_a_backup_every_day_both_forms_keep_the_same_41_snapshots() {
        List<Snapshot> group = daily("2025-01-01", "2026-03-31", d -> false);

        Set<String> byTime = kept(BY_TIME, group);

        assertThat(byTime).isEqualTo(kept(BY_COUNT, group)).hasSize(41)
                .contains("2026-03-02", "2026-03-31", "2026-02-28", "2025-04-30")
                .doesNotContain("2026-03-01", "2025-03-31");
    }

    @Test
    void in_a_young_repository_both_keep_the_oldest_snapshot() {
        List<Snapshot> group = daily("2026-01-15", "2026-03-31", d -> false);

        assertThat(kept(BY_TIME, group)).isEqualTo(kept(BY_COUNT, group)).hasSize(33).contains("2026-01-15");
    }

    @Test
    void after_missed_days_counts_reach_further_back_and_keep_thirty_dailies() {
        List<Snapshot> group = daily("2025-01-01", "2026-03-31",
                d -> !d.isBefore(LocalDate.parse("2026-03-10")) && !d.isAfter(LocalDate.parse("2026-03-19")));

        Set<String> byTime = kept(BY_TIME, group);
        Set<String> byCount = kept(BY_COUNT, group);

        assertThat(byTime).hasSize(31);
        assertThat(byCount).hasSize(40).containsAll(byTime);
        assertThat(minus(byCount, byTime)).containsExactly("2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
                "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-03-01");
    }

    @Test
    void after_a_missed_month_counts_keep_a_snapshot_a_year_old_and_time_does_not() {
        List<Snapshot> group = daily("2025-01-01", "2026-03-31", d -> d.getYear() == 2025 && d.getMonthValue() == 8);

        Set<String> byTime = kept(BY_TIME, group);
        Set<String> byCount = kept(BY_COUNT, group);

        assertThat(byTime).hasSize(40);
        assertThat(minus(byCount, byTime)).containsExactly("2025-03-31");
        assertThat(byCount).containsAll(byTime);
    }

    @Test
    void a_backup_a_little_late_thirty_days_ago_is_a_thirty_first_daily_by_time() {
        List<Snapshot> group = new ArrayList<>(daily("2025-01-01", "2026-03-31", d -> d.equals(LocalDate.parse("2026-03-01"))));
        group.add(RetentionTableTest.snap("2026-03-01", Instant.parse("2026-03-01T01:00:30Z").toString()));

        assertThat(minus(kept(BY_TIME, group), kept(BY_COUNT, group))).containsExactly("2026-03-01");
        assertThat(kept(BY_COUNT, group)).hasSize(41);
    }
}
