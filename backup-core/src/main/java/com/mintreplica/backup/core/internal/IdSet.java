package com.mintreplica.backup.core.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * A set of 32-byte ids (blob, tree and pack ids) in flat {@code long} arrays: open addressing with linear probing, at
 * most 70% full, so an id costs 32 to 91 bytes of heap (about 60 on average) instead of the ~110 bytes of a
 * {@code HashSet<BlobId>} entry (node, boxed key, array). Ids are hashes, so their first eight bytes are already a good
 * hash. The table is cut into {@value #SEGMENTS} segments that grow one at a time, so growing never needs twice the
 * memory of the whole set at once, and threads adding ids mostly lock different segments.
 *
 * <p>With {@link #map()}, each id also maps to a second id (a source blob's id in another repository).
 */
public final class IdSet {
    private static final int SEGMENTS = 64;
    private static final int INITIAL = 16;
    private static final double MAX_LOAD = 0.7;
    private static final java.lang.invoke.VarHandle LONG_VIEW =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final Segment[] segments = new Segment[SEGMENTS];

    public IdSet() {
        this(false);
    }

    private IdSet(boolean withValues) {
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment(withValues);
        }
    }

    /** A set whose ids each map to another id ({@link #put}, {@link #get}). */
    public static IdSet map() {
        return new IdSet(true);
    }

    private Segment segment(long k0) {
        return segments[(int) (mix(k0) >>> 58)];
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

    public boolean add(BlobId id) {
        return add(id.raw());
    }

    /** Adds {@code id}; false when it was there already. */
    public boolean add(byte[] id) {
        long k0 = word(id, 0);
        Segment s = segment(k0);
        synchronized (s) {
            return s.add(k0, word(id, 1), word(id, 2), word(id, 3)) >= 0;
        }
    }

    public boolean contains(BlobId id) {
        return contains(id.raw());
    }

    public boolean contains(byte[] id) {
        long k0 = word(id, 0);
        Segment s = segment(k0);
        synchronized (s) {
            return s.find(k0, word(id, 1), word(id, 2), word(id, 3)) >= 0;
        }
    }

    /** Maps {@code id} to {@code value} (a set made by {@link #map()}). */
    public void put(BlobId id, BlobId value) {
        byte[] k = id.raw();
        long k0 = word(k, 0);
        Segment s = segment(k0);
        synchronized (s) {
            int slot = s.find(k0, word(k, 1), word(k, 2), word(k, 3));
            if (slot < 0) {
                slot = s.add(k0, word(k, 1), word(k, 2), word(k, 3));
            }
            byte[] v = value.raw();
            for (int i = 0; i < 4; i++) {
                s.values[slot * 4 + i] = word(v, i);
            }
        }
    }

    /** The id {@code id} maps to, or null (a set made by {@link #map()}). */
    public BlobId get(BlobId id) {
        byte[] k = id.raw();
        long k0 = word(k, 0);
        Segment s = segment(k0);
        synchronized (s) {
            int slot = s.find(k0, word(k, 1), word(k, 2), word(k, 3));
            return slot < 0 ? null : BlobId.wrap(toBytes(s.values, slot));
        }
    }

    /** Calls {@code action} for every id, in no particular order (not while other threads add). */
    public void forEach(Consumer<BlobId> action) {
        for (Segment s : segments) {
            for (int slot = 0; slot < s.capacity; slot++) {
                if (s.isUsed(slot)) {
                    action.accept(BlobId.wrap(toBytes(s.keys, slot)));
                }
            }
        }
    }

    /** The heap the arrays take, in bytes: what a test bounds and the README quotes. */
    public long estimatedBytes() {
        long n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += (long) s.keys.length * 8 + (long) s.used.length * 8 + (s.values == null ? 0 : (long) s.values.length * 8);
            }
        }
        return n;
    }

    /** One open-addressing table; callers hold its monitor. */
    private static final class Segment {
        private final boolean withValues;
        long[] keys;
        long[] values;
        long[] used;
        int capacity;
        int size;

        Segment(boolean withValues) {
            this.withValues = withValues;
            allocate(INITIAL);
        }

        private void allocate(int slots) {
            capacity = slots;
            keys = new long[slots * 4];
            values = withValues ? new long[slots * 4] : null;
            used = new long[(slots + 63) / 64];
            size = 0;
        }

        /** The slot holding the key, or -(free slot) - 1 where it would go. */
        int find(long k0, long k1, long k2, long k3) {
            int mask = capacity - 1;
            int slot = (int) (mix(k0) & mask);
            while (isUsed(slot)) {
                int at = slot * 4;
                if (keys[at] == k0 && keys[at + 1] == k1 && keys[at + 2] == k2 && keys[at + 3] == k3) {
                    return slot;
                }
                slot = (slot + 1) & mask;
            }
            return -slot - 1;
        }

        /** Adds the key; returns its new slot, or -1 when it was there. */
        int add(long k0, long k1, long k2, long k3) {
            int found = find(k0, k1, k2, k3);
            if (found >= 0) {
                return -1;
            }
            if (size + 1 > capacity * MAX_LOAD) {
                grow();
                found = find(k0, k1, k2, k3);
            }
            return insert(-found - 1, k0, k1, k2, k3);
        }

        private int insert(int slot, long k0, long k1, long k2, long k3) {
            int at = slot * 4;
            keys[at] = k0;
            keys[at + 1] = k1;
            keys[at + 2] = k2;
            keys[at + 3] = k3;
            used[slot >>> 6] |= 1L << (slot & 63);
            size++;
            return slot;
        }

        private void grow() {
            long[] oldKeys = keys;
            long[] oldValues = values;
            long[] oldUsed = used;
            int oldCapacity = capacity;
            allocate(oldCapacity * 2);
            for (int slot = 0; slot < oldCapacity; slot++) {
                if ((oldUsed[slot >>> 6] & (1L << (slot & 63))) != 0) {
                    int at = slot * 4;
                    int free = -find(oldKeys[at], oldKeys[at + 1], oldKeys[at + 2], oldKeys[at + 3]) - 1;
                    int to = insert(free, oldKeys[at], oldKeys[at + 1], oldKeys[at + 2], oldKeys[at + 3]);
                    if (oldValues != null) {
                        System.arraycopy(oldValues, at, values, to * 4, 4);
                    }
                }
            }
        }

        boolean isUsed(int slot) {
            return (used[slot >>> 6] & (1L << (slot & 63))) != 0;
        }
    }

    static long mix(long k) {
        // Ids are hashes already; a multiply spreads ids that share bits (made-up ids in tests) all the same.
        long h = k * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    static long word(byte[] id, int i) {
        return (long) LONG_VIEW.get(id, i * 8);
    }

    static byte[] toBytes(long[] array, int slot) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 4; i++) {
            b.putLong(array[slot * 4 + i]);
        }
        return b.array();
    }
}
