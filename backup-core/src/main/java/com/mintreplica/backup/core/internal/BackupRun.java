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
 * new, bounded by a byte budget. Then it stores the index of the new packs and, last, the manifest: until the manifest
 * exists, nothing of this run is visible, and a crash leaves only unreferenced packs behind.
 */
public final class BackupRun {
    private static final Logger LOG = LoggerFactory.getLogger(BackupRun.class);
    private static final Logger WARNINGS = LoggerFactory.getLogger(com.mintreplica.backup.core.BackupPipeline.WARNINGS_LOGGER);
    private static final long PROGRESS_NANOS = 250_000_000L;

    /** What a run needs besides the repository. */
    public record Options(Source source, Set<String> tags, Optional<String> job, String host, Optional<Instant> time,
                          Clock clock, List<BackupListener> listeners, Optional<Manifest> parent,
                          ExecutorService executor, long memoryBudget, String toolVersion, Duration lockWait,
                          Duration stallTimeout) {
    }

    private final Store store;
    private final Options options;
    private final Codec codec;
    private final Watchdog watch;
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesNew = new AtomicLong();
    private final AtomicLong bytesStored = new AtomicLong();
    private final List<Snapshot.Warning> warnings = Collections.synchronizedList(new ArrayList<>());
    /** [checkpoint] Index objects written while the run goes, so a killed run's packs are reused: see Checkpoints. */
    private final Checkpoints checkpoints;
    private final AtomicReference<Throwable> workerFailure = new AtomicReference<>();
    private final Map<Integer, BlobId> zeroIds = new ConcurrentHashMap<>();
    private PackBudget packs;
    private long entries;
    private long totalBytes;
    private long lastProgress;

    public BackupRun(Store store, Options options) {
        this.options = options;
        this.codec = store.codec();
        this.watch = Watchdog.of("backup of " + options.source().id() + " to " + store.location(),
                "no snapshot was committed and its lease was released", options.stallTimeout());
        // Every store call of this run goes through the watchdog's view: progress, what waits, and no write once the
        // run is abandoned.
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

    /** The run itself, on the watchdog's thread: lease, read and store, index, manifest. */
    private Snapshot commit(String id, Instant time, Clock clock, long startNanos) throws IOException {
        RepositoryLock lock = null;
        try {
            // [lock] A shared lease for the whole run keeps prune (exclusive) away: see RepositoryLock and docs/prune.md.
            lock = RepositoryLock.acquire(store, RepositoryLock.Kind.SHARED, "back up " + options.source().id(),
                    options.lockWait(), RepositoryLock.Settings.DEFAULT, watch);
            RepositoryLock lease = lock;
            watch.onAbandon(() -> lease.abandon(Duration.ofSeconds(2)));
            List<Manifest.Item> items;
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
                items = store.config().layout() == Layout.CHUNKED ? readChunked(reader) : readSingle(reader, id);
                facts = reader.facts();
            }
            try (Watchdog.Activity a = watch.activity("main", () -> "writing the last index object of the run")) {
                bytesStored.addAndGet(checkpoints.finish()); // [checkpoint] the packs since the last checkpoint
            }
            // The manifest's own size is not in its stats: it would change what it measures.
            Snapshot committed = snapshot(id, time, facts, startNanos);
            lock.check(); // [lock] no prune can have run since the index was read: the blobs this manifest names exist
            watch.check();
            // The commit point: once this object is written the snapshot exists, even if the run stalls afterwards.
            watch.expectCommit(Manifest.objectName(id), committed);
            try (Watchdog.Activity a = watch.activity("main", () -> "writing the manifest of snapshot " + id)) {
                store.writeManifest(new Manifest(committed, store.config().layout(), items));
            }
            return committed;
        } finally {
            if (lock != null) {
                lock.close(); // [lock]
            }
        }
    }

