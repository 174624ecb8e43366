package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.event.BackupEvent;
import com.mintreplica.backup.core.event.BackupListener;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup: reads a Source, cuts content into chunks, and in parallel hashes, encodes and packs the chunks that are
 * new, bounded by a byte budget. Directory listings become tree blobs as the walk leaves each directory
 * ({@link TreeBuilder}), compared file by file with the parent snapshot's listing of the same directory, which is loaded
 * when the walk enters it. Index objects for the new packs are written as packs accumulate and at the end; last comes
 * the snapshot object, naming the root tree: until it exists, nothing of this run is visible, and a crash leaves only
 * packs no snapshot refers to.
 */
public final class BackupRun {
    private static final Logger LOG = LoggerFactory.getLogger(BackupRun.class);
    private static final Logger WARNINGS = LoggerFactory.getLogger(com.mintreplica.backup.core.BackupPipeline.WARNINGS_LOGGER);
    private static final long PROGRESS_NANOS = 250_000_000L;
    /** Warnings kept in the snapshot; more are counted in a last one (a tree of unreadable files must not fill it). */
    static final int MAX_WARNINGS = 10_000;

    /**
     * What a run needs besides the repository.
     *
     * @param parent a reader's parent snapshot
     * @param cachedParent a writer's parent: what its local cache says its last backup stored (see ParentCache)
     */
    public record Options(Source source, Set<String> tags, Optional<String> job, String host, Optional<Instant> time,
                          Clock clock, List<BackupListener> listeners, Optional<Manifest> parent,
                          Optional<ParentCache.Reader> cachedParent,
                          ExecutorService executor, int workers, long memoryBudget, String toolVersion,
                          Duration lockWait, Duration stallTimeout) {
    }

    private final Store store;
    private final Options options;
    private final Codec codec;
    private final Watchdog watch;
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesNew = new AtomicLong();
    private final AtomicLong bytesStored = new AtomicLong();
    private final List<Snapshot.Warning> warnings = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong warningsDropped = new AtomicLong();
    /** [checkpoint] Index objects written while the run goes, so a killed run's packs are reused: see Checkpoints. */
    private final Checkpoints checkpoints;
    private final AtomicReference<Throwable> workerFailure = new AtomicReference<>();
    /** Chunk and tree tasks not yet finished: a failed run waits for them, so nothing of it is written after it returns. */
    private final AtomicLong inFlight = new AtomicLong();
    /**
     * Blobs this run stores: the first worker to claim an id stores it. In sorted runs (32 bytes an id; a hash table
     * took 46-91): a first backup of 200,000 small files ran out of a 64 MiB heap on this set.
     */
    private final CompactIdSet claimed = new CompactIdSet();
    private BlobIndex index;
    /** The open data pack and the budget of data blobs in packs; the same for tree blobs: see PackBudget. */
    private PackBudget dataPacks;
    private PackBudget treePacks;
    /** The workers' encodings of chunks and tree blobs of {@link #BATCH_CHUNK} bytes and more: see storeEncoded. */
    private ByteBudget encodings;
    private final Map<Integer, BlobId> zeroIds = new ConcurrentHashMap<>();
    private long entries;
    private long totalBytes;
    private long lastProgress;
    /**
     * A writer's files for its parent cache (it cannot read the trees it stores back), or null for a reader: each
     * regular file with a change token, with its content ids, handed over as the tree blobs are made; the cache sorts
     * them in runs on disk, so memory does not grow with the files.
     */
    private ParentCache.Writer cacheFiles;

    public BackupRun(Store store, Options options) {
        this.options = options;
        this.codec = store.codec();
        this.watch = Watchdog.of("backup of " + options.source().id() + " to " + store.location(),
                "no snapshot was committed and its lease was released", options.stallTimeout());
        // Every store call of this run goes through the watchdog's view (data packs, tree packs, index objects, the
        // snapshot object): progress, what waits, and no write once the run is abandoned.
        this.store = store.withSink(watch.watch(store.sink()));
        // [checkpoint] through the watched store too: no checkpoint is written once the run is abandoned.
        this.checkpoints = new Checkpoints(this.store);
    }

    public Snapshot run() {
        long startNanos = System.nanoTime();
        Clock clock = options.clock();
        Instant time = options.time().orElseGet(clock::instant);
        String id = SnapshotIds.next(time);
        emit(new BackupEvent.Started(clock.instant(), options.source().id(), store.location()));
        try {
            Snapshot committed = watch.run("mint-backup-backup", () -> commit(id, time, clock, startNanos));
            LOG.info("snapshot {} of {} committed to {}: {} entries, {} bytes read, {} bytes new", id,
                    options.source().id(), store.location(), committed.stats().entries(), committed.stats().bytesRead(),
                    committed.stats().bytesNew());
            emit(new BackupEvent.Finished(clock.instant(), committed));
            return committed;
        } catch (IOException e) {
            BackupException failure = new BackupException("backup of " + options.source().id() + " failed: " + e.getMessage(), e);
            emit(new BackupEvent.Failed(clock.instant(), options.source().id(), failure));
            throw failure;
        } catch (RuntimeException e) {
            emit(new BackupEvent.Failed(clock.instant(), options.source().id(), e));
            throw e;
        }
    }

