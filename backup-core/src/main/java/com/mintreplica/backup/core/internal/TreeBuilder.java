package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.source.Entry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Builds a snapshot's tree blobs bottom-up from entries in Source order, with a stack of open directories: a
 * directory's tree blob is encoded and stored when the walk leaves it, once the content ids of its files (futures of
 * the workers that hash their chunks) are known. Only the open directories and the directories whose content is still
 * being hashed are held, so memory is bounded by the depth and width of the tree and the bytes in flight, not by the
 * number of entries.
 *
 * <p>The order contract of {@link com.mintreplica.backup.core.source.SourceReader}: a directory before its entries,
 * and all entries below a directory together (once an entry outside it follows, nothing inside it may come again).
 * Directories that were never entries (a Source that names {@code db/orders.bson} but no {@code db}) are created as
 * implicit directories. An entry that breaks the contract fails the backup with a message naming it.
 *
 * @param <P> what the caller keeps per open directory (the parent snapshot's listing of it, for unchanged files);
 *     closed when the walk leaves the directory if it is {@link AutoCloseable}
 */
final class TreeBuilder<P> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TreeBuilder.class);
    /** Stores a tree blob (on a worker) and returns its id. */
    @FunctionalInterface
    interface TreeStore {
        BlobId store(TreeFormat.Listing listing);

        /** Where a large listing is hashed and encoded as the builder writes it; null keeps it in blocks. */
        default Codec.Streamed stream() throws java.io.IOException {
            return null;
        }
    }

    /**
     * Memory taken by the listing of a closed directory until its tree blob is stored (the caller's chunk budget):
     * {@link #acquire} may wait, on the caller's thread, for chunks and trees already handed to workers; the builder
     * gives the bytes back when the tree task ends, stored or failed.
     */
    interface Admission {
        /** No budget: nothing waits. */
        Admission NONE = new Admission() {
            @Override
            public void acquire(long bytes, String directory) {
            }

            @Override
            public void release(long bytes) {
            }
        };

        void acquire(long bytes, String directory);

        void release(long bytes);

        /**
         * The entry at the head of a large open directory still waits for its content ids: hand the workers what the
         * caller holds back (its batch of small chunks), or the head may wait until the walk leaves the directory,
         * and the whole listing with it. Called on the caller's thread.
         */
        default void flush() {
        }

        /**
         * Waits on the caller's thread until {@code work}, content already handed to the workers, has ended: the
         * entry {@code path} at the head of a large open directory holds back the {@link #MAX_WAITING} entries behind
         * it. False when the work failed (the caller's run fails on its own then).
         */
        default boolean await(CompletableFuture<?> work, String path, int behind) {
            try {
                work.join();
                return true;
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                return false;
            }
        }
    }

    /** What a listing held in memory costs per entry besides its name and blob ids (an estimate, on the high side). */
    static final long BYTES_PER_CHILD = 320;

    /**
     * Entries of one directory handed to a worker's encoder at a time, once that many at the head of its listing have
     * their content ids: a directory of many entries is held as encoded bytes (some 200 an entry) rather than as
     * objects (about 1 KiB an entry, with the futures of their chunks). Smaller directories are encoded whole when the
     * walk leaves them, as before; the bytes are the same either way.
     */
    static final int BATCH = 1024;

    /**
     * Entries of one open directory held at most while the one at its head still waits for its content ids; past that
     * the walk waits for the head (work the workers already have). Each waiting entry holds its metadata, some 500 to
     * 700 bytes, that no budget counts: its chunks' budget is given back once they are in a pack. When one worker
     * waited long for a pack's room (uploads retried against a store failing half its requests), the other workers
     * stored the chunks of the files after its own, the walk went on, and a directory of 150,000 small files held
     * 40,000 entries behind its head: a writer's first backup ran out of a 96 MiB heap.
     */
    static final int MAX_WAITING = 4 * BATCH;

    /** What the caller keeps for a subdirectory, from what it keeps for the directory and the name. */
    @FunctionalInterface
    interface Descend<P> {
        P descend(P parent, String name, String path);
    }

    private final Descend<P> descend;
    private final TreeStore trees;
    private final Executor executor;
    private final Function<CompletableFuture<BlobId>, CompletableFuture<BlobId>> track;
    private final String sourceName;
    private final Admission admission;
    private final Deque<Dir<P>> stack = new ArrayDeque<>();
    private CompletableFuture<BlobId> root;
    /** Sees every regular file's item once its content ids are known (on a worker), or null. */
    private volatile java.util.function.Consumer<Manifest.Item> onFile;

    /**
     * A directory's listing while it is open; {@code self} is its entry in its parent's listing. Entries whose content
     * is known leave {@code waiting} in batches, in order, for a worker to encode them (see {@link #BATCH}).
     */
    private static final class Dir<P> {
        final String path;
        final P companion;
        final ArrayDeque<Pending> waiting = new ArrayDeque<>();
        final NameHashes names = new NameHashes();
        final Pending self;
        /** The encoder, once a batch went to it; only the chain {@code encoded} touches it then. */
        TreeFormat.Encoder encoder;
        /** Completes when every batch handed out is encoded. */
        CompletableFuture<Void> encoded;
        /** An estimate of the bytes of the entries handed to the encoder so far (for the listing's budget). */
        long handedOutBytes;

        Dir(String path, P companion, Pending self) {
            this.path = path;
            this.companion = companion;
            this.self = self;
        }
    }

    /** An entry of a listing whose content ids (or subtree id) may still be coming. */
    private static final class Pending {
        final String name;
        final Manifest.Item item;
        final List<CompletableFuture<BlobId>> chunks;
        final boolean implicit;
        CompletableFuture<BlobId> subtree;

        Pending(String name, Manifest.Item item, List<CompletableFuture<BlobId>> chunks, boolean implicit) {
            this.name = name;
            this.item = item;
            this.chunks = chunks;
            this.implicit = implicit;
        }

        /** Whether its content ids (or its subtree's id) are known, so it can be encoded now. */
        boolean ready() {
            if (chunks != null) {
                for (CompletableFuture<BlobId> f : chunks) {
                    if (!f.isDone() || f.isCompletedExceptionally()) {
                        return false;
                    }
                }
                return true;
            }
            if (item.entry().type() == com.mintreplica.backup.core.source.EntryType.DIRECTORY) {
                CompletableFuture<BlobId> tree = subtree;
                return tree != null && tree.isDone() && !tree.isCompletedExceptionally();
            }
            return true;
        }

        /** What makes it {@link #ready}: its chunks, or its subtree (a directory the walk has not left: nothing). */
        CompletableFuture<?> work() {
            if (chunks != null) {
                return CompletableFuture.allOf(chunks.toArray(new CompletableFuture<?>[0]));
            }
            return subtree != null ? subtree : CompletableFuture.completedFuture(null);
        }

        TreeFormat.Child resolve() {
            Manifest.Item resolved = item;
            if (chunks != null) {
                List<BlobId> ids = new ArrayList<>(chunks.size());
                for (CompletableFuture<BlobId> f : chunks) {
                    ids.add(f.join());
                }
                resolved = item.withBlobs(ids);
            }
            return new TreeFormat.Child(name, resolved, Optional.ofNullable(subtree).map(CompletableFuture::join), implicit);
        }
    }

    /**
     * @param rootCompanion what the caller keeps for the root directory
     * @param track wraps every tree future the builder makes (the run counts them in flight)
     * @param sourceName names the Source in messages about its order
     * @param admission the budget a closed directory's listing takes until its tree blob is stored
     */
    TreeBuilder(P rootCompanion, Descend<P> descend, TreeStore trees, Executor executor,
                Function<CompletableFuture<BlobId>, CompletableFuture<BlobId>> track, String sourceName,
                Admission admission) {
        this.admission = admission;
        this.descend = descend;
        this.trees = trees;
        this.executor = executor;
        this.track = track;
        this.sourceName = sourceName;
        stack.push(new Dir<>("", rootCompanion, null));
    }

    /**
     * Makes the directory of {@code path} the current one: closes the directories the walk has left, opens implicit
     * ones on the way down, and checks that {@code path} is new there.
     *
     * @return the caller's companion of that directory
     * @throws BackupException when the Source broke the order contract
     */
    P position(String path) {
        int slash = path.lastIndexOf('/');
        String directory = slash < 0 ? "" : path.substring(0, slash);
        while (!within(directory, stack.peek().path)) {
            close(stack.pop());
        }
        while (!stack.peek().path.equals(directory)) {
            Dir<P> top = stack.peek();
            int from = top.path.isEmpty() ? 0 : top.path.length() + 1;
            int end = directory.indexOf('/', from);
            String name = directory.substring(from, end < 0 ? directory.length() : end);
            String childPath = top.path.isEmpty() ? name : top.path + "/" + name;
            if (top.names.contains(name)) {
                throw disorder("'" + path + "' comes after '" + childPath + "', which is not a directory or whose"
                        + " entries came earlier");
            }
            open(Entry.directory(childPath).build(), true);
        }
        String name = slash < 0 ? path : path.substring(slash + 1);
        if (stack.peek().names.contains(name)) {
            throw disorder("'" + path + "' comes twice, or after entries below it");
        }
        return stack.peek().companion;
    }

    /**
     * Hands every regular file's item, with its content ids, to {@code files} as its directory's tree blob is made (on
     * workers, in no particular order): a writer keeps them in its parent cache, since it cannot read trees back.
     */
    void onFile(java.util.function.Consumer<Manifest.Item> files) {
        this.onFile = files;
    }

    /** Adds a directory entry at the position {@link #position} prepared; it becomes the current directory. */
    void addDirectory(Entry entry) {
        open(entry, false);
    }

    /** Adds an entry whose content is known (not a directory). */
    void add(Manifest.Item item) {
        Dir<P> top = stack.peek();
        String name = nameOf(item.entry().path());
        top.names.add(name);
        append(top, new Pending(name, item, null, false));
    }

    /** Adds a regular entry whose chunk ids come from workers. */
    void addFile(Entry entry, long size, List<CompletableFuture<BlobId>> chunks) {
        Dir<P> top = stack.peek();
        String name = nameOf(entry.path());
        top.names.add(name);
        append(top, new Pending(name, Manifest.Item.chunked(entry, size, List.of()), List.copyOf(chunks), false));
    }

    /** Closes every open directory; the future completes with the root tree's id once all trees are stored. */
    CompletableFuture<BlobId> finish() {
        while (stack.size() > 1) {
            close(stack.pop());
        }
        close(stack.pop());
        return root;
    }

    private void open(Entry entry, boolean implicit) {
        Dir<P> top = stack.peek();
        String name = nameOf(entry.path());
        Pending self = new Pending(name, Manifest.Item.noContent(entry), null, implicit);
        top.names.add(name);
        append(top, self);
        stack.push(new Dir<>(entry.path(), descend.descend(top.companion, name, entry.path()), self));
    }

    /**
     * Adds an entry to an open directory's listing; once {@link #BATCH} entries at its head have their content ids,
     * they go to a worker's encoder, after the batches before them.
     */
    private void append(Dir<P> dir, Pending pending) {
        dir.waiting.add(pending);
        if (dir.waiting.size() < BATCH || dir.waiting.size() % (BATCH / 4) != 0) {
            return;
        }
        if (handOut(dir) < BATCH) {
            // A file changed among unchanged ones: its chunk may sit in the caller's unsent batch, which fills only
            // with other new chunks. Without this, a directory of 150,000 files with one change was held whole.
            admission.flush();
        }
        while (dir.waiting.size() >= MAX_WAITING) {
            Pending head = null;
            int ready = 0;
            for (Pending p : dir.waiting) {
                if (!p.ready()) {
                    head = p;
                    break;
                }
                ready++;
            }
            if (head == null || ready >= BATCH) {
                handOut(dir);
                continue;
            }
            if (!admission.await(head.work(), dir.path.isEmpty() ? head.name : dir.path + "/" + head.name,
                    dir.waiting.size() - ready - 1)) {
                return; // its content failed: so does the run
            }
            if (handOut(dir) == 0 && !head.ready()) {
                return;
            }
        }
    }

    /**
     * Hands the entries at the head of an open directory's listing whose content ids are known to a worker's encoder,
     * if there are {@link #BATCH} of them (all but the newest entry); returns how many were ready.
     */
    private int handOut(Dir<P> dir) {
        int ready = 0;
        for (Pending p : dir.waiting) {
            if (ready == dir.waiting.size() - 1 || !p.ready()) {
                break; // the newest entry stays, so a listing never goes whole to the encoder before it is closed
            }
            ready++;
        }
        if (ready < BATCH) {
            return ready;
        }
        List<Pending> batch = new ArrayList<>(ready);
        for (int i = 0; i < ready; i++) {
            batch.add(dir.waiting.poll());
        }
        if (dir.encoder == null) {
            dir.encoder = new TreeFormat.Encoder(trees::stream);
            dir.encoded = CompletableFuture.completedFuture(null);
        }
        TreeFormat.Encoder encoder = dir.encoder;
        dir.handedOutBytes += cost(batch) / 2;
        // One batch after another, each on a worker: the encoder is used by one thread at a time, in order.
        dir.encoded = dir.encoded.thenRunAsync(() -> encodeInto(encoder, batch), executor);
        return ready;
    }

    private void close(Dir<P> dir) {
        if (dir.companion instanceof AutoCloseable c) {
            // the walk has left the directory: what the caller kept for it (a parent listing's temporary file) goes
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("cannot close what was kept for '{}': {}", dir.path, e.toString());
            }
        }
        List<Pending> children = new ArrayList<>(dir.waiting);
        dir.waiting.clear();
        List<CompletableFuture<?>> waits = new ArrayList<>();
        for (Pending p : children) {
            if (p.chunks != null) {
                waits.addAll(p.chunks);
            }
            if (p.subtree != null) {
                waits.add(p.subtree);
            }
        }
        if (dir.encoded != null) {
            waits.add(dir.encoded);
        }
        // The listing stays in memory until its tree task ends: it takes budget now (the caller may wait for work
        // already handed out) and gives it back then, whether the tree was stored or not. Batches already encoded
        // count at their bytes' estimate.
        long cost = cost(children) + dir.handedOutBytes;
        admission.acquire(cost, dir.path);
        TreeFormat.Encoder encoder = dir.encoder != null ? dir.encoder : new TreeFormat.Encoder(trees::stream);
        CompletableFuture<BlobId> tree;
        if (waits.isEmpty() || waits.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally())) {
            // Everything is known (unchanged files reused from the parent, directories done): nothing to wait for,
            // but the tree is still encoded and stored on a worker, never on the reader, whose walk a full tree pack's
            // upload would otherwise hold up.
            tree = track.apply(CompletableFuture.completedFuture(null)
                    .thenApplyAsync(v -> encode(encoder, children), executor));
        } else {
            tree = track.apply(CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0]))
                    .thenApplyAsync(v -> encode(encoder, children), executor));
        }
        tree.whenComplete((v, e) -> admission.release(cost));
        if (dir.self == null) {
            root = tree;
        } else {
            dir.self.subtree = tree;
        }
    }

    /** What a closed directory's listing and its tree blob cost in memory, roughly, until the blob is stored. */
    static long cost(List<Pending> children) {
        long bytes = 0;
        for (Pending p : children) {
            // the name twice (in the listing, then in the encoded blob), the entry, and a content id per chunk
            bytes += BYTES_PER_CHILD + 4L * p.name.length() + 48L * (p.chunks != null ? p.chunks.size() : p.item.blobs().size());
        }
        return bytes;
    }

    private void encodeInto(TreeFormat.Encoder encoder, List<Pending> children) {
        java.util.function.Consumer<Manifest.Item> files = onFile;
        for (Pending p : children) {
            TreeFormat.Child child = p.resolve();
            encoder.add(child);
            if (files != null && child.item().entry().type() == com.mintreplica.backup.core.source.EntryType.REGULAR) {
                files.accept(child.item());
            }
        }
    }

    private BlobId encode(TreeFormat.Encoder encoder, List<Pending> children) {
        encodeInto(encoder, children);
        return trees.store(encoder.finishListing());
    }

    private static boolean within(String path, String directory) {
        return directory.isEmpty() || path.equals(directory) || path.startsWith(directory + "/");
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private BackupException disorder(String what) {
        return new BackupException("the source " + sourceName + " emitted its entries out of order: " + what
                + ". A SourceReader emits a directory before its entries and all entries below a directory together;"
                + " this is a bug of the source");
    }
}
