package com.mintreplica.backup.core.internal;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Loads a snapshot's tree blobs ahead of a walk, on another thread: a second walk over the same trees, with the same
 * selection, loads (reads, decrypts, parses) each directory's tree blob before the walk that restores gets there, so
 * the restore's walk, which plans every file before the first pack is read, does not wait for them one by one. Bounded:
 * at most {@code maxBytes} of tree blobs loaded and not yet taken.
 *
 * <p>Both walks meet the trees in the same order (depth first, the same selection), so the n-th tree the restore's walk
 * loads is the n-th this one loaded: a tree the restore's walk asked for before it was ready is loaded there, and the
 * one loaded here later is dropped. Any failure here only stops the walk ahead: the restore's walk then loads what it
 * needs itself and meets the failure itself.
 *
 * <p>A large listing (from {@link TreeFormat#PARSED_ON_ACCESS_FROM}, its bytes held while it is walked) is loaded once
 * for both walks: the second to ask for it waits for the first's load. At the start of a restore of a directory of
 * 300,000 files both walks reached its listing together and each held its 100 MiB.
 */
final class TreeAhead implements SnapshotWalker.Loader, AutoCloseable {
    private final Store store;
    private final int maxBytes;
    private final Semaphore room;
    private final Map<Key, Ready> ready = new ConcurrentHashMap<>();
    /** Large listings being loaded, or loaded by one walk and not yet asked for by the other. */
    private final Map<Key, CompletableFuture<TreeFormat.Node>> large = new ConcurrentHashMap<>();
    /** Trees the restore's walk has loaded so far. */
    private final AtomicLong taken = new AtomicLong();
    private volatile boolean closed;
    /** The walk ahead ended: a large listing the restore's walk loads is no longer kept for it. */
    private volatile boolean aheadEnded;

    private record Key(BlobId id, String directory) {
    }

    private record Ready(TreeFormat.Node node, int cost) {
    }

    /** Thrown inside the walk ahead to stop it. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    /** Starts the walk ahead on a thread of its own (a daemon, ended by {@link #close} or the walk's end). */
    TreeAhead(Store store, Manifest manifest, Predicate<String> selection, int maxBytes) {
        this.store = store;
        this.maxBytes = maxBytes;
        this.room = new Semaphore(maxBytes);
        if (manifest.isTree()) {
            Thread t = new Thread(() -> walkAhead(manifest, selection), "mint-backup-restore-trees");
            t.setDaemon(true);
            t.start();
        }
    }

    private void walkAhead(Manifest manifest, Predicate<String> selection) {
        long[] loaded = {0};
        SnapshotWalker ahead = SnapshotWalker.of(store, manifest).selection(selection).loader((id, directory) -> {
            long n = ++loaded[0];
            if (closed) {
                throw new Stop();
            }
            if (n <= taken.get()) {
                // passed already: only its subtrees may still be ahead
                return shared(new Key(id, directory), () -> store.readTree(id, directory));
            }
            TreeFormat.Node node = shared(new Key(id, directory), () -> store.readTree(id, directory));
            int cost = Math.max(1, Math.min(plainLength(id), maxBytes));
            try {
                while (!room.tryAcquire(cost, 100, TimeUnit.MILLISECONDS)) {
                    if (closed) {
                        throw new Stop();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Stop();
            }
            Key key = new Key(id, directory);
            Ready r = new Ready(node, cost);
            ready.put(key, r);
            if ((n <= taken.get() || closed) && ready.remove(key, r)) {
                room.release(cost);
            }
            return node;
        }).onUnreadable((id, directory, problem) -> { });   // the restore's own walk reports it and goes on too
        try {
            while (!closed && ahead.hasNext()) {
                ahead.next();
            }
        } catch (RuntimeException e) {
            // Stop, or a tree that cannot be read: the restore's walk loads it and reports it
        } finally {
            aheadEnded = true;
            large.clear();
        }
    }

    @Override
    public TreeFormat.Node load(BlobId id, String directory) {
        taken.incrementAndGet();
        Key key = new Key(id, directory);
        Ready r = ready.remove(key);
        if (r != null) {
            room.release(r.cost());
            large.remove(key);
            return r.node();
        }
        return shared(key, () -> store.readTree(id, directory));
    }

    private int plainLength(BlobId id) {
        return store.index().find(id).map(BlobLocation::plainLength).orElse(0);
    }

    /**
     * Loads a tree, once for both walks when it is large: the first walk to ask loads it, the second takes that load
     * (waiting for it) and lets go of it. A load that failed is tried again by the walk that waited, which then meets
     * the failure itself.
     */
    private TreeFormat.Node shared(Key key, java.util.function.Supplier<TreeFormat.Node> load) {
        if (closed || aheadEnded || plainLength(key.id()) < TreeFormat.PARSED_ON_ACCESS_FROM) {
            return load.get();
        }
        CompletableFuture<TreeFormat.Node> mine = new CompletableFuture<>();
        CompletableFuture<TreeFormat.Node> theirs = large.putIfAbsent(key, mine);
        if (theirs != null) {
            large.remove(key, theirs);
            try {
                return theirs.join();
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                return load.get();
            }
        }
        try {
            TreeFormat.Node node = load.get();
            mine.complete(node);
            if (closed || aheadEnded) {
                large.remove(key, mine);
            }
            return node;
        } catch (RuntimeException | Error e) {
            large.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
    }

    /** Stops the walk ahead (it ends within 100 ms) and drops what it loaded. */
    @Override
    public void close() {
        closed = true;
        ready.clear();
        large.clear();
    }
}
