package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.PositionalFiles;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Restores the selected entries of one snapshot into a target, checking every byte before it is handed over. The
 * snapshot is walked lazily ({@link SnapshotWalker}): one walk fetches blobs ahead, another hands entries to the
 * target, both reading the same few tree blobs through a small cache, so memory does not grow with the entries.
 */
public final class RestoreRun {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RestoreRun.class);
    /** Parsed tree blobs kept between the fetch-ahead walk and the writing walk. */
    private static final long TREE_CACHE_BYTES = 8L << 20;
    /** Tree blobs loaded ahead of a restore's walk in pack order, in plain bytes. */
    private static final int TREES_AHEAD = 4 << 20;
    private final Store store;
    private final Manifest manifest;
    private final Executor executor;
    private final int prefetch;
    private final Watchdog watch;
    private long batchBudget = PackOrderRestore.defaultBudget();

    public RestoreRun(Store store, Manifest manifest, Executor executor, int prefetch) {
        this(store, manifest, executor, prefetch, Duration.ZERO);
    }

    /**
     * A restore abandoned with a {@link com.mintreplica.backup.core.StallException} when it makes no progress for
     * {@code stallTimeout} (zero: never).
     */
    public RestoreRun(Store store, Manifest manifest, Executor executor, int prefetch, Duration stallTimeout) {
        this.manifest = manifest;
        this.executor = executor;
        this.prefetch = prefetch;
        this.watch = stallTimeout.isZero() ? Watchdog.off("restore")
                : Watchdog.of("restore of snapshot " + manifest.snapshot().id() + " from " + store.location(),
                "the restore target was told to abort", stallTimeout);
        this.store = store.withSink(watch.watch(store.sink()));
    }

    /**
     * The memory a restore in pack order plans with, estimated in bytes (default: a sixteenth of the heap, 2 to 64
     * MiB): the plan's records kept in memory before a sorted run of them is written to a temporary file, and (half of
     * it) the packs being read and written. Each pack is read once whatever the budget.
     */
    public RestoreRun batchBudget(long value) {
        this.batchBudget = Math.max(1, value);
        return this;
    }

    /** Result counts of a restore. */
    public record Counts(long entries, long bytes, long unchanged) {
        Counts(long entries, long bytes) {
            this(entries, bytes, 0);
        }

    }

    /**
     * A dry run: the selected entries, walked from their trees (no data blob is read), handed to the target's
     * {@link RestoreTarget#plan}; counts what a restore would write.
     */
    public static Counts plan(Store store, Manifest manifest, RestoreTarget target, Predicate<String> selection,
                              boolean partial, java.util.function.Consumer<String> wouldRemove) {
        SnapshotWalker walker = SnapshotWalker.of(store, manifest).selection(selection);
        Predicate<Manifest.Item> linked = linkedIn(selection);
        long[] counts = {0, 0};
        Iterator<com.mintreplica.backup.core.source.Entry> entries = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return walker.hasNext();
            }

            @Override
            public com.mintreplica.backup.core.source.Entry next() {
                Manifest.Item item = walker.next();
                counts[0]++;
                if (item.entry().type() == EntryType.REGULAR && !linked.test(item)) {
                    counts[1] += item.size();
                }
                return item.entry();
            }
        };
        try {
            target.plan(new RestoreContext(manifest.snapshot(), selection, partial), entries, wouldRemove);
            while (entries.hasNext()) {
                entries.next();
            }
        } catch (IOException e) {
            // as the restore itself says it
            throw new BackupException("restore of snapshot " + manifest.snapshot().id() + " failed: " + e.getMessage(), e);
        }
        return new Counts(counts[0], counts[1]);
    }

    /**
     * Which entries of one walk in snapshot order a target links rather than writes: a regular file's later hard
     * link, when its first path is restored too (the first path comes before its links in the walk, the Source's
     * order, so "restored too" is "selected"), or when an earlier link of the same file stands in for a first path
     * that is not restored (the target links the rest to it). A linked entry's bytes are not counted, so a restore
     * and its dry run count each file's content once. Stateful: one per walk, each entry tested once. Memory: the
     * first paths of the files whose first path is left out.
     */
    static Predicate<Manifest.Item> linkedIn(Predicate<String> selection) {
        java.util.Set<String> standIns = new java.util.HashSet<>();
        return i -> {
            if (i.entry().type() != EntryType.REGULAR || i.entry().hardLinkTo().isEmpty()) {
                return false;
            }
            String first = i.entry().hardLinkTo().get();
            return selection.test(first) || !standIns.add(first);
        };
    }

    public Counts run(RestoreTarget target, Predicate<String> selection, boolean partial) {
        try {
            return watch.run("mint-backup-restore", () -> restore(target, selection, partial));
        } catch (IOException e) {
            throw new BackupException("restore of snapshot " + manifest.snapshot().id() + " failed: " + e.getMessage(), e);
        }
    }

    private Counts restore(RestoreTarget target, Predicate<String> selection, boolean partial) {
        java.util.Optional<PositionalFiles> files = target.positionalFiles();
        if (files.isPresent()) {
            return restoreInPackOrder(target, files.get(), selection, partial);
        }
        long entries = 0;
        long bytes = 0;
        // One prefetcher over the blobs of every selected entry, so fetching runs ahead across entries: its own walk
        // runs ahead of the one that writes, and the trees both load stay in a small cache between them.
        // A hard link whose first path (or an earlier link standing in for it) is restored too is linked by the
        // target, which then need not read its content: such entries get content that is fetched only if read,
        // outside the prefetched sequence (linkedIn). Each walk decides with its own predicate.
        Predicate<Manifest.Item> linkedAhead = linkedIn(selection);
        Predicate<Manifest.Item> linked = linkedIn(selection);
        SnapshotWalker.Cache trees = new SnapshotWalker.Cache(store, TREE_CACHE_BYTES);
        SnapshotWalker ahead = SnapshotWalker.of(store, manifest).selection(selection).loader(trees);
        Iterator<BlobId> sequence = SnapshotWalker.blobsOf(new java.util.Iterator<>() {
            private Manifest.Item next;

            @Override
            public boolean hasNext() {
                while (next == null && ahead.hasNext()) {
                    Manifest.Item i = ahead.next();
                    if (!linkedAhead.test(i)) {
                        next = i;
                    }
                }
                return next != null;
            }

            @Override
            public Manifest.Item next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Manifest.Item out = next;
                next = null;
                return out;
            }
        });
        SnapshotWalker selected = SnapshotWalker.of(store, manifest).selection(selection).loader(trees);
        Manifest.Item current = null;
        try (BlobPrefetcher blobs = new BlobPrefetcher(store, sequence, executor, 2 * prefetch, watch)) {
            // A target's own work before the first and after the last entry (pg_restore building indexes) moves no
            // bytes the watchdog could see.
            try (Watchdog.Activity a = watch.exempt("target", () -> "the restore target starting")) {
                target.begin(new RestoreContext(manifest.snapshot(), selection, partial));
            }
            while (nextEntry(selected)) {
                Manifest.Item item = selected.next();
                current = item;
                if (linked.test(item)) {
                    try (LazyContent lazy = new LazyContent(() -> open(item, null));
                         Handed content = new Handed(lazy);
                         Watchdog.Activity a = watch.activity("target", () -> "the restore target linking '"
                                 + item.entry().path() + "' (" + content.handed + " bytes of its content read)")) {
                        target.write(item.entry(), content);
                        if (lazy.opened()) {
                            content.transferTo(OutputStream.nullOutputStream());
                        }
                    }
                    entries++;
                    watch.progress();
                    continue;
                }
                try (Handed content = new Handed(open(item, blobs));
                     Watchdog.Activity a = watch.activity("target", () -> "the restore target writing '"
                             + item.entry().path() + "' (" + content.handed + " of " + item.size() + " bytes handed to it)")) {
                    target.write(item.entry(), content);
                    // Read what the target left, so corruption at the end of the content is still reported.
                    content.transferTo(OutputStream.nullOutputStream());
                    bytes += item.size();
                }
                entries++;
                watch.progress();
            }
            try (Watchdog.Activity a = watch.exempt("target", () -> "the restore target finishing")) {
                target.finish();
            }
            return new Counts(entries, bytes);
        } catch (IOException e) {
            target.abort(e);
            throw new BackupException("restore of snapshot " + manifest.snapshot().id() + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            target.abort(e);
            // Blob and object corruption gets the snapshot's name; a target's own failures (a subclass, such as a
            // row-count report) pass unchanged, so callers can still catch them by type.
            if (e.getClass() == CorruptDataException.class) {
                if (current != null && current.object().isPresent() && intactInStore(current)) {
                    // Streamed straight into the target, a single object cannot be read again in place: say that the
                    // store holds it intact, so that running the restore again is the cure.
                    throw new TransitDamageException(e.getMessage() + " (snapshot " + manifest.snapshot().id()
                            + "): it arrived damaged, but read again it is intact in the store: damage in transit."
                            + " Nothing corrupt was restored; run the restore again", e);
                }
                throw new CorruptDataException(e.getMessage() + " (snapshot " + manifest.snapshot().id()
                        + "); nothing corrupt was restored", e);
            }
            throw e;
        }
    }

    /**
     * The restore into a target that takes files in pieces: packs read once each, in order, their blobs written to
     * every file that needs them from several threads ({@link PackOrderRestore}). Hard links and single objects are
     * streamed to the target's {@code write} one at a time, as in the other restore.
     */
    private Counts restoreInPackOrder(RestoreTarget target, PositionalFiles files, Predicate<String> selection,
                                      boolean partial) {
        long[] entries = {0};
        Manifest.Item[] current = {null};
        boolean[] streaming = {false};
        long[] keptSingles = {0};
        LostDirectories lost = new LostDirectories();
        Predicate<Manifest.Item> linked = linkedIn(selection);
        PackOrderRestore.Streamer streamer = item -> {
            current[0] = item;
            streaming[0] = true;
            if (linked.test(item)) {
                try (LazyContent lazy = new LazyContent(() -> open(item, null));
                     Handed content = new Handed(lazy);
                     Watchdog.Activity a = watch.activity("target", () -> "the restore target linking '"
                             + item.entry().path() + "' (" + content.handed + " bytes of its content read)")) {
                    target.write(item.entry(), content);
                    if (lazy.opened()) {
                        content.transferTo(OutputStream.nullOutputStream());
                    }
                }
                streaming[0] = false;
                watch.progress();
                return 0;
            }
            if (keptSingle(item, files)) {
                keptSingles[0]++;
                streaming[0] = false;
                watch.progress();
                return item.size();
            }
            try (Handed content = new Handed(open(item, null));
                 Watchdog.Activity a = watch.activity("target", () -> "the restore target writing '"
                         + item.entry().path() + "' (" + content.handed + " of " + item.size() + " bytes handed to it)")) {
                target.write(item.entry(), content);
                content.transferTo(OutputStream.nullOutputStream());
            }
            streaming[0] = false;
            watch.progress();
            return item.size();
        };
        try {
            try (Watchdog.Activity a = watch.exempt("target", () -> "the restore target starting")) {
                target.begin(new RestoreContext(manifest.snapshot(), selection, partial));
            }
            long bytes;
            long unchanged = 0;
            // The walk plans every file before the first pack is read: the trees are loaded ahead of it, on another
            // thread.
            try (TreeAhead trees = new TreeAhead(store, manifest, selection, TREES_AHEAD)) {
                // A directory whose listing cannot be read is left out (its entry is made, empty) and the walk goes on:
                // one damaged tree blob made a restore write nothing at all, where the rest of the snapshot was whole.
                SnapshotWalker walker = SnapshotWalker.of(store, manifest).selection(selection).loader(trees)
                        .onUnreadable(lost);
                Iterator<Manifest.Item> selected = new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return walker.hasNext();
                    }

                    @Override
                    public Manifest.Item next() {
                        current[0] = walker.next();
                        return current[0];
                    }
                };
                PackOrderRestore restore = new PackOrderRestore(store, watch, executor, prefetch, Math.max(4, prefetch),
                        batchBudget, java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
                bytes = restore.run(selected, target, files, streamer, () -> entries[0]++);
                unchanged = restore.kept() + keptSingles[0];
            }
            try (Watchdog.Activity a = watch.exempt("target", () -> "the restore target finishing")) {
                target.finish();
            }
            lost.check(manifest.snapshot().id());
            return new Counts(entries[0], bytes, unchanged);
        } catch (IOException e) {
            target.abort(e);
            throw new BackupException("restore of snapshot " + manifest.snapshot().id() + " failed: " + e.getMessage(), e);
        } catch (LostDirectories.Lost e) {
            throw e;   // everything else was restored, and the target finished
        } catch (RuntimeException e) {
            target.abort(e);
            if (e.getClass() == CorruptDataException.class && lost.count > 0) {
                e = new CorruptDataException(e.getMessage() + "; " + lost.describe(), e);
            }
            if (e.getClass() == CorruptDataException.class) {
                Manifest.Item item = current[0];
                if (item != null && streaming[0] && item.object().isPresent() && intactInStore(item)) {
                    throw new TransitDamageException(e.getMessage() + " (snapshot " + manifest.snapshot().id()
                            + "): it arrived damaged, but read again it is intact in the store: damage in transit."
                            + " Nothing corrupt was restored; run the restore again", e);
                }
                throw new CorruptDataException(e.getMessage() + " (snapshot " + manifest.snapshot().id()
                        + "); nothing corrupt was restored", e);
            }
            throw e;
        }
    }

    /**
     * Keeps a single object's file that the target has already with the snapshot's content: same size, and the SHA-256
     * the snapshot records for the object. The file is read, the object is not. Explorers' E-F8.8: a restore over an
     * earlier one from a single-layout repository wrote every file again, where a chunked one keeps what matches.
     */
    private boolean keptSingle(Manifest.Item item, PositionalFiles files) {
        if (item.object().isEmpty() || item.sha256().isEmpty() || item.sha256().get().length() != 64) {
            return false;
        }
        Optional<PositionalFiles.Existing> existing;
        try {
            existing = files.existing(item.entry(), item.size());
        } catch (IOException e) {
            LOG.debug("cannot look at {} in the target: {}", item.entry().path(), e.toString());
            return false;
        }
        if (existing.isEmpty()) {
            return false;
        }
        try (Watchdog.Activity a = watch.activity("target", () -> "comparing '" + item.entry().path()
                + "' in the target with the snapshot")) {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[(int) Math.min(1 << 20, Math.max(1, item.size()))];
            long offset = 0;
            int n;
            while ((n = existing.get().read(offset, buffer, 0, buffer.length)) > 0) {
                sha.update(buffer, 0, n);
                offset += n;
                watch.progress();
            }
            if (offset == item.size() && Hex.encode(sha.digest()).equalsIgnoreCase(item.sha256().get())) {
                existing.get().keep();
                return true;
            }
        } catch (IOException | java.security.NoSuchAlgorithmException | RuntimeException e) {
            LOG.debug("{} in the target is written again: {}", item.entry().path(), e.toString());
        }
        try {
            existing.get().close();
        } catch (IOException e) {
            LOG.debug("cannot close {}: {}", item.entry().path(), e.toString());
        }
        return false;
    }

    /** The directories whose listings a restore could not read: it goes on without what lies below them. */
    private static final class LostDirectories implements SnapshotWalker.Unreadable {
        private static final int NAMED = 10;
        private final List<String> named = new ArrayList<>();
        private CorruptDataException first;
        private long count;

        @Override
        public synchronized void tree(BlobId id, String path, CorruptDataException problem) {
            count++;
            if (named.size() < NAMED) {
                named.add(path.isEmpty() ? "/ (the snapshot's root)" : "'" + path + "'");
            }
            if (first == null) {
                first = problem;
            }
        }

        synchronized String describe() {
            return "the listing of " + (count == 1 ? "directory " : count + " directories, ") + String.join(", ", named)
                    + (count > named.size() ? ", ..." : "") + " cannot be read (" + first.getMessage() + "): nothing"
                    + " below " + (count == 1 ? "it" : "them") + " was restored; `mint-backup repair snapshots` writes"
                    + " a snapshot without " + (count == 1 ? "it" : "them");
        }

        /** Fails the restore, once every other entry is restored, when a listing was lost. */
        synchronized void check(String snapshotId) {
            if (count > 0) {
                throw new Lost(describe() + "; every other entry was restored (snapshot " + snapshotId + ")", first);
            }
        }

        /** Damage that cost the contents of some directories: reported once the restore of the rest finished. */
        static final class Lost extends CorruptDataException {
            private static final long serialVersionUID = 1L;

            Lost(String message, Throwable cause) {
                super(message, cause);
            }
        }
    }

    /** Walks on to the next selected entry; a tree blob read on the way is a stage the stall diagnostic names. */
    private boolean nextEntry(SnapshotWalker selected) {
        try (Watchdog.Activity a = watch.activity("trees", () -> "reading the snapshot's tree blobs")) {
            return selected.hasNext();
        }
    }

    /** Content handed to the target: what it reads is progress. */
    private final class Handed extends FilterInputStream {
        volatile long handed;

        Handed(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                moved(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                moved(n);
            }
            return n;
        }

        @Override
        public long transferTo(OutputStream out) throws IOException {
            long n = in.transferTo(new FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    moved(len);
                }
            });
            return n;
        }

        private void moved(long n) {
            handed += n;
            watch.progress();
        }
    }

    /**
     * Whether a single object that failed its check on the way is intact in the store: read again (up to
     * {@link Store#READ_ATTEMPTS} - 1 more times), it decodes and matches the manifest.
     */
    private boolean intactInStore(Manifest.Item item) {
        for (int attempt = 2; attempt <= Store.READ_ATTEMPTS; attempt++) {
            try (InputStream content = open(item, null)) {
                content.transferTo(OutputStream.nullOutputStream());
                return true;
            } catch (CorruptDataException | IOException again) {
                // damaged again (or unreadable): try once more, then leave it to the first verdict
            }
        }
        return false;
    }

    /** Content opened on its first read: a target that links a hard link never reads (or fetches) it. */
    private static final class LazyContent extends InputStream {
        private final SourceEntryOpener opener;
        private InputStream in;

        LazyContent(SourceEntryOpener opener) {
            this.opener = opener;
        }

        boolean opened() {
            return in != null;
        }

        private InputStream in() throws IOException {
            if (in == null) {
                in = opener.open();
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            return in().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in().read(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }

    @FunctionalInterface
    private interface SourceEntryOpener {
        InputStream open() throws IOException;
    }

    /** The checked content of an item (empty for entries without content). */
    public InputStream open(Manifest.Item item) throws IOException {
        return open(item, null);
    }

    /** Like {@link #open(Manifest.Item)}, taking a chunked item's blobs from {@code blobs} when given. */
    private InputStream open(Manifest.Item item, BlobPrefetcher blobs) throws IOException {
        if (item.entry().type() != EntryType.REGULAR) {
            return InputStream.nullInputStream();
        }
        if (item.object().isEmpty()) {
            return blobs != null ? new BlobContentStream(blobs, item.blobs().size())
                    : new BlobContentStream(store, item.blobs(), executor, prefetch);
        }
        String object = item.object().get();
        InputStream raw;
        try {
            raw = SinkReadException.marking(store.sink().get(object));
        } catch (NoSuchObjectException e) {
            throw new CorruptDataException("object '" + object + "' holding entry '" + item.entry().path()
                    + "' is missing from " + store.location());
        }
        InputStream decoded;
        try {
            decoded = store.codec().decoder(raw);
        } catch (SinkReadException e) {
            raw.close();
            throw e;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw new CorruptDataException("object '" + object + "' is corrupt: it does not decode (" + e.getMessage() + ")", e);
        }
        return new HashCheckingInputStream(decoded, Hex.decode(item.sha256().orElse("")), item.size(),
                "object '" + object + "'");
    }
}
