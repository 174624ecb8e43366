package com.mintreplica.backup.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Human-readable sizes, rates, times. */
final class Format {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private Format() {
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        // One Formatter per thread, of Locale.US (the same digits and '.' as Locale.ROOT, with no look-up of either):
        // String.format made a Formatter and looked up the root locale's decimal symbols per call, a third of the
        // time of listing 10,000 snapshots once they were cached.
        java.util.Formatter f = FORMATTERS.get();
        StringBuilder out = (StringBuilder) f.out();
        out.setLength(0);
        f.format(v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
        return out.toString();
    }

    private static final ThreadLocal<java.util.Formatter> FORMATTERS =
            ThreadLocal.withInitial(() -> new java.util.Formatter(new StringBuilder(16), Locale.US));

    static String rate(long bytes, long nanos) {
        if (nanos <= 0) {
            return "-";
        }
        return bytes((long) (bytes / (nanos / 1e9))) + "/s";
    }

    static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    static String time(Instant t) {
        java.time.LocalDateTime d = java.time.LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC);
        if (d.getYear() < 1000 || d.getYear() > 9999) {
            return TIME.format(t);
        }
        // what TIME gives, without its formatter's per-field work (a listing of 10,000 snapshots formats 10,000)
        char[] c = new char[19];
        digits(c, 0, d.getYear(), 4);
        c[4] = '-';
        digits(c, 5, d.getMonthValue(), 2);
        c[7] = '-';
        digits(c, 8, d.getDayOfMonth(), 2);
        c[10] = ' ';
        digits(c, 11, d.getHour(), 2);
        c[13] = ':';
        digits(c, 14, d.getMinute(), 2);
        c[16] = ':';
        digits(c, 17, d.getSecond(), 2);
        return new String(c);
    }

    private static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
