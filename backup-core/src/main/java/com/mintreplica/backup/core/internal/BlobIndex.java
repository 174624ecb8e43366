package com.mintreplica.backup.core.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The union of a repository's index objects: where each blob is. Held in compact sorted arrays instead of a map of
 * objects: per blob its 32-byte id (four longs) and four ints (pack number, offset, length, plain length), 48 bytes
 * in all, against about 150 bytes for a {@code HashMap<BlobId, BlobLocation>} entry; lookups are binary searches.
 * Packs are numbered in a small table of their own (id and {@link BlobType}).
 *
 * <p>The index loaded at start is one sorted run; index objects added later (by this process's backups and copies)
 * become further runs, and runs of similar size are merged, so there are only ever a few to search. Readers never
 * lock: they see an immutable state that {@link #add} replaces.
 *
 * <p>A writer (write-only keys) knows only which blobs exist, from the id parts of index objects, not where they
 * are: those ids (data and tree blobs alike) are kept in an {@link IdSet} beside the runs, and only {@link #contains}
 * and {@link #size} see them.
 */
public final class BlobIndex {
    /** An immutable view: the runs and the pack table. */
    private record State(Run[] runs, long[] packIds, byte[] packTypes, int packCount) {
    }

    private volatile State state = new State(new Run[0], new long[0], new byte[0], 0);
    private final Map<BlobId, Integer> packNumbers = new HashMap<>();
    private final Set<String> indexObjects = new HashSet<>();
    /**
     * Ids known without a location (a writer's, from id parts): 32 bytes an id, added an id part at a time as sorted
     * runs (an {@code IdSet} took 46-91 bytes an id, 50-90 MiB at a million blobs).
     */
    private final CompactIdSet idsOnly = new CompactIdSet();

    /** Adds one index object's packs (as a new run). */
    public synchronized void add(String indexObject, List<IndexFile.PackBlobs> packs) {
        indexObjects.add(indexObject);
        int count = 0;
        for (IndexFile.PackBlobs p : packs) {
            count += p.blobs().size();
        }
        Builder b = new Builder(this, count);
        for (IndexFile.PackBlobs p : packs) {
            b.pack(p.pack().raw(), p.type(), p.blobs().size());
            for (Packs.PackedBlob blob : p.blobs()) {
                BlobLocation l = blob.location();
                b.blob(blob.id().raw(), l.offset(), l.length(), l.plainLength());
            }
        }
        b.finishInto();
    }

    /** Adds the blob ids of an index object's id part (sorted ids, 32 bytes each) whose locations these keys cannot read. */
    public void addIds(String indexObject, byte[] idPart) {
        synchronized (this) {
            indexObjects.add(indexObject);
        }
        idsOnly.addSorted(idPart);
    }

    /** A builder for many index objects at once (see {@link Store}): one run, sorted once. */
    public Builder builder(int expectedBlobs) {
        return new Builder(this, expectedBlobs);
    }

    public Optional<BlobLocation> find(BlobId id) {
        State s = state;
        byte[] key = id.raw();
        long k0 = IdSet.word(key, 0);
        long k1 = IdSet.word(key, 1);
        long k2 = IdSet.word(key, 2);
        long k3 = IdSet.word(key, 3);
        for (int r = s.runs.length - 1; r >= 0; r--) {
            Run run = s.runs[r];
            int i = run.search(k0, k1, k2, k3);
            if (i >= 0) {
                int pack = run.pack[i];
                return Optional.of(new BlobLocation(packId(s, pack), BlobType.ofCode(s.packTypes[pack]), run.offset[i],
                        run.length[i], run.plain[i]));
            }
        }
        return Optional.empty();
    }

    public boolean contains(BlobId id) {
        State s = state;
        byte[] key = id.raw();
        long k0 = IdSet.word(key, 0);
        long k1 = IdSet.word(key, 1);
        long k2 = IdSet.word(key, 2);
        long k3 = IdSet.word(key, 3);
        for (int r = s.runs.length - 1; r >= 0; r--) {
            if (s.runs[r].search(k0, k1, k2, k3) >= 0) {
                return true;
            }
        }
        return idsOnly.contains(key);
    }

    /** Every pack some index object lists. */
    public Set<BlobId> packs() {
        State s = state;
        Set<BlobId> out = new HashSet<>();
        for (int i = 0; i < s.packCount; i++) {
            out.add(packId(s, i));
        }
        return out;
    }

    /**
     * Where the last blob the index places in each pack ends (offset plus length), by pack object name: what a stored
     * pack's size is checked against. One entry per pack, not per blob.
     */
    public Map<String, Long> packEnds() {
        State s = state;
        long[] ends = new long[s.packCount];
        for (Run r : s.runs) {
            for (int i = 0; i < r.size; i++) {
                ends[r.pack[i]] = Math.max(ends[r.pack[i]], (long) r.offset[i] + r.length[i]);
            }
        }
        Map<String, Long> out = new HashMap<>();
        for (int i = 0; i < s.packCount; i++) {
            out.put(Packs.objectName(packId(s, i), BlobType.ofCode(s.packTypes[i])), ends[i]);
        }
        return out;
    }

    /** The ids of every blob of {@code type} (a set of objects: for tests and small repositories). */
    public Set<BlobId> blobIds(BlobType type) {
        State s = state;
        Set<BlobId> out = new HashSet<>();
        for (Run r : s.runs) {
            for (int i = 0; i < r.size; i++) {
                if (s.packTypes[r.pack[i]] == type.code()) {
                    byte[] id = new byte[BlobId.LENGTH];
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(id);
                    for (int k = 0; k < 4; k++) {
                        b.putLong(r.ids[i * 4 + k]);
                    }
                    out.add(BlobId.wrap(id));
                }
            }
        }
        return out;
    }

    /** The object names of every listed pack of {@code type}. */
    public Set<String> packObjects(BlobType type) {
        State s = state;
        Set<String> out = new HashSet<>();
        for (int i = 0; i < s.packCount; i++) {
            if (s.packTypes[i] == type.code()) {
                out.add(Packs.objectName(packId(s, i), type));
            }
        }
        return out;
    }

    public synchronized Set<String> indexObjects() {
        return Set.copyOf(indexObjects);
    }

    /** Blob entries held (a blob listed in two packs counts twice when the listings came in different runs). */
    public int size() {
        int n = 0;
        for (Run r : state.runs) {
            n += r.size;
        }
        return n + idsOnly.size();
    }

    /** Sorted runs held; a test checks that they stay few. */
    int runs() {
        return state.runs.length;
    }

    /**
     * The heap the index's arrays take, in bytes, computed from their lengths (not a heap reading, so tests that bound
     * it are deterministic).
     */
    public long estimatedBytes() {
        State s = state;
        long n = (long) s.packIds.length * 8 + s.packTypes.length + idsOnly.estimatedBytes();
        for (Run r : s.runs) {
            n += r.estimatedBytes();
        }
        return n;
    }

    private static BlobId packId(State s, int pack) {
        byte[] id = new byte[BlobId.LENGTH];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(id);
        for (int i = 0; i < 4; i++) {
            b.putLong(s.packIds[pack * 4 + i]);
        }
        return BlobId.wrap(id);
    }

    /** Numbers a pack (the same id always gets the same number). Called with the monitor held. */
    private int packNumber(byte[] id, BlobType type, List<long[]> newIds, List<Byte> newTypes, int base) {
        BlobId key = BlobId.wrap(id.clone());
        Integer n = packNumbers.get(key);
        if (n != null) {
            return n;
        }
        int number = base + newTypes.size();
        packNumbers.put(key, number);
        newIds.add(new long[] {IdSet.word(id, 0), IdSet.word(id, 1), IdSet.word(id, 2), IdSet.word(id, 3)});
        newTypes.add((byte) type.code());
        return number;
    }

    /** Adds a sorted run and merges runs of similar size, so a few large runs remain. */
    private void install(Run run, List<long[]> newIds, List<Byte> newTypes) {
        State s = state;
        int packCount = s.packCount + newTypes.size();
        long[] packIds = s.packIds;
        byte[] packTypes = s.packTypes;
        if (!newTypes.isEmpty()) {
            packIds = Arrays.copyOf(s.packIds, packCount * 4);
            packTypes = Arrays.copyOf(s.packTypes, packCount);
            for (int i = 0; i < newTypes.size(); i++) {
                System.arraycopy(newIds.get(i), 0, packIds, (s.packCount + i) * 4, 4);
                packTypes[s.packCount + i] = newTypes.get(i);
            }
        }
        List<Run> runs = new ArrayList<>(Arrays.asList(s.runs));
        if (run.size > 0) {
            runs.add(run);
        }
        while (runs.size() >= 2 && runs.get(runs.size() - 1).size * 2L >= runs.get(runs.size() - 2).size) {
            Run b = runs.remove(runs.size() - 1);
            Run a = runs.remove(runs.size() - 1);
            runs.add(Run.merge(a, b));
        }
        state = new State(runs.toArray(new Run[0]), packIds, packTypes, packCount);
    }

    /** Collects packs and blobs (an {@link IndexFile.Visitor}) into one sorted run, then adds it to the index. */
    public static final class Builder implements IndexFile.Visitor {
        private final BlobIndex index;
        private final List<long[]> newIds = new ArrayList<>();
        private final List<Byte> newTypes = new ArrayList<>();
        private final int base;
        private long[] ids;
        private int[] pack;
        private int[] offset;
        private int[] length;
        private int[] plain;
        private int size;
        private int currentPack;

        private Builder(BlobIndex index, int expected) {
            this.index = index;
            synchronized (index) {
                this.base = index.state.packCount;
            }
            int capacity = Math.max(16, expected);
            ids = new long[capacity * 4];
            pack = new int[capacity];
            offset = new int[capacity];
            length = new int[capacity];
            plain = new int[capacity];
        }

        /** Records an index object as part of the index (its content comes through the visitor methods). */
        public void indexObject(String name) {
            synchronized (index) {
                index.indexObjects.add(name);
            }
        }

        @Override
        public void pack(byte[] id, BlobType type, int blobs) {
            synchronized (index) {
                currentPack = index.packNumber(id, type, newIds, newTypes, base);
            }
        }

        @Override
        public void blob(byte[] id, int off, int len, int plainLength) {
            if (size == pack.length) {
                int capacity = pack.length + (pack.length >> 2) + 16;
                ids = Arrays.copyOf(ids, capacity * 4);
                pack = Arrays.copyOf(pack, capacity);
                offset = Arrays.copyOf(offset, capacity);
                length = Arrays.copyOf(length, capacity);
                plain = Arrays.copyOf(plain, capacity);
            }
            int at = size * 4;
            ids[at] = IdSet.word(id, 0);
            ids[at + 1] = IdSet.word(id, 1);
            ids[at + 2] = IdSet.word(id, 2);
            ids[at + 3] = IdSet.word(id, 3);
            pack[size] = currentPack;
            offset[size] = off;
            length[size] = len;
            plain[size] = plainLength;
            size++;
        }

        /** Sorts what was collected and adds it to the index as one run. */
        public void finishInto() {
            Run run = new Run(ids, pack, offset, length, plain, size);
            run.sortAndDeduplicate();
            ids = null;
            synchronized (index) {
                if (index.state.packCount != base) {
                    throw new IllegalStateException("the index changed while a builder was filling");
                }
                index.install(run.trimmed(), newIds, newTypes);
            }
        }
    }

    /** Blob entries sorted by id (unsigned, as {@link BlobId#compareTo}), in parallel arrays. */
    static final class Run {
        final long[] ids;
        final int[] pack;
        final int[] offset;
        final int[] length;
        final int[] plain;
        int size;

        Run(long[] ids, int[] pack, int[] offset, int[] length, int[] plain, int size) {
            this.ids = ids;
            this.pack = pack;
            this.offset = offset;
            this.length = length;
            this.plain = plain;
            this.size = size;
        }

        long estimatedBytes() {
            return (long) ids.length * 8 + 4L * (pack.length + offset.length + length.length + plain.length);
        }

        /** The arrays cut to the size (a copy, needing both at once, only when they are more than a quarter too long). */
        Run trimmed() {
            if (pack.length - size <= size / 4) {
                return this;
            }
            return new Run(Arrays.copyOf(ids, size * 4), Arrays.copyOf(pack, size), Arrays.copyOf(offset, size),
                    Arrays.copyOf(length, size), Arrays.copyOf(plain, size), size);
        }

        /** Where the id is, or -1 (see {@link SortedIds#search}). */
        int search(long k0, long k1, long k2, long k3) {
            return SortedIds.search(ids, size, k0, k1, k2, k3);
        }

        private int compareKey(int i, long k0, long k1, long k2, long k3) {
            return SortedIds.compare(ids, i * 4, k0, k1, k2, k3);
        }

        private int compare(int i, int j) {
            int at = j * 4;
            int c = compareKey(i, ids[at], ids[at + 1], ids[at + 2], ids[at + 3]);
            return c != 0 ? c : Integer.compare(pack[i], pack[j]);
        }

        private boolean sameId(int i, int j) {
            int a = i * 4;
            int b = j * 4;
            return ids[a] == ids[b] && ids[a + 1] == ids[b + 1] && ids[a + 2] == ids[b + 2] && ids[a + 3] == ids[b + 3];
        }

        private void swap(int i, int j) {
            int a = i * 4;
            int b = j * 4;
            for (int k = 0; k < 4; k++) {
                long t = ids[a + k];
                ids[a + k] = ids[b + k];
                ids[b + k] = t;
            }
            int t = pack[i];
            pack[i] = pack[j];
            pack[j] = t;
            t = offset[i];
            offset[i] = offset[j];
            offset[j] = t;
            t = length[i];
            length[i] = length[j];
            length[j] = t;
            t = plain[i];
            plain[i] = plain[j];
            plain[j] = t;
        }

        private void copy(int from, int to) {
            System.arraycopy(ids, from * 4, ids, to * 4, 4);
            pack[to] = pack[from];
            offset[to] = offset[from];
            length[to] = length[from];
            plain[to] = plain[from];
        }

        /** Sorts in place (ids are hashes, so a quicksort on them is balanced) and keeps the first of equal ids. */
        void sortAndDeduplicate() {
            quicksort(0, size - 1);
            if (size < 2) {
                return;
            }
            int out = 1;
            for (int i = 1; i < size; i++) {
                if (!sameId(i, out - 1)) {
                    if (i != out) {
                        copy(i, out);
                    }
                    out++;
                }
            }
            size = out;
        }

        private void quicksort(int lo, int hi) {
            while (hi - lo > 16) {
                int mid = (lo + hi) >>> 1;
                // median of three into lo
                if (compare(mid, lo) < 0) {
                    swap(mid, lo);
                }
                if (compare(hi, lo) < 0) {
                    swap(hi, lo);
                }
                if (compare(hi, mid) < 0) {
                    swap(hi, mid);
                }
                swap(lo, mid);
                int i = lo;
                int j = hi + 1;
                while (true) {
                    do {
                        i++;
                    } while (i <= hi && compare(i, lo) < 0);
                    do {
                        j--;
                    } while (compare(j, lo) > 0);
                    if (i >= j) {
                        break;
                    }
                    swap(i, j);
                }
                swap(lo, j);
                // recurse into the smaller side, loop on the larger: the stack stays logarithmic
                if (j - lo < hi - j) {
                    quicksort(lo, j - 1);
                    lo = j + 1;
                } else {
                    quicksort(j + 1, hi);
                    hi = j - 1;
                }
            }
            for (int i = lo + 1; i <= hi; i++) {
                for (int j = i; j > lo && compare(j, j - 1) < 0; j--) {
                    swap(j, j - 1);
                }
            }
        }

        /** Merges two sorted runs into one (equal ids: the first of {@code a} wins). */
        static Run merge(Run a, Run b) {
            int n = a.size + b.size;
            Run out = new Run(new long[n * 4], new int[n], new int[n], new int[n], new int[n], 0);
            int i = 0;
            int j = 0;
            while (i < a.size || j < b.size) {
                boolean takeA;
                if (i >= a.size) {
                    takeA = false;
                } else if (j >= b.size) {
                    takeA = true;
                } else {
                    int at = j * 4;
                    int c = a.compareKey(i, b.ids[at], b.ids[at + 1], b.ids[at + 2], b.ids[at + 3]);
                    if (c == 0) {
                        j++; // a duplicate: keep a's
                        continue;
                    }
                    takeA = c < 0;
                }
                Run from = takeA ? a : b;
                int k = takeA ? i++ : j++;
                System.arraycopy(from.ids, k * 4, out.ids, out.size * 4, 4);
                out.pack[out.size] = from.pack[k];
                out.offset[out.size] = from.offset[k];
                out.length[out.size] = from.length[k];
                out.plain[out.size] = from.plain[k];
                out.size++;
            }
            return out.trimmed();
        }
    }
}
