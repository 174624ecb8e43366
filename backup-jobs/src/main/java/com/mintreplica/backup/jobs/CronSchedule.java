package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.InvalidInputException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A 5-field cron expression in a time zone: {@code minute hour day-of-month month day-of-week}, as in crontab(5).
 *
 * <ul>
 *   <li>Each field is {@code *}, a value, a range {@code a-b}, a step {@code *}{@code /n}, {@code a-b/n} or
 *       {@code a/n} (from a to the end), or a comma-separated list of these. Months may be named {@code JAN}..{@code
 *       DEC}, weekdays {@code SUN}..{@code SAT}; weekday 0 and 7 are both Sunday.</li>
 *   <li>Macros: {@code @yearly} ({@code @annually}), {@code @monthly}, {@code @weekly}, {@code @daily}
 *       ({@code @midnight}), {@code @hourly}.</li>
 *   <li>Day of month and day of week: when both are restricted (neither starts with {@code *}), a day matches if
 *       either matches, as in Vixie cron: {@code 0 1 1 * MON} runs on the 1st and on every Monday.</li>
 *   <li>An expression that never matches ({@code 0 0 30 2 *}) is refused when parsed.</li>
 * </ul>
 *
 * <p>Times are matched against the wall clock of the schedule's zone. Daylight saving time:
 * <ul>
 *   <li>Spring forward: a wall-clock time the clock skips (02:30 in Europe/Berlin on the last Sunday of March) runs
 *       once, at the instant the clock jumps (03:00 local), however many skipped minutes matched.</li>
 *   <li>Fall back: a wall-clock time that occurs twice (02:30 on the last Sunday of October) runs once, at its first
 *       occurrence. An hourly job therefore runs 23 times on the spring day and 24 times on the autumn day, with a
 *       two-hour gap there; jobs that must run every real hour use a zone without DST, such as UTC (the default).</li>
 * </ul>
 *
 * <p>Immutable and thread-safe. Resolution is one minute: slots are whole minutes.
 */
public final class CronSchedule {
    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");
    private static final String[] MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    private static final String[] WEEKDAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
    /** Wall-clock times near an instant may map to instants this far away (DST shifts are at most 2 hours). */
    private static final long SHIFT_MINUTES = 3 * 60;
    /** Any expression that can match at all matches within this many years (Feb 29 across a skipped leap year). */
    private static final int SEARCH_YEARS = 9;

    private final String expression;
    private final ZoneId zone;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet weekdays;
    private final boolean daysRestricted;
    private final boolean weekdaysRestricted;

    private CronSchedule(String expression, ZoneId zone, String[] fields) {
        this.expression = expression;
        this.zone = zone;
        this.minutes = field(fields[0], "minute", 1, 0, 59, null);
        this.hours = field(fields[1], "hour", 2, 0, 23, null);
        this.days = field(fields[2], "day of month", 3, 1, 31, null);
        this.months = field(fields[3], "month", 4, 1, 12, MONTHS);
        BitSet dow = field(fields[4], "day of week", 5, 0, 7, WEEKDAYS);
        if (dow.get(7)) {
            dow.set(0);
            dow.clear(7);
        }
        this.weekdays = dow;
        this.daysRestricted = !fields[2].startsWith("*");
        this.weekdaysRestricted = !fields[4].startsWith("*");
    }

    /** Parses {@code expression} in UTC. */
    public static CronSchedule parse(String expression) {
        return parse(expression, java.time.ZoneOffset.UTC);
    }

    /**
     * Parses {@code expression}, matched against the wall clock of {@code zone}.
     *
     * @throws InvalidInputException naming the field at fault and what it accepts
     */
    public static CronSchedule parse(String expression, ZoneId zone) {
        Objects.requireNonNull(zone, "zone");
        if (expression == null || expression.isBlank()) {
            throw new InvalidInputException("the cron expression is empty: give five fields such as '0 1 * * *' (01:00 every day)");
        }
        String text = expression.trim().replaceAll("\\s+", " ");
        String expanded = text.startsWith("@") ? MACROS.get(text.toLowerCase(Locale.ROOT)) : text;
        if (expanded == null) {
            throw new InvalidInputException("unknown cron macro '" + text + "': use @yearly, @monthly, @weekly, @daily or @hourly");
        }
        String[] fields = expanded.split(" ");
        if (fields.length != 5) {
            throw new InvalidInputException("the cron expression '" + text + "' has " + fields.length
                    + " fields: give five, minute hour day-of-month month day-of-week, such as '0 1 * * *'");
        }
        CronSchedule schedule = new CronSchedule(text, zone, fields);
        if (schedule.search(LocalDateTime.of(2000, 1, 1, 0, 0), true, Instant.MIN).isEmpty()) {
            throw new InvalidInputException("the cron expression '" + text + "' never matches a date (such as the 30th of February)");
        }
        return schedule;
    }

