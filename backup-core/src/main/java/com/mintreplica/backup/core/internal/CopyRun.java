package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectKind;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies snapshots from one repository into another, whatever their Sinks and transformer chains:
 * <ul>
 *   <li>a snapshot whose snapshot object the target already has is skipped: that is how a killed copy resumes;</li>
 *   <li>of a chunked snapshot, only the blobs the target's index lacks are read (each checked against its id), decoded
 *       with the source's chain, encoded with the target's, packed and stored; index objects are written while it
 *       goes, as a backup's checkpoints are ({@link Checkpoints}: every 4 packs at first, then every sixteenth of the
 *       packs stored), and at the end, so blobs a killed copy already stored are not sent again.
 *       Where either repository is encrypted, blob ids are keyed and differ between the two: then every blob of the
 *       snapshot is read to compute its id in the target, only the ones the target lacks are stored, and the copied
 *       snapshot names the target's ids (its tree blobs are written again with them), except what an earlier copy
 *       of the same source already mapped: a directory unchanged since a snapshot the target has a copy of is taken
 *       from that copy without reading, a file unchanged in a changed directory takes its blobs' ids from it
 *       ({@link #copiedParent});</li>
 *   <li>of a single-object snapshot, every object is streamed through (decoded, checked against the recorded
 *       SHA-256, encoded again); objects already in the target are skipped;</li>
 *   <li>the snapshot object, with the same snapshot id, is written last: until then the snapshot is not visible in the
 *       target.</li>
 * </ul>
 * A tree snapshot is copied directory by directory, depth first (a directory's tree blob after its entries'), with a
 * set of trees already copied in this run, so memory stays bounded as in a backup; a flat (version 1 or 2) snapshot
 * stays flat. A snapshot keeps its layout: a chunked snapshot stays chunked in a target whose own backups use the
 * single-object layout, and the other way round; restores read the layout from each snapshot.
 */
public final class CopyRun {
    private static final Logger LOG = LoggerFactory.getLogger(CopyRun.class);

    /** What a run did. */
    public record Counts(List<String> copied, List<String> skipped, long blobs, long objects, long plainBytes,
                         long storedBytes) {
    }

    private final Store from;
    private final Store to;
    private final Executor executor;
    private final int parallelism;
    /**
     * Bytes of blobs in flight between the readers and the packer (see {@link #inFlightCost}): an eighth of the heap (a
     * 6 GiB heap: 768 MiB, so the number of workers decides).
     */
    private final long windowBudget = Math.max(1, Runtime.getRuntime().maxMemory() / 8);
    private final boolean sameIds;
    private final List<String> copied = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    /**
     * Source blob (and tree) id to target id, for what this run read, where either side is keyed (ids differ). These
     * sets grow with every blob copied: in sorted runs (64 bytes an entry here, 32 in the sets below; hash tables took
     * 91-183 and 46-91), a copy of 200,000 files between encrypted repositories fits a 64 MiB heap.
     */
    private final CompactIdSet idMap = CompactIdSet.map();
    /** With the same ids on both sides: the trees this run copied (or found in the target) with all below them. */
    private final CompactIdSet doneTrees = new CompactIdSet();
    /**
     * Target blob ids stored by this run (its index objects are not added to the target's loaded index). With keyed
     * ids only the trees: a data blob's source id in {@link #idMap} already stands for it (distinct source ids are
     * distinct contents, so distinct target ids), and holding both ran a copy of a million files out of a 256 MiB heap.
     * Where that reasoning could fail (one content under two source ids) the blob is stored twice, never missed.
     */
    private final CompactIdSet sent = new CompactIdSet();
    /**
     * The packs stored and not yet indexed, as an index object's plaintext (44 bytes a blob; as a list of objects they
     * took about 170, beside the rest of a copy in a small heap), written as a backup writes its checkpoints.
     */
    private final Checkpoints checkpoints;
    private PackWriter dataPacks;
    private PackWriter treePacks;
    private long blobs;
    private long objects;
    private long plainBytes;
    private long storedBytes;

    private final Watchdog watch;

    public CopyRun(Store from, Store to, Executor executor, int parallelism) {
        this(from, to, executor, parallelism, java.time.Duration.ZERO);
    }

    /**
     * A copy abandoned with a {@link com.mintreplica.backup.core.StallException} when it makes no progress for
     * {@code stallTimeout} (zero: never). Snapshots copied before then stay copied (each is complete); the one being
     * copied is not committed.
     */
    public CopyRun(Store from, Store to, Executor executor, int parallelism, java.time.Duration stallTimeout) {
        this.watch = stallTimeout.isZero() ? Watchdog.off("copy")
                : Watchdog.of("copy from " + from.location() + " to " + to.location(),
                "the snapshot being copied was not committed in the target and the lease was released", stallTimeout);
        this.from = from.withSink(watch.watch(from.sink()));
        this.to = to.withSink(watch.watch(to.sink()));
        this.checkpoints = new Checkpoints(this.to);
        this.executor = executor;
        this.parallelism = Math.max(1, parallelism);
        this.sameIds = !from.codec().keyed() && !to.codec().keyed();
    }

    /** Copies the snapshots with these ids, in the order given (oldest first is best: later ones share its blobs). */
    public Counts run(List<String> snapshotIds) {
        try {
            return watch.run("mint-backup-copy", () -> copy(snapshotIds));
        } catch (IOException e) {
            throw new BackupException("copy to " + to.location() + " failed: " + e.getMessage(), e);
        }
    }

    private Counts copy(List<String> snapshotIds) {
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(snapshotIds));
        if (ids.stream().allMatch(id -> exists(Manifest.objectName(id)))) {
            // Nothing to do: a copy that finds everything there writes nothing at all, not even a lease.
            skipped.addAll(ids);
            return new Counts(copied, skipped, blobs, objects, plainBytes, storedBytes);
        }
        // Like a backup, a copy writes into the target under a shared lease, so a prune there cannot delete blobs
        // this copy relies on (see RepositoryLock and docs/prune.md).
        try (RepositoryLock lock = RepositoryLock.acquire(to, RepositoryLock.Kind.SHARED, "copy from " + from.location(),
                com.mintreplica.backup.core.BackupPipeline.DEFAULT_LOCK_WAIT, RepositoryLock.Settings.DEFAULT, watch)) {
            watch.onAbandon(() -> lock.abandon(java.time.Duration.ofSeconds(2)));
            to.upgradeFormat();
            // What other processes stored in the target since it was opened counts too.
            to.reloadIndex();
            int packSize = PackWriter.targetSize(to.config().packSize(), Runtime.getRuntime().maxMemory());
            dataPacks = new PackWriter(to.codec(), packSize, BlobType.DATA);
            treePacks = new PackWriter(to.codec(), packSize, BlobType.TREE);
            return copyAll(ids, lock);
        }
    }

    private Counts copyAll(List<String> ids, RepositoryLock lock) {
        for (String id : ids) {
            String manifestName = Manifest.objectName(id);
            if (exists(manifestName)) {
                skipped.add(id);
                LOG.debug("snapshot {} is already in {}", id, to.location());
                continue;
            }
            Manifest manifest = from.manifest(id);
            Manifest copy;
            try (Watchdog.Activity a = watch.activity("copy", () -> "copying snapshot " + id)) {
                boolean keepFiles = manifest.isTree() && !sameIds && manifest.layout() != Layout.SINGLE
                        && to.keepsParentCache();
                if (keepFiles) {
                    openCopiedFiles(manifest.snapshot());
                }
                if (manifest.isTree()) {
                    boolean single = manifest.layout() == Layout.SINGLE;
                    Pair parent = sameIds || single ? null : copiedParent(manifest).orElse(null);
                    BlobId root = copyTree(manifest.tree().get(), "", single, parent);
                    copy = Manifest.ofTree(manifest.snapshot(), manifest.layout(), root);
                } else {
                    copy = manifest.layout() == Layout.CHUNKED ? copyChunked(manifest) : copySingle(manifest);
                }
                flush();
                lock.check();
                watch.check();
                storedBytes += to.writeManifest(copy, false);
                if (keepFiles) {
                    copiedFilesOut.commit(manifest.snapshot());   // after the commit: the next copy compares with it
                }
            } catch (IOException e) {
                throw new BackupException("copy of snapshot " + id + " to " + to.location() + " failed: " + e.getMessage(), e);
            } finally {
                closeCopiedFiles();
            }
            copied.add(id);
            LOG.info("snapshot {} copied from {} to {}", id, from.location(), to.location());
        }
        return new Counts(copied, skipped, blobs, objects, plainBytes, storedBytes);
    }

    // ---- a writer's record of what it copied

    /**
     * Into a target this run cannot read (opened with a writer key), what the last copy of the same source and host
     * from this source repository stored: each regular file's target blob ids, under a token of its source blob ids
     * ({@link ParentCache#copyToken}). A file whose source ids are the token's is not read again: a daily copy from a
     * local repository to an off-site one that only a writer key opens reads what changed, as a copy between readers
     * does with {@link #copiedParent}. Null when not in use.
     */
    private ParentCache.Reader copiedFiles;
    /** The files of the snapshot being copied, for the next copy's {@link #copiedFiles}; null when not in use. */
    private ParentCache.Writer copiedFilesOut;

    private void openCopiedFiles(Snapshot s) {
        String fromId = from.config().id();
        copiedFiles = to.copiedFiles(fromId, s.host(), s.source()).orElse(null);
        copiedFilesOut = to.copiedFilesWriter(fromId, s.host(), s.source());
        if (copiedFiles != null) {
            LOG.debug("copying snapshot {} against the {} files the copy of {} stored", s.id(), copiedFiles.files(),
                    copiedFiles.snapshotId());
        }
    }

    private void closeCopiedFiles() {
        if (copiedFiles != null) {
            copiedFiles.close();
            copiedFiles = null;
        }
        if (copiedFilesOut != null) {
            copiedFilesOut.close();   // after a commit, nothing to do; after a failure, the record stays as it was
            copiedFilesOut = null;
        }
    }

    /**
     * The target ids the last copy stored for the file at {@code path} whose source ids give {@code token} and whose
     * size is {@code size}, from {@link #copiedFiles} (looked up by path), or null: when that copy had it with other
     * content, or any of its target blobs is not in the target's (authenticated) index, as a writer's backup reuses
     * its parent cache.
     */
    private List<BlobId> cachedCopy(String path, String token, long size) {
        Manifest.Item item = copiedFiles == null ? null : copiedFiles.file(path);
        if (item == null || item.size() != size || !item.entry().changeToken().equals(Optional.of(token))) {
            return null;
        }
        for (BlobId id : item.blobs()) {
            if (!to.index().contains(id)) {
                return null;
            }
        }
        return item.blobs();
    }

    /**
     * Whether the target has {@code name}, by listing rather than reading it: a writer (write-only keys) may list the
     * repository but not read its manifests or data (its S3 policy has no GetObject there, which HEAD needs too).
     */
    private boolean exists(String name) {
        try (java.util.stream.Stream<com.mintreplica.backup.core.sink.ObjectInfo> listed = to.sink().list(name)) {
            return listed.anyMatch(o -> o.name().equals(name));
        } catch (IOException e) {
            throw new BackupException("cannot read '" + name + "' in " + to.location() + ": " + e.getMessage(), e);
        }
    }

    /** Whether the target has this blob (stored before, or by this run). */
    private boolean targetHas(BlobId id) {
        return sent.contains(id) || to.index().contains(id);
    }

    // ---- tree snapshots

    /**
     * A directory in a snapshot copied before ({@link #copiedParent}): its tree's id in the source and the id of the
     * same tree in the target.
     */
    private record Pair(BlobId source, BlobId target) {
    }

    /**
     * With keyed ids, the snapshot this one can be copied against: the latest snapshot of the same source and host
     * that an earlier copy put into the target (the same snapshot id, and the same snapshot object), as a backup takes
     * its parent. Its trees, read from both sides, say the target id of every blob and tree of it: a directory that
     * did not change since (the same source tree id) is not read at all, and a file that did not change is not read
     * again, so a daily copy of a daily backup reads what changed, not the whole snapshot. Empty when there is none,
     * or the target cannot be read with these keys (a writer's), or anything about it fails: then every blob is read,
     * as without one.
     */
    private Optional<Pair> copiedParent(Manifest manifest) {
        Snapshot s = manifest.snapshot();
        List<Copied> candidates = copiedBefore().stream()
                .filter(c -> c.layout() == manifest.layout() && !c.id().equals(s.id()))
                .filter(c -> c.source().equals(s.source()) && c.host().equals(s.host()))
                .toList();
        java.util.Comparator<Copied> byTime = java.util.Comparator.comparing(Copied::time).thenComparing(Copied::id);
        // the latest one before this snapshot; failing that, the earliest after it
        Optional<Copied> chosen = candidates.stream().filter(c -> !c.time().isAfter(s.time())).max(byTime)
                .or(() -> candidates.stream().min(byTime));
        chosen.ifPresent(c -> LOG.debug("copying snapshot {} against {}, copied before (trees {} and {})", s.id(),
                c.id(), c.trees().source(), c.trees().target()));
        return chosen.map(Copied::trees);
    }

    /**
     * A tree snapshot of the source whose copy the target had when this run started: what choosing a parent needs
     * of it (not its whole snapshot object: a repository may hold thousands).
     */
    private record Copied(String id, java.time.Instant time, com.mintreplica.backup.core.source.SourceId source,
                          String host, Layout layout, Pair trees) {
    }

    /** {@link #copiedBefore()}, listed once a run. */
    private List<Copied> copiedBefore;

    /**
     * The source's tree snapshots that the target holds copies of: the same snapshot id and the same snapshot object,
     * written by a reader (a writer's snapshots are never a reader's parent, as in a backup). None when the target's
     * snapshots cannot be read with these keys (a writer's) or listing them fails.
     */
    private List<Copied> copiedBefore() {
        if (copiedBefore != null) {
            return copiedBefore;
        }
        copiedBefore = List.of();
        if (!to.canRead()) {
            return copiedBefore;
        }
        try {
            Map<String, Manifest> copies = new java.util.HashMap<>();
            for (Manifest m : to.heads()) {
                if (m.isTree() && !to.writtenByWriter(m.snapshot().id())) {
                    copies.put(m.snapshot().id(), m);
                }
            }
            List<Copied> found = new ArrayList<>();
            for (Manifest m : from.heads()) {
                Manifest copy = copies.get(m.snapshot().id());
                if (m.isTree() && copy != null && copy.layout() == m.layout() && copy.snapshot().equals(m.snapshot())) {
                    Snapshot s = m.snapshot();
                    found.add(new Copied(s.id(), s.time(), s.source(), s.host(), m.layout(),
                            new Pair(m.tree().get(), copy.tree().get())));
                }
            }
            copiedBefore = found;
        } catch (com.mintreplica.backup.core.StallException e) {
            throw e;
        } catch (BackupException e) {
            LOG.debug("the snapshots copied before into {} cannot be listed: {}", to.location(), e.getMessage());
        }
        return copiedBefore;
    }

    /**
     * The source's and the target's listing of a directory of the parent, or null when either cannot be read (then
     * the directory is copied as without a parent: the source is read).
     */
    private TreeFormat.Node[] parentNodes(Pair parent, String path) {
        if (from.index().find(parent.source()).isEmpty() || to.index().find(parent.target()).isEmpty()) {
            return null;
        }
        try (Watchdog.Activity a = watch.activity("reader", () -> "reading the tree of '" + path + "' in the snapshot"
                + " copied before, from both repositories")) {
            watch.check();
            return new TreeFormat.Node[] {from.readTree(parent.source(), path), to.readTree(parent.target(), path)};
        } catch (com.mintreplica.backup.core.StallException e) {
            throw e;
        } catch (BackupException e) {
            LOG.info("the tree of '{}' in the snapshot copied before cannot be read ({}): its files are read from {}",
                    path, e.getMessage(), from.location());
            return null;
        }
    }

    /**
     * The target ids of {@code blobs} (a file's, in the source) as the parent's copy of the same file has them, or
     * null: when the parent's file {@code source} has the same source ids, and its copy {@code copy} as many blobs,
     * each in the target's index with the same plaintext length as the source's blob.
     */
    private List<BlobId> copiedBlobs(List<BlobId> blobs, TreeFormat.Child source, TreeFormat.Child copy) {
        if (source == null || copy == null || source.isDirectory() != copy.isDirectory()
                || !source.item().blobs().equals(blobs) || copy.item().blobs().size() != blobs.size()) {
            return null;
        }
        List<BlobId> targets = copy.item().blobs();
        for (int i = 0; i < blobs.size(); i++) {
            Optional<BlobLocation> in = from.index().find(blobs.get(i));
            Optional<BlobLocation> out = to.index().find(targets.get(i));
            if (in.isEmpty() || out.isEmpty() || in.get().plainLength() != out.get().plainLength()) {
                return null;
            }
        }
        return targets;
    }

    /**
     * Copies the tree {@code id} (of the directory {@code path}) and everything below it; returns its id in the
     * target. Its entries go in batches of {@link #BATCH_ENTRIES}: a batch's files' blobs first, then its
     * subdirectories; the tree blob itself last. {@code parent}, when not null, is the same directory in a snapshot
     * copied before.
     *
     * <p>A directory of many entries is never held as objects: its listing is walked as {@code Store.readTree} gives it
     * (from a temporary file when large), the target's listing is encoded as it is made (hashed and compressed as it is
     * written from a mebibyte, as a backup does), and the parent's entries are found by name through a table of hashes.
     * A copy of 300,000 files in one directory ran out of a 256 MiB heap, holding them as objects three times.
     */
    private BlobId copyTree(BlobId id, String path, boolean single, Pair parent) throws IOException {
        if (parent != null && parent.source().equals(id) && to.index().contains(parent.target())) {
            watch.progress();
            return parent.target();   // unchanged since the snapshot copied before: its copy is this one's
        }
        BlobId done = sameIds ? (doneTrees.contains(id) ? id : null) : idMap.get(id);
        if (done != null) {
            return done;
        }
        // With the same ids on both sides and no single objects to copy, the listing is stored as it is: its bytes
        // and id stay the source's.
        boolean asIs = sameIds && !single;
        TreeFormat.Node node;
        try (Watchdog.Activity a = watch.activity("reader", () -> "reading the tree of '" + path + "' (" + id + ") from "
                + from.location())) {
            watch.check();
            node = from.readTree(id, path);
        }
        TreeFormat.Node[] parents = parent == null ? null : parentNodes(parent, path);
        ByName sourceParent = parents == null ? ByName.EMPTY : new ByName(parents[0]);
        ByName targetParent = parents == null ? ByName.EMPTY : new ByName(parents[1]);
        TreeFormat.Encoder encoder = asIs ? null : new TreeFormat.Encoder(to.codec()::streamed);
        List<TreeFormat.Child> children = node.children();
        for (int start = 0; start < children.size(); start += BATCH_ENTRIES) {
            List<TreeFormat.Child> batch = children.subList(start, Math.min(children.size(), start + BATCH_ENTRIES));
            Map<String, List<BlobId>> fromParent = new java.util.HashMap<>();   // a file's target ids, from the parent's copy
            Map<String, String> tokens = copiedFilesOut == null ? Map.of() : new java.util.HashMap<>();
            LinkedHashSet<BlobId> content = new LinkedHashSet<>();
            for (TreeFormat.Child c : batch) {
                List<BlobId> blobs = c.item().blobs();
                List<BlobId> known = blobs.isEmpty() ? null
                        : copiedBlobs(blobs, sourceParent.get(c.name()), targetParent.get(c.name()));
                if (copiedFilesOut != null && !blobs.isEmpty()) {
                    String token = ParentCache.copyToken(blobs);
                    tokens.put(c.name(), token);
                    if (known == null) {
                        known = cachedCopy(c.item().entry().path(), token, c.item().size());
                    }
                }
                if (known != null) {
                    fromParent.put(c.name(), known);
                } else {
                    content.addAll(blobs);
                }
            }
            transfer(content);
            for (TreeFormat.Child c : batch) {
                Manifest.Item item = c.item();
                Optional<BlobId> subtree = Optional.empty();
                if (c.isDirectory()) {
                    TreeFormat.Child sp = sourceParent.get(c.name());
                    TreeFormat.Child tp = targetParent.get(c.name());
                    Pair below = sp != null && tp != null && sp.isDirectory() && tp.isDirectory()
                            ? new Pair(sp.subtree().get(), tp.subtree().get()) : null;
                    subtree = Optional.of(copyTree(c.subtree().get(), item.entry().path(), single, below));
                }
                List<BlobId> known = fromParent.get(c.name());
                if (known != null) {
                    item = item.withBlobs(known);
                } else if (!item.blobs().isEmpty() && !sameIds) {
                    List<BlobId> ids = new ArrayList<>(item.blobs().size());
                    for (BlobId b : item.blobs()) {
                        ids.add(idMap.get(b));
                    }
                    item = item.withBlobs(ids);
                }
                if (single && item.object().isPresent()) {
                    item = copySingleItem(item);
                }
                String token = tokens.get(c.name());
                if (token != null) {
                    copiedFilesOut.add(Manifest.Item.chunked(item.entry().toBuilder().changeToken(token).build(),
                            item.size(), item.blobs()));
                }
                if (encoder != null) {
                    encoder.add(new TreeFormat.Child(c.name(), item, subtree, c.implicit()));
                }
            }
        }
        BlobId target;
        if (asIs) {
            target = id;
            if (!targetHas(target)) {
                storeAsIs(id, path);
            }
        } else {
            TreeFormat.Listing listing = encoder.finishListing();
            if (listing.streamed() != null) {
                Codec.Streamed streamed = listing.streamed();
                target = streamed.id();
                storeTree(target, streamed.plainLength(), streamed::encode);
                streamed.release();
            } else {
                target = to.codec().blobId(listing.parts());
                int length = 0;
                for (byte[] part : listing.parts()) {
                    length += part.length;
                }
                storeTree(target, length, () -> to.codec().encode(listing.parts()));
            }
        }
        if (sameIds) {
            doneTrees.add(id);
        } else {
            idMap.put(id, target);
        }
        watch.progress();
        return target;
    }

    /**
     * Stores the source's tree blob {@code id} in the target as it is (the same ids on both sides). A large one is
     * read a second time, as a stream, and compressed as it passes, never held whole in plain form.
     */
    private void storeAsIs(BlobId id, String path) throws IOException {
        int plainLength = from.index().find(id).map(BlobLocation::plainLength).orElse(0);
        if (plainLength >= TreeFormat.PARSED_ON_ACCESS_FROM && to.codec().streamed() != null) {
            Codec.Streamed streamed;
            try (Watchdog.Activity a = watch.activity("reader", () -> "reading the tree of '" + path + "' (" + id
                    + ") from " + from.location())) {
                streamed = from.parseBlob(id, in -> {
                    Codec.Streamed out = to.codec().streamed();
                    in.transferTo(out);
                    out.close();
                    return out;
                });
            }
            if (!streamed.id().equals(id)) {
                throw new IllegalStateException("tree " + id + " hashes to " + streamed.id() + " in the target");
            }
            storeTree(id, streamed.plainLength(), streamed::encode);
            streamed.release();
        } else {
            byte[] plain = from.readBlob(id);
            storeTree(id, plain.length, () -> to.codec().encode(plain));
        }
    }

    /** Entries of a directory handled together: their blobs are sent, then they are mapped and listed. */
    static final int BATCH_ENTRIES = 4096;

    /** The stored form of a tree blob, made only when the target lacks it. */
    @FunctionalInterface
    private interface TreeEncoding {
        byte[] encode() throws IOException;
    }

    private void storeTree(BlobId target, int plainLength, TreeEncoding encoding) throws IOException {
        if (!targetHas(target)) {
            sent.add(target);
            Optional<PackWriter.Pack> full = treePacks.add(target, encoding.encode(), plainLength);
            if (full.isPresent()) {
                store(full.get());
            }
        }
    }

    /**
     * A parent listing's entries by name: a small listing's in a map, a large one's (from
     * {@link TreeFormat#PARSED_ON_ACCESS_FROM}, parsed on access) as the index of each name in a table of hashes,
     * parsed again when asked for (a map of 300,000 parsed entries took some 300 MiB).
     */
    private static final class ByName {
        static final ByName EMPTY = new ByName(new TreeFormat.Node(List.of()));
        private final List<TreeFormat.Child> children;
        private final Map<String, TreeFormat.Child> small;
        private final NameHashes large;

        ByName(TreeFormat.Node node) {
            children = node.children();
            if (children.size() < LARGE) {
                small = new java.util.HashMap<>();
                for (TreeFormat.Child c : children) {
                    small.put(c.name(), c);
                }
                large = null;
            } else {
                small = null;
                large = new NameHashes();
                for (int i = 0; i < children.size(); i++) {
                    large.put(children.get(i).name(), i);
                }
            }
        }

        /** The entry of that name, or null. */
        TreeFormat.Child get(String name) {
            if (small != null) {
                return small.get(name);
            }
            int at = large.get(name);
            if (at < 0) {
                return null;
            }
            TreeFormat.Child c = children.get(at);
            return c.name().equals(name) ? c : null;
        }

        static final int LARGE = 4096;
    }

    // ---- blobs

    private Manifest copyChunked(Manifest manifest) throws IOException {
        // Where both repositories name blobs by plain SHA-256, a blob keeps its id and the target's index says, before
        // anything is read, which blobs it lacks. Where either names them with a key (an encrypted repository), every
        // blob of the snapshot is read to learn its id in the target; only those the target lacks are stored.
        LinkedHashSet<BlobId> content = new LinkedHashSet<>();
        for (Manifest.Item item : manifest.items()) {
            content.addAll(item.blobs());
        }
        transfer(content);
        if (sameIds) {
            return manifest;
        }
        List<Manifest.Item> items = new ArrayList<>(manifest.items().size());
        for (Manifest.Item item : manifest.items()) {
            List<BlobId> mapped = new ArrayList<>(item.blobs().size());
            for (BlobId id : item.blobs()) {
                mapped.add(idMap.get(id));
            }
            items.add(item.withBlobs(mapped));
        }
        return new Manifest(manifest.snapshot(), manifest.layout(), items);
    }

    /**
     * Makes every source blob of {@code content} present in the target and, with keyed ids, its target id known
     * ({@link #idMap}):
     * with the same ids on both sides only the blobs the target lacks are read; otherwise every blob not mapped yet.
     */
    private void transfer(LinkedHashSet<BlobId> content) throws IOException {
        List<BlobId> toRead = new ArrayList<>();
        for (BlobId id : content) {
            if (sameIds ? !targetHas(id) : idMap.get(id) == null) {
                toRead.add(id);
            }
        }
        if (toRead.isEmpty()) {
            return;
        }
        Deque<CompletableFuture<List<Encoded>>> window = new ArrayDeque<>();
        Deque<Long> costs = new ArrayDeque<>();
        long windowBytes = 0;
        Iterator<Batch> next = batchesOf(toRead);
        Batch pending = null;
        try {
            while (pending != null || next.hasNext() || !window.isEmpty()) {
                while (window.size() < parallelism && (pending != null || next.hasNext())) {
                    Batch batch = pending != null ? pending : next.next();
                    if (!window.isEmpty() && windowBytes + batch.cost() > windowBudget) {
                        pending = batch;   // read it once the blobs ahead of it are packed
                        break;
                    }
                    pending = null;
                    window.add(CompletableFuture.supplyAsync(() -> encode(batch), executor));
                    costs.add(batch.cost());
                    windowBytes += batch.cost();
                }
                CompletableFuture<List<Encoded>> head = window.removeFirst();
                windowBytes -= costs.removeFirst();
                List<Encoded> read;
                try (Watchdog.Activity a = watch.activity("copy", () -> "waiting for the next blob to be read from "
                        + from.location() + " (" + blobs + " blobs copied so far)")) {
                    read = join(head);
                }
                for (Encoded blob : read) {
                    watch.progress();
                    pack(blob);
                }
            }
        } finally {
            for (CompletableFuture<List<Encoded>> f : window) {
                f.cancel(false);
            }
        }
    }

    /** Puts a blob read from the source into the target's packs, unless the target has it. */
    private void pack(Encoded blob) throws IOException {
        if (!sameIds) {
            idMap.put(blob.sourceId(), blob.id());
        }
        if (blob.encoded() == null || targetHas(blob.id())) {
            return;   // the target has it already
        }
        if (sameIds) {
            sent.add(blob.id());
        }
        Optional<PackWriter.Pack> full = dataPacks.add(blob.id(), blob.encoded(), blob.plainLength());
        blobs++;
        plainBytes += blob.plainLength();
        if (full.isPresent()) {
            store(full.get());
        }
    }

    /**
     * Blobs read from the source in one ranged GET: of one pack, in the order they lie in it, from {@code start} to
     * {@code end}. {@code cost} is what they take while read and encoded (see {@link #inFlightCost}).
     */
    private record Batch(String pack, long start, long end, List<Map.Entry<BlobId, BlobLocation>> blobs, long cost) {
    }

    /** Blobs grouped into batches at a time: a slice of a directory's (or a manifest's) blobs, not all of them at once. */
    private static final int BATCHING_SLICE = 4096;

    /**
     * The batches of {@code toRead}, made a slice of {@link #BATCHING_SLICE} blobs at a time as the window asks for
     * them: their locations take about 100 bytes a blob, which for a directory of a million files (or a manifest
     * snapshot) would be held all at once beside the copy's map. Neighbouring files lie in the same packs, so a slice
     * batches as well as the whole.
     */
    private Iterator<Batch> batchesOf(List<BlobId> toRead) {
        return new Iterator<>() {
            private int sliced;
            private Iterator<Batch> slice = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!slice.hasNext() && sliced < toRead.size()) {
                    int end = Math.min(toRead.size(), sliced + BATCHING_SLICE);
                    slice = batches(toRead.subList(sliced, end)).iterator();
                    sliced = end;
                }
                return slice.hasNext();
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return slice.next();
            }
        };
    }

    /**
     * The blobs of {@code toRead} in batches: those of one pack that lie close together (at most {@link #MAX_GAP}
     * unread bytes between two) are read in one request, up to {@link #maxRange} bytes. A directory's small files were
     * packed together by the backup, so a copy out of a remote store makes one request for many of them, not one each:
     * through a store that fails half its requests a copy of 100,000 small files read about ten blobs a second, one GET
     * each. Packs come in the order their first blob is needed; a blob the index does not place is read alone.
     */
    private List<Batch> batches(List<BlobId> toRead) {
        Map<String, List<Map.Entry<BlobId, BlobLocation>>> byPack = new LinkedHashMap<>();
        List<Batch> out = new ArrayList<>();
        for (BlobId id : toRead) {
            Optional<BlobLocation> location = from.index().find(id);
            if (location.isEmpty()) {
                // read alone: Store.readBlob reloads the index for it
                out.add(new Batch("", 0, 0, List.of(new java.util.AbstractMap.SimpleImmutableEntry<>(id, null)), 0));
                continue;
            }
            byPack.computeIfAbsent(location.get().packObject(), p -> new ArrayList<>()).add(Map.entry(id, location.get()));
        }
        long maxRange = maxRange();
        for (Map.Entry<String, List<Map.Entry<BlobId, BlobLocation>>> pack : byPack.entrySet()) {
            List<Map.Entry<BlobId, BlobLocation>> blobs = pack.getValue();
            blobs.sort(java.util.Comparator.comparingLong(e -> e.getValue().offset()));
            int first = 0;
            long start = 0;
            long end = 0;
            long plain = 0;
            for (int i = 0; i < blobs.size(); i++) {
                BlobLocation l = blobs.get(i).getValue();
                long blobEnd = l.offset() + l.length();
                if (i > first && (l.offset() - end > MAX_GAP || blobEnd - start > maxRange || l.offset() < end)) {
                    out.add(new Batch(pack.getKey(), start, end, blobs.subList(first, i), inFlightCost(end - start, plain)));
                    first = i;
                }
                if (i == first) {
                    start = l.offset();
                    end = start;
                    plain = 0;
                }
                end = Math.max(end, blobEnd);
                plain += l.plainLength();
            }
            if (!blobs.isEmpty()) {
                out.add(new Batch(pack.getKey(), start, end, blobs.subList(first, blobs.size()),
                        inFlightCost(end - start, plain)));
            }
        }
        return out;
    }

    /** Unread bytes between two blobs read in one request: below this a second request costs more than reading them. */
    private static final long MAX_GAP = 256 * 1024;

    /** The longest range read in one request: a share of the read-ahead window, between 1 and 8 MiB. */
    private long maxRange() {
        return Math.max(1 << 20, Math.min(8 << 20, windowBudget / (2L * parallelism)));
    }

    /**
     * Reads a batch with one ranged GET and decodes each of its blobs. A blob that arrives damaged, a range that comes
     * back short and a read that fails are each left to {@link Store#readBlob}, one blob at a time, which reads again,
     * looks at a reloaded index and names what is wrong: batching changes how many requests a copy makes, never what
     * it accepts.
     */
    private List<Encoded> encode(Batch batch) {
        if (batch.blobs().size() == 1) {
            return List.of(encode(batch.blobs().get(0).getKey()));
        }
        byte[] range = readRange(batch);
        List<Encoded> out = new ArrayList<>(batch.blobs().size());
        for (Map.Entry<BlobId, BlobLocation> blob : batch.blobs()) {
            BlobId id = blob.getKey();
            BlobLocation l = blob.getValue();
            int at = (int) (l.offset() - batch.start());
            byte[] plain = null;
            CorruptDataException damaged = null;
            if (range != null) {
                try {
                    plain = from.decodeBlob(id, batch.pack(), java.util.Arrays.copyOfRange(range, at, at + l.length()),
                            l.plainLength());
                } catch (CorruptDataException e) {
                    damaged = e;
                }
            }
            if (plain != null) {
                out.add(encode(id, plain));
                continue;
            }
            out.add(encode(id)); // throws when the blob is damaged in the store: never copied
            if (damaged != null) {
                TransitDamage.healed("blob " + id + " in pack '" + batch.pack() + "' arrived damaged from "
                        + from.location() + " in a read of " + batch.blobs().size() + " blobs and read intact alone:"
                        + " damage in transit, not in the store (" + damaged.getMessage() + ")");
            }
        }
        return out;
    }

    /** The bytes of {@code batch}'s range, or null when the read fails or comes back short (each blob is read alone). */
    private byte[] readRange(Batch batch) {
        int length = (int) (batch.end() - batch.start());
        watch.check();
        try (Watchdog.Activity a = watch.activity("reader", () -> "reading " + batch.blobs().size() + " blobs ("
                + Watchdog.bytes(length) + ") of pack '" + batch.pack() + "' from " + from.location());
             InputStream in = from.sink().get(batch.pack(), batch.start(), length)) {
            byte[] range = in.readNBytes(length);
            return range.length == length ? range : null;
        } catch (IOException e) {
            LOG.debug("reading {} blobs of pack '{}' failed ({}): reading them one at a time", batch.blobs().size(),
                    batch.pack(), e.getMessage());
            return null;
        }
    }

    /**
     * What a batch costs while it is read and encoded: the range read (its blobs' stored forms and the gaps between
     * them), and each blob's plaintext and its encoding for the target, up to its plain length (an incompressible
     * blob). The batches read ahead of the packer are bounded by {@link #windowBudget} as well as by their number: four
     * blobs of random data of the largest default chunk size in flight (100 MiB and more) ran a copy into an encrypted
     * repository out of a 64 MiB heap.
     */
    private static long inFlightCost(long rangeLength, long plainLength) {
        return rangeLength + 2L * plainLength;
    }

    /** A blob read from the source: its id there and in the target, and its encoding for the target (null: not needed). */
    private record Encoded(BlobId sourceId, BlobId id, byte[] encoded, int plainLength) {
    }

    private Encoded encode(BlobId sourceId) {
        byte[] plain;
        try (Watchdog.Activity a = watch.activity("reader", () -> "reading blob " + sourceId
                + from.index().find(sourceId).map(l -> " of pack '" + l.packObject() + "'").orElse("") + " from "
                + from.location())) {
            watch.check();
            plain = from.readBlob(sourceId);
        }
        return encode(sourceId, plain);
    }

    /** Encodes a blob read from the source for the target, its plaintext checked against {@code sourceId}. */
    private Encoded encode(BlobId sourceId, byte[] plain) {
        // the plaintext was checked against its source id; with plain SHA-256 ids on both sides it is the same id
        BlobId id = sameIds ? sourceId : to.codec().blobId(plain);
        if (!sameIds && targetHas(id)) {
            return new Encoded(sourceId, id, null, plain.length);
        }
        try {
            return new Encoded(sourceId, id, to.codec().encode(plain), plain.length);
        } catch (IOException e) {
            throw new BackupException("cannot encode blob " + sourceId + " for " + to.location() + ": " + e.getMessage(), e);
        }
    }

    private void store(PackWriter.Pack pack) throws IOException {
        try (Watchdog.Activity a = watch.activity("copy", () -> "storing pack '" + pack.objectName() + "' ("
                + Watchdog.bytes(pack.size()) + ") in " + to.location())) {
            to.upload(pack);   // a tree pack also goes to the target's local cache, for the next copy's parent
        }
        storedBytes += pack.size();
        storedBytes += checkpoints.packStored(pack);
    }

    /** Stores the packs in progress and indexes them: the end of one snapshot's content. */
    private void flush() throws IOException {
        for (PackWriter packer : List.of(dataPacks, treePacks)) {
            Optional<PackWriter.Pack> last = packer.flush();
            if (last.isPresent()) {
                store(last.get());
            }
        }
        storedBytes += checkpoints.finish();
    }


    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new BackupException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    // ---- single-object snapshots

    private Manifest copySingle(Manifest manifest) {
        List<Manifest.Item> items = new ArrayList<>(manifest.items().size());
        for (Manifest.Item item : manifest.items()) {
            items.add(item.object().isEmpty() ? item : copySingleItem(item));
        }
        return new Manifest(manifest.snapshot(), manifest.layout(), items);
    }

    /** Streams one entry object into the target (unless it is there) and returns the item naming the target's object. */
    private Manifest.Item copySingleItem(Manifest.Item item) {
        String source = item.object().get();
        String target = targetName(source);
        byte[] sha256 = Hex.decode(item.sha256().orElseThrow(() -> new CorruptDataException(
                "entry '" + item.entry().path() + "' has no checksum for '" + source + "'")));
        if (!exists(target)) {
            copyObject(item, source, target, sha256);
        }
        return Manifest.Item.single(item.entry(), item.size(), target, item.sha256().get());
    }

    private void copyObject(Manifest.Item item, String source, String target, byte[] sha256) {
        InputStream raw;
        try {
            raw = SinkReadException.marking(from.sink().get(source));
        } catch (NoSuchObjectException e) {
            throw new CorruptDataException("object '" + source + "' holding entry '" + item.entry().path()
                    + "' is missing from " + from.location());
        } catch (IOException e) {
            throw new BackupException("cannot read '" + source + "' from " + from.location() + ": " + e.getMessage(), e);
        }
        try (InputStream in = raw;
             InputStream checked = new HashCheckingInputStream(decoder(source, in), sha256, item.size(), "object '" + source + "'");
             EncodingInputStream encoded = new EncodingInputStream(checked, to.codec()::encoder)) {
            to.sink().put(target, encoded, -1, ObjectKind.DATA);
            objects++;
            plainBytes += encoded.plainBytes();
            storedBytes += encoded.encodedBytes();
        } catch (IOException e) {
            throw new BackupException("cannot copy '" + source + "' to " + to.location() + ": " + e.getMessage(), e);
        }
    }

    private InputStream decoder(String source, InputStream in) {
        try {
            return from.codec().decoder(in);
        } catch (IOException e) {
            throw new CorruptDataException("object '" + source + "' is corrupt: it does not decode (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The source object's name with the source chain's suffix replaced by the target's. Within a snapshot every source
     * name ends with the same suffix, so distinct sources keep distinct names.
     */
    private String targetName(String source) {
        String suffix = from.codec().fileSuffix();
        String base = !suffix.isEmpty() && source.endsWith(suffix) ? source.substring(0, source.length() - suffix.length()) : source;
        return base + to.codec().fileSuffix();
    }
}
