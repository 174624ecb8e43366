package com.mintreplica.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.SourceId;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * restic's forget rules over fixed lists of snapshot times. The expected keep sets were worked out by hand from
 * restic's rules; every row without an "oldest" rule was also checked against restic 0.14 itself (which predates the
 * 0.16 oldest rule), so the rows marked "oldest" are where the two differ on purpose.
 */
class RetentionTableTest {

    /**
     * The main list (UTC). It crosses the 2024/2025 year boundary where ISO week 2025-W01 starts on Monday 2024-12-30,
     * has a leap day, four snapshots in one hour (two in one minute) and an oldest snapshot in the same hour, day,
     * week, month and year as the next one.
     */
    static final List<Snapshot> A = List.of(
            snap("a01", "2024-01-01T00:05:00Z"),
            snap("a02", "2024-01-01T00:10:00Z", "audit"),
            snap("a03", "2024-01-07T18:00:00Z"),              // Sunday: still ISO week 2024-W01
            snap("a04", "2024-02-28T12:00:00Z"),
            snap("a05", "2024-02-29T08:00:00Z", "keep"),      // leap day
            snap("a06", "2024-02-29T20:00:00Z"),
            snap("a07", "2024-03-01T10:00:05Z"),              // a07..a10: one hour; a07, a08: one minute
            snap("a08", "2024-03-01T10:00:40Z"),
            snap("a09", "2024-03-01T10:30:00Z", "keep", "audit"),
            snap("a10", "2024-03-01T10:59:59Z"),
            snap("a11", "2024-03-01T11:00:00Z"),
            snap("a12", "2024-03-03T23:59:00Z"),              // Sunday, 2024-W09
            snap("a13", "2024-03-04T00:01:00Z"),              // Monday, 2024-W10
            snap("a14", "2024-12-29T12:00:00Z"),              // Sunday, 2024-W52
            snap("a15", "2024-12-30T12:00:00Z"),              // Monday: ISO week 2025-W01, year 2024
            snap("a16", "2024-12-31T23:00:00Z"),              // last of 2024 (UTC); 2025-W01
            snap("a17", "2025-01-01T01:00:00Z"),              // 2025 in UTC, still 2024 in New York
            snap("a18", "2025-01-05T22:00:00Z"),              // Sunday, end of 2025-W01
            snap("a19", "2025-01-06T06:00:00Z"),              // 2025-W02
            snap("a20", "2025-03-01T00:00:00Z"),
            snap("a21", "2025-03-03T13:00:00Z"),
            snap("a22", "2025-03-31T12:00:00Z"));             // the newest: keep-within is measured from here

    /** Around a leap day, newest on 2024-02-29: a year before it is 2023-03-01 (February 29, 2023 overflows). */
    static final List<Snapshot> B = List.of(
            snap("b1", "2023-02-28T11:00:00Z"),
            snap("b2", "2023-03-01T11:00:00Z"),
            snap("b3", "2023-03-01T13:00:00Z"),
            snap("b4", "2024-02-28T12:00:00Z"),
            snap("b5", "2024-02-29T12:00:00Z"));

