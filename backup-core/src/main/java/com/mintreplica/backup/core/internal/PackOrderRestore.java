package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.PositionalFiles;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A restore in the order of packs (restic 0.17's design), for targets that take files in pieces
 * ({@link PositionalFiles}). The snapshot is walked once; its entries are planned in batches bounded by a memory budget:
 * every regular file of a batch is opened (in snapshot order), the blobs the batch needs are grouped by pack, and each
 * pack is then read once, by one of several threads, as one ranged read per run of needed blobs (blobs further apart
 * than {@link #MAX_GAP} start a new range, so a pack is never read whole for one blob). Each blob is decoded, checked
 * against its id and written to every file and offset that needs it; a file is completed (metadata, rename) by the
 * thread that writes its last piece. A blob that fails its check is read again on its own, with the rule that tells
 * damage in the store from damage in transit ({@link Store#readBlob(BlobId, BlobLocation)}).
 *
 * <p>Damage stays local: a file that needs a damaged or missing blob is discarded (nothing corrupt is published) and
 * every other file is restored; the restore then fails with a {@link CorruptDataException} naming the damage and the
 * files it cost. Any other failure (the target cannot write, the store cannot be read) stops the restore at once.
 *
 * <p>Two batches are under way at most, each within half the budget: the packs of one are read while the restore's
 * thread plans the next (walks the trees, makes directories, opens files), so neither waits for the other.
 *
 * <p>Hard-linked files (their content may already be on disk under their first path) and single objects are streamed
 * to the target's {@code write} as before: hard links at the end of their batch, once every file of it is complete;
 * single objects in snapshot order.
 */
final class PackOrderRestore {
    /** Needed blobs of one pack that are further apart than this are read with separate ranged reads. */
    static final int MAX_GAP = 1 << 20;
    /** Estimated heap bytes of a planned file, beside its path, and of a planned piece (a blob at an offset). */
    private static final int FILE_COST = 400;
    private static final int PIECE_COST = 120;
    private static final int RANGE_BUFFER = 256 << 10;
    /** Bytes of decoded blobs waiting for a writer. */
    private static final int WRITE_BUDGET = 16 << 20;
    /** How many damaged files a message names. */
    private static final int NAMED = 10;
    /** Decoded blobs at least this large go through {@link Buffers}; smaller ones are cheap to allocate. */
    private static final int POOLED_MIN = 64 << 10;
    /**
     * At most this many bytes of free arrays are kept for reuse, and at most a sixteenth of the heap (see
     * {@link Buffers}): 8 MiB still missed for about 300 MB of plaintext arrays in the bench's 1 GiB restore, 16 MiB
     * for about 140 MB (collector CPU 0.25-0.3 s, then 0.2-0.24 s), with no higher peak RSS (at -Xmx256m).
     */
    private static final long BUFFERS_KEPT = 16L << 20;
    /** Larger arrays are not kept: the few blobs of several MiB would hold the pool (and the heap) for little reuse. */
    private static final int POOLED_MAX = 2 << 20;

    /** Streams one entry to the target the old way (entry order, one thread); returns its content bytes. */
    @FunctionalInterface
    interface Streamer {
        long stream(Manifest.Item item) throws IOException;
    }

    private final Store store;
    private final Watchdog watch;
    private final Executor executor;
    private final java.util.concurrent.ExecutorService writers;
    private final java.util.concurrent.Semaphore writeBudget = new java.util.concurrent.Semaphore(WRITE_BUDGET);
    private final long budget;
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private final AtomicBoolean reloaded = new AtomicBoolean();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong damagedFiles = new AtomicLong();
    private final List<String> damagedPaths = new ArrayList<>();
    private final AtomicReference<CorruptDataException> firstDamage = new AtomicReference<>();
    private final Buffers buffers;

    /**
     * @param executor reads packs (the restore's executor)
     * @param writers how many threads write files; they belong to this restore and end with {@link #run}
     */
    PackOrderRestore(Store store, Watchdog watch, Executor executor, int writers, long budget) {
        this.store = store;
        this.watch = watch;
        this.executor = executor;
        this.budget = budget;
        this.buffers = new Buffers(Math.min(BUFFERS_KEPT, Runtime.getRuntime().maxMemory() / 16));
        AtomicInteger n = new AtomicInteger();
        this.writers = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, writers), r -> {
            Thread t = new Thread(r, "mint-backup-restore-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The batch budget for a heap: a sixteenth of it, between 2 and 64 MiB. */
    static long defaultBudget() {
        return Math.max(2L << 20, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 16));
    }

    /** A file being restored: its pieces left and, once a piece of it proved damaged, the damage. */
    private final class FileJob {
        final Manifest.Item item;
        final PositionalFiles.Content out;
        final long length;
        final AtomicInteger remaining;
        volatile CorruptDataException damaged;

        FileJob(Manifest.Item item, PositionalFiles.Content out, long length, int pieces) {
            this.item = item;
            this.out = out;
            this.length = length;
            this.remaining = new AtomicInteger(pieces);
        }

        /** One piece is done (written, or lost to damage); the last one completes or discards the file. */
        void pieceDone() throws IOException {
            if (remaining.decrementAndGet() == 0) {
                CorruptDataException d = damaged;
                if (d != null) {
                    out.discard();
                    lost(item.entry().path(), d);
                } else {
                    out.complete();
                    bytes.addAndGet(length);
                }
            }
        }
    }

    private record Piece(FileJob file, long offset) {
    }

    /**
     * Arrays for blobs, reused: a blob as stored and its decrypted form (each reader keeps its own for the whole pack
     * it reads, given back at its end), and its plaintext (handed to a writer, given back once written). Without them
     * a restore allocated each of the three anew for every blob, about three times the data restored in garbage of
     * large arrays, and the collector's copying and full collections took about a tenth of a restore's CPU time
     * (measured on the bench tree, 1 GiB in 1 MiB blobs, at -Xmx256m). Arrays are made in lengths a quarter of a power
     * of two apart (at most a fifth of one unused), and the shortest free array that holds a blob serves it: blobs'
     * lengths vary, and a pool that kept a free array for the next blob of its exact class missed
     * most of the time (JFR: 1.2 GB of arrays allocated for a 1 GiB restore). The arrays kept free hold at most
     * {@code cap} bytes.
     */
    private static final class Buffers {
        private final long cap;
        /** Free arrays by length. */
        private final java.util.TreeMap<Integer, java.util.ArrayDeque<byte[]>> free = new java.util.TreeMap<>();
        /** The free arrays, the least recently given first. */
        private final java.util.ArrayDeque<byte[]> order = new java.util.ArrayDeque<>();
        private long held;

        Buffers(long cap) {
            this.cap = cap;
        }

        /** The smallest class length of at least {@code length}: 1, 1.25, 1.5 or 1.75 times a power of two. */
        static int classLength(int length) {
            int power = Integer.highestOneBit(Math.max(length, 4));
            for (int quarter = 0; quarter < 4; quarter++) {
                long l = power + (long) quarter * (power >> 2);
                if (l >= length) {
                    return (int) Math.min(l, Integer.MAX_VALUE - 8);
                }
            }
            return (int) Math.min(2L * power, Integer.MAX_VALUE - 8);
        }

        /** An array of at least {@code length} bytes. */
        byte[] take(int length) {
            if (length < POOLED_MIN) {
                return new byte[length];
            }
            synchronized (this) {
                // The shortest free array that holds it, however much longer: what a short blob may hold beyond its
                // length is bounded by the free arrays' cap, and a fresh array costs its zeroing and garbage.
                Map.Entry<Integer, java.util.ArrayDeque<byte[]>> e = free.ceilingEntry(length);
                if (e != null) {
                    byte[] b = e.getValue().pollLast();
                    if (e.getValue().isEmpty()) {
                        free.remove(e.getKey());
                    }
                    order.removeLastOccurrence(b);
                    held -= b.length;
                    return b;
                }
            }
            return new byte[classLength(length)];
        }

        /** Gives back an array from {@link #take} that nothing uses any more. */
        void give(byte[] b) {
            if (b.length < POOLED_MIN || b.length > POOLED_MAX || b.length != classLength(b.length)) {
                return;
            }
            synchronized (this) {
                // Room is made by dropping the least recently given arrays: arrays of a length no longer asked for
                // must not keep out the ones in use (the free arrays follow the blobs' sizes).
                while (held + b.length > cap && !order.isEmpty()) {
                    byte[] old = order.pollFirst();
                    java.util.ArrayDeque<byte[]> same = free.get(old.length);
                    if (same != null && same.removeFirstOccurrence(old)) {
                        held -= old.length;
                        if (same.isEmpty()) {
                            free.remove(old.length);
                        }
                    }
                }
                if (held + b.length <= cap) {
                    free.computeIfAbsent(b.length, l -> new java.util.ArrayDeque<>()).add(b);
                    order.addLast(b);
                    held += b.length;
                }
            }
        }
    }

    /** One blob the batch needs, and every file and offset that needs it. */
    private static final class Need {
        final BlobId id;
        final BlobLocation location;
        final List<Piece> pieces = new ArrayList<>(1);

        Need(BlobId id, BlobLocation location) {
            this.id = id;
            this.location = location;
        }
    }

    /** The blobs a batch needs from one pack. */
    private static final class PackJob {
        final String pack;
        final Batch batch;
        final List<Need> needs = new ArrayList<>();
        volatile int done;

        PackJob(String pack, Batch batch) {
            this.pack = pack;
            this.batch = batch;
        }
    }

    private static final class Batch {
        final Map<BlobId, PackJob> packs = new LinkedHashMap<>();
        final Map<BlobId, Need> needs = new HashMap<>();
        final List<Manifest.Item> deferred = new ArrayList<>();
        long cost;
        List<PackJob> jobs;
        /** Pack reads and blob writes of this batch not ended yet. */
        final AtomicInteger open = new AtomicInteger();

        void taskEnded() {
            if (open.decrementAndGet() == 0) {
                synchronized (this) {
                    notifyAll();
                }
            }
        }

        /** Waits up to {@code millis} for every task to end; whether they all have. */
        synchronized boolean await(long millis) throws InterruptedException {
            if (open.get() > 0) {
                wait(millis);
            }
            return open.get() == 0;
        }
    }

    /**
     * Restores the entries {@code entries} yields (the caller counts them through {@code onEntry}), calling the
     * target's {@code write} for what is not a file written in pieces.
     *
     * @return the content bytes restored
     */
    long run(Iterator<Manifest.Item> entries, RestoreTarget target, PositionalFiles files, Streamer streamer,
             Runnable onEntry) throws IOException {
        try {
            return runBatches(entries, target, files, streamer, onEntry);
        } finally {
            writers.shutdown();
        }
    }

    private long runBatches(Iterator<Manifest.Item> entries, RestoreTarget target, PositionalFiles files,
                            Streamer streamer, Runnable onEntry) throws IOException {
        long streamed = 0;
        Batch batch = new Batch();
        // Two batches at most: the packs of one are read while the next is planned (the tree walked, files opened).
        Batch reading = null;
        while (next(entries)) {
            Manifest.Item item = entries.next();
            onEntry.run();
            if (item.entry().type() != EntryType.REGULAR) {
                target.write(item.entry(), InputStream.nullInputStream());
                watch.progress();
            } else if (item.entry().hardLinkTo().isPresent()) {
                batch.deferred.add(item);
                batch.cost += FILE_COST + 2L * item.entry().path().length();
            } else if (item.object().isPresent()) {
                streamed += streamer.stream(item);
            } else {
                plan(batch, item, files);
            }
            if (batch.cost >= budget / 2) {
                // Queued before the previous batch's last packs end, so the readers and writers never run dry at a
                // batch boundary (a tail of one or two slow packs); still two batches at most.
                start(batch);
                streamed += end(reading, streamer);
                reading = batch;
                batch = new Batch();
            }
        }
        start(batch);
        streamed += end(reading, streamer);
        streamed += end(batch, streamer);
        CorruptDataException damage = firstDamage.get();
        if (damage != null) {
            long n = damagedFiles.get();
            String named;
            synchronized (damagedPaths) {
                named = String.join(", ", damagedPaths) + (n > damagedPaths.size() ? ", ..." : "");
            }
            throw new CorruptDataException(damage.getMessage() + "; " + n + (n == 1 ? " file that needs it was" : " files that need damaged data were")
                    + " not restored (" + named + "), every other entry was", damage);
        }
        return streamed + bytes.get();
    }

    /** Walks on to the next selected entry; a tree blob read on the way is a stage the stall diagnostic names. */
    private boolean next(Iterator<Manifest.Item> entries) {
        try (Watchdog.Activity a = watch.activity("trees", () -> "reading the snapshot's tree blobs")) {
            return entries.hasNext();
        }
    }

    /** Opens a file of the batch and notes which blobs it needs where; a file needing unindexed blobs is lost. */
    private void plan(Batch batch, Manifest.Item item, PositionalFiles files) throws IOException {
        List<BlobId> ids = item.blobs();
        BlobLocation[] locations = new BlobLocation[ids.size()];
        long length = 0;
        for (int i = 0; i < locations.length; i++) {
            BlobId id = ids.get(i);
            BlobLocation location = locate(id);
            if (location == null) {
                lost(item.entry().path(), new CorruptDataException("blob " + id + " is not in the index of "
                        + store.location() + ": the repository is damaged"));
                return;
            }
            locations[i] = location;
            length += location.plainLength();
        }
        PositionalFiles.Content out = files.open(item.entry(), length);
        FileJob file = new FileJob(item, out, length, ids.size());
        batch.cost += FILE_COST + 2L * item.entry().path().length() + (long) PIECE_COST * ids.size();
        if (ids.isEmpty()) {
            out.complete();
            watch.progress();
            return;
        }
        long offset = 0;
        for (int i = 0; i < locations.length; i++) {
            BlobLocation location = locations[i];
            Need need = batch.needs.get(ids.get(i));
            if (need == null) {
                need = new Need(ids.get(i), location);
                batch.needs.put(need.id, need);
                batch.packs.computeIfAbsent(location.pack(), p -> new PackJob(location.packObject(), batch)).needs.add(need);
            }
            need.pieces.add(new Piece(file, offset));
            offset += location.plainLength();
        }
    }

    /** Where a blob is; the index is loaded again once per restore when a blob is not in it (a prune repacked it). */
    private BlobLocation locate(BlobId id) {
        BlobLocation location = store.index().find(id).orElse(null);
        if (location == null && reloaded.compareAndSet(false, true)) {
            location = store.reloadIndex().find(id).orElse(null);
        }
        return location;
    }

    /** Starts reading the batch's packs, each once, on the executor. */
    private void start(Batch batch) {
        batch.jobs = new ArrayList<>(batch.packs.values());
        batch.open.set(batch.jobs.size());
        for (PackJob job : batch.jobs) {
            try {
                executor.execute(() -> {
                    try {
                        if (fatal.get() == null) {
                            read(job);
                        }
                    } catch (Throwable t) {
                        fatal.compareAndSet(null, t);
                    } finally {
                        batch.taskEnded();
                    }
                });
            } catch (RuntimeException e) {
                fatal.compareAndSet(null, e);
                batch.taskEnded();
            }
        }
    }

    /** Waits until every pack of a started batch was read and written (null: none), then streams its hard links. */
    private long end(Batch batch, Streamer streamer) throws IOException {
        if (batch == null) {
            return 0;
        }
        try (Watchdog.Activity a = watch.activity("restore", () -> waitingFor(batch.jobs))) {
            while (!batch.await(200)) {
                watch.check();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("the restore was interrupted");
        }
        rethrowFatal();
        long streamed = 0;
        for (Manifest.Item item : batch.deferred) {
            streamed += streamer.stream(item);
        }
        return streamed;
    }

    private void rethrowFatal() throws IOException {
        Throwable t = fatal.get();
        if (t == null) {
            return;
        }
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new BackupException(t.toString(), t);
    }

    /** For the stall diagnostic: the first pack not read yet. */
    private static String waitingFor(List<PackJob> jobs) {
        for (PackJob job : jobs) {
            if (job.done < job.needs.size()) {
                Need need = job.needs.get(Math.min(job.done, job.needs.size() - 1));
                return "waiting for blob " + need.id + " of pack '" + job.pack + "' (" + job.done + " of "
                        + job.needs.size() + " blobs of it written; " + jobs.size() + " packs in this batch)";
            }
        }
        return "waiting for the last files of a batch to be completed";
    }

    /** Reads the blobs a batch needs from one pack: one ranged read per run of them, in the order they are stored. */
    private void read(PackJob job) throws IOException {
        watch.check();
        List<Need> needs = job.needs;
        needs.sort(Comparator.comparingInt(n -> n.location.offset()));
        AtomicBoolean firstDamaged = new AtomicBoolean(true);
        try (Watchdog.Activity a = watch.activity("fetcher", () -> "reading pack '" + job.pack + "' ("
                + job.done + " of " + needs.size() + " blobs written)")) {
            int i = 0;
            while (i < needs.size() && fatal.get() == null) {
                long start = needs.get(i).location.offset();
                long end = start + needs.get(i).location.length();
                int j = i + 1;
                while (j < needs.size() && needs.get(j).location.offset() - end <= MAX_GAP
                        && needs.get(j).location.offset() >= end) {
                    end = needs.get(j).location.offset() + needs.get(j).location.length();
                    j++;
                }
                if (!readRange(job, needs.subList(i, j), start, end, firstDamaged)) {
                    return;
                }
                i = j;
            }
        }
    }

    /** One ranged read; false when the pack is missing (every blob of it was dealt with). */
    private boolean readRange(PackJob job, List<Need> needs, long start, long end, AtomicBoolean firstDamaged)
            throws IOException {
        InputStream raw;
        try {
            raw = SinkReadException.marking(store.sink().get(job.pack, start, end - start));
        } catch (NoSuchObjectException e) {
            missingPack(job);
            return false;
        } catch (IOException e) {
            throw new BackupException("cannot read pack '" + job.pack + "' from " + store.location() + ": " + e.getMessage(), e);
        }
        // a run of small blobs is read in large reads, not one read (or more) per blob
        InputStream in = end - start > RANGE_BUFFER ? new java.io.BufferedInputStream(raw, RANGE_BUFFER) : raw;
        int k = 0;
        // The stored and decrypted forms of one blob are done with before the next is read: one array each, kept for
        // the whole range (a longer one replaces it when a blob needs it), given back at its end.
        Codec.Scratch scratch = new Codec.Scratch(buffers::take, buffers::give);
        byte[] stored = null;
        try (in) {
            long position = start;
            for (; k < needs.size(); k++) {
                if (fatal.get() != null) {
                    return true;
                }
                Need need = needs.get(k);
                in.skipNBytes(need.location.offset() - position);
                int length = need.location.length();
                if (stored == null || stored.length < length) {
                    if (stored != null) {
                        buffers.give(stored);
                    }
                    stored = buffers.take(length);
                }
                int n = in.readNBytes(stored, 0, length);
                position = need.location.offset() + n;
                if (n < length) {
                    break; // the pack ends early: each blob left is read on its own, which names the damage
                }
                byte[] plain = buffers.take(need.location.plainLength());
                boolean intact = false;
                try {
                    store.decodeBlob(need.id, job.pack, stored, 0, length, need.location.plainLength(), plain, scratch);
                    intact = true;
                } catch (CorruptDataException damaged) {
                    buffers.give(plain);
                }
                if (intact) {
                    deliver(job, need, plain, true);
                } else {
                    deliver(job, need, readAgain(need, firstDamaged), false);
                }
            }
        } catch (java.io.EOFException e) {
            // skipNBytes past the end: as above
        } catch (SinkReadException e) {
            throw new BackupException("cannot read pack '" + job.pack + "' from " + store.location() + ": " + e.getMessage(), e);
        } finally {
            if (stored != null) {
                buffers.give(stored);
            }
            scratch.recycle(buffers::give);
        }
        for (; k < needs.size() && fatal.get() == null; k++) {
            deliver(job, needs.get(k), readAgain(needs.get(k), firstDamaged), false);
        }
        return true;
    }

    /**
     * A blob that failed its check (or was cut short) read again on its own: the 3-read rule tells damage in the store
     * (null: the files that need it are lost) from damage in transit. The first one of a pack also looks for the blob
     * in a freshly loaded index, in case a prune moved it.
     */
    private byte[] readAgain(Need need, AtomicBoolean first) {
        try {
            return first.getAndSet(false) ? store.readBlob(need.id) : store.readBlob(need.id, need.location);
        } catch (CorruptDataException e) {
            markDamaged(need, e);
            return null;
        }
    }

    /** A pack that is gone: its blobs are looked for in a freshly loaded index (a prune may have moved them). */
    private void missingPack(PackJob job) throws IOException {
        BlobIndex fresh = store.reloadIndex();
        for (Need need : job.needs) {
            if (fatal.get() != null) {
                return;
            }
            BlobLocation moved = fresh.find(need.id).filter(l -> !l.packObject().equals(job.pack)).orElse(null);
            byte[] plain = null;
            if (moved != null) {
                try {
                    plain = store.readBlob(need.id, moved);
                } catch (CorruptDataException e) {
                    markDamaged(need, e);
                }
            } else {
                markDamaged(need, new CorruptDataException("pack '" + job.pack + "' holding blob " + need.id
                        + " is missing from " + store.location()));
            }
            deliver(job, need, plain, false);
        }
    }

    private static void markDamaged(Need need, CorruptDataException e) {
        for (Piece p : need.pieces) {
            if (p.file.damaged == null) {
                p.file.damaged = e;
            }
        }
    }

    /**
     * Hands a checked blob (null: damaged) to a writer, which writes it to every file and offset that needs it: the
     * reader goes on decoding while files are created, written, completed and renamed on the writers' threads. Blobs
     * waiting for a writer hold part of a byte budget, so a reader waits when the writers lag. A {@code pooled} array
     * (from {@link Buffers}, possibly longer than the blob) is given back once written.
     */
    private void deliver(PackJob job, Need need, byte[] plain, boolean pooled) throws IOException {
        int held = plain == null ? 0 : Math.min(need.location.plainLength(), WRITE_BUDGET);
        try {
            writeBudget.acquire(held);
        } catch (InterruptedException e) {
            if (pooled) {
                buffers.give(plain);
            }
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("the restore was interrupted");
        }
        job.batch.open.incrementAndGet();
        try {
            writers.execute(() -> {
                try (Watchdog.Activity a = watch.activity("writer", () -> "writing blob " + need.id + " of pack '"
                        + job.pack + "' to " + need.pieces.size() + " file(s), the first '"
                        + need.pieces.get(0).file.item.entry().path() + "'")) {
                    if (fatal.get() == null) {
                        write(need, plain);
                    }
                } catch (Throwable t) {
                    fatal.compareAndSet(null, t);
                } finally {
                    if (pooled) {
                        buffers.give(plain);
                    }
                    writeBudget.release(held);
                    job.batch.taskEnded();
                }
            });
        } catch (RuntimeException e) {
            if (pooled) {
                buffers.give(plain);
            }
            writeBudget.release(held);
            job.batch.taskEnded();
            throw e;
        }
        job.done++;
    }

    private void write(Need need, byte[] plain) throws IOException {
        for (Piece p : need.pieces) {
            if (plain != null && p.file.damaged == null) {
                p.file.out.write(p.offset, plain, 0, need.location.plainLength());
            }
            p.file.pieceDone();
        }
        watch.progress();
    }

    /** A file not restored because data it needs is damaged. */
    private void lost(String path, CorruptDataException damage) {
        firstDamage.compareAndSet(null, damage);
        damagedFiles.incrementAndGet();
        synchronized (damagedPaths) {
            if (damagedPaths.size() < NAMED) {
                damagedPaths.add(path);
            }
        }
    }
}
