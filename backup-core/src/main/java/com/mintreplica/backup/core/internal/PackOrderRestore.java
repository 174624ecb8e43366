package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.PositionalFiles;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A restore in the order of packs (restic 0.17's design), for targets that take files in pieces
 * ({@link PositionalFiles}), where each pack is read once for the whole restore, in bounded memory.
 *
 * <p>First the snapshot is walked once: directories and other entries without content are written, single objects
 * streamed, and each regular file is <em>planned</em>: its entry goes to a spill and each of its blobs becomes a record
 * (pack, where the blob is, file, offset) of a {@link RestorePlan}, which sorts the records by pack in bounded runs on
 * disk. Then the records come back pack by pack: a pack's records become one job (the blobs it needs, each with every
 * file and offset that needs it), read by one of several threads as one ranged read per run of needed blobs (blobs
 * further apart than {@link #MAX_GAP} start a new range, so a pack is never read whole for one blob). A pack of many
 * small files is cut into several jobs, for the heap: from a local directory they are read by several threads at
 * once; from any other store one after the other through one ranged read (one request per pack). A file is opened
 * when the job with its first piece is dispatched (its entry read back from the spill) and completed (metadata,
 * rename) by the writer of its last piece, counted down from the number of pieces its records carry; only files with
 * some pieces written and some to come are in memory. Jobs under way are bounded by the budget. Each blob is decoded,
 * checked against its id and written to every file and offset that needs it. A blob that fails its check is read
 * again on its own, with the rule that tells damage in the store from damage in transit
 * ({@link Store#readBlob(BlobId, BlobLocation)}).
 *
 * <p>Damage stays local: a file that needs a damaged or missing blob is discarded (nothing corrupt is published) and
 * every other file is restored; the restore then fails with a {@link CorruptDataException} naming the damage and the
 * files it cost. Any other failure (the target cannot write, the store cannot be read) stops the restore at once.
 *
 * <p>Hard-linked files (their content may already be on disk under their first path) are streamed to the target's
 * {@code write} at the end, in snapshot order, once every file is complete; single objects in snapshot order during
 * the walk.
 */
final class PackOrderRestore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PackOrderRestore.class);
    /** Needed blobs of one pack that are further apart than this are read with separate ranged reads. */
    static final int MAX_GAP = 1 << 20;
    /** Estimated heap bytes of a dispatched file, a blob a job needs, and a piece (a blob at an offset of a file). */
    private static final int FILE_COST = 600;
    private static final int NEED_COST = 120;
    private static final int PIECE_COST = 48;
    private static final int RANGE_BUFFER = 256 << 10;
    /**
     * Jobs under way hold this fraction of the budget (512 KiB of estimate at a 256 MiB heap: about 800 small files,
     * about 100 to a job). A quarter let the dispatcher run 5,000-7,000 small files ahead of the writers; their objects
     * (entry, file, pieces, paths) outlived the young collections, filled the old generation and cost a full
     * collection every half second (100,000 files: 31-36 full collections, then 11-12; 200,000 files: 17.9-18.6 CPU
     * seconds, then 15.7-16.2, on a shared machine).
     */
    private static final int JOBS_SHARE = 32;
    /** Bytes of decoded blobs waiting for a writer: 8 MiB, and no more than a sixteenth of the heap. */
    private static final int WRITE_BUDGET = (int) Math.min(8 << 20, Math.max(1 << 20, Runtime.getRuntime().maxMemory() / 16));
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
    /**
     * Whether the jobs of one pack are read one after the other through one ranged read (a remote store: each request
     * is a round trip, and billed) rather than by several threads at once (a local directory). A restore of 150,000
     * small files from S3 made one GET per job, about 40 files each in a 128 MiB heap: 3,856 requests for 11 packs.
     */
    private final boolean oneReadPerPack;
    private final Executor executor;
    private final java.util.concurrent.ExecutorService writers;
    private final java.util.concurrent.Semaphore writeBudget = new java.util.concurrent.Semaphore(WRITE_BUDGET);
    private final long budget;
    private final Path spill;
    /** Estimated heap bytes of the jobs under way (dispatched, not ended). */
    private final java.util.concurrent.Semaphore jobBudget;
    private final int jobPermits;
    /** A job's estimated bytes past which a pack's plan is cut into another job (another range of the pack). */
    private final int jobLimit;
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private final AtomicBoolean reloaded = new AtomicBoolean();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong damagedFiles = new AtomicLong();
    private final List<String> damagedPaths = new ArrayList<>();
    private final AtomicReference<CorruptDataException> firstDamage = new AtomicReference<>();
    /**
     * Entries the target could not write (a directory it may not write in, a name too long for it): each is said and
     * the restore goes on, as restic's does; one of them stopped the whole restore, and every directory kept the
     * mode and owner it was made with. A full disk still stops it at once (every entry after would fail the same way).
     */
    private final AtomicLong unwritten = new AtomicLong();
    private final List<String> unwrittenPaths = new ArrayList<>();
    private final AtomicReference<IOException> firstUnwritten = new AtomicReference<>();
    private final Buffers buffers;
    /** Files with some pieces written and some to come, by slot (their number in the walk). */
    private final Map<Integer, FileJob> openFiles = new java.util.concurrent.ConcurrentHashMap<>();
    /** Jobs dispatched and not ended, for the stall diagnostic and the wait at the end. */
    private final java.util.Set<PackJob> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Object ended = new Object();
    /** Packs read, for tests: the number of jobs (each pack is one job, read once). */
    private final AtomicInteger packJobs = new AtomicInteger();
    /**
     * Files already in the target being compared with the snapshot (on the writer threads, which have nothing else to
     * do while the walk plans): at most this many at once, each with a buffer of its largest blob.
     */
    private final java.util.concurrent.Semaphore comparing;
    private final int comparePermits;
    /** Files found different from the snapshot, for the walk's thread to plan (the plan is not thread-safe). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> changed = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Files the target had already, with the snapshot's content: kept where they were, given their metadata. */
    private final AtomicLong kept = new AtomicLong();

    /**
     * @param executor reads packs (the restore's executor)
     * @param readers the executor's threads
     * @param writers how many threads write files; they belong to this restore and end with {@link #run}
     * @param budget estimated heap bytes for the plan: a quarter for records kept in memory before a run goes to
     *               disk, a thirty-second for the jobs under way
     * @param spill where the plan's temporary files go
     */
    PackOrderRestore(Store store, Watchdog watch, Executor executor, int readers, int writers, long budget, Path spill) {
        this.store = store;
        this.watch = watch;
        this.executor = executor;
        this.budget = budget;
        this.spill = spill;
        this.jobPermits = (int) Math.max(1 << 16, Math.min(Integer.MAX_VALUE, budget / JOBS_SHARE));
        this.jobLimit = Math.max(1 << 14, jobPermits / (2 * Math.max(1, readers)));
        this.jobBudget = new java.util.concurrent.Semaphore(jobPermits);
        this.buffers = new Buffers(Math.min(BUFFERS_KEPT, Runtime.getRuntime().maxMemory() / 16));
        this.comparePermits = (int) Math.max(1, Math.min(Math.max(1, writers), Runtime.getRuntime().maxMemory() / (64L << 20)));
        this.comparing = new java.util.concurrent.Semaphore(comparePermits);
        this.oneReadPerPack = !store.sink().capabilities().contains(SinkCapability.LOCAL_READS);
        AtomicInteger n = new AtomicInteger();
        this.writers = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, writers), r -> {
            Thread t = new Thread(r, "mint-backup-restore-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The plan's budget for a heap: a sixteenth of it, between 2 and 64 MiB. */
    static long defaultBudget() {
        return Math.max(2L << 20, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 16));
    }

    /** A file being restored: its pieces left and, once a piece of it proved damaged, the damage. */
    private final class FileJob {
        final int slot;
        final Manifest.Item item;
        final PositionalFiles.Content out;
        final long length;
        final AtomicInteger remaining;
        volatile CorruptDataException damaged;

        FileJob(int slot, Manifest.Item item, PositionalFiles.Content out, long length, int pieces) {
            this.slot = slot;
            this.item = item;
            this.out = out;
            this.length = length;
            this.remaining = new AtomicInteger(pieces);
        }

        /** Set when the target failed to take a piece of it: the file is discarded, and said. */
        volatile IOException failed;

        /** One piece is done (written, or lost to damage); the last one completes or discards the file. */
        void pieceDone() throws IOException {
            if (remaining.decrementAndGet() == 0) {
                openFiles.remove(slot);
                CorruptDataException d = damaged;
                if (d != null) {
                    out.discard();
                    lost(item.entry().path(), d);
                } else if (failed != null) {
                    out.discard();
                    unwritten(item.entry().path(), failed);
                } else {
                    try {
                        out.complete();
                    } catch (IOException e) {
                        out.discard();
                        unwritten(item.entry().path(), e);
                        return;
                    }
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

    /** One blob a job needs, and every file and offset that needs it. */
    private static final class Need {
        final BlobId id;
        final BlobLocation location;
        final List<Piece> pieces = new ArrayList<>(1);

        Need(BlobId id, BlobLocation location) {
            this.id = id;
            this.location = location;
        }
    }

    /** The blobs the restore needs from one pack: the pack is read once, by one thread. */
    private final class PackJob {
        final String pack;
        final List<Need> needs = new ArrayList<>();
        volatile int done;
        /** Estimated heap bytes, held from the job budget until the job ends. */
        int cost;
        /** Its read and its blob writes not ended yet. */
        final AtomicInteger open = new AtomicInteger(1);
        /** Where the last blob any job of this pack needs ends: how far a ranged read shared by its jobs runs. */
        int packEnd;
        /** The pack was not there: every blob of the job was dealt with (found elsewhere, or lost). */
        boolean missing;
        /** The next job of the same pack, read after this one by the same thread, on the read this one left. */
        private PackJob next;
        private boolean readEnded;

        PackJob(String pack) {
            this.pack = pack;
        }

        /** Queues {@code successor} to be read after this job; false when this job's read has ended already. */
        synchronized boolean chain(PackJob successor) {
            if (readEnded) {
                return false;
            }
            next = successor;
            return true;
        }

        /** Ends this job's read: the job queued after it, if any. */
        synchronized PackJob readDone() {
            readEnded = true;
            return next;
        }

        void taskEnded() {
            if (open.decrementAndGet() == 0) {
                running.remove(this);
                jobBudget.release(cost);
                synchronized (ended) {
                    ended.notifyAll();
                }
            }
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
        // A quarter of the budget for records in memory: more runs on disk cost little (a 200,000-file plan is 14 MiB
        // written and read back once), and the array lives on while the packs are read when the plan fits in it.
        try (RestorePlan plan = new RestorePlan(spill, budget / 4)) {
            return restore(plan, entries, target, files, streamer, onEntry);
        } finally {
            writers.shutdown();
        }
    }

    /** Jobs dispatched so far: each is one pack, read once (for tests). */
    int packsRead() {
        return packJobs.get();
    }

    private long restore(RestorePlan plan, Iterator<Manifest.Item> entries, RestoreTarget target, PositionalFiles files,
                         Streamer streamer, Runnable onEntry) throws IOException {
        long started = System.nanoTime();
        long streamed = 0;
        // Hard links, in snapshot order: where their items are in the plan's entries (8 bytes each).
        long[] links = new long[16];
        int linkCount = 0;
        int slots = 0;
        while (next(entries)) {
            Manifest.Item item = entries.next();
            onEntry.run();
            if (item.entry().type() != EntryType.REGULAR) {
                try {
                    target.write(item.entry(), InputStream.nullInputStream());
                } catch (IOException e) {
                    unwritten(item.entry().path(), e);
                }
                watch.progress();
            } else if (item.entry().hardLinkTo().isPresent()) {
                if (linkCount == links.length) {
                    links = java.util.Arrays.copyOf(links, 2 * linkCount);
                }
                links[linkCount++] = plan.addItem(item, -1);
            } else if (item.object().isPresent()) {
                streamed += streamer.stream(item);
            } else {
                plan(plan, item, files, slots++);
                watch.progress();
            }
        }
        awaitComparisons(plan);
        long walked = System.nanoTime();
        try (RestorePlan.Cursor pieces = sortedPlan(plan)) {
            dispatch(plan, pieces, files);
        } catch (IOException | RuntimeException | Error e) {
            fatal.compareAndSet(null, e);
            throw e;
        } finally {
            try {
                awaitJobs();
            } finally {
                for (String pack : List.copyOf(parked.keySet())) {
                    closeQuietly(parked.remove(pack));
                }
            }
        }
        rethrowFatal();
        LOG.debug("restore plan: {} files, {} kept as they were, {}; walked and planned in {} ms, packs read and files"
                + " written in {} ms ({} jobs)", slots, kept.get(), plan.describe(), (walked - started) / 1_000_000,
                (System.nanoTime() - walked) / 1_000_000, packJobs.get());
        for (int i = 0; i < linkCount; i++) {
            streamed += streamer.stream(plan.item(links[i]).item());
        }
        CorruptDataException damage = firstDamage.get();
        long failedWrites = unwritten.get();
        if (failedWrites > 0 && damage == null) {
            String named;
            synchronized (unwrittenPaths) {
                named = String.join("; ", unwrittenPaths) + (failedWrites > unwrittenPaths.size() ? "; ..." : "");
            }
            throw new IOException(failedWrites + (failedWrites == 1 ? " entry" : " entries") + " could not be written"
                    + " to the target, every other entry was restored: " + named, firstUnwritten.get());
        }
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

    private RestorePlan.Cursor sortedPlan(RestorePlan plan) throws IOException {
        try (Watchdog.Activity a = watch.activity("plan", () -> "sorting the restore's plan (" + plan.pieces()
                + " pieces in " + plan.runs() + " runs on disk)")) {
            return plan.sorted();
        }
    }

    /**
     * Reads the plan pack by pack and hands each pack's job to the readers, opening each file as the job with its
     * first piece is dispatched; waits while the jobs under way hold the job budget. The plan comes in the order of
     * the blobs in each pack, so a pack whose plan is larger than a job ({@link #jobLimit}) is cut into consecutive
     * ranges, read by several threads, each byte once.
     */
    private void dispatch(RestorePlan plan, RestorePlan.Cursor cursor, PositionalFiles files) throws IOException {
        RestorePlan.Piece r = new RestorePlan.Piece();
        PackJob job = null;
        int jobPack = -1;
        BlobLocation pack = null;
        Need need = null;
        while (fatal.get() == null && cursor.next(r)) {
            if (job == null || r.pack != jobPack || (job.cost >= jobLimit && r.offset != need.location.offset())) {
                if (job != null) {
                    submit(job);
                }
                if (r.pack != jobPack) {
                    pack = plan.pack(r.pack);
                    jobPack = r.pack;
                }
                job = new PackJob(pack.packObject());
                job.packEnd = plan.packEnd(r.pack);
                need = null;
            }
            if (need == null || r.offset != need.location.offset()) {
                need = new Need(BlobId.wrap(r.id.clone()), new BlobLocation(pack.pack(), pack.type(), r.offset, r.length,
                        r.plainLength));
                job.needs.add(need);
                job.cost += NEED_COST;
            }
            FileJob file = openFiles.get(r.slot);
            if (file == null) {
                RestorePlan.Planned planned = plan.item(r.entry);
                PositionalFiles.Content out;
                IOException notOpened = null;
                try {
                    out = files.open(planned.item().entry(), planned.length());
                } catch (IOException e) {
                    out = NOTHING;   // its pieces are read with the others' and dropped; the file is said at its end
                    notOpened = e;
                }
                file = new FileJob(r.slot, planned.item(), out, planned.length(), r.pieces);
                file.failed = notOpened;
                openFiles.put(r.slot, file);
                job.cost += FILE_COST + 2 * planned.item().entry().path().length();
            }
            need.pieces.add(new Piece(file, r.fileOffset));
            job.cost += PIECE_COST;
        }
        if (job != null && fatal.get() == null) {
            submit(job);
        }
    }

    /** Starts reading a job's pack on the executor, once the jobs under way leave room for it in the budget. */
    private void submit(PackJob job) throws IOException {
        job.cost = Math.min(job.cost, jobPermits);
        try (Watchdog.Activity a = watch.activity("restore", this::waitingFor)) {
            while (!jobBudget.tryAcquire(job.cost, 200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                watch.check();
                rethrowFatal();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("the restore was interrupted");
        }
        running.add(job);
        packJobs.incrementAndGet();
        PackJob before = lastSubmitted;
        lastSubmitted = job;
        if (oneReadPerPack && before != null && before.pack.equals(job.pack) && before.chain(job)) {
            return; // read by the thread reading the job before it, on the same ranged read
        }
        try {
            executor.execute(() -> readChain(job));
        } catch (RuntimeException e) {
            fatal.compareAndSet(null, e);
            job.taskEnded();
        }
    }

    /** The job submitted last (on the dispatching thread): a job of the same pack is queued behind it. */
    private PackJob lastSubmitted;

    /**
     * Reads a job, then each job of the same pack queued behind it. The ranged read a job leaves open is parked before
     * its read is said to have ended: the next job of the pack, queued behind it or dispatched after, finds it there.
     */
    private void readChain(PackJob first) {
        PackJob job = first;
        while (job != null) {
            try {
                if (fatal.get() == null) {
                    park(read(job));
                }
            } catch (Throwable t) {
                fatal.compareAndSet(null, t);
            } finally {
                PackJob next = job.readDone();
                job.taskEnded();
                job = next;
            }
        }
    }

    /**
     * Ranged reads left open by jobs for the next job of their pack, by pack: queued behind the job, or dispatched only
     * after its read ended (the dispatcher waits for the writers to free the job budget). Only a read with more of the
     * pack to come is kept, and the dispatcher moves from pack to pack, so these are few; all are closed when the jobs
     * end.
     */
    private final Map<String, OpenRange> parked = new java.util.concurrent.ConcurrentHashMap<>();

    private void park(OpenRange range) {
        if (range != null && fatal.get() == null) {
            closeQuietly(parked.put(range.pack, range));
        } else {
            closeQuietly(range);
        }
    }

    /**
     * A ranged read left open by a job for the next job of its pack: its stream (buffered through {@code buffer}, a
     * buffer of the pool, or not buffered) and the position in the pack it has reached.
     */
    private record OpenRange(String pack, InputStream in, byte[] buffer, long position) {
    }

    private OpenRange closeQuietly(OpenRange range) {
        if (range != null) {
            try {
                range.in.close();
            } catch (IOException | RuntimeException e) {
                LOG.debug("closing a ranged read of pack '{}': {}", range.pack, e.toString());
            }
            if (range.buffer != null) {
                buffers.give(range.buffer);
            }
        }
        return null;
    }

    /** Waits until every dispatched job was read and written (after a failure, until they stopped). */
    private void awaitJobs() throws IOException {
        try (Watchdog.Activity a = watch.activity("restore", this::waitingFor)) {
            while (!running.isEmpty()) {
                synchronized (ended) {
                    if (!running.isEmpty()) {
                        ended.wait(200);
                    }
                }
                watch.check();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("the restore was interrupted");
        }
    }

    /** Walks on to the next selected entry; a tree blob read on the way is a stage the stall diagnostic names. */
    private boolean next(Iterator<Manifest.Item> entries) {
        try (Watchdog.Activity a = watch.activity("trees", () -> "reading the snapshot's tree blobs")) {
            return entries.hasNext();
        }
    }

    /**
     * Plans a file: its entry to the plan's spill, a record for each of its blobs; a file needing unindexed blobs is
     * lost, an empty one restored at once.
     */
    private void plan(RestorePlan plan, Manifest.Item item, PositionalFiles files, int slot) throws IOException {
        List<BlobId> ids = item.blobs();
        BlobLocation[] locations = new BlobLocation[ids.size()];
        long length = 0;
        for (int i = 0; i < locations.length; i++) {
            BlobId id = ids.get(i);
            BlobLocation location = locate(id);
            if (location == null) {
                lost(item.entry().path(), new CorruptDataException("blob " + id + " is not in the index of "
                        + store.location() + Verifier.REINDEX));
                return;
            }
            locations[i] = location;
            length += location.plainLength();
        }
        if (ids.isEmpty()) {
            if (!keptEmpty(item, files)) {
                files.open(item.entry(), 0).complete();
            }
            return;
        }
        drainChanged();
        Optional<PositionalFiles.Existing> existing = Optional.empty();
        try {
            existing = files.existing(item.entry(), length);
        } catch (IOException e) {
            LOG.debug("cannot look at {} in the target: {}", item.entry().path(), e.toString());
        }
        if (existing.isPresent()) {
            compare(plan, item, locations, length, slot, existing.get());
        } else {
            addToPlan(plan, item, locations, length, slot);
        }
    }

    /**
     * Keeps an empty file the target has already as an empty regular file of one link, with the entry's metadata: there
     * is no content to compare (every restore over an earlier one wrote each empty file again, explorers' E-F8.3).
     */
    private boolean keptEmpty(Manifest.Item item, PositionalFiles files) {
        Optional<PositionalFiles.Existing> existing;
        try {
            existing = files.existing(item.entry(), 0);
        } catch (IOException e) {
            LOG.debug("cannot look at {} in the target: {}", item.entry().path(), e.toString());
            return false;
        }
        if (existing.isEmpty()) {
            return false;
        }
        try {
            if (existing.get().read(0, new byte[1], 0, 1) < 0) {
                existing.get().keep();
                kept.incrementAndGet();
                return true;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("{} in the target is written again: {}", item.entry().path(), e.toString());
        }
        closeQuietly(existing.get());
        return false;
    }

    private void addToPlan(RestorePlan plan, Manifest.Item item, BlobLocation[] locations, long length, int slot)
            throws IOException {
        List<BlobId> ids = item.blobs();
        long at = plan.addItem(Manifest.Item.chunked(item.entry(), item.size(), List.of()), length);
        long offset = 0;
        for (int i = 0; i < locations.length; i++) {
            plan.add(ids.get(i), locations[i], slot, offset, ids.size(), at);
            offset += locations[i].plainLength();
        }
    }

    /**
     * Compares a file the target has already with the snapshot's content on a writer thread: each piece's hash against
     * its blob's id (keyed in an encrypted repository). Every piece the same: the file is kept, with the entry's
     * metadata, and none of its blobs is read. Otherwise (or when it cannot be read) it goes into the plan, and is
     * written as if it was not there.
     */
    private void compare(RestorePlan plan, Manifest.Item item, BlobLocation[] locations, long length, int slot,
                         PositionalFiles.Existing existing) throws IOException {
        try (Watchdog.Activity waiting = watch.activity("walk", () -> "waiting for a comparison of a file already"
                + " in the target (" + comparePermits + " at a time)")) {
            while (!comparing.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                drainChanged();
                rethrowFatal();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(existing);
            throw new java.io.InterruptedIOException("the restore was interrupted");
        }
        try {
            writers.execute(() -> {
                boolean same = false;
                try {
                    same = sameContent(existing, item.blobs(), locations);
                    if (same) {
                        existing.keep();
                        kept.incrementAndGet();
                        bytes.addAndGet(length);
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.debug("{} in the target is written again: {}", item.entry().path(), e.toString());
                    same = false;
                } finally {
                    if (!same) {
                        closeQuietly(existing);
                        changed.add(() -> {
                            try {
                                addToPlan(plan, item, locations, length, slot);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                    }
                    watch.progress();
                    comparing.release();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            comparing.release();
            closeQuietly(existing);
            addToPlan(plan, item, locations, length, slot);
        }
    }

    private boolean sameContent(PositionalFiles.Existing existing, List<BlobId> ids, BlobLocation[] locations)
            throws IOException {
        int largest = 1;
        for (BlobLocation l : locations) {
            largest = Math.max(largest, l.plainLength());
        }
        byte[] buffer = new byte[largest];
        long offset = 0;
        Codec codec = store.codec();
        for (int i = 0; i < locations.length; i++) {
            int length = locations[i].plainLength();
            int read = 0;
            while (read < length) {
                int n = existing.read(offset + read, buffer, read, length - read);
                if (n < 0) {
                    return false;
                }
                read += n;
            }
            if (!codec.matches(ids.get(i), buffer, 0, length)) {
                return false;
            }
            offset += length;
        }
        return existing.read(offset, buffer, 0, 1) < 0;
    }

    /** Plans the files the writer threads found changed. On the walk's thread. */
    private void drainChanged() throws IOException {
        Runnable r;
        while ((r = changed.poll()) != null) {
            try {
                r.run();
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }

    /** Waits for every comparison, planning the files found changed. */
    private void awaitComparisons(RestorePlan plan) throws IOException {
        try (Watchdog.Activity waiting = watch.activity("walk", () -> "waiting for the last comparisons of files"
                + " already in the target")) {
            while (!comparing.tryAcquire(comparePermits, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                drainChanged();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("the restore was interrupted");
        }
        comparing.release(comparePermits);
        drainChanged();
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            LOG.debug("cannot close {}: {}", c, e.toString());
        }
    }

    /** Files of the target that had the snapshot's content and were kept (for tests and the summary). */
    long kept() {
        return kept.get();
    }

    /** Where a blob is; the index is loaded again once per restore when a blob is not in it (a prune repacked it). */
    private BlobLocation locate(BlobId id) {
        BlobLocation location = store.index().find(id).orElse(null);
        if (location == null && reloaded.compareAndSet(false, true)) {
            location = store.reloadIndex().find(id).orElse(null);
        }
        return location;
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

    /** For the stall diagnostic: the packs under way. */
    private String waitingFor() {
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (PackJob job : running) {
            if (n++ < 4) {
                int done = job.done;
                Need need = job.needs.isEmpty() ? null : job.needs.get(Math.min(done, job.needs.size() - 1));
                b.append(b.length() == 0 ? "" : "; ").append(done < job.needs.size() && need != null
                        ? "waiting for blob " + need.id + " of pack '" + job.pack + "' (" + done + " of "
                        + job.needs.size() + " blobs of it handed to writers)"
                        : "pack '" + job.pack + "' read, its last blobs being written");
            }
        }
        return n == 0 ? "waiting for the readers" : b + " (" + n + " packs under way, " + openFiles.size()
                + " files open)";
    }

    /**
     * Reads the blobs a job needs from one pack: one ranged read per run of them, in the order they are stored. With
     * {@link #oneReadPerPack}, the first run goes on with the read the job before left (when it is not past it), and
     * the last one runs on to the end of what the pack's jobs need and is returned open for the next.
     */
    private OpenRange read(PackJob job) throws IOException {
        watch.check();
        List<Need> needs = job.needs;
        needs.sort(Comparator.comparingInt(n -> n.location.offset()));
        AtomicBoolean firstDamaged = new AtomicBoolean(true);
        OpenRange carried = oneReadPerPack ? parked.remove(job.pack) : null;
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
                OpenRange from = null;
                if (carried != null) {
                    if (carried.position <= start && start - carried.position <= MAX_GAP) {
                        from = carried;
                    } else {
                        closeQuietly(carried);
                    }
                    carried = null;
                }
                long readEnd = oneReadPerPack && j == needs.size() ? Math.max(end, job.packEnd) : end;
                OpenRange left = readRange(job, needs.subList(i, j), start, end, readEnd, from, firstDamaged);
                if (job.missing) {
                    return closeQuietly(left);
                }
                if (j < needs.size()) {
                    closeQuietly(left);
                } else {
                    carried = left;
                }
                i = j;
            }
            return carried;
        } catch (IOException | RuntimeException | Error e) {
            closeQuietly(carried);
            throw e;
        }
    }

    /**
     * One ranged read of {@code [start, end)}, from {@code from} when given (a read left open by the job before, at or
     * before {@code start}), else a new one of {@code [start, readEnd)}. Returns the read left open when it ends before
     * {@code readEnd} and every blob was read from it; else null (the pack missing sets {@link PackJob#missing}).
     */
    private OpenRange readRange(PackJob job, List<Need> needs, long start, long end, long readEnd, OpenRange from,
                                AtomicBoolean firstDamaged) throws IOException {
        InputStream in;
        byte[] rangeBuffer;
        long position;
        if (from != null) {
            in = from.in;
            rangeBuffer = from.buffer;
            position = from.position;
        } else {
            InputStream raw;
            try {
                raw = SinkReadException.marking(store.sink().get(job.pack, start, readEnd - start));
            } catch (NoSuchObjectException e) {
                job.missing = true;
                missingPack(job);
                return null;
            } catch (IOException e) {
                throw new BackupException("cannot read pack '" + job.pack + "' from " + store.location() + ": "
                        + e.getMessage(), e);
            }
            // A run of blobs is read in large reads, not one read (or more) per blob, through a buffer of the pool: a
            // range up to RANGE_BUFFER in one read. (Only ranges longer than that were buffered: a 200,000-file
            // restore, whose jobs are ranges of about a hundred small files, made a read system call per blob, 170,000
            // of them.)
            rangeBuffer = needs.size() > 1 || readEnd > end
                    ? buffers.take((int) Math.min(readEnd - start, RANGE_BUFFER)) : null;
            in = rangeBuffer != null ? new RangeStream(raw, rangeBuffer) : raw;
            position = start;
        }
        int k = 0;
        boolean whole = false;
        // The stored and decrypted forms of one blob are done with before the next is read: one array each, kept for
        // the whole range (a longer one replaces it when a blob needs it), given back at its end.
        Codec.Scratch scratch = new Codec.Scratch(buffers::take, buffers::give);
        byte[] stored = null;
        try {
            for (; k < needs.size(); k++) {
                if (fatal.get() != null) {
                    return null;
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
            whole = k == needs.size();
        } catch (java.io.EOFException e) {
            // skipNBytes past the end: as above
        } catch (SinkReadException e) {
            throw new BackupException("cannot read pack '" + job.pack + "' from " + store.location() + ": " + e.getMessage(), e);
        } finally {
            if (stored != null) {
                buffers.give(stored);
            }
            scratch.recycle(buffers::give);
            if (!whole || position >= readEnd) {
                closeQuietly(new OpenRange(job.pack, in, rangeBuffer, position));
            }
        }
        if (whole) {
            return position < readEnd ? new OpenRange(job.pack, in, rangeBuffer, position) : null;
        }
        for (; k < needs.size() && fatal.get() == null; k++) {
            deliver(job, needs.get(k), readAgain(needs.get(k), firstDamaged), false);
        }
        return null;
    }

    /** A buffered stream over a buffer of the pool (a fresh 256 KiB array per ranged read was garbage). */
    private static final class RangeStream extends java.io.BufferedInputStream {
        RangeStream(InputStream in, byte[] buffer) {
            super(in, 1);
            this.buf = buffer;
        }
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
        job.open.incrementAndGet();
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
                    job.taskEnded();
                }
            });
        } catch (RuntimeException e) {
            if (pooled) {
                buffers.give(plain);
            }
            writeBudget.release(held);
            job.taskEnded();
            throw e;
        }
        job.done++;
    }

    private void write(Need need, byte[] plain) throws IOException {
        for (Piece p : need.pieces) {
            if (plain != null && p.file.damaged == null && p.file.failed == null) {
                try {
                    p.file.out.write(p.offset, plain, 0, need.location.plainLength());
                } catch (IOException e) {
                    if (diskFull(e)) {
                        throw e;
                    }
                    p.file.failed = e;
                }
            }
            p.file.pieceDone();
        }
        watch.progress();
    }

    /** A file whose content goes nowhere: the target could not open it. */
    private static final PositionalFiles.Content NOTHING = new PositionalFiles.Content() {
        @Override
        public void write(long offset, byte[] bytes, int off, int len) {
        }

        @Override
        public void complete() {
        }

        @Override
        public void discard() {
        }
    };

    private static boolean diskFull(IOException e) {
        return String.valueOf(e.getMessage()).contains("No space left on device");
    }

    /** An entry the target could not take; a full disk stops the restore instead. */
    private void unwritten(String path, IOException e) throws IOException {
        if (diskFull(e)) {
            throw e;
        }
        firstUnwritten.compareAndSet(null, e);
        unwritten.incrementAndGet();
        LOG.debug("cannot restore '{}': {}", path, e.toString());
        synchronized (unwrittenPaths) {
            if (unwrittenPaths.size() < NAMED) {
                unwrittenPaths.add(path + " (" + e.getMessage() + ")");
            }
        }
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
