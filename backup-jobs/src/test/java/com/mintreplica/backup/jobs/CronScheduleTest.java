package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static Instant utc(String text) {
        return Instant.parse(text);
    }

    private static List<Instant> slots(CronSchedule s, Instant from, int n) {
        List<Instant> out = new ArrayList<>();
        Instant t = from;
        for (int i = 0; i < n; i++) {
            t = s.next(t);
            out.add(t);
        }
        return out;
    }

    @Nested
    class Fields {
        @Test
        void daily_at_one_runs_at_one_every_day() {
            CronSchedule s = CronSchedule.parse("0 1 * * *");
            assertThat(slots(s, utc("2026-11-24T00:59:59Z"), 3))
                    .containsExactly(utc("2026-11-24T01:00:00Z"), utc("2026-11-25T01:00:00Z"), utc("2026-11-26T01:00:00Z"));
        }

        @Test
        void next_is_strictly_after_and_previous_includes_the_instant_itself() {
            CronSchedule s = CronSchedule.parse("0 * * * *");
            assertThat(s.next(utc("2026-11-24T01:00:00Z"))).isEqualTo(utc("2026-11-24T02:00:00Z"));
            assertThat(s.previousOrSame(utc("2026-11-24T01:00:00Z"))).isEqualTo(utc("2026-11-24T01:00:00Z"));
            assertThat(s.previousOrSame(utc("2026-11-24T01:59:59Z"))).isEqualTo(utc("2026-11-24T01:00:00Z"));
        }

        @Test
        void lists_ranges_and_steps_combine() {
            CronSchedule s = CronSchedule.parse("15,45 8-10/2 * * *");
            assertThat(slots(s, utc("2026-11-24T00:00:00Z"), 5)).containsExactly(
                    utc("2026-11-24T08:15:00Z"), utc("2026-11-24T08:45:00Z"), utc("2026-11-24T10:15:00Z"),
                    utc("2026-11-24T10:45:00Z"), utc("2026-11-25T08:15:00Z"));
        }

        @Test
        void star_step_and_open_ended_step() {
            assertThat(slots(CronSchedule.parse("*/20 * * * *"), utc("2026-11-24T00:00:00Z"), 3))
                    .containsExactly(utc("2026-11-24T00:20:00Z"), utc("2026-11-24T00:40:00Z"), utc("2026-11-24T01:00:00Z"));
            assertThat(slots(CronSchedule.parse("50/5 * * * *"), utc("2026-11-24T00:00:00Z"), 3))
                    .containsExactly(utc("2026-11-24T00:50:00Z"), utc("2026-11-24T00:55:00Z"), utc("2026-11-24T01:50:00Z"));
        }

        @Test
        void hourly_in_between_skips_the_daily_hour() {
            CronSchedule s = CronSchedule.parse("0 2-23 * * *");
            assertThat(s.next(utc("2026-11-24T23:30:00Z"))).isEqualTo(utc("2026-11-25T02:00:00Z"));
        }

        @Test
        void month_and_weekday_names_are_case_insensitive_and_sunday_is_0_or_7() {
            CronSchedule names = CronSchedule.parse("0 6 * jan-mar Sun");
            CronSchedule seven = CronSchedule.parse("0 6 * 1-3 7");
            Instant from = utc("2026-11-24T00:00:00Z");
            assertThat(names.next(from)).isEqualTo(utc("2027-01-03T06:00:00Z")).isEqualTo(seven.next(from));
            assertThat(ZonedDateTime.ofInstant(names.next(from), ZoneId.of("UTC")).getDayOfWeek().getValue()).isEqualTo(7);
        }

        @Test
        void restricted_day_of_month_and_day_of_week_match_either_as_in_vixie_cron() {
            // 2026-12-01 is a Tuesday; the Mondays around it are Nov 30 and Dec 7.
            CronSchedule s = CronSchedule.parse("0 0 1 * MON");
            assertThat(slots(s, utc("2026-11-29T00:00:00Z"), 3))
                    .containsExactly(utc("2026-11-30T00:00:00Z"), utc("2026-12-01T00:00:00Z"), utc("2026-12-07T00:00:00Z"));
            // With one of them '*', both must match: the 1st only when it is a Monday... here: every 1st.
            assertThat(CronSchedule.parse("0 0 1 * *").next(utc("2026-11-29T00:00:00Z"))).isEqualTo(utc("2026-12-01T00:00:00Z"));
        }

        @Test
        void leap_day_is_found_years_ahead() {
            assertThat(CronSchedule.parse("0 0 29 2 *").next(utc("2026-11-24T00:00:00Z"))).isEqualTo(utc("2028-02-29T00:00:00Z"));
        }

        @Test
        void macros_expand() {
            assertThat(CronSchedule.parse("@daily").next(utc("2026-11-24T10:00:00Z"))).isEqualTo(utc("2026-11-25T00:00:00Z"));
            assertThat(CronSchedule.parse("@hourly").next(utc("2026-11-24T10:00:00Z"))).isEqualTo(utc("2026-11-24T11:00:00Z"));
            assertThat(CronSchedule.parse("@weekly").next(utc("2026-11-24T10:00:00Z"))).isEqualTo(utc("2026-11-29T00:00:00Z"));
            assertThat(CronSchedule.parse("@monthly").next(utc("2026-11-24T10:00:00Z"))).isEqualTo(utc("2026-12-01T00:00:00Z"));
            assertThat(CronSchedule.parse("@yearly").next(utc("2026-11-24T10:00:00Z"))).isEqualTo(utc("2027-01-01T00:00:00Z"));
        }

        @Test
        void the_zone_is_the_wall_clock_matched() {
            CronSchedule s = CronSchedule.parse("0 1 * * *", BERLIN);
            assertThat(s.next(utc("2026-11-24T00:30:00Z"))).isEqualTo(utc("2026-11-25T00:00:00Z")); // 01:00 CET
            assertThat(s.next(utc("2026-07-01T00:30:00Z"))).isEqualTo(utc("2026-07-01T23:00:00Z")); // 01:00 CEST
        }

        @Test
        void longest_gap_sees_the_night_of_an_office_hours_schedule() {
            assertThat(CronSchedule.parse("0 8-18 * * *").longestGap(utc("2026-11-24T12:00:00Z"))).isEqualTo(Duration.ofHours(14));
            assertThat(CronSchedule.parse("0 * * * *").longestGap(utc("2026-11-24T12:00:00Z"))).isEqualTo(Duration.ofHours(1));
        }
    }

    @Nested
    class DaylightSaving {
        // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).

        @Test
        void a_skipped_time_runs_once_when_the_clock_jumps() {
            CronSchedule s = CronSchedule.parse("30 2 * * *", BERLIN);
            assertThat(slots(s, utc("2026-03-28T00:00:00Z"), 3)).containsExactly(
                    utc("2026-03-28T01:30:00Z"), // 02:30 CET
                    utc("2026-03-29T01:00:00Z"), // 02:30 does not exist: 03:00 CEST, the jump
                    utc("2026-03-30T00:30:00Z")); // 02:30 CEST
            assertThat(s.previousOrSame(utc("2026-03-29T01:10:00Z"))).isEqualTo(utc("2026-03-29T01:00:00Z"));
        }

        @Test
        void every_skipped_minute_collapses_into_one_run_and_hourly_runs_23_times_that_day() {
            CronSchedule s = CronSchedule.parse("*/15 * * * *", BERLIN);
            List<Instant> around = slots(s, utc("2026-03-29T00:40:00Z"), 3);
            assertThat(around).containsExactly(utc("2026-03-29T00:45:00Z"), utc("2026-03-29T01:00:00Z"), utc("2026-03-29T01:15:00Z"));
            CronSchedule hourly = CronSchedule.parse("0 * * * *", BERLIN);
            assertThat(count(hourly, utc("2026-03-28T23:00:00Z"), utc("2026-03-29T22:00:00Z"))).isEqualTo(23);
        }

        @Test
        void a_repeated_time_runs_once_at_its_first_occurrence() {
            CronSchedule s = CronSchedule.parse("30 2 * * *", BERLIN);
            assertThat(slots(s, utc("2026-10-24T12:00:00Z"), 2)).containsExactly(
                    utc("2026-10-25T00:30:00Z"), // 02:30 CEST, the first of two
                    utc("2026-10-26T01:30:00Z")); // 02:30 CET the next day
            // During the second 02:xx hour the previous slot is the first occurrence, not yesterday's.
            assertThat(s.previousOrSame(utc("2026-10-25T01:10:00Z"))).isEqualTo(utc("2026-10-25T00:30:00Z"));
        }

        @Test
        void hourly_runs_24_times_on_the_autumn_day_with_one_two_hour_gap() {
            CronSchedule hourly = CronSchedule.parse("0 * * * *", BERLIN);
            // The local day 2026-10-25 lasts 25 hours: 22:00Z on the 24th to 23:00Z on the 25th.
            assertThat(count(hourly, utc("2026-10-24T21:59:00Z"), utc("2026-10-25T22:59:00Z"))).isEqualTo(24);
            assertThat(hourly.next(utc("2026-10-25T00:00:00Z"))).isEqualTo(utc("2026-10-25T02:00:00Z"));
        }

        private int count(CronSchedule s, Instant from, Instant to) {
            int n = 0;
            for (Instant t = s.next(from); !t.isAfter(to); t = s.next(t)) {
                n++;
            }
            return n;
        }
    }

    @Nested
    class Errors {
        @Test
        void wrong_field_count_names_the_expected_form() {
            assertThatThrownBy(() -> CronSchedule.parse("0 1 * *"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("4 fields").hasMessageContaining("five");
        }

        @Test
        void out_of_range_value_names_the_field_and_its_range() {
            assertThatThrownBy(() -> CronSchedule.parse("0 25 * * *"))
                    .hasMessageContaining("field 2 (hour)").hasMessageContaining("0-23").hasMessageContaining("25");
            assertThatThrownBy(() -> CronSchedule.parse("0 0 * FOO *"))
                    .hasMessageContaining("month").hasMessageContaining("JAN-DEC");
            assertThatThrownBy(() -> CronSchedule.parse("0 0 * * 8")).hasMessageContaining("day of week");
        }

        @Test
        void backwards_range_empty_item_and_zero_step_are_refused() {
            assertThatThrownBy(() -> CronSchedule.parse("0 5-3 * * *")).hasMessageContaining("backwards");
            assertThatThrownBy(() -> CronSchedule.parse("0,,5 * * * *")).hasMessageContaining("empty");
            assertThatThrownBy(() -> CronSchedule.parse("*/0 * * * *")).hasMessageContaining("step of 0");
        }

        @Test
        void an_expression_that_never_matches_is_refused() {
            assertThatThrownBy(() -> CronSchedule.parse("0 0 30 2 *")).hasMessageContaining("never matches");
        }

        @Test
        void unknown_macro_and_empty_expression() {
            assertThatThrownBy(() -> CronSchedule.parse("@reboot")).hasMessageContaining("unknown cron macro");
            assertThatThrownBy(() -> CronSchedule.parse(" ")).hasMessageContaining("empty");
        }
    }
}
