package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Reads a sequence of blobs ahead, in order, on an executor: each blob read and checked against its id. A restore
 * gives it the blobs of all its entries at once, so fetching runs ahead across entry boundaries (a tree of small
 * files would otherwise fetch one blob at a time, each only when its file is reached). At most {@code ahead} blobs are
 * held.
 */
public final class BlobPrefetcher implements AutoCloseable {
    private final Store store;
    private final Iterator<BlobId> ids;
    private final Executor executor;
    private final int ahead;
    private final Watchdog watch;
    private final Deque<Fetch> queue = new ArrayDeque<>();

    private record Fetch(BlobId id, CompletableFuture<byte[]> blob) {
    }

    public BlobPrefetcher(Store store, Iterator<BlobId> ids, Executor executor, int ahead) {
        this(store, ids, executor, ahead, Watchdog.off("restore"));
    }

    /** A prefetcher whose waits and fetches are registered with {@code watch}, the restore's stall watchdog. */
    public BlobPrefetcher(Store store, Iterator<BlobId> ids, Executor executor, int ahead, Watchdog watch) {
        this.store = store;
        this.ids = ids;
        this.executor = executor;
        this.ahead = Math.max(1, ahead);
        this.watch = watch;
    }

    /** The next blob of the sequence, checked. */
    public byte[] next() {
        fill();
        if (queue.isEmpty()) {
            throw new IllegalStateException("no more blobs in the sequence");
        }
        Fetch head = queue.removeFirst();
        fill();
        try (Watchdog.Activity waiting = watch.activity("restore", () -> "waiting for blob " + head.id() + where(head.id()))) {
            byte[] blob = head.blob().join();
            watch.progress();
            return blob;
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new BackupException(e.getCause().toString(), e.getCause());
        }
    }

    private void fill() {
        while (queue.size() < ahead && ids.hasNext()) {
            BlobId id = ids.next();
            queue.add(new Fetch(id, CompletableFuture.supplyAsync(() -> {
                try (Watchdog.Activity a = watch.activity("fetcher", () -> "reading blob " + id + where(id))) {
                    watch.check();
                    return store.readBlob(id);
                }
            }, executor)));
        }
    }

    /** {@code  of pack 'data/..'}, for diagnostics. */
    private String where(BlobId id) {
        return store.index().find(id).map(l -> " of pack '" + l.packObject() + "'").orElse("");
    }

    @Override
    public void close() {
        queue.forEach(f -> f.blob().cancel(false));
        queue.clear();
    }
}
