package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.DamagedSnapshot;
import com.mintreplica.backup.core.IndexRepairReport;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RewriteReport;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotRepairReport;
import com.mintreplica.backup.core.Version;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.source.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repairs what damage left behind, as restic's {@code repair index} and {@code repair snapshots} do. Both take the
 * exclusive lease (as prune does: no backup, copy or prune runs meanwhile) unless they only report (dry run), and both
 * write new objects before they delete old ones, so a repair killed at any point leaves the repository no worse:
 * <ul>
 *   <li>{@link #repairIndex}: the index is rebuilt from what is stored. Packs a readable index object lists are
 *       taken from it (with {@code readAllPacks}, their headers are read and checked too); every other stored pack's
 *       header is read from its tail (two ranged reads, checked against the pack's name). Packs that are listed but
 *       not stored are dropped. Data packs and tree packs alike. The new index (4096 packs per object, named as prune
 *       names them, in the index format of the repository's format version: MBI3 in format 2, MBI1 in format 1) is
 *       written, then every old index object is deleted.</li>
 *   <li>{@link #repairSnapshots}: every entry of a snapshot whose blobs are all indexed, in stored packs long enough to
 *       hold them (or whose single object is stored) is kept; when any entry lost data, a new snapshot with the same
 *       time (a millisecond later, so it sorts after it), host, source, job and tags plus
 *       {@value Repository#REPAIRED_TAG} is written beside it, naming the lost
 *       entries in its warnings and facts. The damaged one stays unless {@code forget} removes it (after the new one
 *       is written); with {@code forget}, manifests that cannot be read at all are removed too. A tree snapshot
 *       (format 2) is repaired tree by tree: a directory whose tree blob cannot be read (its pack gone, truncated or
 *       damaged, or not indexed) is left out whole and named as lost; a directory with a lost entry gets a new tree
 *       blob, and so does every directory above it, while unchanged subtrees keep their ids; the new trees go into new
 *       tree packs, indexed, before the new snapshot object (version 3) is written. A tree snapshot whose root tree
 *       cannot be read is unreadable, as a damaged manifest is.</li>
 * </ul>
 */
public final class RepairRun {
    private static final Logger LOG = LoggerFactory.getLogger(RepairRun.class);

    private final Store store;
    private final boolean dryRun;
    private final Duration lockWait;

    public RepairRun(Store store, boolean dryRun, Duration lockWait) {
        this.store = store;
        this.dryRun = dryRun;
        this.lockWait = lockWait;
    }

    // ---- repair index

    public IndexRepairReport repairIndex(boolean readAllPacks) {
        return repairIndex(readAllPacks, false);
    }

    /**
     * With {@code readData}, every pack is read whole and each blob checked against its id: a blob that is damaged in
     * the store (read again on its own with the same result) is left out of the new index. Nothing then stands for it,
     * so the next backup of a source that still has its content stores it again (under the same id, which makes every
     * snapshot that needs it whole again), and {@code repair snapshots} saves what is left of those it cannot. Without
     * this, a damaged blob stayed indexed for ever: every later backup deduplicated against it ("0 B new") and the file
     * could be restored from none of them (restic's {@code repair packs} is for the same).
     */
    public IndexRepairReport repairIndex(boolean readAllPacks, boolean readData) {
        long start = System.nanoTime();
        try (RepositoryLock lock = lock("repair index")) {
            Map<BlobId, ObjectInfo> stored = storedPacks();
            Map<String, Long> oldIndex = new TreeMap<>();
            List<VerifyReport.Problem> damagedIndex = new ArrayList<>();
            // Listings in compact tables (48 bytes a blob; as objects they took about 170): those of the index
            // objects, and those read from pack headers, which win over them.
            PackTable indexed = new PackTable();
            for (ObjectInfo o : store.list(IndexFile.PREFIX)) {
                oldIndex.put(o.name(), o.size());
                try {
                    Store.IndexObject read = store.readIndexObject(o.name());
                    if (read.untrusted().isPresent()) {
                        // A revoked writer's listing is not taken over into index objects readers sign: its packs
                        // are indexed from their headers, like packs no index lists.
                        damagedIndex.add(new VerifyReport.Problem(o.name(), List.of(), "index object '" + o.name()
                                + "' is not trusted (" + read.untrusted().get() + "): its packs are indexed from their headers"));
                        continue;
                    }
                    for (IndexFile.PackBlobs p : read.packs().orElseThrow()) {
                        if (stored.containsKey(p.pack()) && typeOf(stored.get(p.pack())) != p.type()) {
                            continue; // listed under the wrong type: its header is read again below
                        }
                        add(indexed, p); // a pack listed twice keeps its first listing
                    }
                } catch (CorruptDataException | TransitDamageException e) {
                    damagedIndex.add(new VerifyReport.Problem(o.name(), List.of(), e.getMessage()));
                } catch (NotFoundException vanished) {
                    oldIndex.remove(o.name());
                }
            }
            Map<BlobId, String> gone = new TreeMap<>(); // in the order of their ids
            for (int p = 0; p < indexed.packs(); p++) {
                if (!stored.containsKey(indexed.packId(p))) {
                    gone.put(indexed.packId(p), Packs.objectName(indexed.packId(p), indexed.type(p)));
                }
            }
            List<String> dropped = new ArrayList<>(gone.values());
            PackTable fromHeaders = new PackTable();
            List<Listed> rebuilt = new ArrayList<>();
            List<String> added = new ArrayList<>();
            List<VerifyReport.Problem> damagedPacks = new ArrayList<>();
            List<VerifyReport.Problem> damagedBlobs = new ArrayList<>();
            long headersRead = 0;
            for (Map.Entry<BlobId, ObjectInfo> pack : stored.entrySet()) {
                int listed = indexed.number(pack.getKey());
                if (listed >= 0 && !readAllPacks && !readData) {
                    rebuilt.add(new Listed(indexed, listed));
                    continue;
                }
                headersRead++;
                try {
                    BlobType type = typeOf(pack.getValue());
                    List<Packs.PackedBlob> fromHeader = readData
                            ? soundBlobs(pack.getKey(), type, pack.getValue(), damagedBlobs)
                            : readHeader(pack.getKey(), type, pack.getValue().size());
                    add(fromHeaders, new IndexFile.PackBlobs(pack.getKey(), type, fromHeader));
                    rebuilt.add(new Listed(fromHeaders, fromHeaders.packs() - 1));
                    if (listed < 0) {
                        added.add(pack.getValue().name());
                    }
                } catch (CorruptDataException | TransitDamageException e) {
                    damagedPacks.add(new VerifyReport.Problem(pack.getValue().name(), List.of(), e.getMessage()));
                    if (listed >= 0) {
                        rebuilt.add(new Listed(indexed, listed)); // the index still knows where its blobs are
                    }
                }
            }

            // Encoded as every index object is (with an id part and signed, once the repository has writers), cut as
            // prune cuts them (by packs and by blobs). Named first and encoded again one at a time to be written, each
            // object's listing made from the tables only while it is encoded: all of them held encoded at once, beside
            // the entries, ran a repair of a million files out of a 256 MiB heap.
            Map<String, List<Listed>> index = new LinkedHashMap<>();
            int formatVersion = store.config().version();
            for (List<Listed> part : PruneRun.indexObjects(rebuilt, Listed::blobCount)) {
                index.put(store.encodeIndex(IndexFile.plaintext(listings(part), formatVersion)).name(), part);
            }
            long written = 0;
            long deleted = 0;
            if (!index.keySet().equals(oldIndex.keySet())) {
                for (Map.Entry<String, List<Listed>> e : index.entrySet()) {
                    if (!oldIndex.containsKey(e.getKey())) {
                        if (!dryRun) {
                            lock.check();
                            store.putIndex(store.encodeIndex(IndexFile.plaintext(listings(e.getValue()), formatVersion)));
                        }
                        written++;
                    }
                }
                // Only once the new index is complete do the old objects go: a repair killed in between leaves both.
                for (String old : oldIndex.keySet()) {
                    if (!index.containsKey(old)) {
                        if (!dryRun) {
                            lock.checkLease();
                            store.delete(old);
                        }
                        deleted++;
                    }
                }
            }
            if (!dryRun) {
                store.dropIndex(); // read again when next needed, not beside the entries
            }
            LOG.info("repair index of {}{}: {} packs indexed, {} added from their headers, {} dropped, {} damaged, {} damaged"
                    + " blobs left out", store.location(), dryRun ? " (dry run)" : "", rebuilt.size(), added.size(),
                    dropped.size(), damagedPacks.size(), damagedBlobs.size());
            return new IndexRepairReport(dryRun, rebuilt.size(), added, dropped, headersRead, damagedPacks, damagedIndex,
                    written, deleted, Duration.ofNanos(System.nanoTime() - start), damagedBlobs);
        }
    }

    /** A pack's listing in one of the tables. */
    private record Listed(PackTable table, int pack) {
        int blobCount() {
            return table.blobCount(pack);
        }
    }

    private static void add(PackTable table, IndexFile.PackBlobs p) {
        table.pack(p.pack().raw(), p.type(), p.blobs().size());
        for (Packs.PackedBlob b : p.blobs()) {
            table.blob(b.id().raw(), b.location().offset(), b.location().length(), b.location().plainLength());
        }
    }

    /** The listings of one index object, as objects while it is encoded. */
    private static List<IndexFile.PackBlobs> listings(List<Listed> part) {
        List<IndexFile.PackBlobs> out = new ArrayList<>(part.size());
        for (Listed l : part) {
            out.add(l.table().packBlobs(l.pack()));
        }
        return out;
    }

    /**
     * The blobs of a pack read whole whose content matches their id: its header (checked against its name, as
     * {@link #readHeader}) without those damaged in the store, each named in {@code damaged}. A blob that fails in the
     * whole read is read again on its own (three reads tell damage in the store from damage on the way, see
     * {@link Store#readBlob(BlobId, BlobLocation)}): only damage in the store leaves it out.
     */
    private List<Packs.PackedBlob> soundBlobs(BlobId pack, BlobType type, ObjectInfo info,
                                              List<VerifyReport.Problem> damaged) {
        String name = info.name();
        byte[] bytes = Store.readChecked(store.sink(), "pack '" + name + "'", () -> store.readObject(name, info.size()),
                b -> {
                    if (!Packs.matchesName(pack, b)) {
                        throw new CorruptDataException("pack '" + name + "' is corrupt: its header does not match its name");
                    }
                    return b;
                });
        List<Packs.PackedBlob> contents = Packs.parse(pack, type, bytes, store.codec());
        List<Packs.PackedBlob> sound = new ArrayList<>(contents.size());
        for (Packs.PackedBlob b : contents) {
            BlobLocation at = b.location();
            try {
                store.checkBlob(b.id(), name, java.util.Arrays.copyOfRange(bytes, at.offset(), at.offset() + at.length()),
                        at.plainLength());
                sound.add(b);
                continue;
            } catch (CorruptDataException firstRead) {
                // read it again on its own below
            }
            try {
                store.readBlob(b.id(), at);
                sound.add(b);   // damaged on the way only
            } catch (TransitDamageException inTransit) {
                sound.add(b);   // not known to be damaged in the store: kept
                damaged.add(new VerifyReport.Problem(name, List.of(), "blob " + b.id() + " arrived damaged more than once"
                        + " but not the same way twice; kept in the index (run the repair again)"));
            } catch (CorruptDataException inStore) {
                damaged.add(new VerifyReport.Problem(name, List.of(), "blob " + b.id() + " is damaged in the store ("
                        + inStore.getMessage() + "): left out of the index"));
            }
        }
        return sound;
    }

    /** Reads a pack's header from its tail: the trailer says how long the header is. */
    private List<Packs.PackedBlob> readHeader(BlobId pack, BlobType type, long size) {
        String name = Packs.objectName(pack, type);
        return Store.readChecked(store.sink(), "the header of pack '" + name + "'", () -> {
            byte[] trailer = range(name, size - Packs.trailerLength(), Packs.trailerLength());
            int tail = Packs.tailLength(trailer, size);
            return tail < 0 ? trailer : range(name, size - tail, tail);
        }, tail -> Packs.parseTail(pack, type, tail, size, store.codec()));
    }

    private byte[] range(String name, long offset, int length) {
        if (offset < 0) {
            return new byte[0];
        }
        try (InputStream in = store.sink().get(name, offset, length)) {
            return in.readNBytes(length);
        } catch (NoSuchObjectException e) {
            throw new CorruptDataException("pack '" + name + "' vanished while it was read");
        } catch (IOException e) {
            throw new BackupException("cannot read '" + name + "' from " + store.location() + ": " + e.getMessage(), e);
        }
    }

    // ---- repair snapshots

    /**
     * @param ids the snapshots to check (ids as listed); empty: every snapshot
     * @param forget whether to remove each damaged snapshot once its repaired copy is written, and manifests that
     *     cannot be read at all
     */
    public SnapshotRepairReport repairSnapshots(List<String> ids, boolean forget) {
        long start = System.nanoTime();
        try (RepositoryLock lock = lock("repair snapshots")) {
            Map<BlobId, ObjectInfo> stored = storedPacks();
            BlobIndex index = store.reloadIndex();
            Set<BlobId> indexedPacks = index.packs();
            List<String> unindexed = new ArrayList<>();
            stored.forEach((pack, info) -> {
                if (!indexedPacks.contains(pack)) {
                    unindexed.add(info.name());
                }
            });
            Set<String> objects = new HashSet<>();
            for (ObjectInfo o : store.list(PruneRun.FILES_PREFIX)) {
                objects.add(o.name());
            }
            List<String> chosen = ids.isEmpty() ? store.snapshotIds() : ids;
            // A snapshot repaired by an earlier run keeps its copy: a second run (say, with --forget after one
            // without) wrote another, identical one, which retention then counted as a snapshot of its own.
            Map<String, String> repairedBefore = copiesBy("repair.of");
            if (!unindexed.isEmpty()) {
                // Packs no index object lists: most often a killed backup's, which hold nothing a snapshot needs (verify
                // says so, and prune removes them). When a snapshot does lack blobs or trees, they could be in those
                // packs, so nothing is repaired or forgotten before the index knows them. A first pass that writes
                // nothing tells the two apart.
                Pass probe = new Pass(index, stored, objects, repairedBefore, true, false, lock);
                probe.check(chosen);
                if (!probe.repaired.isEmpty() || probe.lostTrees > 0) {
                    throw new BackupException("repair snapshots changed nothing: " + unindexed.size() + " stored pack"
                            + (unindexed.size() == 1 ? " is" : "s are") + " in no index object of " + store.location()
                            + " (first: " + unindexed.get(0) + "), and the snapshots lack data that may be in "
                            + (unindexed.size() == 1 ? "it" : "them") + ". Run `mint-backup repair index` first, then"
                            + " repair the snapshots");
                }
                LOG.info("{} stored pack{} in no index object of {} (interrupted backups'; prune removes them): no"
                        + " snapshot needs {}", unindexed.size(), unindexed.size() == 1 ? " is" : "s are", store.location(),
                        unindexed.size() == 1 ? "it" : "them");
            }
            Pass pass = new Pass(index, stored, objects, repairedBefore, dryRun, forget, lock);
            pass.check(chosen);
            return new SnapshotRepairReport(dryRun, pass.repaired, pass.intact, pass.unreadable, pass.forgotten,
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** One pass over the snapshots chosen: what each lacks, and (unless {@code dry}) their repaired copies written. */
    private final class Pass {
        final BlobIndex index;
        final Map<BlobId, ObjectInfo> stored;
        final Set<String> objects;
        final Map<String, String> repairedBefore;
        final boolean dry;
        final boolean forget;
        final RepositoryLock lock;
        final List<SnapshotRepairReport.Repaired> repaired = new ArrayList<>();
        final List<String> intact = new ArrayList<>();
        final List<DamagedSnapshot> unreadable = new ArrayList<>();
        final List<String> forgotten = new ArrayList<>();
        int lostTrees;

        Pass(BlobIndex index, Map<BlobId, ObjectInfo> stored, Set<String> objects, Map<String, String> repairedBefore,
             boolean dry, boolean forget, RepositoryLock lock) {
            this.index = index;
            this.stored = stored;
            this.objects = objects;
            this.repairedBefore = repairedBefore;
            this.dry = dry;
            this.forget = forget;
            this.lock = lock;
        }

        void check(List<String> chosen) {
            for (String id : chosen) {
                String name = Manifest.objectName(id);
                Manifest manifest;
                try {
                    manifest = store.manifest(id);
                } catch (com.mintreplica.backup.core.AccessDeniedException untrusted) {
                    // a revoked writer's later snapshot: not a reader's to repair (or to forget unasked)
                    LOG.info("snapshot {} of {} is left alone: {}", id, store.location(), untrusted.getMessage());
                    continue;
                } catch (CorruptDataException e) {
                    unreadable.add(new DamagedSnapshot(id, name, e.getMessage()));
                    if (forget && !dry) {
                        lock.check();
                        store.delete(name);
                    }
                    if (forget) {
                        forgotten.add(id);
                    }
                    continue;
                } catch (NotFoundException vanished) {
                    continue;
                }
                if (manifest.isTree()) {
                    TreeRepair trees = new TreeRepair(index, stored, objects);
                    BlobId root;
                    try {
                        root = trees.repair(manifest.tree().get(), "");
                    } catch (LostTree e) {
                        lostTrees++;
                        unreadable.add(new DamagedSnapshot(id, name, "its root tree cannot be read: " + e.getMessage()));
                        if (forget && !dry) {
                            lock.check();
                            store.delete(name);
                        }
                        if (forget) {
                            forgotten.add(id);
                        }
                        continue;
                    }
                    if (trees.lost.isEmpty()) {
                        intact.add(id);
                        continue;
                    }
                    Optional<String> replacement = earlierCopy(repairedBefore, id, name, forget && !dry, lock);
                    if (replacement.isEmpty() && !dry) {
                        Snapshot copy = repairedSnapshot(manifest.snapshot(), trees.lost, trees.entries, trees.bytes);
                        lock.check();
                        trees.store(store); // the new trees, in tree packs, and their index: before the snapshot
                        lock.check();
                        store.writeManifest(Manifest.ofTree(copy, manifest.layout(), root));
                        replacement = Optional.of(copy.id());
                        LOG.info("snapshot {} of {} repaired as {}: {} entries lost", id, store.location(), copy.id(),
                                trees.lost.size());
                        if (forget) {
                            lock.checkLease();
                            store.delete(name);
                        }
                    }
                    if (forget) {
                        forgotten.add(id);
                    }
                    repaired.add(new SnapshotRepairReport.Repaired(id, replacement, trees.entries, trees.lost,
                            repairedBefore.containsKey(id)));
                    continue;
                }
                List<Manifest.Item> kept = new ArrayList<>();
                List<SnapshotRepairReport.LostEntry> lost = new ArrayList<>();
                for (Manifest.Item item : manifest.items()) {
                    Optional<String> reason = lostReason(item, index, stored, objects);
                    if (reason.isPresent()) {
                        lost.add(new SnapshotRepairReport.LostEntry(item.entry().path(), reason.get()));
                    } else {
                        kept.add(item);
                    }
                }
                if (lost.isEmpty()) {
                    intact.add(id);
                    continue;
                }
                Optional<String> replacement = earlierCopy(repairedBefore, id, name, forget && !dry, lock);
                if (replacement.isEmpty() && !dry) {
                    Manifest copy = repairedManifest(manifest, kept, lost);
                    lock.check();
                    store.writeManifest(copy);
                    replacement = Optional.of(copy.snapshot().id());
                    LOG.info("snapshot {} of {} repaired as {}: {} entries lost", id, store.location(),
                            copy.snapshot().id(), lost.size());
                    if (forget) {
                        lock.checkLease();
                        store.delete(name);
                    }
                }
                if (forget) {
                    forgotten.add(id);
                }
                repaired.add(new SnapshotRepairReport.Repaired(id, replacement, kept.size(), lost,
                        repairedBefore.containsKey(id)));
            }
        }
    }

    // ---- rewrite

    /**
     * Writes, beside each snapshot holding entries {@code excluded} accepts (by path), a new snapshot without them; with
     * {@code forget}, removes the original once its new snapshot is written. A snapshot rewritten before to the same
     * trees gets no second copy. Subtrees are rewritten once per path and tree id for all the snapshots, so unchanged
     * directories of a series of snapshots cost one walk.
     */
    public RewriteReport rewriteSnapshots(List<String> ids, Predicate<String> excluded, boolean forget) {
        long start = System.nanoTime();
        try (RepositoryLock lock = lock("rewrite")) {
            Map<BlobId, ObjectInfo> stored = storedPacks();
            BlobIndex index = store.reloadIndex();
            List<String> chosen = ids.isEmpty() ? store.snapshotIds() : ids;
            Map<String, String> rewrittenBefore = copiesBy("rewrite.of");
            Map<String, Rewrite> shared = new HashMap<>();
            List<RewriteReport.Rewritten> rewritten = new ArrayList<>();
            List<String> unchanged = new ArrayList<>();
            List<String> forgotten = new ArrayList<>();
            for (String id : chosen) {
                String name = Manifest.objectName(id);
                Manifest manifest;
                try {
                    manifest = store.manifest(id);
                } catch (com.mintreplica.backup.core.AccessDeniedException untrusted) {
                    // a revoked writer's later snapshot: its keys do not let this reader vouch for a copy of it, but
                    // it may hold what must go, so it is said louder than a repair says it
                    LOG.warn("snapshot {} of {} is not rewritten ({}): if it may hold what the patterns match,"
                            + " `mint-backup forget` it", id, store.location(), untrusted.getMessage());
                    continue;
                } catch (NotFoundException vanished) {
                    continue;
                } catch (CorruptDataException e) {
                    // what it holds cannot be known, and so not left out: an erasure must not pass over it
                    throw new CorruptDataException("snapshot " + id + " cannot be read, so it cannot be rewritten ("
                            + e.getMessage() + "); `mint-backup repair snapshots --forget` removes it", e);
                }
                List<String> removed;
                long kept;
                Optional<String> replacement = Optional.empty();
                if (manifest.isTree()) {
                    TreeRepair trees = new TreeRepair(index, stored, Set.of(), excluded, shared);
                    BlobId root;
                    try {
                        root = trees.repair(manifest.tree().get(), "");
                    } catch (LostTree e) {
                        throw new CorruptDataException("snapshot " + id + " cannot be rewritten: " + e.getMessage()
                                + "; `mint-backup repair snapshots` saves what is left of it first");
                    }
                    if (trees.lost.isEmpty()) {
                        unchanged.add(id);
                        continue;
                    }
                    removed = trees.lost.stream().map(SnapshotRepairReport.LostEntry::path).toList();
                    kept = trees.entries;
                    String before = rewrittenBefore.get(id);
                    if (before != null && treeOf(before).filter(root::equals).isPresent()) {
                        replacement = Optional.of(before);
                        LOG.info("snapshot {} of {} was rewritten so before, as {}", id, store.location(), before);
                    } else if (!dryRun) {
                        Snapshot copy = rewrittenSnapshot(manifest.snapshot(), excluded, removed.size(), trees.entries,
                                trees.bytes);
                        lock.check();
                        trees.store(store); // the new trees, in tree packs, and their index: before the snapshot
                        lock.check();
                        store.writeManifest(Manifest.ofTree(copy, manifest.layout(), root));
                        replacement = Optional.of(copy.id());
                    }
                } else {
                    List<Manifest.Item> items = new ArrayList<>();
                    List<String> left = new ArrayList<>();
                    long total = 0;
                    for (Manifest.Item item : manifest.items()) {
                        if (excluded.test(item.entry().path())) {
                            left.add(item.entry().path());
                        } else {
                            items.add(item);
                            total += item.size();
                        }
                    }
                    if (left.isEmpty()) {
                        unchanged.add(id);
                        continue;
                    }
                    removed = left;
                    kept = items.size();
                    if (!dryRun) {
                        Snapshot copy = rewrittenSnapshot(manifest.snapshot(), excluded, left.size(), items.size(), total);
                        lock.check();
                        store.writeManifest(new Manifest(copy, manifest.layout() == null ? Layout.CHUNKED
                                : manifest.layout(), items));
                        replacement = Optional.of(copy.id());
                    }
                }
                replacement.ifPresent(r -> LOG.info("snapshot {} of {} rewritten as {}: {} entries left out", id,
                        store.location(), r, removed.size()));
                if (forget) {
                    if (!dryRun) {
                        lock.checkLease();
                        store.delete(name);
                    }
                    forgotten.add(id);
                }
                rewritten.add(new RewriteReport.Rewritten(id, replacement, kept, removed));
            }
            return new RewriteReport(dryRun, rewritten, unchanged, forgotten, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    // ---- tags

    /**
     * Changes the tags of snapshots {@code ids} (restic's {@code tag}): each whose tags change is written again under a
     * new id with the same content, time, host, source and job, and the fact {@code tag.of} naming the original, which
     * is then removed (the new one first, so that a reader, a copy or a prune always finds one of them).
     *
     * @param change the new tags, from the current ones
     * @return each snapshot changed, as original id to new id (empty in a dry run); unchanged ones are left out
     */
    public Map<String, Optional<String>> retag(List<String> ids, java.util.function.UnaryOperator<Set<String>> change) {
        try (RepositoryLock lock = lock("tag")) {
            Map<String, Optional<String>> changed = new LinkedHashMap<>();
            for (String id : ids) {
                Manifest manifest = store.manifest(id);
                Snapshot s = manifest.snapshot();
                Set<String> tags = new TreeSet<>(change.apply(new TreeSet<>(s.tags())));
                if (tags.equals(s.tags())) {
                    continue;
                }
                if (dryRun) {
                    changed.put(id, Optional.empty());
                    continue;
                }
                Map<String, String> facts = new TreeMap<>(s.facts());
                facts.put("tag.of", s.id());
                Snapshot copy = new Snapshot(SnapshotIds.next(s.time()), s.time(), s.host(), s.source(), s.job(), tags,
                        s.parent(), s.stats(), facts, s.warnings(), Version.tool());
                lock.check();
                store.writeManifest(manifest.isTree() ? Manifest.ofTree(copy, manifest.layout(), manifest.tree().get())
                        : new Manifest(copy, manifest.layout() == null ? Layout.CHUNKED : manifest.layout(),
                        manifest.items()));
                lock.checkLease();
                store.delete(Manifest.objectName(id));
                LOG.info("snapshot {} of {} tagged {}: now {}", id, store.location(), tags, copy.id());
                changed.put(id, Optional.of(copy.id()));
            }
            return changed;
        }
    }

    /** The snapshots an earlier run wrote as copies of others, by the original's id: the fact {@code fact} names it. */
    private Map<String, String> copiesBy(String fact) {
        Map<String, String> copies = new HashMap<>();
        for (Snapshot s : store.listSnapshots().snapshots()) {
            String of = s.facts().get(fact);
            if (of != null) {
                copies.put(of, s.id());
            }
        }
        return copies;
    }

    /** The root tree of snapshot {@code id}, or empty when it is gone or cannot be read. */
    private Optional<BlobId> treeOf(String id) {
        try {
            return store.manifest(id).tree();
        } catch (NotFoundException | CorruptDataException | com.mintreplica.backup.core.AccessDeniedException e) {
            return Optional.empty();
        }
    }

    /**
     * The summary of a rewritten copy of {@code s}: its entries and bytes are what is kept, and the warnings that
     * name a path left out are left out too (a warning about an erased file names it).
     */
    private static Snapshot rewrittenSnapshot(Snapshot s, Predicate<String> excluded, int removed, long entries,
                                              long total) {
        Map<String, String> facts = new TreeMap<>(s.facts());
        facts.put("rewrite.of", s.id());
        facts.put("rewrite.removedEntries", String.valueOf(removed));
        List<Snapshot.Warning> warnings = s.warnings().stream().filter(w -> !excluded.test(w.path())).toList();
        Instant time = s.time().plusMillis(1);
        return new Snapshot(SnapshotIds.next(time), time, s.host(), s.source(), s.job(), s.tags(), s.parent(),
                new Snapshot.Stats(entries, total, 0, 0, 0, 0), facts, warnings, Version.tool());
    }

    /** A subtree at a path, rewritten: its new id (or its own), what it holds, and what was left out of it. */
    private record Rewrite(BlobId id, long entries, long bytes, List<SnapshotRepairReport.LostEntry> lost) {
    }

    /** Why an entry's content is gone, or empty when all of it is there. */
    private static Optional<String> lostReason(Manifest.Item item, BlobIndex index, Map<BlobId, ObjectInfo> stored,
                                               Set<String> objects) {
        if (item.entry().type() != EntryType.REGULAR) {
            return Optional.empty();
        }
        if (item.object().isPresent()) {
            return objects.contains(item.object().get()) ? Optional.empty()
                    : Optional.of("object '" + item.object().get() + "' is missing");
        }
        for (BlobId blob : item.blobs()) {
            Optional<BlobLocation> at = index.find(blob);
            if (at.isEmpty()) {
                return Optional.of("blob " + blob + " is in no index object");
            }
            ObjectInfo pack = stored.get(at.get().pack());
            if (pack == null) {
                return Optional.of("pack '" + at.get().packObject() + "' holding blob " + blob + " is missing");
            }
            if (pack.size() < (long) at.get().offset() + at.get().length() + Packs.trailerLength()) {
                return Optional.of("pack '" + at.get().packObject() + "' is truncated before blob " + blob);
            }
        }
        return Optional.empty();
    }

    /**
     * The copy an earlier repair wrote of snapshot {@code id}, when there is one; the original is then removed
     * ({@code remove}: forgetting, not a dry run) without a second copy.
     */
    private Optional<String> earlierCopy(Map<String, String> repairedBefore, String id, String name, boolean remove,
                                         RepositoryLock lock) {
        Optional<String> copy = Optional.ofNullable(repairedBefore.get(id));
        if (copy.isPresent()) {
            LOG.info("snapshot {} of {} was repaired before, as {}", id, store.location(), copy.get());
            if (remove) {
                lock.checkLease();
                store.delete(name);
            }
        }
        return copy;
    }

    private static Manifest repairedManifest(Manifest manifest, List<Manifest.Item> kept,
                                             List<SnapshotRepairReport.LostEntry> lost) {
        long total = 0;
        for (Manifest.Item item : kept) {
            total += item.size();
        }
        Snapshot copy = repairedSnapshot(manifest.snapshot(), lost, kept.size(), total);
        return new Manifest(copy, manifest.layout() == null ? Layout.CHUNKED : manifest.layout(), kept);
    }

    /** The summary of a repaired copy of {@code s}: its entries and bytes are what is kept. */
    private static Snapshot repairedSnapshot(Snapshot s, List<SnapshotRepairReport.LostEntry> lost, long entries,
                                             long total) {
        Set<String> tags = new TreeSet<>(s.tags());
        tags.add(Repository.REPAIRED_TAG);
        Map<String, String> facts = new TreeMap<>(s.facts());
        facts.put("repair.of", s.id());
        facts.put("repair.lostEntries", String.valueOf(lost.size()));
        List<Snapshot.Warning> warnings = new ArrayList<>(s.warnings());
        for (SnapshotRepairReport.LostEntry l : lost) {
            warnings.add(new Snapshot.Warning(l.path(), "left out by `repair snapshots` from snapshot " + s.id()
                    + ": its data is gone (" + l.reason() + ")"));
        }
        // A millisecond after the original: the same second to the reader, and it sorts right after it, so that
        // `latest` picks the repaired copy rather than the damaged original.
        Instant time = s.time().plusMillis(1);
        return new Snapshot(SnapshotIds.next(time), time, s.host(), s.source(), s.job(), tags,
                s.parent(), new Snapshot.Stats(entries, total, 0, 0, 0, 0), facts, warnings, Version.tool());
    }

    /** A directory whose tree blob cannot be read: everything below it is lost. */
    private static final class LostTree extends Exception {
        private static final long serialVersionUID = 1L;

        LostTree(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Repairs one tree snapshot's trees: walks them, leaves out entries whose data is gone and directories whose tree
     * cannot be read, and encodes a new tree blob for each directory that changed (and so for each directory above
     * it). Subtrees found whole are remembered with their counts, so a subtree shared by the snapshot's directories
     * (or met again) is walked once. The new tree blobs wait in memory until {@link #store}: a repair changes few.
     */
    private final class TreeRepair {
        private final BlobIndex index;
        private final Map<BlobId, ObjectInfo> stored;
        private final Set<String> objects;
        /** Whole subtrees: entries and bytes below them. */
        private final Map<BlobId, long[]> whole = new java.util.HashMap<>();
        /**
         * New tree blobs, by id, in the order they were made (children before parents), encoded for the repository:
         * a rewritten listing of 300,000 entries held as plaintext (some 100 MiB) did not fit a 256 MiB heap.
         */
        private final Map<BlobId, Made> made = new LinkedHashMap<>();

        private record Made(int plainLength, byte[] encoded) {
        }
        final List<SnapshotRepairReport.LostEntry> lost = new ArrayList<>();
        /** A rewrite: the paths to leave out (a repair: null), and the subtrees rewritten by path and id. */
        private final Predicate<String> excluded;
        private final Map<String, Rewrite> rewrites;
        long entries;
        long bytes;

        TreeRepair(BlobIndex index, Map<BlobId, ObjectInfo> stored, Set<String> objects) {
            this(index, stored, objects, null, null);
        }

        /**
         * A rewrite, which leaves out what {@code excluded} accepts rather than what lost its data; what is left out
         * depends on the path, so subtrees are remembered by path and id, in {@code rewrites} (shared by the snapshots
         * of one run).
         */
        TreeRepair(BlobIndex index, Map<BlobId, ObjectInfo> stored, Set<String> objects, Predicate<String> excluded,
                   Map<String, Rewrite> rewrites) {
            this.index = index;
            this.stored = stored;
            this.objects = objects;
            this.excluded = excluded;
            this.rewrites = rewrites;
        }

        /** The id of the repaired tree of directory {@code path} (its own id when nothing below it is lost). */
        BlobId repair(BlobId id, String path) throws LostTree {
            String key = excluded == null ? null : path + "\u0000" + id;
            if (excluded != null) {
                Rewrite done = rewrites.get(key);
                if (done != null) {
                    entries += done.entries();
                    bytes += done.bytes();
                    lost.addAll(done.lost());
                    return done.id();
                }
            } else {
                long[] counts = whole.get(id);
                if (counts != null) {
                    entries += counts[0];
                    bytes += counts[1];
                    return id;
                }
            }
            TreeFormat.Node node = read(id, path);
            int lostBefore = lost.size();
            long entriesBefore = entries;
            long bytesBefore = bytes;
            // What is kept, as indexes into the listing, and the subtrees that changed: a directory of 300,000 files
            // held as objects (some 1 KB each) did not fit a 128 MiB heap; the entries are parsed again to write them.
            List<TreeFormat.Child> children = node.children();
            int[] kept = new int[Math.min(children.size(), 1024)];
            int keptCount = 0;
            Map<Integer, BlobId> subtrees = new HashMap<>();
            boolean changed = false;
            for (int i = 0; i < children.size(); i++) {
                TreeFormat.Child c = children.get(i);
                Manifest.Item item = c.item();
                if (excluded != null && excluded.test(item.entry().path())) {
                    lost.add(new SnapshotRepairReport.LostEntry(item.entry().path(), "excluded"));
                    changed = true;
                    continue;
                }
                if (c.isDirectory()) {
                    BlobId sub;
                    try {
                        sub = repair(c.subtree().get(), item.entry().path());
                    } catch (LostTree e) {
                        lost.add(new SnapshotRepairReport.LostEntry(item.entry().path(),
                                "directory with everything below it: " + e.getMessage()));
                        changed = true;
                        continue;
                    }
                    if (!sub.equals(c.subtree().get())) {
                        changed = true;
                        subtrees.put(i, sub);
                    }
                } else {
                    Optional<String> reason = excluded != null ? Optional.empty() : lostReason(item, index, stored, objects);
                    if (reason.isPresent()) {
                        lost.add(new SnapshotRepairReport.LostEntry(item.entry().path(), reason.get()));
                        changed = true;
                        continue;
                    }
                    bytes += item.size();
                }
                if (keptCount == kept.length) {
                    kept = java.util.Arrays.copyOf(kept, 2 * kept.length);
                }
                kept[keptCount++] = i;
                if (!c.implicit()) {
                    entries++;
                }
            }
            if (!changed) {
                if (excluded == null) {
                    whole.put(id, new long[] {entries - entriesBefore, bytes - bytesBefore});
                } else {
                    remember(key, new Rewrite(id, entries - entriesBefore, bytes - bytesBefore, List.of()));
                }
                return id;
            }
            assert lost.size() > lostBefore;
            // written as it is made, hashed and compressed as it passes from a mebibyte (as a backup's listing)
            TreeFormat.Encoder encoder = new TreeFormat.Encoder(store.codec()::streamed);
            for (int k = 0; k < keptCount; k++) {
                TreeFormat.Child c = children.get(kept[k]);
                BlobId sub = subtrees.get(kept[k]);
                encoder.add(sub == null ? c : new TreeFormat.Child(c.name(), c.item(), Optional.of(sub), c.implicit()));
            }
            TreeFormat.Listing listing = encoder.finishListing();
            BlobId repaired;
            try {
                if (listing.streamed() != null) {
                    Codec.Streamed streamed = listing.streamed();
                    repaired = streamed.id();
                    if (!made.containsKey(repaired)) {
                        made.put(repaired, new Made(streamed.plainLength(), streamed.encode()));
                    }
                    streamed.release();
                } else {
                    repaired = store.codec().blobId(listing.parts());
                    if (!made.containsKey(repaired)) {
                        int length = 0;
                        for (byte[] part : listing.parts()) {
                            length += part.length;
                        }
                        made.put(repaired, new Made(length, store.codec().encode(listing.parts())));
                    }
                }
            } catch (java.io.IOException e) {
                throw new BackupException("cannot encode the repaired tree of '" + path + "': " + e.getMessage(), e);
            }
            if (excluded != null) {
                remember(key, new Rewrite(repaired, entries - entriesBefore, bytes - bytesBefore,
                        List.copyOf(lost.subList(lostBefore, lost.size()))));
            }
            return repaired;
        }

        /**
         * Remembers a rewritten subtree for the snapshots after this one, up to {@link SnapshotFinder#REMEMBERED} of
         * them (some 200 bytes each): past that, a subtree met again is walked again, as without remembering.
         */
        private void remember(String key, Rewrite rewrite) {
            if (rewrites.size() < SnapshotFinder.REMEMBERED) {
                rewrites.put(key, rewrite);
            }
        }

        /** Reads a tree blob that the index places in a stored pack long enough to hold it. */
        private TreeFormat.Node read(BlobId id, String path) throws LostTree {
            String what = "tree " + id + (path.isEmpty() ? "" : " of directory '" + path + "'");
            Optional<BlobLocation> at = index.find(id);
            if (at.isEmpty()) {
                throw new LostTree(what + " is in no index object");
            }
            ObjectInfo pack = stored.get(at.get().pack());
            if (pack == null) {
                // The local cache of tree packs may still hold it, but the repository does not: it is lost there.
                throw new LostTree("pack '" + at.get().packObject() + "' holding " + what + " is missing");
            }
            if (pack.size() < (long) at.get().offset() + at.get().length() + Packs.trailerLength()) {
                throw new LostTree("pack '" + at.get().packObject() + "' is truncated before " + what);
            }
            try {
                return store.readTree(id, path);
            } catch (CorruptDataException e) {
                throw new LostTree(e.getMessage());
            }
        }

        /** Stores the new tree blobs the repository does not hold yet in tree packs, and indexes them. */
        void store(Store store) {
            PackWriter packs = new PackWriter(store.codec(), store.config().packSize(), BlobType.TREE);
            List<PackWriter.Pack> written = new ArrayList<>();
            try {
                for (Map.Entry<BlobId, Made> tree : made.entrySet()) {
                    if (index.contains(tree.getKey()) && stored.containsKey(index.find(tree.getKey()).get().pack())) {
                        continue; // stored already (an earlier repair, or a snapshot with the same directory)
                    }
                    Optional<PackWriter.Pack> full = packs.add(tree.getKey(), tree.getValue().encoded(),
                            tree.getValue().plainLength());
                    if (full.isPresent()) {
                        store.upload(full.get());
                        written.add(full.get());
                    }
                }
                Optional<PackWriter.Pack> last = packs.flush();
                if (last.isPresent()) {
                    store.upload(last.get());
                    written.add(last.get());
                }
            } catch (java.io.IOException e) {
                throw new BackupException("cannot store the repaired trees in " + store.location() + ": " + e.getMessage(), e);
            }
            if (!written.isEmpty()) {
                store.writeIndex(written.stream().map(PackWriter.Pack::indexEntry).toList());
                for (PackWriter.Pack p : written) {
                    stored.put(p.id(), new ObjectInfo(p.objectName(), p.size(), Instant.now()));
                }
            }
        }
    }

    // ---- helpers

    private RepositoryLock lock(String operation) {
        if (dryRun) {
            return null; // a dry run reads only, as a dry-run prune: it works with read-only credentials
        }
        return RepositoryLock.acquire(store, RepositoryLock.Kind.EXCLUSIVE, operation, lockWait, RepositoryLock.Settings.DEFAULT);
    }

    /** Every stored pack, data and tree packs alike, by id. */
    private Map<BlobId, ObjectInfo> storedPacks() {
        Map<BlobId, ObjectInfo> stored = new TreeMap<>();
        for (String prefix : List.of(Packs.PREFIX, Packs.TREE_PREFIX)) {
            for (ObjectInfo o : store.list(prefix)) {
                BlobId id = Packs.idOf(o.name());
                if (id != null && o.name().equals(Packs.objectName(id, Packs.typeOf(o.name())))) {
                    stored.put(id, o);
                }
            }
        }
        return stored;
    }

    private static BlobType typeOf(ObjectInfo pack) {
        return Packs.typeOf(pack.name());
    }
}