    private Snapshot snapshot(String id, Instant time, Map<String, String> facts, long startNanos) {
        long millis = (System.nanoTime() - startNanos) / 1_000_000L;
        return new Snapshot(id, time, options.host(), options.source().id(), options.job(), options.tags(),
                options.parent().map(m -> m.snapshot().id()),
                new Snapshot.Stats(entries, totalBytes, bytesRead.get(), bytesNew.get(), bytesStored.get(), millis),
                facts, new ArrayList<>(warnings), options.toolVersion());
    }

    // ---- chunked layout

    private List<Manifest.Item> readChunked(SourceReader reader) throws IOException {
        RepoConfig config = store.config();
        FastCdc chunker = new FastCdc(config.chunkMin(), config.chunkAvg(), config.chunkMax(), config.chunkSeed());
        FastCdc.Stream cutter = chunker.newStream();
        // [lock] Read again under the lease: an index cached before it may name blobs a prune has deleted since.
        BlobIndex index = store.reloadIndex();
        Set<BlobId> known = ConcurrentHashMap.newKeySet();
        known.addAll(index.blobIds());
        // Two budgets bound memory (see ByteBudget and PackBudget for why neither can deadlock): chunks cut but not
        // yet hashed and encoded, and encoded blobs in packs (the open one and those being uploaded). The floors only
        // keep packs at their full size in the usual case; correctness does not depend on them.
        ByteBudget budget = new ByteBudget(Math.max(options.memoryBudget(), 2L * config.chunkMax()));
        packs = new PackBudget(new PackWriter(codec, config.packSize()),
                Math.max(options.memoryBudget(), 2L * (config.packSize() + config.chunkMax())));
        Map<String, Manifest.Item> parentItems = parentItems(index);
        // Regular entries of this run by path (their place in pending), so a hard link to one takes its content
        // without reading it again. A place, not the item: resolveDone replaces a stored entry's item by its manifest
        // item, and the futures of its chunks must not stay reachable through this map.
        Map<String, Integer> linkable = new HashMap<>();

        List<PendingItem> pending = new ArrayList<>();
        int resolved = 0;
        try {
            Optional<SourceEntry> next;
            while ((next = nextEntry(reader)).isPresent()) {
                failFast();
                SourceEntry sourceEntry = next.get();
                Entry entry = sourceEntry.entry();
                if (entry.type() != EntryType.REGULAR) {
                    pending.add(new PendingItem(Manifest.Item.noContent(entry), null, 0));
                    entryDone(entry, 0);
                    continue;
                }
                Integer first = entry.hardLinkTo().map(linkable::get).orElse(null);
                if (first != null) {
                    // The same file under another name: its content once, its blob list twice.
                    pending.add(pending.get(first).as(entry));
                    entryDone(entry, 0);
                    continue;
                }
                Manifest.Item reused = reusable(entry, parentItems.get(entry.path()), known);
                if (reused != null) {
                    linkable.put(entry.path(), pending.size());
                    pending.add(new PendingItem(reused, null, reused.size()));
                    totalBytes += reused.size();
                    entryDone(entry, reused.size());
                    continue;
                }
                InputStream content = openOrWarn(sourceEntry);
                if (content == null) {
                    continue;
                }
                List<Future<BlobId>> chunks = new ArrayList<>();
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
                                    + ": chunks of '" + entry.path() + "' and earlier entries queued for the workers)")) {
                                acquire(budget, length);
                            }
                        }
                        chunks.add(submitChunk(chunk, known, budget));
                    }
                } catch (NoSuchFileException vanished) {
                    warning(entry.path(), "vanished while it was read; not in this snapshot");
                    pending.add(new PendingItem(null, new PendingContent(entry, chunks), -1));
                    continue;
                }
                totalBytes += size;
                linkable.put(entry.path(), pending.size());
                pending.add(new PendingItem(null, new PendingContent(entry, chunks), size));
                entryDone(entry, size);
                resolved = resolveDone(pending, resolved);
            }
            List<Manifest.Item> items = new ArrayList<>(pending.size());
            try (Watchdog.Activity a = watch.activity("reader", () -> "all entries read; waiting for the workers to"
                    + " hash and store the chunks of " + (pending.size() - items.size()) + " of " + pending.size()
                    + " entries (" + packs.describe() + ")")) {
                for (PendingItem p : pending) {
                    Manifest.Item item = p.resolve();
                    if (p.size >= 0) {
                        items.add(item);
                    }
                }
            }
            Optional<PackWriter.Pack> last = packs.flush();
            if (last.isPresent()) {
                upload(last.get());
            }
            failFast();
            return items;
        } catch (RuntimeException | IOException e) {
            // Let queued and running chunks finish, so that nothing of this run is written after it returns (an
            // abandoned run does not wait: its store view refuses every write already).
            drain(pending);
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

    private Map<String, Manifest.Item> parentItems(BlobIndex index) {
        if (options.parent().isEmpty() || options.parent().get().layout() != Layout.CHUNKED) {
            return Map.of();
        }
        Map<String, Manifest.Item> out = new HashMap<>();
        for (Manifest.Item item : options.parent().get().items()) {
            if (item.entry().type() == EntryType.REGULAR && item.entry().changeToken().isPresent()) {
                out.put(item.entry().path(), item);
            }
        }
        return out;
    }

    /** The parent's item for this entry when its content is unchanged and all its blobs are still indexed. */
    private static Manifest.Item reusable(Entry entry, Manifest.Item parent, Set<BlobId> known) {
        if (parent == null || entry.changeToken().isEmpty()
                || !entry.changeToken().equals(parent.entry().changeToken())) {
            return null;
        }
        for (BlobId blob : parent.blobs()) {
            if (!known.contains(blob)) {
                return null;
            }
        }
        return Manifest.Item.chunked(entry, parent.size(), parent.blobs());
    }

    private Future<BlobId> submitChunk(byte[] chunk, Set<BlobId> known, ByteBudget budget) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                watch.check();
                BlobId id = blobId(chunk);
                if (known.add(id)) {
                    byte[] encoded = codec.encode(chunk);
                    bytesNew.addAndGet(chunk.length);
                    pack(id, encoded, chunk.length);
                }
                watch.progress();
                return id;
            } catch (IOException e) {
                workerFailure.compareAndSet(null, e);
                throw new UncheckedIOException(e);
            } catch (RuntimeException | Error e) {
                workerFailure.compareAndSet(null, e);
                throw e;
            } finally {
                budget.release(chunk.length);
            }
        }, options.executor());
    }

    /** Puts an encoded blob into the open pack, uploading packs as {@link PackBudget} asks; see there. */
    private void pack(BlobId id, byte[] encoded, int plainLength) throws IOException {
        while (true) {
            PackBudget.Step step = packs.tryAdd(id, encoded, plainLength);
            if (step.upload().isPresent()) {
                upload(step.upload().get());
            } else if (!step.added()) {
                try (Watchdog.Activity waiting = watch.activity("worker", () -> "waiting for "
                        + ByteBudget.cost(encoded.length) + " bytes of the pack budget for blob " + id + " ("
                        + packs.describe() + ")")) {
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

    private void upload(PackWriter.Pack pack) throws IOException {
        try (Watchdog.Activity a = watch.activity("worker", () -> "storing pack '" + pack.objectName() + "' ("
                + pack.blobs().size() + " blobs, " + Watchdog.bytes(pack.size()) + ")")) {
            pack.upload(store.sink());
        } finally {
            packs.uploaded(pack);
        }
        bytesStored.addAndGet(pack.size());
        try (Watchdog.Activity a = watch.activity("worker", () -> "indexing stored packs (a checkpoint, or waiting for"
                + " another worker's)")) {
            bytesStored.addAndGet(checkpoints.packStored(new IndexFile.PackBlobs(pack.id(), pack.blobs()))); // [checkpoint]
        }
    }

    // ---- single-object layout

    private List<Manifest.Item> readSingle(SourceReader reader, String snapshotId) throws IOException {
        List<Manifest.Item> items = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Map<String, Manifest.Item> linkable = new HashMap<>();
        Optional<SourceEntry> next;
        while ((next = nextEntry(reader)).isPresent()) {
            SourceEntry sourceEntry = next.get();
            Entry entry = sourceEntry.entry();
            if (entry.type() != EntryType.REGULAR) {
                items.add(Manifest.Item.noContent(entry));
                entryDone(entry, 0);
                continue;
            }
            Manifest.Item first = entry.hardLinkTo().map(linkable::get).orElse(null);
            if (first != null) {
                items.add(new Manifest.Item(entry, first.size(), first.blobs(), first.object(), first.sha256()));
                entryDone(entry, 0);
                continue;
            }
            String name = singleObjectName(snapshotId, entry.path(), names);
            InputStream content = openOrWarn(sourceEntry);
            if (content == null) {
                continue;
            }
            try (EncodingInputStream encoded = new EncodingInputStream(new ProgressInputStream(content, entry.path()), codec::encoder);
                 Watchdog.Activity a = watch.activity("reader", () -> "storing '" + entry.path() + "' as '" + name + "'")) {
                store.sink().put(name, encoded, -1, ObjectKind.DATA);
                long size = encoded.plainBytes();
                bytesNew.addAndGet(size);
                bytesStored.addAndGet(encoded.encodedBytes());
                totalBytes += size;
                Manifest.Item item = Manifest.Item.single(entry, size, name, Hex.encode(encoded.plainSha256()));
                items.add(item);
                linkable.put(entry.path(), item);
                entryDone(entry, size);
            } catch (NoSuchFileException vanished) {
                store.delete(name);
                warning(entry.path(), "vanished while it was read; not in this snapshot");
            }
        }
        return items;
    }

    /**
     * {@code files/<snapshot>/<path><suffix>}, with characters that are not portable in object names replaced; in an
     * encrypted repository a keyed hash of the path stands for it.
     */
    private String singleObjectName(String snapshotId, String path, Set<String> used) {
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
            warning(path, "vanished before it could be read; not in this snapshot");
        } catch (java.nio.file.AccessDeniedException denied) {
            warning(path, "cannot be read (permission denied); not in this snapshot");
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

    private void warning(String path, String message) {
        warnings.add(new Snapshot.Warning(path, message));
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

    private void drain(List<PendingItem> pending) {
        for (PendingItem p : pending) {
            if (p.content == null) {
                continue;
            }
            for (Future<BlobId> f : p.content.chunks) {
                if (watch.abandoned()) {
                    return;
                }
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (Exception ignored) {
                    // the failure that matters is already being thrown
                }
            }
        }
    }

    /**
     * Replaces the entries at the front of {@code pending} whose chunks are all stored by their manifest items, so that
     * a tree of many small files does not keep a future per chunk until the end; returns the new front.
     */
    private static int resolveDone(List<PendingItem> pending, int from) throws IOException {
        int i = from;
        while (i < pending.size()) {
            PendingItem p = pending.get(i);
            if (p.content != null) {
                for (Future<BlobId> f : p.content.chunks) {
                    if (!f.isDone() || ((CompletableFuture<BlobId>) f).isCompletedExceptionally()) {
                        return i;
                    }
                }
                pending.set(i, new PendingItem(p.resolve(), null, p.size));
            }
            i++;
        }
        return i;
    }

    private record PendingContent(Entry entry, List<Future<BlobId>> chunks) {
    }

    private record PendingItem(Manifest.Item done, PendingContent content, long size) {
        /** The same content for another entry (a hard link). */
        PendingItem as(Entry entry) {
            if (done != null) {
                return new PendingItem(new Manifest.Item(entry, done.size(), done.blobs(), done.object(), done.sha256()), null, size);
            }
            return new PendingItem(null, new PendingContent(entry, content.chunks), size);
        }

        Manifest.Item resolve() throws IOException {
            if (done != null) {
                return done;
            }
            List<BlobId> ids = new ArrayList<>(content.chunks.size());
            for (Future<BlobId> f : content.chunks) {
                ids.add(await(f));
            }
            return Manifest.Item.chunked(content.entry, size, ids);
        }
    }
}
