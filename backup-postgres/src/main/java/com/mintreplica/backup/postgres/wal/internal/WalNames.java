package com.mintreplica.backup.postgres.wal.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.postgres.wal.WalFile;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL's WAL file names, and where each goes in the archive. Names are those of {@code pg_wal}: a segment
 * {@code TTTTTTTTXXXXXXXXYYYYYYYY} (timeline, log, segment number within the log: 2^32 / segment size per log), a partial
 * segment ({@code .partial}, what pg_receivewal and a promotion leave), a backup history file
 * ({@code <segment>.<offset>.backup}) and a timeline history file ({@code TTTTTTTT.history}).
 */
public final class WalNames {
    private static final Pattern SEGMENT = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})");
    private static final Pattern PARTIAL = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\\.partial");
    private static final Pattern BACKUP = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\\.([0-9A-F]{8})\\.backup");
    private static final Pattern HISTORY = Pattern.compile("([0-9A-F]{8})\\.history");
    /** The default WAL segment size (initdb --wal-segsize). */
    public static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;

    private WalNames() {
    }

    /** A parsed WAL file name. {@code log} and {@code segment} are 0 for a history file. */
    public record Parsed(String name, WalFile.Type type, int timeline, long log, long segment, long offset) {
        /** The first LSN of the segment (for a backup file: of its backup's start), given the segment size. */
        public long startLsn(long segmentSize) {
            if (type == WalFile.Type.HISTORY) {
                return 0;
            }
            return log * 0x1_0000_0000L + segment * segmentSize + (type == WalFile.Type.BACKUP ? offset : 0);
        }

        /** The 16 hex digits of timeline and log: the archive's directory of this file. */
        public String directory() {
            return name.substring(0, 16);
        }

        /** The segment's name (the first 24 characters; for a history file its name). */
        public String segmentName() {
            return type == WalFile.Type.HISTORY ? name : name.substring(0, 24);
        }

        /** A number that orders segments of one timeline: log * segments per log + segment. */
        public long sequence(long segmentSize) {
            return log * (0x1_0000_0000L / segmentSize) + segment;
        }
    }

    /** Parses {@code name}, or empty when it is no WAL file name. */
    public static java.util.Optional<Parsed> parse(String name) {
        Matcher m = SEGMENT.matcher(name);
        if (m.matches()) {
            return java.util.Optional.of(new Parsed(name, WalFile.Type.SEGMENT, hex(m.group(1)), hexLong(m.group(2)),
                    hexLong(m.group(3)), 0));
        }
        m = PARTIAL.matcher(name);
        if (m.matches()) {
            return java.util.Optional.of(new Parsed(name, WalFile.Type.PARTIAL, hex(m.group(1)), hexLong(m.group(2)),
                    hexLong(m.group(3)), 0));
        }
        m = BACKUP.matcher(name);
        if (m.matches()) {
            return java.util.Optional.of(new Parsed(name, WalFile.Type.BACKUP, hex(m.group(1)), hexLong(m.group(2)),
                    hexLong(m.group(3)), hexLong(m.group(4))));
        }
        m = HISTORY.matcher(name);
        if (m.matches()) {
            return java.util.Optional.of(new Parsed(name, WalFile.Type.HISTORY, hex(m.group(1)), 0, 0, 0));
        }
        return java.util.Optional.empty();
    }

    /** Parses {@code name} or refuses it, saying what a WAL file name looks like. */
    public static Parsed require(String name) {
        return parse(name).orElseThrow(() -> new InvalidInputException("'" + name + "' is not the name of a WAL file:"
                + " expected a segment (24 hex digits, e.g. 000000010000000000000003), a .partial segment, a backup"
                + " history file (000000010000000000000003.00000028.backup) or a timeline history file (00000002.history)"));
    }

    /** The segment name of the segment holding {@code lsn} on {@code timeline}. */
    public static String segmentName(int timeline, long lsn, long segmentSize) {
        long perLog = 0x1_0000_0000L / segmentSize;
        long seq = Long.divideUnsigned(lsn, segmentSize);
        return String.format(Locale.ROOT, "%08X%08X%08X", timeline, seq / perLog, seq % perLog);
    }

    /** The segment name of sequence number {@code seq} (see {@link Parsed#sequence}) on {@code timeline}. */
    public static String segmentOfSequence(int timeline, long seq, long segmentSize) {
        long perLog = 0x1_0000_0000L / segmentSize;
        return String.format(Locale.ROOT, "%08X%08X%08X", timeline, seq / perLog, seq % perLog);
    }

    /** {@code 0/3000028}, as PostgreSQL writes an LSN. */
    public static String lsnText(long lsn) {
        return String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFF_FFFFL);
    }

    /** Parses an LSN as PostgreSQL writes it ({@code 0/3000028}). */
    public static long parseLsn(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0) {
            throw new InvalidInputException("'" + text + "' is not an LSN: expected two hex numbers, e.g. 0/3000028");
        }
        try {
            return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("'" + text + "' is not an LSN: expected two hex numbers, e.g. 0/3000028");
        }
    }

    private static int hex(String s) {
        return (int) Long.parseLong(s, 16);
    }

    private static long hexLong(String s) {
        return Long.parseLong(s, 16);
    }
}
