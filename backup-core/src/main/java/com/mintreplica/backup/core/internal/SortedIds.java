package com.mintreplica.backup.core.internal;

/**
 * Ids (32 bytes, four longs each) in a {@code long[]} sorted by id, unsigned, as {@link BlobId#compareTo} orders them:
 * the search that {@link BlobIndex}'s runs and {@link CompactIdSet}'s share.
 */
final class SortedIds {
    private SortedIds() {
    }

    /**
     * Where the id is among the first {@code size} ids, or -1. Ids are hashes, spread evenly: the search starts where
     * the first word falls between the first and last ids' (off by about the square root of the size), widens from
     * there in doubling steps until the id is bracketed, and bisects the bracket: a few probes near one place instead
     * of a bisection's 20 cache misses across a million ids (measured: half the time of a bisection with up to four
     * steps of interpolation). Ids that are not spread evenly cost two bisections' steps at most.
     */
    static int search(long[] ids, int size, long k0, long k1, long k2, long k3) {
        return search(ids, size, 4, k0, k1, k2, k3);
    }

    /** The same where each entry is {@code width} longs, the id's four first (an id set's, or a map's with values). */
    static int search(long[] ids, int size, int width, long k0, long k1, long k2, long k3) {
        if (size == 0) {
            return -1;
        }
        long first = ids[0];
        long last = ids[(size - 1) * width];
        if (Long.compareUnsigned(k0, first) < 0 || Long.compareUnsigned(k0, last) > 0) {
            return -1;
        }
        long span = last - first; // unsigned: last >= first
        int guess = span == 0 ? 0
                : (int) Math.min(size - 1, (long) (unsigned(k0 - first) / unsigned(span) * (size - 1)));
        int c = compare(ids, guess * width, k0, k1, k2, k3);
        if (c == 0) {
            return guess;
        }
        int lo;
        int hi;
        if (c < 0) { // after the guess
            lo = guess + 1;
            hi = guess + 1;
            for (int step = 2; hi < size && compare(ids, hi * width, k0, k1, k2, k3) < 0; step <<= 1) {
                lo = hi + 1;
                hi = (int) Math.min(size, (long) guess + step);
            }
            hi = Math.min(hi, size - 1);
        } else { // before it
            hi = guess - 1;
            lo = guess - 1;
            for (int step = 2; lo >= 0 && compare(ids, lo * width, k0, k1, k2, k3) > 0; step <<= 1) {
                hi = lo - 1;
                lo = (int) Math.max(-1, (long) guess - step);
            }
            lo = Math.max(lo, 0);
        }
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            c = compare(ids, mid * width, k0, k1, k2, k3);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Compares the id at {@code at} (an index into the longs) with the given one. */
    static int compare(long[] ids, int at, long k0, long k1, long k2, long k3) {
        int c = Long.compareUnsigned(ids[at], k0);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(ids[at + 1], k1);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(ids[at + 2], k2);
        return c != 0 ? c : Long.compareUnsigned(ids[at + 3], k3);
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (v >>> 1) * 2.0;
    }
}