    static Stream<Arguments> table() {
        return Stream.of(
                row("keep-last 3", A, b -> b.keepLast(3), "a20 a21 a22"),
                row("keep-hourly 14: newest of each hour; a07..a09 share a10's hour", A, b -> b.keepHourly(14),
                        "a06 a10 a11 a12 a13 a14 a15 a16 a17 a18 a19 a20 a21 a22"),
                row("keep-daily 7 across the year boundary", A, b -> b.keepDaily(7), "a16 a17 a18 a19 a20 a21 a22"),
                row("keep-daily 12: one per day, newest of the day", A, b -> b.keepDaily(12),
                        "a11 a12 a13 a14 a15 a16 a17 a18 a19 a20 a21 a22"),
                row("keep-weekly 4", A, b -> b.keepWeekly(4), "a19 a20 a21 a22"),
                row("keep-weekly 8: Dec 30 .. Jan 5 is one ISO week (2025-W01)", A, b -> b.keepWeekly(8),
                        "a12 a13 a14 a18 a19 a20 a21 a22"),
                row("keep-weekly 11: oldest kept while the count has slots left", A, b -> b.keepWeekly(11),
                        "a01 a03 a12 a13 a14 a18 a19 a20 a21 a22"),
                row("keep-monthly 12: oldest kept while the count has slots left", A, b -> b.keepMonthly(12),
                        "a01 a03 a06 a13 a16 a19 a22"),
                row("keep-monthly 6: count used up, no oldest", A, b -> b.keepMonthly(6), "a03 a06 a13 a16 a19 a22"),
                row("keep-yearly unlimited: oldest kept", A, b -> b.keepYearly(Retention.UNLIMITED), "a01 a16 a22"),
                row("keep-yearly 2 in New York: 2025-01-01T01:00Z is still 2024 there", A,
                        b -> b.keepYearly(2).zone(ZoneId.of("America/New_York")), "a17 a22"),
                row("one snapshot fills several counts", A, b -> b.keepDaily(3).keepWeekly(2).keepMonthly(2),
                        "a19 a20 a21 a22"),
                row("keep-within 1m: one month before March 31 is March 3", A, b -> b.keepWithin("1m"), "a21 a22"),
                row("keep-within 90d", A, b -> b.keepWithin("90d"), "a16 a17 a18 a19 a20 a21 a22"),
                row("keep-within 1y2m", A, b -> b.keepWithin("1y2m"),
                        "a04 a05 a06 a07 a08 a09 a10 a11 a12 a13 a14 a15 a16 a17 a18 a19 a20 a21 a22"),
                row("keep-within-hourly 1y2m: same hour keeps only its newest", A, b -> b.keepWithinHourly("1y2m"),
                        "a04 a05 a06 a10 a11 a12 a13 a14 a15 a16 a17 a18 a19 a20 a21 a22"),
                row("keep-within-daily 1y", A, b -> b.keepWithinDaily("1y"), "a14 a15 a16 a17 a18 a19 a20 a21 a22"),
                row("keep-within-weekly 1y", A, b -> b.keepWithinWeekly("1y"), "a14 a18 a19 a20 a21 a22"),
                row("keep-within-monthly 2y: oldest kept inside the period", A, b -> b.keepWithinMonthly("2y"),
                        "a01 a03 a06 a13 a16 a19 a22"),
                row("keep-within-yearly 1y", A, b -> b.keepWithinYearly("1y"), "a16 a22"),
                row("keep-tag does not use up a count", A, b -> b.keepTag("keep").keepLast(2), "a05 a09 a21 a22"),
                row("keep-tag a,b needs both tags", A, b -> b.keepTag("keep,audit"), "a09"),
                row("two keep-tag lists: either", A, b -> b.keepTag("audit").keepTag("keep"), "a02 a05 a09"),
                row("keep-within 1y from a leap day", B, b -> b.keepWithin("1y"), "b3 b4 b5"),
                row("keep-within 1y1d from a leap day", B, b -> b.keepWithin("1y1d"), "b2 b3 b4 b5"),
                row("keep-within 1d: exactly one day older is out", B, b -> b.keepWithin("1d"), "b5"),
                row("keep-within-daily 1y from a leap day", B, b -> b.keepWithinDaily("1y"), "b3 b4 b5"),
                row("keep-daily 10 on the leap-day list: one per day", B, b -> b.keepDaily(10), "b1 b3 b4 b5"),
                row("keep-yearly 5 on the leap-day list: oldest kept", B, b -> b.keepYearly(5), "b1 b3 b5"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void keeps_exactly_the_expected_snapshots(String name, List<Snapshot> list, UnaryOperator<Retention.Builder> policy,
                                              Set<String> expected) {
        Retention retention = policy.apply(Retention.builder()).build();
        List<Snapshot> shuffled = new ArrayList<>(list);
        Collections.shuffle(shuffled, new Random(name.hashCode()));

        RetentionDecision decision = retention.apply(shuffled);

        assertThat(keptIds(decision)).as(name).isEqualTo(expected);
        Set<String> removed = new TreeSet<>();
        decision.removed().forEach(s -> removed.add(s.id()));
        Set<String> rest = new TreeSet<>();
        list.forEach(s -> rest.add(s.id()));
        rest.removeAll(expected);
        assertThat(removed).as(name + ": removed").isEqualTo(rest);
    }

    @Test
    void every_kept_snapshot_says_why_in_restics_words() {
        RetentionDecision decision = Retention.builder().keepDaily(3).keepWeekly(2).keepMonthly(2)
                .keepWithinMonthly("2y").keepWithin("1m").keepTag("keep").build().apply(A);
        Map<String, List<String>> why = reasons(decision);

        assertThat(why.get("a22")).containsExactly("within 1m", "daily snapshot", "weekly snapshot", "monthly snapshot",
                "monthly within 2y");
        assertThat(why.get("a21")).containsExactly("within 1m", "daily snapshot", "weekly snapshot");
        assertThat(why.get("a20")).containsExactly("daily snapshot");
        assertThat(why.get("a19")).containsExactly("monthly snapshot", "monthly within 2y");
        assertThat(why.get("a09")).containsExactly("tag keep");
        assertThat(why.get("a01")).containsExactly("oldest monthly within 2y");
        assertThat(why).doesNotContainKeys("a02", "a04", "a07", "a08", "a10", "a11");
    }

    @Test
    void the_oldest_snapshot_is_marked_as_kept_for_being_the_oldest() {
        Map<String, List<String>> why = reasons(Retention.builder().keepWeekly(11).keepTag("audit,keep").build().apply(A));

        assertThat(why.get("a01")).containsExactly("oldest weekly snapshot");
        assertThat(why.get("a03")).containsExactly("weekly snapshot");
        assertThat(why.get("a09")).containsExactly("tags audit,keep");
    }

    @Test
    void a_snapshot_dated_in_the_future_is_not_where_keep_within_is_measured_from() {
        List<Snapshot> withFuture = new ArrayList<>(A);
        withFuture.add(snap("a23", "2025-06-01T00:00:00Z"));

        RetentionDecision measuredFromA22 = Retention.builder().keepWithin("1d").clock(fixed("2025-04-01T00:00:00Z"))
                .build().apply(withFuture);
        RetentionDecision measuredFromA23 = Retention.builder().keepWithin("1d").clock(fixed("2025-07-01T00:00:00Z"))
                .build().apply(withFuture);

        assertThat(keptIds(measuredFromA22)).containsExactly("a22", "a23");
        assertThat(keptIds(measuredFromA23)).containsExactly("a23");
    }

    @Test
    void keep_within_counts_from_the_newest_snapshot_not_from_now() {
        RetentionDecision decision = Retention.builder().keepWithin("30d").clock(fixed("2030-01-01T00:00:00Z")).build()
                .apply(A);

        assertThat(keptIds(decision)).containsExactly("a21", "a22");
    }

    @Test
    void an_empty_policy_is_refused_because_it_would_remove_everything() {
        assertThatThrownBy(() -> Retention.builder().build())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("would remove every snapshot");
        assertThatThrownBy(() -> Retention.builder().keepWithin("0d").keepDaily(0).build())
                .isInstanceOf(InvalidInputException.class);
    }

    @Test
    void counts_below_minus_one_are_refused() {
        assertThatThrownBy(() -> Retention.builder().keepDaily(-2))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("keepDaily")
                .hasMessageContaining("-1 (unlimited)");
    }

    @Test
    void policies_compose_keeping_what_either_keeps_with_both_reasons() {
        RetentionPolicy either = Retention.anyOf(Retention.builder().keepLast(2).build(),
                Retention.builder().keepTag("keep").keepYearly(1).build());

        RetentionDecision decision = either.apply(A);

        assertThat(keptIds(decision)).containsExactly("a05", "a09", "a21", "a22");
        assertThat(reasons(decision).get("a22")).containsExactly("last snapshot", "yearly snapshot");
        assertThat(decision.removed()).hasSize(A.size() - 4);
    }

    @Test
    void durations_are_parsed_in_restics_syntax() {
        assertThat(RetentionPeriod.parse("30d")).isEqualTo(new RetentionPeriod(0, 0, 30, 0));
        assertThat(RetentionPeriod.parse("1y2m")).isEqualTo(new RetentionPeriod(1, 2, 0, 0));
        assertThat(RetentionPeriod.parse("12h")).isEqualTo(new RetentionPeriod(0, 0, 0, 12));
        assertThat(RetentionPeriod.parse(" 2h1y5m7d ")).isEqualTo(new RetentionPeriod(1, 5, 7, 2));
        assertThat(RetentionPeriod.parse("1y5m7d2h")).hasToString("1y5m7d2h");
        assertThat(RetentionPeriod.of(java.time.Duration.ofDays(30))).hasToString("30d");
        assertThat(RetentionPeriod.of(java.time.Duration.ofHours(36))).hasToString("1d12h");
        for (String bad : List.of("", "d", "30", "30x", "-1d", "1d2d", "1.5d", "30D", "99999999999d")) {
            assertThatThrownBy(() -> RetentionPeriod.parse(bad)).as(bad).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("30d");
        }
        assertThatThrownBy(() -> RetentionPeriod.of(java.time.Duration.ofMinutes(90)))
                .isInstanceOf(InvalidInputException.class);
    }

    @Test
    void calendar_periods_overflow_like_restics() {
        ZoneId utc = ZoneOffset.UTC;
        assertThat(RetentionPeriod.parse("1m").before(Instant.parse("2025-03-31T12:00:00Z"), utc))
                .isEqualTo(Instant.parse("2025-03-03T12:00:00Z"));
        assertThat(RetentionPeriod.parse("1m").before(Instant.parse("2024-03-31T12:00:00Z"), utc))
                .isEqualTo(Instant.parse("2024-03-02T12:00:00Z"));
        assertThat(RetentionPeriod.parse("1y").before(Instant.parse("2024-02-29T12:00:00Z"), utc))
                .isEqualTo(Instant.parse("2023-03-01T12:00:00Z"));
        assertThat(RetentionPeriod.parse("1d6h").before(Instant.parse("2024-03-01T03:00:00Z"), utc))
                .isEqualTo(Instant.parse("2024-02-28T21:00:00Z"));
        // days on the calendar of the zone: 23:00 on March 9 (EDT) back to 23:00 on March 8 (EST) is 23 hours
        assertThat(RetentionPeriod.parse("1d").before(Instant.parse("2025-03-10T03:00:00Z"), ZoneId.of("America/New_York")))
                .isEqualTo(Instant.parse("2025-03-09T04:00:00Z"));
    }

    @Test
    void the_policy_describes_itself() {
        assertThat(Retention.builder().keepDaily(30).keepMonthly(12).keepWithinDaily("30d").keepTag("keep").build())
                .hasToString("keep 30 daily, 12 monthly snapshots, daily snapshots within 30d of the newest,"
                        + " all snapshots tagged keep (periods in Z)");
    }

    static Arguments row(String name, List<Snapshot> list, UnaryOperator<Retention.Builder> policy, String expected) {
        return Arguments.of(name, list, policy, new TreeSet<>(List.of(expected.split(" "))));
    }

    static Set<String> keptIds(RetentionDecision decision) {
        Set<String> out = new TreeSet<>();
        decision.kept().forEach(k -> out.add(k.snapshot().id()));
        return out;
    }

    static Map<String, List<String>> reasons(RetentionDecision decision) {
        Map<String, List<String>> out = new java.util.TreeMap<>();
        decision.kept().forEach(k -> out.put(k.snapshot().id(), k.reasons()));
        return out;
    }

    static Snapshot snap(String id, String time, String... tags) {
        return new Snapshot(id, Instant.parse(time), "host", new SourceId("test", "group"), Optional.empty(),
                Set.of(tags), Optional.empty(), new Snapshot.Stats(1, 1, 1, 1, 1, 1), Map.of(), List.of(), "test");
    }

    static Clock fixed(String time) {
        return Clock.fixed(Instant.parse(time), ZoneOffset.UTC);
    }
}
