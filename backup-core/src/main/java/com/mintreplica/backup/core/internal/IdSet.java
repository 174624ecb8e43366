package com.mintreplica.backup.core.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * A set of 32-byte ids (blob, tree and pack ids) in flat {@code long} arrays: open addressing with linear probing,
 * at most 70% full, so an id costs about 32 / 0.5 bytes of heap on average instead of the ~110 bytes of a
 * {@code HashSet<BlobId>} entry (node, boxed key, array). Ids are hashes, so their first eight bytes are already a good
 * hash. Safe for use by several threads (every method is synchronized: adding an id is cheap next to what the callers
 * do with it).
 *
 * <p>With {@code withValues}, each id also maps to a second id (a source blob's id in another repository).
 */
public final class IdSet {
    private static final int INITIAL = 64;
    private static final double MAX_LOAD = 0.7;

    private final boolean withValues;
    private long[] keys;
    private long[] values;
    private long[] used;
    private int capacity;
    private int size;

    public IdSet() {
        this(false);
    }

    private IdSet(boolean withValues) {
        this.withValues = withValues;
        allocate(INITIAL);
    }

    /** A set whose ids each map to another id ({@link #put}, {@link #get}). */
    public static IdSet map() {
        return new IdSet(true);
    }

    private void allocate(int slots) {
        capacity = slots;
        keys = new long[slots * 4];
        values = withValues ? new long[slots * 4] : null;
        used = new long[(slots + 63) / 64];
        size = 0;
    }

    public synchronized int size() {
        return size;
    }

    public boolean add(BlobId id) {
        return add(id.raw());
    }

    /** Adds {@code id}; false when it was there already. */
    public synchronized boolean add(byte[] id) {
        long k0 = word(id, 0);
        long k1 = word(id, 1);
        long k2 = word(id, 2);
        long k3 = word(id, 3);
        int slot = find(k0, k1, k2, k3);
        if (slot >= 0) {
            return false;
        }
        insert(-slot - 1, k0, k1, k2, k3);
        return true;
    }

    public boolean contains(BlobId id) {
        return contains(id.raw());
    }

    public synchronized boolean contains(byte[] id) {
        return find(word(id, 0), word(id, 1), word(id, 2), word(id, 3)) >= 0;
    }

    /** Maps {@code id} to {@code value} (a set made by {@link #map()}). */
    public synchronized void put(BlobId id, BlobId value) {
        byte[] k = id.raw();
        long k0 = word(k, 0);
        long k1 = word(k, 1);
        long k2 = word(k, 2);
        long k3 = word(k, 3);
        int slot = find(k0, k1, k2, k3);
        if (slot < 0) {
            slot = insert(-slot - 1, k0, k1, k2, k3);
        }
        byte[] v = value.raw();
        for (int i = 0; i < 4; i++) {
            values[slot * 4 + i] = word(v, i);
        }
    }

    /** The id {@code id} maps to, or null (a set made by {@link #map()}). */
    public synchronized BlobId get(BlobId id) {
        byte[] k = id.raw();
        int slot = find(word(k, 0), word(k, 1), word(k, 2), word(k, 3));
        if (slot < 0) {
            return null;
        }
        return BlobId.wrap(toBytes(values, slot));
    }

    /** Calls {@code action} for every id, in no particular order. */
    public synchronized void forEach(Consumer<BlobId> action) {
        for (int slot = 0; slot < capacity; slot++) {
            if (isUsed(slot)) {
                action.accept(BlobId.wrap(toBytes(keys, slot)));
            }
        }
    }

    /** The heap the arrays take, in bytes: what a test bounds and the README quotes. */
    public synchronized long estimatedBytes() {
        long n = (long) keys.length * 8 + (long) used.length * 8;
        return values == null ? n : n + (long) values.length * 8;
    }

    // ---- the table

    /** The slot holding the key, or -(free slot) - 1 where it would go. */
    private int find(long k0, long k1, long k2, long k3) {
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

    private int insert(int slot, long k0, long k1, long k2, long k3) {
        if (size + 1 > capacity * MAX_LOAD) {
            grow();
            int found = find(k0, k1, k2, k3);
            slot = -found - 1;
        }
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

    private boolean isUsed(int slot) {
        return (used[slot >>> 6] & (1L << (slot & 63))) != 0;
    }

    private static long mix(long k) {
        // Ids are hashes already; a multiply spreads ids that share low bits (made-up ids in tests) all the same.
        long h = k * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    static long word(byte[] id, int i) {
        return (long) LONG_VIEW.get(id, i * 8);
    }

    private static byte[] toBytes(long[] array, int slot) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 4; i++) {
            b.putLong(array[slot * 4 + i]);
        }
        return b.array();
    }

    private static final java.lang.invoke.VarHandle LONG_VIEW =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
}
