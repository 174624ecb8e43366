package com.mintreplica.backup.postgres.internal.receive;

import com.mintreplica.backup.core.InvalidInputException;
import java.util.Locale;

/** WAL positions ({@code 16/B374D848}) and segment names, as PostgreSQL writes them. */
public final class Lsn {
    private Lsn() {
    }

    /** {@code 16/B374D848} as a number. */
    public static long parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 1) {
            throw new InvalidInputException("'" + text + "' is not a WAL position (expected something like 0/16B3748)");
        }
        try {
            return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("'" + text + "' is not a WAL position (expected something like 0/16B3748)");
        }
    }

    /** A number as {@code 16/B374D848}. */
    public static String format(long lsn) {
        return String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
    }

    /** The start of the segment holding {@code lsn}. */
    public static long segmentStart(long lsn, long segmentSize) {
        return lsn - Long.remainderUnsigned(lsn, segmentSize);
    }

    /** The file name of the segment on timeline {@code timeline} holding {@code lsn}: {@code 000000010000000000000003}. */
    public static String segmentName(int timeline, long lsn, long segmentSize) {
        long segno = Long.divideUnsigned(lsn, segmentSize);
        long perId = 0x100000000L / segmentSize;
        return String.format(Locale.ROOT, "%08X%08X%08X", timeline, segno / perId, segno % perId);
    }

    /** The history file name of timeline {@code timeline}: {@code 00000002.history}. */
    public static String historyName(int timeline) {
        return String.format(Locale.ROOT, "%08X.history", timeline);
    }

    /** {@code 16MB}, {@code 1GB}, {@code 16384kB} (as {@code SHOW wal_segment_size} prints it) in bytes. */
    public static long parseSize(String text) {
        String t = text.strip();
        long unit = 1;
        String digits = t;
        if (t.endsWith("kB")) {
            unit = 1024;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("MB")) {
            unit = 1024 * 1024;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("GB")) {
            unit = 1024L * 1024 * 1024;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B")) {
            digits = t.substring(0, t.length() - 1);
        }
        long size = Long.parseLong(digits.strip()) * unit;
        if (size <= 0 || Long.bitCount(size) != 1) {
            throw new InvalidInputException("wal_segment_size '" + text + "' is not a power of two");
        }
        return size;
    }

    /**
     * Where timeline {@code timeline} ends according to a history file's text ({@code parentTLI<TAB>switchpoint<TAB>
     * reason} lines), or -1 when the history does not end it (it is the newest).
     */
    public static long switchPoint(String history, int timeline) {
        for (String line : history.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] parts = l.split("\\s+");
            if (parts.length >= 2 && Integer.parseInt(parts[0]) == timeline) {
                return parse(parts[1]);
            }
        }
        return -1;
    }

    /** The timeline that follows {@code timeline} in a history file's text, or -1. */
    public static int nextTimeline(String history, int timeline, int newest) {
        int previous = -1;
        for (String line : history.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int tli = Integer.parseInt(l.split("\\s+")[0]);
            if (previous == timeline) {
                return tli;
            }
            previous = tli;
        }
        return previous == timeline ? newest : -1;
    }
}
