package com.mintreplica.backup.core.internal;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A set of 32-byte ids for sets that grow to millions, such as the ids a backup has claimed: 32 bytes of heap an id
 * (plus at most 4 KiB a segment for the latest additions), where an {@link IdSet}'s hash table takes 46 to 91.
 *
 * <p>Ids are split into {@value #SEGMENTS} segments (by their hash, as {@link IdSet} splits them; threads adding ids
 * mostly lock different segments). A segment keeps its latest additions in a small open-addressing table and, when
 * that holds {@value #RECENT_MAX}, sorts them into a run (four longs an id, in order); a new run is merged with the
 * last one as long as that is no larger (a binary counter), so a segment of n ids has at most log2(n / {@value
 * #RECENT_MAX}) + 1 runs, largest first, and merging needs room for one segment's ids at most (a 64th of the set).
 * A lookup probes the table, then searches each run.
 *
 * <p>What rests on it: a backup stores a blob only when {@link #add} says it is new, so an id reported as present
 * that was never added would lose that blob. {@code CompactIdSetTest} checks it against a {@code HashSet} over random
 * sequences, ids that differ only in their last bytes, and threads adding the same ids.
 */
public final class CompactIdSet {
    private static final int SEGMENTS = 64;
    /** Slots of a segment's table of latest additions (a power of two). */
    private static final int RECENT_SLOTS = 128;
    /** Additions that fill the table (half its slots, so a probe that misses is short) and move into a run. */
    static final int RECENT_MAX = 64;

    private final Segment[] segments = new Segment[SEGMENTS];

    public CompactIdSet() {
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment();
        }
    }

    private Segment segment(long k0) {
        return segments[(int) (IdSet.mix(k0) >>> 58)];
    }

    public boolean add(BlobId id) {
        return add(id.raw());
    }

    /** Adds {@code id}; false when it was there already. */
    public boolean add(byte[] id) {
        long k0 = IdSet.word(id, 0);
        Segment s = segment(k0);
        synchronized (s) {
            return s.add(k0, IdSet.word(id, 1), IdSet.word(id, 2), IdSet.word(id, 3));
        }
    }

    public boolean contains(BlobId id) {
        return contains(id.raw());
    }

    public boolean contains(byte[] id) {
        long k0 = IdSet.word(id, 0);
        Segment s = segment(k0);
        synchronized (s) {
            return s.contains(k0, IdSet.word(id, 1), IdSet.word(id, 2), IdSet.word(id, 3));
        }
    }

    public int size() {
        int n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.size;
            }
        }
        return n;
    }

    /** Calls {@code action} for every id, in no particular order (not while other threads add). */
    public void forEach(Consumer<BlobId> action) {
        for (Segment s : segments) {
            if (s.recent != null) {
                for (int slot = 0; slot < RECENT_SLOTS; slot++) {
                    if (s.isUsed(slot)) {
                        action.accept(id(s.recent, slot));
                    }
                }
            }
            for (long[] run : s.runs) {
                for (int i = 0; i < run.length / 4; i++) {
                    action.accept(id(run, i));
                }
            }
        }
    }

    /** The heap the arrays take, in bytes: what a test bounds. */
    public long estimatedBytes() {
        long n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.recent == null ? 0 : (long) s.recent.length * 8 + s.used.length * 8L;
                for (long[] run : s.runs) {
                    n += (long) run.length * 8;
                }
            }
        }
        return n;
    }

    /** One segment; callers hold its monitor. */
    private static final class Segment {
        /** The latest additions, four longs a slot (allocated at the first one). */
        long[] recent;
        final long[] used = new long[RECENT_SLOTS / 64];
        int recentSize;
        /** Sorted runs, four longs an id, largest first. */
        long[][] runs = new long[0][];
        int size;

        boolean contains(long k0, long k1, long k2, long k3) {
            if (recentSize > 0 && findRecent(k0, k1, k2, k3) >= 0) {
                return true;
            }
            for (long[] run : runs) {
                if (search(run, k0, k1, k2, k3) >= 0) {
                    return true;
                }
            }
            return false;
        }

        boolean add(long k0, long k1, long k2, long k3) {
            if (recent == null) {
                recent = new long[RECENT_SLOTS * 4];
            }
            int slot = findRecent(k0, k1, k2, k3);
            if (slot >= 0) {
                return false;
            }
            for (long[] run : runs) {
                if (search(run, k0, k1, k2, k3) >= 0) {
                    return false;
                }
            }
            slot = -slot - 1;
            int at = slot * 4;
            recent[at] = k0;
            recent[at + 1] = k1;
            recent[at + 2] = k2;
            recent[at + 3] = k3;
            used[slot >>> 6] |= 1L << (slot & 63);
            recentSize++;
            size++;
            if (recentSize == RECENT_MAX) {
                flush();
            }
            return true;
        }

        /** The slot holding the key, or -(free slot) - 1 where it would go. */
        private int findRecent(long k0, long k1, long k2, long k3) {
            int mask = RECENT_SLOTS - 1;
            int slot = (int) (IdSet.mix(k0) & mask);
            while (isUsed(slot)) {
                int at = slot * 4;
                if (recent[at] == k0 && recent[at + 1] == k1 && recent[at + 2] == k2 && recent[at + 3] == k3) {
                    return slot;
                }
                slot = (slot + 1) & mask;
            }
            return -slot - 1;
        }

        boolean isUsed(int slot) {
            return (used[slot >>> 6] & (1L << (slot & 63))) != 0;
        }

        /** Moves the latest additions into a sorted run, merging runs that are no larger than it. */
        private void flush() {
            long[] run = new long[recentSize * 4];
            int n = 0;
            for (int slot = 0; slot < RECENT_SLOTS; slot++) {
                if (isUsed(slot)) {
                    System.arraycopy(recent, slot * 4, run, n * 4, 4);
                    n++;
                }
            }
            sort(run, n);
            Arrays.fill(used, 0);
            recentSize = 0;
            int count = runs.length;
            while (count > 0 && runs[count - 1].length <= run.length) {
                run = merge(runs[count - 1], run);
                count--;
            }
            long[][] next = Arrays.copyOf(runs, count + 1);
            next[count] = run;
            runs = next;
        }
    }

    private static int search(long[] run, long k0, long k1, long k2, long k3) {
        return SortedIds.search(run, run.length / 4, k0, k1, k2, k3);
    }

    private static int compare(long[] a, int at, long k0, long k1, long k2, long k3) {
        return SortedIds.compare(a, at, k0, k1, k2, k3);
    }

    /** Sorts the first {@code n} ids of {@code a} (insertion sort: a run starts with {@value #RECENT_MAX} ids). */
    private static void sort(long[] a, int n) {
        for (int i = 1; i < n; i++) {
            long k0 = a[i * 4];
            long k1 = a[i * 4 + 1];
            long k2 = a[i * 4 + 2];
            long k3 = a[i * 4 + 3];
            int j = i - 1;
            while (j >= 0 && compare(a, j * 4, k0, k1, k2, k3) > 0) {
                copy(a, j * 4, a, (j + 1) * 4);
                j--;
            }
            a[(j + 1) * 4] = k0;
            a[(j + 1) * 4 + 1] = k1;
            a[(j + 1) * 4 + 2] = k2;
            a[(j + 1) * 4 + 3] = k3;
        }
    }

    /** Merges two sorted runs with no id in common. */
    private static long[] merge(long[] a, long[] b) {
        long[] out = new long[a.length + b.length];
        int i = 0;
        int j = 0;
        int o = 0;
        while (i < a.length && j < b.length) {
            if (compare(a, i, b[j], b[j + 1], b[j + 2], b[j + 3]) < 0) {
                copy(a, i, out, o);
                i += 4;
            } else {
                copy(b, j, out, o);
                j += 4;
            }
            o += 4;
        }
        System.arraycopy(a, i, out, o, a.length - i);
        System.arraycopy(b, j, out, o + a.length - i, b.length - j);
        return out;
    }

    /** Copies one id (four longs): a call of {@code System.arraycopy} for so few cost more than the copy. */
    private static void copy(long[] from, int at, long[] to, int into) {
        to[into] = from[at];
        to[into + 1] = from[at + 1];
        to[into + 2] = from[at + 2];
        to[into + 3] = from[at + 3];
    }

    private static BlobId id(long[] array, int index) {
        return BlobId.wrap(IdSet.toBytes(array, index));
    }
}
