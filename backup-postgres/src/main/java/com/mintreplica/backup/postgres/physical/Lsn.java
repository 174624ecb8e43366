package com.mintreplica.backup.postgres.physical;

import com.mintreplica.backup.core.InvalidInputException;

/**
 * A WAL position as PostgreSQL writes it ({@code 0/3000028}: two hexadecimal halves of a 64-bit number).
 *
 * @param value the position as an unsigned 64-bit number
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** Parses {@code X/Y}. */
    public static Lsn parse(String text) {
        String t = text == null ? "" : text.strip();
        int slash = t.indexOf('/');
        try {
            if (slash > 0 && slash < t.length() - 1 && t.length() <= 17) {
                long hi = Long.parseLong(t.substring(0, slash), 16);
                long lo = Long.parseLong(t.substring(slash + 1), 16);
                if (hi >= 0 && hi <= 0xFFFFFFFFL && lo >= 0 && lo <= 0xFFFFFFFFL) {
                    return new Lsn((hi << 32) | lo);
                }
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidInputException("'" + text + "' is not a WAL position: give it as PostgreSQL prints it,"
                + " two hexadecimal numbers such as 0/3000028");
    }

    /** The WAL segment file name holding this position on {@code timeline} (16 MiB segments). */
    public String segmentName(int timeline, long segmentSize) {
        long segNo = Long.divideUnsigned(value, segmentSize);
        long perId = Long.divideUnsigned(0x100000000L, segmentSize);
        return String.format("%08X%08X%08X", timeline, segNo / perId, segNo % perId);
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
