package com.mintreplica.backup.core.internal;

import java.time.Instant;

/**
 * {@link Instant#toString()} and {@link Instant#parse} for the times of entries, without {@code java.time.format}: a
 * backup writes two times per entry into its tree blobs and reads two per entry of the parent's, and the JDK's
 * formatter (a general pattern engine: a print context, a parse context with a field map, resolving) cost more than
 * anything else per entry of an unchanged backup, and its C2 compilation alone took about a second of a short run.
 *
 * <p>The output is exactly {@link Instant#toString()}'s (tree blobs are content-addressed: another spelling of the
 * same time would make every unchanged directory a new blob), and parsing gives exactly {@link Instant#parse}'s
 * result: the fast paths cover the years 0000 to 9999 in the canonical form ({@code 2026-12-05T09:30:00Z}, with 3, 6
 * or 9 digits of fraction when not zero, or any 1 to 9 digits when parsed); anything else goes to the JDK.
 */
final class IsoInstant {
    /** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in epoch seconds. */
    private static final long MIN = -62167219200L;
    private static final long END = 253402300800L;

    private IsoInstant() {
    }

    /** The same string as {@code instant.toString()}. */
    static String format(Instant instant) {
        long seconds = instant.getEpochSecond();
        if (seconds < MIN || seconds >= END) {
            return instant.toString();
        }
        int nano = instant.getNano();
        long days = Math.floorDiv(seconds, 86400L);
        int secOfDay = (int) Math.floorMod(seconds, 86400L);
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm; exact for the proleptic Gregorian calendar).
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        int doe = (int) (z - era * 146097);
        int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int mp = (5 * doy + 2) / 153;
        int day = doy - (153 * mp + 2) / 5 + 1;
        int month = mp < 10 ? mp + 3 : mp - 9;
        int year = (int) (yoe + era * 400) + (month <= 2 ? 1 : 0);
        int hour = secOfDay / 3600;
        int minute = secOfDay / 60 % 60;
        int second = secOfDay % 60;

        int digits = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1000 == 0 ? 6 : 9;
        byte[] out = new byte[20 + (digits == 0 ? 0 : 1 + digits)];
        put(out, 0, year, 4);
        out[4] = '-';
        put(out, 5, month, 2);
        out[7] = '-';
        put(out, 8, day, 2);
        out[10] = 'T';
        put(out, 11, hour, 2);
        out[13] = ':';
        put(out, 14, minute, 2);
        out[16] = ':';
        put(out, 17, second, 2);
        int at = 19;
        if (digits > 0) {
            out[at++] = '.';
            put(out, at, digits == 3 ? nano / 1_000_000 : digits == 6 ? nano / 1000 : nano, digits);
            at += digits;
        }
        out[at] = 'Z';
        return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static void put(byte[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }

    /** The same instant as {@code Instant.parse(text)}, which it is handed to unless it is in the canonical form. */
    static Instant parse(CharSequence text) {
        int n = text.length();
        if (n < 20 || n > 30 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':' || text.charAt(n - 1) != 'Z') {
            return Instant.parse(text);
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        int nano = 0;
        if (n > 20) {
            int fraction = n - 21;
            if (text.charAt(19) != '.' || fraction < 1 || fraction > 9) {
                return Instant.parse(text);
            }
            nano = digits(text, 20, fraction);
            for (int i = fraction; i < 9 && nano >= 0; i++) {
                nano *= 10;
            }
        }
        if ((year | month | day | hour | minute | second | nano) < 0 || month < 1 || month > 12 || day < 1
                || day > lengthOfMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
            return Instant.parse(text); // a leap second, an invalid date or anything unusual: the JDK decides
        }
        long days = daysFromCivil(year, month, day);
        return Instant.ofEpochSecond(days * 86400L + hour * 3600L + minute * 60L + second, nano);
    }

    /** The decimal value of {@code count} digits at {@code at}, or -1 when one is not a digit. */
    private static int digits(CharSequence text, int at, int count) {
        int value = 0;
        for (int i = at; i < at + count; i++) {
            int d = text.charAt(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            value = value * 10 + d;
        }
        return value;
    }

    private static int lengthOfMonth(int year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
    private static long daysFromCivil(int year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }
}
