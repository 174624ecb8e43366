package com.mintreplica.backup.core.retention;

import com.mintreplica.backup.core.InvalidInputException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * A span of calendar time for the keep-within rules, in restic's syntax: years, months, days and hours, written
 * {@code 1y2m3d4h} with any part left out ({@code 30d}, {@code 1y}, {@code 12h}, {@code 1y6m}). {@code m} is months;
 * there are no minutes.
 *
 * <p>The span is taken back from a point in time the way restic does it: years, months and days on the calendar of the
 * policy's time zone, where an impossible date overflows into the next month (one month before March 31 is March 3,
 * or March 2 in a leap year, not February 28), then hours as elapsed time.
 *
 * @param years whole years, at least 0
 * @param months whole months, at least 0
 * @param days whole days, at least 0
 * @param hours whole hours, at least 0
 */
public record RetentionPeriod(int years, int months, int days, int hours) {

    public RetentionPeriod {
        if (years < 0 || months < 0 || days < 0 || hours < 0) {
            throw new InvalidInputException("a retention period cannot be negative: " + years + "y" + months + "m"
                    + days + "d" + hours + "h");
        }
    }

    /**
     * Parses restic's syntax: one or more {@code <number><unit>} with unit {@code y} (years), {@code m} (months),
     * {@code d} (days) or {@code h} (hours), each unit at most once, e.g. {@code 30d}, {@code 1y2m}, {@code 12h}.
     *
     * @throws InvalidInputException naming the text and what is wrong with it
     */
    public static RetentionPeriod parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException("a retention period is empty: write it like 30d, 1y2m or 12h"
                    + " (y = years, m = months, d = days, h = hours)");
        }
        String s = text.strip();
        long[] parts = {-1, -1, -1, -1};
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == start) {
                throw invalid(text, "expected a number at '" + s.substring(start) + "'");
            }
            if (i == s.length()) {
                throw invalid(text, "the number " + s.substring(start) + " has no unit");
            }
            String digits = s.substring(start, i);
            char unit = s.charAt(i++);
            int slot = "ymdh".indexOf(unit);
            if (slot < 0) {
                throw invalid(text, "'" + unit + "' is not a unit");
            }
            if (parts[slot] >= 0) {
                throw invalid(text, "the unit '" + unit + "' appears twice");
            }
            long value;
            try {
                value = Long.parseLong(digits);
            } catch (NumberFormatException e) {
                value = Long.MAX_VALUE;
            }
            if (value > Integer.MAX_VALUE) {
                throw invalid(text, digits + " is too large");
            }
            parts[slot] = value;
        }
        return new RetentionPeriod((int) Math.max(0, parts[0]), (int) Math.max(0, parts[1]),
                (int) Math.max(0, parts[2]), (int) Math.max(0, parts[3]));
    }

    private static InvalidInputException invalid(String text, String why) {
        return new InvalidInputException("'" + text + "' is not a retention period: " + why
                + "; write it like 30d, 1y2m or 12h (y = years, m = months, d = days, h = hours)");
    }

    /**
     * The period of a {@link Duration}: whole days and hours ({@code Duration.ofDays(30)} is {@code 30d}).
     *
     * @throws InvalidInputException when the duration is negative or not a whole number of hours
     */
    public static RetentionPeriod of(Duration duration) {
        if (duration.isNegative()) {
            throw new InvalidInputException("a retention period cannot be negative: " + duration);
        }
        if (duration.toSecondsPart() != 0 || duration.toMinutesPart() != 0 || duration.toNanosPart() != 0) {
            throw new InvalidInputException("a retention period is counted in whole hours, not " + duration);
        }
        long days = duration.toDays();
        if (days > Integer.MAX_VALUE) {
            throw new InvalidInputException("a retention period of " + duration + " is too large");
        }
        return new RetentionPeriod(0, 0, (int) days, duration.toHoursPart());
    }

    /** Whether every part is zero: such a period keeps nothing and counts as not set. */
    public boolean isZero() {
        return years == 0 && months == 0 && days == 0 && hours == 0;
    }

    /**
     * The instant this period before {@code end}, on the calendar of {@code zone}: years, months and days first, an
     * impossible date overflowing into the next month, then hours as elapsed time.
     */
    public Instant before(Instant end, ZoneId zone) {
        LocalDateTime local = end.atZone(zone).toLocalDateTime();
        long monthIndex = local.getYear() * 12L + (local.getMonthValue() - 1) - years * 12L - months;
        LocalDate firstOfMonth = LocalDate.of((int) Math.floorDiv(monthIndex, 12), (int) Math.floorMod(monthIndex, 12) + 1, 1);
        LocalDate date = firstOfMonth.plusDays(local.getDayOfMonth() - 1L - days);
        return ZonedDateTime.of(date.atTime(local.toLocalTime()), zone).toInstant().minus(Duration.ofHours(hours));
    }

    /** restic's notation, e.g. {@code 1y2m}, {@code 30d}; {@code 0h} for the zero period. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (years != 0) {
            sb.append(years).append('y');
        }
        if (months != 0) {
            sb.append(months).append('m');
        }
        if (days != 0) {
            sb.append(days).append('d');
        }
        if (hours != 0) {
            sb.append(hours).append('h');
        }
        return sb.length() == 0 ? "0h" : sb.toString();
    }
}
