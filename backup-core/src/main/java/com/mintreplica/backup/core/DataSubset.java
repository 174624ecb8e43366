package com.mintreplica.backup.core;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which packs a verify reads whole ({@code verify --read-data-subset}, as restic's {@code check}): all of them, part
 * {@code n} of {@code t} (packs split into {@code t} groups by their id, so running parts 1 to {@code t} on successive
 * days reads every pack once: {@code --read-data-subset $(( $(date +%j) % 30 + 1 ))/30}), or a random share of them.
 * A pack not read is still checked without reading: that it exists and is not shorter than its index says.
 */
public final class DataSubset {
    private static final DataSubset NONE = new DataSubset(0, 0, 0);
    private static final DataSubset ALL = new DataSubset(1, 1, 0);

    private final int part;
    private final int parts;
    private final double share;

    private DataSubset(int part, int parts, double share) {
        this.part = part;
        this.parts = parts;
        this.share = share;
    }

    /** No pack is read (verify without {@code --read-data}). */
    public static DataSubset none() {
        return NONE;
    }

    /** Every pack is read ({@code --read-data}). */
    public static DataSubset all() {
        return ALL;
    }

    /** Part {@code n} (1 to {@code t}) of {@code t}. */
    public static DataSubset part(int n, int t) {
        if (t < 1 || n < 1 || n > t) {
            throw new InvalidInputException("a data subset n/t needs 1 <= n <= t (got " + n + "/" + t + ")");
        }
        return t == 1 ? ALL : new DataSubset(n, t, 0);
    }

    /** A random share of the packs, {@code percent} of them (above 0, at most 100). */
    public static DataSubset percent(double percent) {
        if (!(percent > 0) || percent > 100) {
            throw new InvalidInputException("a data subset in percent must be above 0 and at most 100 (got " + percent + ")");
        }
        return percent == 100 ? ALL : new DataSubset(0, 0, percent / 100);
    }

    /** Parses {@code n/t} or {@code x%}. */
    public static DataSubset parse(String text) {
        String t = text.strip();
        try {
            if (t.endsWith("%") && t.substring(0, t.length() - 1).matches("[0-9]+(\\.[0-9]+)?")) {
                double percent = Double.parseDouble(t.substring(0, t.length() - 1));
                if (!(percent > 0) || percent > 100) {
                    throw new InvalidInputException("a data subset in percent must be above 0 and at most 100 (got "
                            + t + ")");
                }
                return percent(percent);
            }
            int slash = t.indexOf('/');
            if (slash > 0) {
                return part(Integer.parseInt(t.substring(0, slash)), Integer.parseInt(t.substring(slash + 1)));
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new InvalidInputException("'" + text + "' is not a data subset: give n/t (part n of t, such as 3/30) or a"
                + " percentage (such as 5%)");
    }

    /** Whether any pack is read. */
    public boolean readsData() {
        return this != NONE;
    }

    /** Whether every pack is read. */
    public boolean readsAll() {
        return this == ALL;
    }

    /** Whether the pack stored under {@code packName} is to be read whole. */
    public boolean includes(String packName) {
        if (this == NONE) {
            return false;
        }
        if (this == ALL) {
            return true;
        }
        if (parts > 0) {
            // the pack id's leading hex digits (its name ends with it), else a hash of the name
            String name = packName.substring(packName.lastIndexOf('/') + 1);
            long group;
            if (name.length() >= 8 && name.substring(0, 8).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                group = Long.parseLong(name.substring(0, 8), 16);
            } else {
                group = Integer.toUnsignedLong(java.util.Arrays.hashCode(name.getBytes(StandardCharsets.UTF_8)));
            }
            return group % parts == part - 1;
        }
        return ThreadLocalRandom.current().nextDouble() < share;
    }

    @Override
    public String toString() {
        return this == NONE ? "none" : this == ALL ? "all" : parts > 0 ? part + "/" + parts : (share * 100) + "%";
    }
}