    /** The run itself, on the watchdog's thread: lease, read and store, index, snapshot object. */
    private Snapshot commit(String id, Instant time, Clock clock, long startNanos) throws IOException {
        RepositoryLock lock = null;
        try {
            // [lock] A shared lease for the whole run keeps prune (exclusive) away: see RepositoryLock and docs/prune.md.
            lock = RepositoryLock.acquire(store, RepositoryLock.Kind.SHARED, "back up " + options.source().id(),
                    options.lockWait(), RepositoryLock.Settings.DEFAULT, watch);
            RepositoryLock lease = lock;
            watch.onAbandon(() -> lease.abandon(Duration.ofSeconds(2)));
            BlobId root;
            Map<String, String> facts;
            BackupContext context = new BackupContext() {
                @Override
                public Clock clock() {
                    return clock;
                }

                @Override
                public void warn(String path, String message) {
                    warning(path, message);
                }

                @Override
                public void leftOut(String path, String message) {
                    leftOutEntry(path, message);
                }

                @Override
                public Layout layout() {
                    return store.config().layout();
                }
            };
            SourceReader opened;
            // A Source's own preparation (a transaction, a connection) moves no bytes the watchdog could see.
            try (Watchdog.Activity a = watch.exempt("reader", () -> "opening the source " + options.source().id())) {
                opened = options.source().open(context);
            }
            try (SourceReader reader = opened) {
                root = read(reader, id);
                facts = reader.facts();
            }
            try (Watchdog.Activity a = watch.activity("main", () -> "writing the last index object of the run")) {
                bytesStored.addAndGet(checkpoints.finish()); // [checkpoint] the packs since the last checkpoint
            }
            // The snapshot object's own size is not in its stats: it would change what it measures.
            Snapshot committed = snapshot(id, time, facts, startNanos);
            lock.check(); // [lock] no prune can have run since the index was read: the blobs this snapshot names exist
            watch.check();
            // The commit point: once this object is written the snapshot exists, even if the run stalls afterwards.
            watch.expectCommit(Manifest.objectName(id), committed);
            try (Watchdog.Activity a = watch.activity("main", () -> "writing the snapshot object of " + id)) {
                store.writeManifest(Manifest.ofTree(committed, store.config().layout(), root));
            }
            if (cacheFiles != null) {
                // After the commit: a writer's next backup compares with what this one stored (see ParentCache).
                cacheFiles.commit(committed);
            }
            return committed;
        } finally {
            if (cacheFiles != null) {
                cacheFiles.close(); // a failed run leaves the cache as it was, and no run files behind
            }
            if (lock != null) {
                lock.close(); // [lock]
            }
        }
    }

    private Snapshot snapshot(String id, Instant time, Map<String, String> facts, long startNanos) {
        long millis = (System.nanoTime() - startNanos) / 1_000_000L;
        return new Snapshot(id, time, options.host(), options.source().id(), options.job(), options.tags(),
                options.parent().map(m -> m.snapshot().id())
                        .or(() -> options.cachedParent().map(ParentCache.Reader::snapshotId)),
                new Snapshot.Stats(entries, totalBytes, bytesRead.get(), bytesNew.get(), bytesStored.get(), millis),
                withLeftOut(facts), warningsToStore(), options.toolVersion());
    }

    private Map<String, String> withLeftOut(Map<String, String> facts) {
        if (leftOut.get() == 0) {
            return facts;
        }
        Map<String, String> out = new java.util.LinkedHashMap<>(facts);
        out.put(com.mintreplica.backup.core.BackupResult.LEFT_OUT_FACT, Long.toString(leftOut.get()));
        return out;
    }

    private List<Snapshot.Warning> warningsToStore() {
        List<Snapshot.Warning> out = new ArrayList<>(warnings);
        long dropped = warningsDropped.get();
        if (dropped > 0) {
            out.add(new Snapshot.Warning("(more)", dropped + " more warnings are not listed (the first " + MAX_WARNINGS
                    + " are); the log has them all"));
        }
        return out;
    }

    // ---- the walk

