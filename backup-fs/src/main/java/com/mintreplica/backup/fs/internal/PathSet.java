package com.mintreplica.backup.fs.internal;

import java.security.SecureRandom;

/**
 * The entry paths a restore has written, in about 8 to 16 bytes a path whatever their length: each path is kept as a
 * 61-bit polynomial hash modulo the prime 2^61 - 1 at a base drawn at random for each restore (so no snapshot can be
 * made to collide on purpose), in an open-addressing table. Two different paths of at most L characters get the same
 * hash with a probability of at most L / 2^61 (a non-zero polynomial of degree L has at most L roots): for a tree of a
 * million paths, about one chance in 10^12 that a path not written is taken for one that was. A set of strings cost
 * 130 bytes and more a path, more than half the heap of a million-file restore at {@code -Xmx256m}.
 *
 * <p>Not thread-safe (the restore's planning thread uses it).
 */
final class PathSet {
    private static final long P = (1L << 61) - 1;
    private final long base;
    /** Hashes plus one (0 is an empty slot); the length is a power of two, at most three quarters full. */
    private long[] slots = new long[1024];
    private int size;

    PathSet() {
        this(new SecureRandom().nextLong());
    }

    PathSet(long seed) {
        long b = Math.floorMod(seed, P);
        this.base = b < (1 << 17) ? b + (1 << 17) : b; // larger than any coefficient
    }

    int size() {
        return size;
    }

    void add(String path) {
        long h = hash(path);
        int i = find(slots, h);
        if (slots[i] == 0) {
            slots[i] = h;
            if (++size > slots.length / 4 * 3) {
                grow();
            }
        }
    }

    boolean contains(String path) {
        long h = hash(path);
        return slots[find(slots, h)] == h;
    }

    /** The slot holding {@code h}, or the empty slot where it would go. */
    private static int find(long[] table, long h) {
        int mask = table.length - 1;
        long m = h * 0x9E3779B97F4A7C15L;
        int i = (int) (m ^ (m >>> 32)) & mask;
        while (table[i] != 0 && table[i] != h) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void grow() {
        long[] bigger = new long[slots.length * 2];
        for (long h : slots) {
            if (h != 0) {
                bigger[find(bigger, h)] = h;
            }
        }
        slots = bigger;
    }

    /** The path's characters (each plus one, so no character is invisible) as a polynomial at {@code base}, plus one. */
    long hash(String path) {
        long h = 0;
        for (int i = 0; i < path.length(); i++) {
            h = mulMod(h, base) + path.charAt(i) + 1;
            if (h >= P) {
                h -= P;
            }
        }
        return h + 1;
    }

    /** a * b mod 2^61 - 1, for a and b below it. */
    private static long mulMod(long a, long b) {
        long lo = a * b;
        long hi = Math.multiplyHigh(a, b);
        long r = (lo & P) + ((lo >>> 61) | (hi << 3));
        return r >= P ? r - P : r;
    }
}
