package com.mintreplica.backup.core.internal;

/**
 * Bounds what a backup holds in memory between its reader and its workers: the chunks cut but not yet hashed and
 * encoded. Exact accounting: each item costs its bytes plus {@link #ITEM_OVERHEAD} (its array header, its future and
 * queue entry), so a million tiny chunks cost what they really take, and a budget of N bytes is never spent on
 * rounding.
 *
 * <p>An item larger than the whole budget is admitted when nothing else is held, so no item size can block forever.
 * Whoever holds budget gives it back without waiting on budget itself (a worker releases its chunk whatever happens
 * to it), so waiting here only ever waits for work that is already running.
 */
public final class ByteBudget {
    /** What an item costs besides its bytes: array and object headers, its future, a queue entry. */
    public static final long ITEM_OVERHEAD = 256;

    private final long capacity;
    private long held;
    private long items;

    /** A budget of {@code capacity} bytes (at least one item always fits: see the class comment). */
    public ByteBudget(long capacity) {
        this.capacity = Math.max(1, capacity);
    }

    /** What an item of {@code bytes} bytes costs. */
    public static long cost(long bytes) {
        return bytes + ITEM_OVERHEAD;
    }

    public long capacity() {
        return capacity;
    }

    /** Holds the item if it fits beside what is held (or nothing is held); never waits. */
    public synchronized boolean tryAcquire(long bytes) {
        long cost = cost(bytes);
        if (held > 0 && held + cost > capacity) {
            return false;
        }
        held += cost;
        items++;
        return true;
    }

    /** Waits until the item fits beside what is held, or nothing is held, then holds it. */
    public synchronized void acquire(long bytes) throws InterruptedException {
        long cost = cost(bytes);
        while (held > 0 && held + cost > capacity) {
            wait();
        }
        held += cost;
        items++;
    }

    /** Gives back an item taken with {@link #acquire} of the same size. */
    public synchronized void release(long bytes) {
        held -= cost(bytes);
        items--;
        notifyAll();
    }

    /** For a stall diagnostic: {@code 33554176 of 33554432 bytes held by 131071 items}. */
    public synchronized String describe() {
        return held + " of " + capacity + " bytes held by " + items + " item" + (items == 1 ? "" : "s");
    }
}
