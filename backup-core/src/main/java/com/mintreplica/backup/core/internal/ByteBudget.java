package com.mintreplica.backup.core.internal;

import java.util.concurrent.Semaphore;

/** Bounds the bytes held in flight between the reader and the workers. */
public final class ByteBudget {
    private static final int UNIT = 1024;
    private final Semaphore permits;
    private final int capacityUnits;

    public ByteBudget(long bytes) {
        this.capacityUnits = (int) Math.max(1, bytes / UNIT);
        this.permits = new Semaphore(capacityUnits);
    }

    private int units(long bytes) {
        return (int) Math.min(capacityUnits, Math.max(1, (bytes + UNIT - 1) / UNIT));
    }

    public void acquire(long bytes) throws InterruptedException {
        permits.acquire(units(bytes));
    }

    public void release(long bytes) {
        permits.release(units(bytes));
    }
}
