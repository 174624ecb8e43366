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
 * A lookup probes the table, then searches each run. With {@link #map()}, each id also maps to a second id (four more
 * longs beside it: 64 bytes an entry, where {@code IdSet.map()} takes 91 to 183).
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
    private static final int RECENT_MAX = 64;

    private final Segment[] segments = new Segment[SEGMENTS];

    public CompactIdSet() {
        this(4);
    }

    private CompactIdSet(int width) {
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment(width);
        }
    }

    /** A set whose ids each map to another id ({@link #put}, {@link #get}). */
    public static CompactIdSet map() {
        return new CompactIdSet(8);
    }

    private Segment segment(long k0) {
        return segments[segmentOf(k0)];
    }

    private static int segmentOf(long k0) {
        return (int) (IdSet.mix(k0) >>> 58);
    }

    public boolean add(BlobId id) {
        return add(id.raw());
    }

    /** Adds {@code id}; false when it was there already. */
    public boolean add(byte[] id) {
        long k0 = IdSet.word(id, 0);
        Segment s = segment(k0);
        synchronized (s) {
            if (s.find(k0, IdSet.word(id, 1), IdSet.word(id, 2), IdSet.word(id, 3))) {
                return false;
            }
            s.insert(k0, IdSet.word(id, 1), IdSet.word(id, 2), IdSet.word(id, 3), null);
            return true;
        }
    }

    /**
     * Adds the ids of {@code sorted}, 32 bytes each in ascending (unsigned) order, as an index object's id part holds
     * them: each segment takes its share as a run at once, instead of an id at a time through its table and the sorts
     * of 64. Ids already in the set are kept once. Input that is not in order is added an id at a time.
     */
    public void addSorted(byte[] sorted) {
        if (segments[0].width != 4) {
            throw new IllegalStateException("addSorted adds to a set, not to a map");
        }
        int n = sorted.length / BlobId.LENGTH;
        if (n < 2 * RECENT_MAX || !ascending(sorted, n)) {
            byte[] id = new byte[BlobId.LENGTH];
            for (int i = 0; i < n; i++) {
                System.arraycopy(sorted, i * BlobId.LENGTH, id, 0, BlobId.LENGTH);
                add(id);
            }
            return;
        }
        int[] counts = new int[SEGMENTS];
        for (int i = 0; i < n; i++) {
            counts[segmentOf(IdSet.word(sorted, i * 4))]++;
        }
        long[][] shares = new long[SEGMENTS][];
        for (int g = 0; g < SEGMENTS; g++) {
            shares[g] = new long[counts[g] * 4];
        }
        int[] filled = new int[SEGMENTS];
        for (int i = 0; i < n; i++) {
            long k0 = IdSet.word(sorted, i * 4);
            int g = segmentOf(k0);
            long[] share = shares[g];
            int at = filled[g];
            share[at] = k0;
            for (int w = 1; w < 4; w++) {
                share[at + w] = IdSet.word(sorted, i * 4 + w);
            }
            filled[g] = at + 4;
        }
        for (int g = 0; g < SEGMENTS; g++) {
            if (shares[g].length > 0) {
                Segment s = segments[g];
                synchronized (s) {
                    s.addRun(shares[g]);
                }
                shares[g] = null;
            }
        }
    }

    /** Whether the {@code n} ids of {@code ids} are in strictly ascending order (no id twice). */
    private static boolean ascending(byte[] ids, int n) {
        for (int i = 1; i < n; i++) {
            if (Arrays.compareUnsigned(ids, (i - 1) * BlobId.LENGTH, i * BlobId.LENGTH, ids, i * BlobId.LENGTH,
                    (i + 1) * BlobId.LENGTH) >= 0) {
                return false;
            }
        }
        return true;
    }

    public boolean contains(BlobId id) {
        return contains(id.raw());
    }

    public boolean contains(byte[] id) {
        long k0 = IdSet.word(id, 0);
        Segment s = segment(k0);
        synchronized (s) {
            return s.find(k0, IdSet.word(id, 1), IdSet.word(id, 2), IdSet.word(id, 3));
        }
    }

    /** Maps {@code id} to {@code value} (a set made by {@link #map()}). */
    public void put(BlobId id, BlobId value) {
        byte[] k = id.raw();
        byte[] v = value.raw();
        long k0 = IdSet.word(k, 0);
        Segment s = segment(k0);
        synchronized (s) {
            if (s.find(k0, IdSet.word(k, 1), IdSet.word(k, 2), IdSet.word(k, 3))) {
                for (int i = 0; i < 4; i++) {
                    s.foundArray[s.foundAt + 4 + i] = IdSet.word(v, i);
                }
            } else {
                s.insert(k0, IdSet.word(k, 1), IdSet.word(k, 2), IdSet.word(k, 3), v);
            }
        }
    }

    /** The id {@code id} maps to, or null (a set made by {@link #map()}). */
    public BlobId get(BlobId id) {
        byte[] k = id.raw();
        long k0 = IdSet.word(k, 0);
        Segment s = segment(k0);
        synchronized (s) {
            if (!s.find(k0, IdSet.word(k, 1), IdSet.word(k, 2), IdSet.word(k, 3))) {
                return null;
            }
            return BlobId.wrap(IdSet.toBytes(s.foundArray, (s.foundAt + 4) / 4));
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
            int w = s.width;
            if (s.recent != null) {
                for (int slot = 0; slot < RECENT_SLOTS; slot++) {
                    if (s.isUsed(slot)) {
                        action.accept(BlobId.wrap(IdSet.toBytes(s.recent, slot * w / 4)));
                    }
                }
            }
            for (long[] run : s.runs) {
                for (int at = 0; at < run.length; at += w) {
                    action.accept(BlobId.wrap(IdSet.toBytes(run, at / 4)));
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

    /** One segment; callers hold its monitor. Entries are {@code width} longs: the id's four, then the value's. */
    private static final class Segment {
        final int width;
        /** The latest additions, {@code width} longs a slot (allocated at the first one). */
        long[] recent;
        final long[] used = new long[RECENT_SLOTS / 64];
        int recentSize;
        /** Sorted runs, largest first. */
        long[][] runs = new long[0][];
        int size;
        /** Where the last {@link #find} found its id (the array and the index of the entry's first long)... */
        long[] foundArray;
        int foundAt;
        /** ...or the free slot of the table where it would go. */
        int freeSlot;

        Segment(int width) {
            this.width = width;
        }

        boolean find(long k0, long k1, long k2, long k3) {
            if (recent == null) {
                recent = new long[RECENT_SLOTS * width];
            }
            int mask = RECENT_SLOTS - 1;
            int slot = (int) (IdSet.mix(k0) & mask);
            while (isUsed(slot)) {
                int at = slot * width;
                if (recent[at] == k0 && recent[at + 1] == k1 && recent[at + 2] == k2 && recent[at + 3] == k3) {
                    foundArray = recent;
                    foundAt = at;
                    return true;
                }
                slot = (slot + 1) & mask;
            }
            freeSlot = slot;
            for (long[] run : runs) {
                int i = SortedIds.search(run, run.length / width, width, k0, k1, k2, k3);
                if (i >= 0) {
                    foundArray = run;
                    foundAt = i * width;
                    return true;
                }
            }
            return false;
        }

        /** Inserts an id that {@link #find} just did not find, at the free slot it found. */
        void insert(long k0, long k1, long k2, long k3, byte[] value) {
            int slot = freeSlot;
            int at = slot * width;
            recent[at] = k0;
            recent[at + 1] = k1;
            recent[at + 2] = k2;
            recent[at + 3] = k3;
            if (value != null) {
                for (int i = 0; i < 4; i++) {
                    recent[at + 4 + i] = IdSet.word(value, i);
                }
            }
            used[slot >>> 6] |= 1L << (slot & 63);
            recentSize++;
            size++;
            if (recentSize == RECENT_MAX) {
                flush();
            }
        }

        boolean isUsed(int slot) {
            return (used[slot >>> 6] & (1L << (slot & 63))) != 0;
        }

        /** Adds a sorted run of ids (a set's: four longs an id, no id twice), leaving out those the set holds. */
        void addRun(long[] run) {
            int n = 0;
            for (int at = 0; at < run.length; at += 4) {
                if (recentSize > 0 && inRecent(run[at], run[at + 1], run[at + 2], run[at + 3])) {
                    continue;
                }
                System.arraycopy(run, at, run, n, 4);
                n += 4;
            }
            for (long[] held : runs) {
                n = withoutCommon(run, n, held);
            }
            if (n > 0) {
                push(n == run.length ? run : Arrays.copyOf(run, n));
                size += n / 4;
            }
        }

        /**
         * Removes from the first {@code n} longs of {@code run} the ids {@code held} (a sorted run) has; returns the
         * longs left. Both in order: one pass over both, or a search for each id when {@code held} is far larger.
         */
        private static int withoutCommon(long[] run, int n, long[] held) {
            int heldIds = held.length / 4;
            boolean search = heldIds > 16 * (n / 4);
            int kept = 0;
            int h = 0;
            for (int at = 0; at < n; at += 4) {
                long k0 = run[at];
                long k1 = run[at + 1];
                long k2 = run[at + 2];
                long k3 = run[at + 3];
                boolean common;
                if (search) {
                    common = SortedIds.search(held, heldIds, 4, k0, k1, k2, k3) >= 0;
                } else {
                    while (h < held.length && SortedIds.compare(held, h, k0, k1, k2, k3) < 0) {
                        h += 4;
                    }
                    common = h < held.length && SortedIds.compare(held, h, k0, k1, k2, k3) == 0;
                }
                if (!common) {
                    System.arraycopy(run, at, run, kept, 4);
                    kept += 4;
                }
            }
            return kept;
        }

        private boolean inRecent(long k0, long k1, long k2, long k3) {
            int mask = RECENT_SLOTS - 1;
            for (int slot = (int) (IdSet.mix(k0) & mask); isUsed(slot); slot = (slot + 1) & mask) {
                int at = slot * width;
                if (recent[at] == k0 && recent[at + 1] == k1 && recent[at + 2] == k2 && recent[at + 3] == k3) {
                    return true;
                }
            }
            return false;
        }

        /** Moves the latest additions into a sorted run, merging runs that are no larger than it. */
        private void flush() {
            long[] run = new long[recentSize * width];
            int n = 0;
            for (int slot = 0; slot < RECENT_SLOTS; slot++) {
                if (isUsed(slot)) {
                    System.arraycopy(recent, slot * width, run, n * width, width);
                    n++;
                }
            }
            sort(run, n, width);
            Arrays.fill(used, 0);
            recentSize = 0;
            push(run);
        }

        /** Adds a sorted run (the latest additions' or a bulk one) and merges runs that are no larger than it. */
        private void push(long[] run) {
            int count = runs.length;
            while (count > 0 && runs[count - 1].length <= run.length) {
                run = merge(runs[count - 1], run, width);
                count--;
            }
            long[][] next = Arrays.copyOf(runs, count + 1);
            next[count] = run;
            runs = next;
        }
    }

    /** Sorts the first {@code n} entries of {@code a} (insertion sort: a run starts with {@value #RECENT_MAX}). */
    private static void sort(long[] a, int n, int width) {
        long[] entry = new long[width];
        for (int i = 1; i < n; i++) {
            System.arraycopy(a, i * width, entry, 0, width);
            int j = i - 1;
            while (j >= 0 && SortedIds.compare(a, j * width, entry[0], entry[1], entry[2], entry[3]) > 0) {
                System.arraycopy(a, j * width, a, (j + 1) * width, width);
                j--;
            }
            System.arraycopy(entry, 0, a, (j + 1) * width, width);
        }
    }

    /** Merges two sorted runs with no id in common. */
    private static long[] merge(long[] a, long[] b, int width) {
        long[] out = new long[a.length + b.length];
        int i = 0;
        int j = 0;
        int o = 0;
        while (i < a.length && j < b.length) {
            if (SortedIds.compare(a, i, b[j], b[j + 1], b[j + 2], b[j + 3]) < 0) {
                System.arraycopy(a, i, out, o, width);
                i += width;
            } else {
                System.arraycopy(b, j, out, o, width);
                j += width;
            }
            o += width;
        }
        System.arraycopy(a, i, out, o, a.length - i);
        System.arraycopy(b, j, out, o + a.length - i, b.length - j);
        return out;
    }
}