    /** Reads every entry, stores what is new, and returns the id of the root tree once every tree is stored. */
    private BlobId read(SourceReader reader, String snapshotId) throws IOException {
        RepoConfig config = store.config();
        boolean chunked = config.layout() == Layout.CHUNKED;
        FastCdc chunker = new FastCdc(config.chunkMin(), config.chunkAvg(), config.chunkMax(), config.chunkSeed());
        store.upgradeFormat();
        // [lock] Read again under the lease: an index cached before it may name blobs a prune has deleted since.
        index = store.reloadIndex();
        // Four budgets bound memory (see ByteBudget and PackBudget for why none can deadlock): chunks cut but not yet
        // hashed and encoded, together with the listings of closed directories whose tree blobs are not stored yet;
        // encoded data blobs in packs (the open one and those being uploaded); encoded tree blobs in tree packs; the
        // workers' encodings under way. The floors only keep packs at their full size in the usual case; correctness
        // does not depend on them. A heap too small for them shrinks all four (see Budgets).
        Budgets budgets = Budgets.of(options.memoryBudget(), options.workers(), config.chunkAvg(), config.chunkMax(),
                config.packSize(), Runtime.getRuntime().maxMemory());
        FastCdc.Stream cutter = chunker.newStream(budgets.chunker());
        ByteBudget budget = new ByteBudget(budgets.chunks());
        dataPacks = new PackBudget(new PackWriter(codec, config.packSize(), BlobType.DATA), budgets.dataPacks());
        treePacks = new PackBudget(new PackWriter(codec, config.packSize(), BlobType.TREE), budgets.treePacks());
        encodings = new ByteBudget(budgets.encodings());
        ParentListing parentRoot = parentRoot();
        TreeBuilder<ParentListing> tree = new TreeBuilder<>(parentRoot, this::descend, new TreeBuilder.TreeStore() {
            @Override
            public BlobId store(TreeFormat.Listing listing) {
                return storeTree(listing);
            }

            @Override
            public Codec.Streamed stream() throws IOException {
                return codec.streamed();
            }
        },
                options.executor(), this::track, options.source().id().toString(), treeAdmission(budget));
        if (chunked && store.keepsParentCache()) {
            ParentCache.Writer files = store.cachedParentWriter(options.host(), options.source().id());
            cacheFiles = files;
            tree.onFile(files::add); // only regular files with a change token and content ids are kept
        }
        NameSet singleNames = chunked ? null : new NameSet();
        // The content of entries that later entries may link to (files with several links), by path: only those, so
        // memory does not grow with the entries.
        Map<String, Linkable> linkable = new HashMap<>();
        try {
            Optional<SourceEntry> next;
            while ((next = nextEntry(reader)).isPresent()) {
                failFast();
                SourceEntry sourceEntry = next.get();
                Entry entry = sourceEntry.entry();
                ParentListing parent = tree.position(entry.path());
                if (entry.type() == EntryType.DIRECTORY) {
                    tree.addDirectory(entry);
                    entryDone(entry, 0);
                    continue;
                }
                if (entry.type() != EntryType.REGULAR) {
                    tree.add(Manifest.Item.noContent(entry));
                    entryDone(entry, 0);
                    continue;
                }
                Linkable first = entry.hardLinkTo().map(linkable::get).orElse(null);
                if (first != null) {
                    // The same file under another name: its content once, its blob list twice.
                    first.addAs(tree, entry);
                    entryDone(entry, 0);
                    continue;
                }
                if (!chunked) {
                    Manifest.Item item = storeSingle(sourceEntry, snapshotId, singleNames);
                    if (item != null) {
                        tree.add(item);
                        if (sourceEntry.mayBeHardLinked()) {
                            linkable.put(entry.path(), new Linkable(item, 0, null));
                        }
                    }
                    continue;
                }
                Manifest.Item reused = reusable(entry, parent == null ? null : parent.file(entry));
                if (reused != null) {
                    tree.add(reused);
                    if (sourceEntry.mayBeHardLinked()) {
                        linkable.put(entry.path(), new Linkable(reused, 0, null));
                    }
                    totalBytes += reused.size();
                    entryDone(entry, reused.size());
                    continue;
                }
                InputStream content = openOrWarn(sourceEntry);
                if (content == null) {
                    continue;
                }
                List<CompletableFuture<BlobId>> chunks = new ArrayList<>();
                long size = 0;
                long[] readSoFar = new long[1];
                try (InputStream in = content;
                     Watchdog.Activity reading = watch.activity("reader", () -> "reading '" + entry.path()
                             + "' from the source (" + readSoFar[0] + " bytes so far)")) {
                    FastCdc.Stream stream = cutter.reset(new ProgressInputStream(in, entry.path()));
                    byte[] chunk;
                    while ((chunk = stream.next()) != null) {
                        failFast();
                        size += chunk.length;
                        readSoFar[0] = size;
                        if (!budget.tryAcquire(chunk.length)) {
                            int length = chunk.length;
                            try (Watchdog.Activity waiting = watch.activity("reader", () -> "waiting for "
                                    + ByteBudget.cost(length) + " bytes of the chunk budget (" + budget.describe()
                                    + ": chunks of '" + entry.path() + "' and earlier entries queued for the workers,"
                                    + " listings of closed directories waiting for their tree blobs)")) {
                                flushBatch();
                                acquire(budget, length);
                            }
                        }
                        chunks.add(submitChunk(chunk, budget));
                    }
                } catch (NoSuchFileException vanished) {
                    leftOutEntry(entry.path(), "vanished while it was read; not in this snapshot");
                    continue;
                } catch (com.mintreplica.backup.core.source.UnreadableEntryException unreadable) {
                    // the chunks it sent are stored or not; nothing refers to them (prune removes them)
                    leftOutEntry(entry.path(), unreadable.getMessage() + "; not in this snapshot");
                    continue;
                }
                totalBytes += size;
                tree.addFile(entry, size, chunks);
                if (sourceEntry.mayBeHardLinked()) {
                    linkable.put(entry.path(), new Linkable(null, size, chunks));
                }
                entryDone(entry, size);
            }
            flushBatch();
            BlobId root;
            try (Watchdog.Activity a = watch.activity("reader", () -> "all entries read; waiting for the workers to"
                    + " hash and store the chunks and tree blobs still in flight (" + inFlight.get() + " tasks; data "
                    + dataPacks.describe() + "; trees " + treePacks.describe() + ")")) {
                root = await(tree.finish());
            }
            for (PackBudget packs : List.of(dataPacks, treePacks)) {
                Optional<PackWriter.Pack> last = packs.flush();
                if (last.isPresent()) {
                    upload(packs, last.get());
                }
            }
            failFast();
            return root;
        } catch (RuntimeException | IOException e) {
            // Let queued and running chunks and trees finish, so that nothing of this run is written after it returns
            // (an abandoned run does not wait: its store view refuses every write already).
            try {
                flushBatch();
            } catch (RuntimeException rejected) {
                e.addSuppressed(rejected);
            }
            drain();
            throw e;
        }
    }

