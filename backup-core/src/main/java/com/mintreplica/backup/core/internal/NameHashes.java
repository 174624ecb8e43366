package com.mintreplica.backup.core.internal;

/**
 * The names of one directory's listing, as 128-bit hashes in an open-addressing table of {@code long}s, each with an
 * {@code int} (where a backup's parent listing keeps the entry, see {@link ParentTree}), filled to at most three
 * quarters: 27 to 54 bytes a name, where
 * a {@code HashSet<String>} took about a hundred and a map of parsed entries a kilobyte, which matters for a directory
 * of hundreds of thousands of entries. Two names have the same 128-bit hash with a probability that does not matter
 * (among a million names, about 10<sup>-27</sup>); if they did, a backup would stop with a message about the Source's
 * order, a listing would be called damaged, or a parent entry would be found whose change token is not the file's.
 */
final class NameHashes {
    private long[] table = new long[2 * 16];
    private int[] values = new int[16];
    private int size;

    /** Adds {@code name}; false when it was there already. */
    boolean add(String name) {
        return put(name, 0);
    }

    /** Adds {@code name} with {@code value}; false (and nothing changed) when it was there already. */
    boolean put(String name, int value) {
        long h1 = hash1(name);
        long h2 = hash2(name);
        if (h1 == 0 && h2 == 0) {
            h2 = 1;
        }
        if (4L * (size + 1) > 3L * values.length) {
            grow();
        }
        if (insert(table, values, h1, h2, value)) {
            size++;
            return true;
        }
        return false;
    }

    boolean contains(String name) {
        return slot(name) >= 0;
    }

    /** The value {@code name} was put with, or -1. */
    int get(String name) {
        int slot = slot(name);
        return slot < 0 ? -1 : values[slot];
    }

    int size() {
        return size;
    }

    /** Bytes of the table's arrays. */
    long bytes() {
        return 8L * table.length + 4L * values.length;
    }

    private int slot(String name) {
        long h1 = hash1(name);
        long h2 = hash2(name);
        if (h1 == 0 && h2 == 0) {
            h2 = 1;
        }
        int slots = values.length;
        int i = (int) (h1 ^ (h1 >>> 32)) & (slots - 1);
        while (true) {
            long a = table[2 * i];
            long b = table[2 * i + 1];
            if (a == 0 && b == 0) {
                return -1;
            }
            if (a == h1 && b == h2) {
                return i;
            }
            i = (i + 1) & (slots - 1);
        }
    }

    private static boolean insert(long[] into, int[] intoValues, long h1, long h2, int value) {
        int slots = intoValues.length;
        int i = (int) (h1 ^ (h1 >>> 32)) & (slots - 1);
        while (true) {
            long a = into[2 * i];
            long b = into[2 * i + 1];
            if (a == 0 && b == 0) {
                into[2 * i] = h1;
                into[2 * i + 1] = h2;
                intoValues[i] = value;
                return true;
            }
            if (a == h1 && b == h2) {
                return false;
            }
            i = (i + 1) & (slots - 1);
        }
    }

    private void grow() {
        long[] bigger = new long[table.length * 2];
        int[] biggerValues = new int[values.length * 2];
        for (int i = 0; i < values.length; i++) {
            if (table[2 * i] != 0 || table[2 * i + 1] != 0) {
                insert(bigger, biggerValues, table[2 * i], table[2 * i + 1], values[i]);
            }
        }
        table = bigger;
        values = biggerValues;
    }

    /** FNV-1a over the UTF-16 units, then a finaliser (murmur3's fmix64). */
    private static long hash1(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h ^ s.length());
    }

    /** A second, independent polynomial hash with another multiplier and seed, also finalised. */
    private static long hash2(String s) {
        long h = 0x9e3779b97f4a7c15L;
        for (int i = 0; i < s.length(); i++) {
            h = (h + s.charAt(i)) * 0xc2b2ae3d27d4eb4fL;
            h = Long.rotateLeft(h, 31);
        }
        return mix(h + s.length());
    }

    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb93fe1a85ec3L;
        h ^= h >>> 33;
        return h;
    }
}