    /** The expression as given (macros not expanded). */
    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The first slot strictly after {@code after}. */
    public Instant next(Instant after) {
        LocalDateTime start = LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.MINUTES).minusMinutes(SHIFT_MINUTES);
        return search(start, true, after).orElseThrow(() -> new IllegalStateException("no slot after " + after));
    }

    /** The latest slot at or before {@code at}. */
    public Instant previousOrSame(Instant at) {
        LocalDateTime start = LocalDateTime.ofInstant(at, zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(SHIFT_MINUTES);
        return search(start, false, at).orElseThrow(() -> new IllegalStateException("no slot before " + at));
    }

    /**
     * The longest time between two consecutive slots around {@code at} (looking one week ahead of the slot before
     * it): what the age of the newest snapshot may reach in normal operation.
     */
    public java.time.Duration longestGap(Instant at) {
        Instant slot = previousOrSame(at);
        Instant end = slot.plus(java.time.Duration.ofDays(8));
        java.time.Duration longest = java.time.Duration.ZERO;
        int steps = 0;
        while (slot.isBefore(end) && steps++ < 20_000) {
            Instant following = next(slot);
            java.time.Duration gap = java.time.Duration.between(slot, following);
            if (gap.compareTo(longest) > 0) {
                longest = gap;
            }
            slot = following;
        }
        return longest;
    }

    /**
     * Walks wall-clock minutes from {@code start}, forward or backward, to the first one the expression matches whose
     * instant is after {@code bound} (forward) or at or before it (backward). Instants are non-decreasing in wall-clock
     * time (see {@link #instantOf}), so the first such minute gives the nearest slot.
     */
    private Optional<Instant> search(LocalDateTime start, boolean forward, Instant bound) {
        LocalDateTime t = start;
        int limitYear = start.getYear() + (forward ? SEARCH_YEARS : -SEARCH_YEARS);
        while (forward ? t.getYear() <= limitYear : t.getYear() >= limitYear) {
            if (!months.get(t.getMonthValue())) {
                t = forward ? t.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay()
                        : t.toLocalDate().withDayOfMonth(1).atStartOfDay().minusMinutes(1);
                continue;
            }
            if (!dayMatches(t.toLocalDate())) {
                t = forward ? t.toLocalDate().plusDays(1).atStartOfDay() : t.toLocalDate().atStartOfDay().minusMinutes(1);
                continue;
            }
            if (!hours.get(t.getHour())) {
                t = forward ? t.truncatedTo(ChronoUnit.HOURS).plusHours(1) : t.truncatedTo(ChronoUnit.HOURS).minusMinutes(1);
                continue;
            }
            if (!minutes.get(t.getMinute())) {
                t = forward ? t.plusMinutes(1) : t.minusMinutes(1);
                continue;
            }
            Instant instant = instantOf(t);
            if (forward ? instant.isAfter(bound) : !instant.isAfter(bound)) {
                return Optional.of(instant);
            }
            t = forward ? t.plusMinutes(1) : t.minusMinutes(1);
        }
        return Optional.empty();
    }

    /** A wall-clock time the clock skips maps to the end of the gap; a repeated one to its first occurrence. */
    private Instant instantOf(LocalDateTime local) {
        ZoneOffsetTransition transition = zone.getRules().getTransition(local);
        if (transition != null && transition.isGap()) {
            return transition.getInstant();
        }
        return local.atZone(zone).toInstant(); // atZone takes the earlier offset in an overlap
    }

    private boolean dayMatches(LocalDate date) {
        boolean day = days.get(date.getDayOfMonth());
        DayOfWeek dow = date.getDayOfWeek();
        boolean weekday = weekdays.get(dow.getValue() % 7);
        if (daysRestricted && weekdaysRestricted) {
            return day || weekday;
        }
        return day && weekday;
    }

    private static BitSet field(String text, String name, int position, int min, int max, String[] names) {
        BitSet bits = new BitSet(max + 1);
        for (String item : text.split(",", -1)) {
            if (item.isEmpty()) {
                throw fieldError(text, name, position, min, max, names, "an empty list item");
            }
            String range = item;
            int step = 1;
            int slash = item.indexOf('/');
            if (slash >= 0) {
                range = item.substring(0, slash);
                step = number(item.substring(slash + 1), text, name, position, min, max, null, "the step");
                if (step < 1) {
                    throw fieldError(text, name, position, min, max, names, "a step of " + step);
                }
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = min;
                to = name.equals("day of week") ? 6 : max;
            } else {
                int dash = range.indexOf('-');
                if (dash > 0) {
                    from = number(range.substring(0, dash), text, name, position, min, max, names, null);
                    to = number(range.substring(dash + 1), text, name, position, min, max, names, null);
                    if (from > to) {
                        throw fieldError(text, name, position, min, max, names, "the range " + range + " that runs backwards");
                    }
                } else {
                    from = number(range, text, name, position, min, max, names, null);
                    to = slash >= 0 ? max : from;
                }
            }
            for (int v = from; v <= to; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String value, String text, String name, int position, int min, int max, String[] names,
                              String what) {
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equalsIgnoreCase(value)) {
                    return name.equals("month") ? i + 1 : i;
                }
            }
        }
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw fieldError(text, name, position, min, max, names, (what == null ? "" : what + " ") + "'" + value + "'");
        }
        if (what == null && (n < min || n > max)) {
            throw fieldError(text, name, position, min, max, names, n + ", out of range");
        }
        return n;
    }

    private static InvalidInputException fieldError(String text, String name, int position, int min, int max,
                                                    String[] names, String problem) {
        return new InvalidInputException("cron field " + position + " (" + name + ") '" + text + "' has " + problem
                + ": it takes values " + min + "-" + max + (names == null ? "" : " or names " + names[0] + "-"
                + names[names.length - 1]) + ", ranges a-b, steps */n and lists a,b");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronSchedule other && other.expression.equals(expression) && other.zone.equals(zone);
    }

    @Override
    public int hashCode() {
        return expression.hashCode() * 31 + zone.hashCode();
    }

    @Override
    public String toString() {
        return expression + " (" + zone + ")";
    }
}