    /** The source's next entry: its own work between entries is not timed by the watchdog. */
    private Optional<SourceEntry> nextEntry(SourceReader reader) throws IOException {
        try (Watchdog.Activity a = watch.exempt("reader", () -> "the source preparing its entry after " + entries
                + " entries")) {
            return reader.next();
        }
    }

    /**
     * The chunk budget taken by the listing of a closed directory until its tree blob is stored: the reader waits for
     * it like for a chunk's, so a walk through many small directories cannot queue tree tasks without bound. It waits
     * only on chunks and trees already handed to the workers, which never wait on the reader.
     */
    private TreeBuilder.Admission treeAdmission(ByteBudget budget) {
        return new TreeBuilder.Admission() {
            @Override
            public void acquire(long bytes, String directory) {
                if (!budget.tryAcquire(bytes)) {
                    try (Watchdog.Activity waiting = watch.activity("reader", () -> "waiting for "
                            + ByteBudget.cost(bytes) + " bytes of the chunk budget for the listing of '" + directory
                            + "' (" + budget.describe() + ")")) {
                        flushBatch();
                        BackupRun.acquire(budget, bytes);
                    }
                }
            }

            @Override
            public void release(long bytes) {
                budget.release(bytes);
            }

            @Override
            public void flush() {
                flushBatch();
            }

            @Override
            public boolean await(CompletableFuture<?> work, String path, int behind) {
                flushBatch();
                try (Watchdog.Activity waiting = watch.activity("reader", () -> "waiting for the content of '" + path
                        + "' to be stored (" + behind + " entries of its directory wait behind it; data "
                        + dataPacks.describe() + ")")) {
                    work.get();
                    return true;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackupException("the backup was interrupted");
                } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                    return false;
                }
            }
        };
    }

    /** The parent snapshot's root listing, or null without a (chunked) parent. */
    private ParentListing parentRoot() {
        if (options.cachedParent().isPresent() && store.config().layout() == Layout.CHUNKED) {
            // a writer's: each directory's files are read from its cache as the walk enters the directory
            return ParentListing.cached(options.cachedParent().get());
        }
        if (options.parent().isEmpty() || options.parent().get().layout() != Layout.CHUNKED
                || store.config().layout() != Layout.CHUNKED) {
            return null;
        }
        Manifest parent = options.parent().get();
        if (parent.isTree() && !store.canRead()) {
            return null; // a writer cannot read trees: its parent is its cache (BackupPipeline, cachedParent)
        }
        if (!parent.isTree()) {
            Map<String, Manifest.Item> byPath = new HashMap<>();
            for (Manifest.Item item : parent.items()) {
                if (item.entry().type() == EntryType.REGULAR && item.entry().changeToken().isPresent()) {
                    byPath.put(item.entry().path(), item);
                }
            }
            return new ParentListing(byPath, true);
        }
        try {
            return ParentListing.read(store, parent.tree().get(), "");
        } catch (RuntimeException e) {
            LOG.warn("the parent snapshot {} cannot be read ({}); every file is read again", parent.snapshot().id(),
                    e.getMessage());
            return null;
        }
    }

    /**
     * The parent snapshot's listing of one directory, by name (or, for a flat parent, every file by path). The walk
     * loads a subdirectory's listing when it enters it, so only the listings of the open directories are held. A
     * writer's parent is its parent cache ({@code cache}), where each file is looked up by its path.
     */
    private static final class ParentListing implements AutoCloseable {
        private final Map<String, Manifest.Item> files;
        private final boolean flat;
        private final ParentCache.Reader cache;
        private final ParentTree tree;

        private ParentListing(Map<String, Manifest.Item> files, boolean flat) {
            this(files, flat, null, null);
        }

        private ParentListing(Map<String, Manifest.Item> files, boolean flat, ParentCache.Reader cache,
                              ParentTree tree) {
            this.files = files;
            this.flat = flat;
            this.cache = cache;
            this.tree = tree;
        }

        /** A directory's files in a writer's parent cache, each looked up there when the walk reaches it. */
        static ParentListing cached(ParentCache.Reader cache) {
            return new ParentListing(Map.of(), false, cache, null);
        }

        /** The parent's listing in the tree {@code id} of {@code directory}, in compact form ({@link ParentTree}). */
        static ParentListing read(Store store, BlobId id, String directory) {
            return new ParentListing(Map.of(), false, null,
                    store.parseBlob(id, plain -> ParentTree.read(id, directory, plain)));
        }

        /** Lets go of a tree parent's temporary file (TreeBuilder calls this when the walk leaves the directory). */
        @Override
        public void close() {
            if (tree != null) {
                tree.close();
            }
        }

        /** The parent's item for {@code entry}: for a tree parent, only when its change token is the entry's. */
        Manifest.Item file(Entry entry) {
            String path = entry.path();
            if (tree != null) {
                return tree.file(path.substring(path.lastIndexOf('/') + 1), entry);
            }
            if (cache != null) {
                return cache.file(path);
            }
            return files.get(flat ? path : path.substring(path.lastIndexOf('/') + 1));
        }
    }

    /** The parent's listing of the subdirectory {@code name} of {@code listing}, loaded now; null when it has none. */
    private ParentListing descend(ParentListing listing, String name, String path) {
        if (listing == null) {
            return null;
        }
        if (listing.flat) {
            return listing;
        }
        if (listing.cache != null) {
            return listing;   // the cache is looked up by path
        }
        BlobId subtree = listing.tree == null ? null : listing.tree.directory(name);
        if (subtree == null) {
            return null;
        }
        try {
            return ParentListing.read(store, subtree, path);
        } catch (RuntimeException e) {
            LOG.warn("the parent snapshot's listing of '{}' cannot be read ({}); its files are read again", path,
                    e.getMessage());
            return null;
        }
    }

    /** The parent's item for this entry when its content is unchanged and all its blobs are still indexed. */
    private Manifest.Item reusable(Entry entry, Manifest.Item parent) {
        if (parent == null || entry.changeToken().isEmpty()
                || !entry.changeToken().equals(parent.entry().changeToken()) || parent.object().isPresent()) {
            return null;
        }
        for (BlobId blob : parent.blobs()) {
            if (!index.contains(blob) && !claimed.contains(blob)) {
                return null;
            }
        }
        return Manifest.Item.chunked(entry, parent.size(), parent.blobs());
    }

    /**
     * Small chunks (the whole content of a small file) go to the workers in batches: handing each one over on its own
     * woke a worker per chunk, and those wake-ups (a futex call on the reader, a context switch on the worker) cost the
     * reader, the pipeline's one serial thread, more than the rest of a small file's work. A batch is handed over when
     * it is full, and always before the reader waits for anything (the chunk budget, a closed listing's budget, the
     * last trees), so nothing the reader waits for can sit in its own unsent batch.
     */
    static final int BATCH_CHUNK = 64 * 1024;
    static final int BATCH_BYTES = 256 * 1024;
    static final int BATCH_COUNT = 32;
    private List<byte[]> batchChunks = new ArrayList<>();
    private List<CompletableFuture<BlobId>> batchFutures = new ArrayList<>();
    private long batchBytes;
    private ByteBudget batchBudget;

    private CompletableFuture<BlobId> submitChunk(byte[] chunk, ByteBudget budget) {
        if (chunk.length >= BATCH_CHUNK) {
            return track(CompletableFuture.supplyAsync(() -> storeChunk(chunk, budget), options.executor()));
        }
        CompletableFuture<BlobId> result = new CompletableFuture<>();
        CompletableFuture<BlobId> tracked = track(result);
        batchChunks.add(chunk);
        batchFutures.add(result);
        batchBytes += chunk.length;
        batchBudget = budget;
        if (batchChunks.size() >= BATCH_COUNT || batchBytes >= BATCH_BYTES) {
            flushBatch();
        }
        return tracked;
    }

    /** Hands the batch of small chunks to a worker (see {@link #BATCH_CHUNK}). */
    private void flushBatch() {
        if (batchChunks.isEmpty()) {
            return;
        }
        List<byte[]> chunks = batchChunks;
        List<CompletableFuture<BlobId>> futures = batchFutures;
        ByteBudget budget = batchBudget;
        batchChunks = new ArrayList<>();
        batchFutures = new ArrayList<>();
        batchBytes = 0;
        Runnable task = () -> {
            for (int i = 0; i < chunks.size(); i++) {
                try {
                    futures.get(i).complete(storeChunk(chunks.get(i), budget));
                } catch (Throwable t) {
                    futures.get(i).completeExceptionally(t);
                }
            }
        };
        try {
            options.executor().execute(task);
        } catch (RuntimeException rejected) {
            for (int i = 0; i < chunks.size(); i++) {
                budget.release(chunks.get(i).length);
                futures.get(i).completeExceptionally(rejected);
            }
            throw rejected;
        }
    }

    /**
     * The four budgets of a run, in bytes: chunks cut ahead of the workers, encoded data blobs in packs, encoded tree
     * blobs in tree packs, and the workers' encodings under way; and the largest buffer of the chunker.
     *
     * <p>The chunk budget only has to keep the workers fed: four average chunks a worker, never more than half the
     * memory budget, never less than two of the largest chunks (one being encoded while the next is cut). Chunks
     * waiting in it are live when the young generation is collected: each collection copied them, and grew and shrank
     * the old generation for them. With half of the default 128 MiB budget, 64 MiB of chunks waited for three workers,
     * and a first backup of bench/compare-restic.sh's tree spent a fifth of its wall time in young collections
     * (docs/architecture.md, "Memory in flight of a backup").
     *
     * <p>A worker's encoding of a chunk holds its compressed form and its encrypted form, up to twice the chunk: every
     * worker at once with the largest chunks, unless the memory budget is smaller.
     *
     * <p>The chunker keeps at least one largest chunk ahead of its cut in a buffer of up to two largest chunks (16 MiB
     * with the defaults): in a heap smaller than eight times that, up to an eighth of the heap, but at least one and a
     * half largest chunks (FastCdc.Stream; 12 MiB, about a fifth of a 64 MiB heap).
     *
     * <p>The floors (two largest chunks; two packs and two chunks of data; two tree packs) keep packs at their full
     * size. Together the four budgets take at most two fifths of the heap's maximum less the chunker's buffer: the
     * serial collector's old generation is two thirds of the heap, the launcher sends arrays of 256 KiB and more there,
     * and the rest of it is for the workers' kept compression buffers (ZstdScratch, up to a sixty-fourth of the heap
     * each) and what else the run holds (the classes' own data: 6-8 MiB). Above that they shrink in proportion, each to
     * no less than one average chunk (an item larger than a budget still goes alone, so no size can block), and packs
     * come out shorter. With the default sizes and three workers that happens below a heap of about 420 MiB. (Half the
     * heap less a 16 MiB chunker buffer left a backup of large random files in a 64 MiB heap a few MiB short when its
     * class path was eighty jars instead of one.)
     */
    record Budgets(long chunks, long dataPacks, long treePacks, long encodings, int chunker) {
        static Budgets of(long memoryBudget, int workers, int chunkAvg, int chunkMax, int packSize, long maxHeap) {
            int w = Math.max(1, workers);
            long fed = 4L * w * chunkAvg;
            long chunks = Math.max(2L * chunkMax, Math.min(memoryBudget / 2, fed));
            long data = Math.max(memoryBudget, 2L * (packSize + chunkMax));
            long trees = Math.max(memoryBudget / 4, 2L * packSize);
            long encodings = Math.min(2L * w * chunkMax, Math.max(2L * chunkMax, memoryBudget));
            int chunker = maxHeap <= 0 ? 2 * chunkMax
                    : (int) Math.max(chunkMax + chunkMax / 2, Math.min(2L * chunkMax, maxHeap / 8));
            long limit = maxHeap / 5 * 2 - chunker;
            long sum = chunks + data + trees + encodings;
            if (maxHeap <= 0 || sum <= limit) {
                return new Budgets(chunks, data, trees, encodings, chunker);
            }
            double scale = (double) Math.max(0, limit) / sum;
            return new Budgets(Math.max(chunkAvg, (long) (chunks * scale)), Math.max(chunkAvg, (long) (data * scale)),
                    Math.max(chunkAvg, (long) (trees * scale)), Math.max(chunkAvg, (long) (encodings * scale)), chunker);
        }
    }

    /** Hashes a chunk and stores it unless known (on a worker); gives its chunk budget back. */
    private BlobId storeChunk(byte[] chunk, ByteBudget budget) {
        try {
            return onWorker(() -> {
                BlobId id = blobId(chunk);
                if (!index.contains(id) && claimed.add(id)) {
                    storeEncoded(dataPacks, id, chunk);
                    bytesNew.addAndGet(chunk.length);
                }
                return id;
            });
        } finally {
            budget.release(chunk.length);
        }
    }

    /** Stores a tree blob (on a worker) unless the repository has it: an unchanged directory costs nothing. */
    private BlobId storeTree(TreeFormat.Listing listing) {
        if (listing.streamed() != null) {
            Codec.Streamed streamed = listing.streamed();
            return onWorker(() -> {
                BlobId id = streamed.id();
                try {
                    if (!index.contains(id) && claimed.add(id)) {
                        // its compressed form is what the encodings hold
                        storeEncoded(treePacks, id, streamed.plainLength(), streamed.compressedLength(),
                                streamed::encode);
                    }
                } finally {
                    streamed.release();   // an unchanged listing's compressed form is not wanted
                }
                return id;
            });
        }
        List<byte[]> parts = listing.parts();
        return onWorker(() -> {
            BlobId id = codec.blobId(parts);
            if (!index.contains(id) && claimed.add(id)) {
                long length = 0;
                for (byte[] part : parts) {
                    length += part.length;
                }
                storeEncoded(treePacks, id, Math.toIntExact(length), length, () -> codec.encode(parts));
            }
            return id;
        });
    }

    /**
     * Encodes a blob and puts it into a pack. An encoding of {@link #BATCH_CHUNK} bytes and more holds the encodings
     * budget (twice the plain length: the compressed form and the encrypted one) until the blob is in its pack, whose
     * budget then counts it: without it, every worker's encodings of the largest chunks came on top of the other
     * budgets, and a backup of large files ran out of an 88 MiB heap. Smaller encodings are at most a few times
     * {@code BATCH_CHUNK} a worker and skip it. A worker waits here only for other workers' encodings, which end
     * without waiting on this budget (a pack waits only for uploads under way), so this cannot deadlock.
     */
    private void storeEncoded(PackBudget packs, BlobId id, byte[] plain) throws IOException {
        storeEncoded(packs, id, plain.length, plain.length, () -> codec.encode(plain));
    }

    /** @param size the bytes the encoding reads: twice that is the cost of its two forms */
    private void storeEncoded(PackBudget packs, BlobId id, int plainLength, long size, Encoding encoding)
            throws IOException {
        long cost = size < BATCH_CHUNK ? 0 : 2L * size;
        if (cost > 0 && !encodings.tryAcquire(cost)) {
            try (Watchdog.Activity waiting = watch.activity("worker", () -> "waiting for " + ByteBudget.cost(cost)
                    + " bytes of the encoding budget for blob " + id + " (" + encodings.describe() + ")")) {
                encodings.acquire(cost);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackupException("the backup was interrupted");
            }
        }
        try {
            pack(packs, id, encoding.encode(), plainLength);
        } finally {
            if (cost > 0) {
                encodings.release(cost);
            }
        }
    }

    @FunctionalInterface
    private interface Encoding {
        byte[] encode() throws IOException;
    }

    /** A worker's store of one blob: between the watchdog's check and its progress mark, its failure kept for the run. */
    private BlobId onWorker(BlobStore store) {
        try {
            watch.check();
            BlobId id = store.store();
            watch.progress();
            return id;
        } catch (IOException e) {
            workerFailure.compareAndSet(null, e);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            workerFailure.compareAndSet(null, e);
            throw e;
        }
    }

    @FunctionalInterface
    private interface BlobStore {
        BlobId store() throws IOException;
    }

    /** Counts a task in flight until it completes. */
    private <T> CompletableFuture<T> track(CompletableFuture<T> task) {
        inFlight.incrementAndGet();
        return task.whenComplete((v, e) -> {
            if (e != null) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                workerFailure.compareAndSet(null, cause);
            }
            synchronized (inFlight) {
                inFlight.decrementAndGet();
                inFlight.notifyAll();
            }
        });
    }

    /**
     * The chunk's id. Runs of zeros (sparse files, preallocated images) give chunks of a few lengths only: their ids
     * are computed once per length and run, and an all-zero chunk is recognized by a vectorized comparison instead of
     * a hash.
     */
    private BlobId blobId(byte[] chunk) {
        if (!isZero(chunk)) {
            return codec.blobId(chunk);
        }
        return zeroIds.computeIfAbsent(chunk.length, n -> codec.blobId(chunk));
    }

    private static final byte[] ZEROS = new byte[64 << 10];

    static boolean isZero(byte[] chunk) {
        for (int off = 0; off < chunk.length; off += ZEROS.length) {
            int n = Math.min(ZEROS.length, chunk.length - off);
            if (java.util.Arrays.mismatch(chunk, off, off + n, ZEROS, 0, n) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Puts an encoded blob into the open pack of {@code packs} (data or trees), uploading packs as {@link PackBudget}
     * asks; see there.
     */
    private void pack(PackBudget packs, BlobId id, byte[] encoded, int plainLength) throws IOException {
        while (true) {
            PackBudget.Step step = packs.tryAdd(id, encoded, plainLength);
            if (step.upload().isPresent()) {
                upload(packs, step.upload().get());
            } else if (!step.added()) {
                try (Watchdog.Activity waiting = watch.activity("worker", () -> "waiting for "
                        + ByteBudget.cost(encoded.length) + " bytes of the " + (packs == treePacks ? "tree" : "data")
                        + " pack budget for blob " + id + " (" + packs.describe() + ")")) {
                    packs.awaitChange(step.version());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackupException("the backup was interrupted");
                }
            }
            if (step.added()) {
                return;
            }
        }
    }

    private void upload(PackBudget packs, PackWriter.Pack pack) throws IOException {
        try (Watchdog.Activity a = watch.activity("worker", () -> "storing pack '" + pack.objectName() + "' ("
                + pack.blobs().size() + " blobs, " + Watchdog.bytes(pack.size()) + ")")) {
            store.upload(pack);
        } finally {
            packs.uploaded(pack);
        }
        bytesStored.addAndGet(pack.size());
        try (Watchdog.Activity a = watch.activity("worker", () -> "indexing stored packs (a checkpoint, or waiting for"
                + " another worker's)")) {
            bytesStored.addAndGet(checkpoints.packStored(pack)); // [checkpoint]
        }
    }

    // ---- single-object layout

    /** Stores a regular entry as one object; null (with a warning) when it vanished or cannot be read. */
    private Manifest.Item storeSingle(SourceEntry sourceEntry, String snapshotId, NameSet names) throws IOException {
        Entry entry = sourceEntry.entry();
        String name = singleObjectName(snapshotId, entry.path(), names);
        InputStream content = openOrWarn(sourceEntry);
        if (content == null) {
            return null;
        }
        try (EncodingInputStream encoded = new EncodingInputStream(new ProgressInputStream(content, entry.path()), codec::encoder);
             Watchdog.Activity a = watch.activity("reader", () -> "storing '" + entry.path() + "' as '" + name + "'")) {
            store.sink().put(name, encoded, -1, ObjectKind.DATA);
            long size = encoded.plainBytes();
            bytesNew.addAndGet(size);
            bytesStored.addAndGet(encoded.encodedBytes());
            totalBytes += size;
            entryDone(entry, size);
            return Manifest.Item.single(entry, size, name, Hex.encode(encoded.plainSha256()));
        } catch (NoSuchFileException vanished) {
            store.delete(name);
            warning(entry.path(), "vanished while it was read; not in this snapshot");
            return null;
        }
    }

    /** Object names used in this snapshot, kept as hashes in an {@link IdSet} rather than as strings. */
    private static final class NameSet {
        private final IdSet hashes = new IdSet();

        boolean add(String name) {
            return hashes.add(Sha256.hash(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
    }

    /**
     * {@code files/<snapshot>/<path><suffix>}, with characters that are not portable in object names replaced; in an
     * encrypted repository a keyed hash of the path stands for it.
     */
    private String singleObjectName(String snapshotId, String path, NameSet used) {
        if (codec.keyed()) {
            // Encrypted: the name must not reveal the entry's path; a keyed hash of it is stable and unique enough.
            path = Hex.encode(java.util.Arrays.copyOf(codec.hash(path.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 16));
        }
        StringBuilder sb = new StringBuilder();
        for (String segment : path.split("/")) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(SingleObjectNames.segment(segment));
        }
        String base = SingleObjectNames.directory(options.job(), snapshotId) + sb; // files/<job>/<snapshot>/<path>
        String name = base + codec.fileSuffix();
        for (int n = 2; !used.add(name); n++) {
            name = base + "_" + n + codec.fileSuffix(); // '~' is not a portable object-name character
        }
        return name;
    }

    /** Counts bytes read from the source, for progress events and the watchdog. */
    private final class ProgressInputStream extends java.io.FilterInputStream {
        private final String path;

        ProgressInputStream(InputStream in, String path) {
            super(in);
            this.path = path;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                bytesRead.addAndGet(n);
                watch.progress();
                maybeProgress(path);
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                bytesRead.incrementAndGet();
                watch.progress();
            }
            return b;
        }
    }

    // ---- helpers

    /** The entry's content, or null (with a warning) when it vanished or cannot be read since it was listed. */
    private InputStream openOrWarn(SourceEntry sourceEntry) throws IOException {
        String path = sourceEntry.entry().path();
        try {
            return sourceEntry.openContent();
        } catch (NoSuchFileException vanished) {
            leftOutEntry(path, "vanished before it could be read; not in this snapshot");
        } catch (java.nio.file.AccessDeniedException denied) {
            leftOutEntry(path, "cannot be read (permission denied); not in this snapshot");
        } catch (com.mintreplica.backup.core.source.UnreadableEntryException unreadable) {
            leftOutEntry(path, unreadable.getMessage() + "; not in this snapshot");
        }
        return null;
    }

    private void entryDone(Entry entry, long size) {
        entries++;
        watch.progress();
        emit(new BackupEvent.EntryDone(options.clock().instant(), entry.path(), size));
        maybeProgress(entry.path());
    }

    private void maybeProgress(String path) {
        long now = System.nanoTime();
        if (now - lastProgress >= PROGRESS_NANOS) {
            lastProgress = now;
            emit(new BackupEvent.Progress(options.clock().instant(), entries, bytesRead.get(), bytesNew.get(), path));
        }
    }

    /** Entries the snapshot leaves out because they could not be read: the fact {@link com.mintreplica.backup.core.BackupResult#LEFT_OUT_FACT}. */
    private final AtomicLong leftOut = new AtomicLong();

    private void leftOutEntry(String path, String message) {
        leftOut.incrementAndGet();
        warning(path, message);
    }

    private void warning(String path, String message) {
        synchronized (warnings) {
            if (warnings.size() < MAX_WARNINGS) {
                warnings.add(new Snapshot.Warning(path, message));
            } else {
                warningsDropped.incrementAndGet();
            }
        }
        WARNINGS.warn("{}: {}", com.mintreplica.backup.core.source.FileNames.display(path), message);
        emit(new BackupEvent.Warned(options.clock().instant(), path, message));
    }

    private void emit(BackupEvent event) {
        for (BackupListener listener : options.listeners()) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("a backup listener failed on {}: {}", event.getClass().getSimpleName(), e.toString());
            }
        }
    }

    private void failFast() throws IOException {
        Throwable failure = workerFailure.get();
        if (failure != null) {
            rethrow(failure);
        }
    }

    private static void acquire(ByteBudget budget, long bytes) {
        try {
            budget.acquire(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("the backup was interrupted");
        }
    }

    private static <T> T await(Future<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("the backup was interrupted");
        } catch (ExecutionException e) {
            rethrow(e.getCause());
            throw new IllegalStateException("unreachable");
        }
    }

    private static void rethrow(Throwable failure) throws IOException {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
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

    /** Waits until no chunk or tree task of this run is queued or running (not once the run is abandoned). */
    private void drain() {
        synchronized (inFlight) {
            while (inFlight.get() > 0 && !watch.abandoned()) {
                try {
                    inFlight.wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The content of an entry later entries may link to: known ({@code done}), or its chunk ids still coming. */
    private record Linkable(Manifest.Item done, long size, List<CompletableFuture<BlobId>> chunks) {
        /** Adds {@code link}, another name of the same file, with this content. */
        void addAs(TreeBuilder<?> tree, Entry link) {
            if (done != null) {
                tree.add(new Manifest.Item(link, done.size(), done.blobs(), done.object(), done.sha256()));
            } else {
                tree.addFile(link, size, chunks);
            }
        }
    }
}
