package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Prune;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.retention.GroupBy;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import com.mintreplica.backup.core.retention.SnapshotGroup;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One prune, in the order that keeps every step safe to interrupt (see {@link Prune} and docs/prune.md): forget
 * manifests, plan from the remaining ones, write repacked packs, write the consolidated index, delete the old index
 * objects, and only then delete packs that no index lists. Every step is idempotent: repacking is deterministic, so a
 * prune that runs again after a crash writes the same packs and index objects under the same names.
 */
public final class PruneRun {
    /** What unblocks a prune that found data missing: it sent operators to verify, which does not say what to run. */
    private static final String REPAIR_FIRST = ". `mint-backup verify` names the snapshots that need it; `mint-backup"
            + " repair snapshots --forget` replaces each with a copy without the lost entries, and prune then runs";

    private static final Logger LOG = LoggerFactory.getLogger(PruneRun.class);
    private static final Comparator<Snapshot> NEWEST_FIRST =
            Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id).reversed();
    /** Packs per consolidated index object: about 3 MB of index for 16 MiB packs of 1 MiB chunks. */
    static final int PACKS_PER_INDEX_OBJECT = 4096;
    /**
     * Blobs per consolidated index object (1.4 MB of plaintext, 2.5 with an id part; a pack is never split): packs of
     * small files hold thousands of blobs each, and 4,096 of them made one index object of every blob of a
     * 200,000-file repository, built in memory whole (8.8 MB, twice that while its buffer grew), which ran a prune out
     * of an 80 MiB heap. Objects of 65,536 blobs were still too large for `verify` to read in 64 MiB beside the index
     * it was building; a backup's checkpoints are about this size.
     */
    static final int BLOBS_PER_INDEX_OBJECT = 32_768;
    /** Where the single-object layout stores entries: {@code files/<snapshot id>/...} (see BackupRun). */
    static final String FILES_PREFIX = "files/";
    static final String NEWEST_REASON = "newest snapshot of its group";

    /** What the run needs; see {@link Prune} for each. */
    public record Options(Optional<RetentionPolicy> policy, GroupBy groupBy, boolean dryRun, boolean protectNewest,
                          double maxUnused, Duration unindexedGrace, Duration lockWait,
                          RepositoryLock.Settings lockSettings, Prune.Listener listener, Duration stallTimeout) {
    }

    private final Store store;
    private final Options options;
    private final Watchdog watch;
    private RepositoryLock lock;
    /** The snapshot heads read at the start, by id (a tree snapshot's head is all of it). */
    private Map<String, Manifest> heads = Map.of();
    /** The snapshots the keys do not trust, as the listing found them: kept, in the report. */
    private List<com.mintreplica.backup.core.UntrustedSnapshot> untrusted = List.of();
    /** What the prune is doing, for a stall diagnostic. */
    private volatile String phase = "starting";

    private long packsDeleted;
    private long packsRepacked;
    private long packsWritten;
    private long unindexedDeleted;
    private long unindexedKept;
    private long indexWritten;
    private long indexDeleted;
    private long objectsDeleted;
    private long staleLocks;
    private long bytesDeleted;
    private final List<String> retained = new ArrayList<>();
    private boolean oldIndexKept;
    private long bytesWritten;
    private long unusedLeft;

    public PruneRun(Store store, Options options) {
        this.options = options;
        this.watch = options.stallTimeout().isZero() ? Watchdog.off("prune")
                : Watchdog.of("prune" + (options.dryRun() ? " (dry run)" : "") + " of " + store.location(),
                "it stopped between two of its steps, each safe to interrupt, and released its lock; run it again to finish",
                options.stallTimeout());
        this.store = store.withSink(watch.watch(store.sink()));
    }

    public PruneReport run() {
        try {
            return watch.run("mint-backup-prune", this::prune);
        } catch (IOException e) {
            throw new BackupException("prune of " + store.location() + " failed: " + e.getMessage(), e);
        }
    }

    private PruneReport prune() {
        long start = System.nanoTime();
        store.requireReader("pruning");
        if (!options.dryRun()) {
            phase = "taking the repository's exclusive lock";
            lock = RepositoryLock.acquire(store, RepositoryLock.Kind.EXCLUSIVE, "prune", options.lockWait(),
                    options.lockSettings(), watch);
            RepositoryLock held = lock;
            watch.onAbandon(() -> held.abandon(Duration.ofSeconds(2)));
        }
        try (Watchdog.Activity a = watch.activity("prune", () -> phase)) {
            phase = "reading the snapshots and planning";
            if (lock != null) {
                staleLocks = lock.removeStale().size();
                store.upgradeFormat();
            }
            Store.Heads listing = store.headsListing();
            if (!listing.damaged().isEmpty()) {
                // A snapshot whose object cannot be read may still need any blob: nothing can be deleted safely.
                com.mintreplica.backup.core.DamagedSnapshot d = listing.damaged().get(0);
                throw new CorruptDataException("prune stopped before changing anything: the manifest of snapshot " + d.id()
                        + " cannot be read (" + d.problem() + "), so the data it needs is unknown. Put it back (from a"
                        + " versioned bucket or a copy), or remove it with `mint-backup repair snapshots --forget " + d.id()
                        + "`, then prune again");
            }
            List<Manifest> heads = listing.heads();
            untrusted = listing.untrusted().stream()
                    .map(u -> new com.mintreplica.backup.core.UntrustedSnapshot(u.snapshot(), u.reason())).toList();
            Map<String, Manifest> byId = new HashMap<>();
            heads.forEach(m -> byId.put(m.snapshot().id(), m));
            this.heads = byId;
            List<Snapshot> all = heads.stream().map(Manifest::snapshot).toList();
            List<PruneReport.Group> groups = decide(all);
            Set<String> removed = new HashSet<>();
            groups.forEach(g -> g.removed().forEach(s -> removed.add(s.id())));
            List<String> remaining = new ArrayList<>();
            for (Snapshot s : all) {
                if (!removed.contains(s.id())) {
                    remaining.add(s.id());
                }
            }
            // Snapshots the keys do not trust (a revoked writer's) are in no retention group and never removed here:
            // their data stays until a person forgets them. Deleting what a reader may still want is not prune's call.
            for (Store.Untrusted u : listing.untrusted()) {
                remaining.add(u.snapshot().id());
                LOG.warn("prune keeps snapshot {} of {} and its data: it is not trusted ({}); forget it to remove it",
                        u.snapshot().id(), store.location(), u.reason());
            }
            // Planned before anything changes: a damaged repository stops the prune before it removes a snapshot.
            Plan plan = plan(remaining);
            Set<String> refused = removeManifests(all, removed);
            if (!refused.isEmpty()) {
                // The store keeps these manifests (Object Lock, a hold): their snapshots remain, and so must their data.
                removed.removeAll(refused);
                remaining.addAll(refused);
                plan = plan(remaining);
                groups = keepRefused(groups, refused);
            }
            if (options.dryRun()) {
                estimate(plan);
            } else {
                execute(plan);
            }
            collectObjects(plan, removed);
            if (!options.dryRun()) {
                store.dropIndex(); // read again when next needed, not beside the plan
            }
            PruneReport report = new PruneReport(options.dryRun(), groups, packsDeleted, packsRepacked, packsWritten,
                    unindexedDeleted, unindexedKept, indexWritten, indexDeleted, objectsDeleted, staleLocks, bytesDeleted,
                    bytesWritten, unusedLeft, retained, Duration.ofNanos(System.nanoTime() - start), untrusted);
            LOG.info("prune of {}{}: removed {} snapshots, deleted {} packs, repacked {}, freed {} bytes",
                    store.location(), options.dryRun() ? " (dry run)" : "", removed.size(),
                    packsDeleted + unindexedDeleted, packsRepacked, report.bytesFreed());
            return report;
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }

    // ---- snapshots

    private List<PruneReport.Group> decide(List<Snapshot> all) {
        if (options.policy().isEmpty()) {
            return List.of();
        }
        RetentionPolicy policy = options.policy().get();
        List<PruneReport.Group> out = new ArrayList<>();
        for (SnapshotGroup group : options.groupBy().group(all)) {
            RetentionDecision decision = policy.apply(group.snapshots());
            checkPartition(policy, group, decision);
            List<RetentionDecision.Kept> kept = new ArrayList<>(decision.kept());
            List<Snapshot> dropped = new ArrayList<>(decision.removed());
            Snapshot newest = group.snapshots().stream().max(NEWEST_FIRST.reversed()).orElseThrow();
            if (options.protectNewest() && dropped.remove(newest)) {
                kept.add(new RetentionDecision.Kept(newest, List.of(NEWEST_REASON)));
            }
            kept.sort(Comparator.comparing(RetentionDecision.Kept::snapshot, NEWEST_FIRST));
            dropped.sort(NEWEST_FIRST);
            out.add(new PruneReport.Group(group.key(), group.describe(), kept, dropped));
        }
        return out;
    }

    /** A policy from outside may be wrong: never act on a decision that does not partition the group. */
    private static void checkPartition(RetentionPolicy policy, SnapshotGroup group, RetentionDecision decision) {
        Set<String> members = new HashSet<>();
        group.snapshots().forEach(s -> members.add(s.id()));
        Set<String> seen = new HashSet<>();
        boolean ok = decision.kept().size() + decision.removed().size() == members.size();
        for (RetentionDecision.Kept k : decision.kept()) {
            ok &= members.contains(k.snapshot().id()) && seen.add(k.snapshot().id());
        }
        for (Snapshot s : decision.removed()) {
            ok &= members.contains(s.id()) && seen.add(s.id());
        }
        if (!ok) {
            throw new BackupException("the retention policy " + policy + " decided inconsistently for "
                    + group.describe() + " (each snapshot must be either kept or removed, once): nothing was removed");
        }
    }

    /** The decision as carried out: snapshots whose manifest the store kept are kept, with that reason. */
    private static List<PruneReport.Group> keepRefused(List<PruneReport.Group> groups, Set<String> refused) {
        List<PruneReport.Group> out = new ArrayList<>();
        for (PruneReport.Group g : groups) {
            List<RetentionDecision.Kept> kept = new ArrayList<>(g.kept());
            List<Snapshot> dropped = new ArrayList<>();
            for (Snapshot s : g.removed()) {
                if (refused.contains(s.id())) {
                    kept.add(new RetentionDecision.Kept(s, List.of("retained by the store (Object Lock or hold)")));
                } else {
                    dropped.add(s);
                }
            }
            kept.sort(Comparator.comparing(RetentionDecision.Kept::snapshot, NEWEST_FIRST));
            out.add(new PruneReport.Group(g.key(), g.description(), kept, dropped));
        }
        return out;
    }

    /** Removes the manifests of the removed snapshots; returns the ids whose manifest the store refused to delete. */
    private Set<String> removeManifests(List<Snapshot> all, Set<String> removed) {
        Set<String> refused = new HashSet<>();
        if (removed.isEmpty()) {
            return refused;
        }
        Map<String, Long> sizes = new TreeMap<>();
        store.list(Manifest.PREFIX).forEach(o -> sizes.put(o.name(), o.size()));
        guard(true);
        for (Snapshot s : all) {
            if (!removed.contains(s.id())) {
                continue;
            }
            String name = Manifest.objectName(s.id());
            if (!options.dryRun()) {
                before(Prune.Step.REMOVE_SNAPSHOT, name);
                guard(false);
                if (!deleteUnlessRetained(name)) {
                    refused.add(s.id());
                    continue;
                }
            }
            bytesDeleted += sizes.getOrDefault(name, 0L);
        }
        return refused;
    }

    /**
     * Deletes an object, unless the store keeps it under a retention period or legal hold (Object Lock, a bucket
     * retention policy): then it is reported and kept, and a later prune deletes it once the store allows.
     */
    private boolean deleteUnlessRetained(String name) {
        try {
            store.delete(name);
            return true;
        } catch (BackupException e) {
            if (e.getCause() instanceof com.mintreplica.backup.core.sink.ObjectLockedException locked) {
                retained.add(name);
                LOG.warn("prune: {} is retained by the store{}; kept for a later prune", name,
                        locked.retainUntil().map(t -> " until " + t).orElse(""));
                return false;
            }
            throw e;
        }
    }

    // ---- the plan

    /** A pack whose used blobs are worth keeping but not all of whose blobs are used ({@code needed}: blob indices). */
    private record Partly(int pack, BlobId id, int[] needed, long neededBytes, long totalBytes) {
        long unusedBytes() {
            return totalBytes - neededBytes;
        }
    }

    /** What the data phase will do, decided before anything is changed. */
    private static final class Plan {
        final Set<String> usedObjects = new HashSet<>();
        final Map<String, Long> oldIndex = new TreeMap<>();
        /** Every index object's listing: read after the walk, once the store's own index is gone (see plan). */
        final PackTable indexed = new PackTable();
        /** Old index objects without an id part, rewritten with one when the repository has writers. */
        final Set<String> withoutIdPart = new HashSet<>();
        /** Stored packs (data and tree) by id. */
        final Map<BlobId, ObjectInfo> stored = new HashMap<>();
        final List<Integer> keep = new ArrayList<>();
        final List<Partly> repack = new ArrayList<>();
        final List<Integer> delete = new ArrayList<>();
        final List<BlobId> unindexedOld = new ArrayList<>();
        int indexedMissing;
    }

    private Plan plan(List<String> remaining) {
        Plan plan = new Plan();
        // Every blob a remaining snapshot needs: its trees and its files' content. A subtree shared by many snapshots
        // is walked once.
        // The sets of blob ids grow with the repository: in sorted runs (32 bytes an id; hash tables took 46-91, and a
        // prune of 200,000 files ran out of a 64 MiB heap on them).
        CompactIdSet used = new CompactIdSet();
        IdSet visited = new IdSet();
        for (String id : remaining) {
            try {
                Manifest head = heads.get(id);
                // an untrusted snapshot (a revoked writer's) is not among the heads: its data is kept all the same
                Manifest manifest = head != null && head.isTree() ? head : store.manifest(id, true);
                SnapshotWalker.of(store, manifest).visited(visited)
                        .onTree((tree, path) -> used.add(tree))
                        .forEach(item -> {
                            for (BlobId blob : item.blobs()) {
                                used.add(blob);
                            }
                            item.object().ifPresent(plan.usedObjects::add);
                        });
            } catch (CorruptDataException e) {
                throw new CorruptDataException("prune stopped before deleting any data: snapshot " + id
                        + " cannot be read (" + e.getMessage() + "). Run `mint-backup verify` to see which snapshots are"
                        + " damaged; `mint-backup repair snapshots --forget` replaces them with what is left of them", e);
            }
        }
        // The walk looked its trees up in the store's loaded index; the plan reads the index objects into a table of
        // its own. Both together (48 bytes a blob each) and the used set ran a prune of 200,000 files out of a 64 MiB
        // heap: the loaded one goes first (read again if anything asks for it).
        store.dropIndex();
        for (ObjectInfo o : store.list(IndexFile.PREFIX)) {
            byte[] content;
            try {
                Store.IndexPlaintext read = store.readIndexPlaintext(o.name());
                content = read.plaintext();
                if (!read.hasIdPart()) {
                    plan.withoutIdPart.add(o.name());
                }
            } catch (NotFoundException vanished) {
                continue;
            }
            IndexFile.read(o.name(), content, plan.indexed);
            plan.oldIndex.put(o.name(), o.size());
        }
        for (String prefix : List.of(Packs.PREFIX, Packs.TREE_PREFIX)) {
            for (ObjectInfo o : store.list(prefix)) {
                BlobId id = Packs.idOf(o.name());
                if (id != null && o.name().equals(Packs.objectName(id, Packs.typeOf(o.name())))) {
                    plan.stored.put(id, o);
                }
            }
        }
        PackTable table = plan.indexed;
        byte[] blobId = new byte[BlobId.LENGTH];

        // A blob stored in more than one pack (concurrent backups stored it twice, a prune was interrupted, or an index
        // object of a writer lists an id it does not hold): every copy is read and checked, and a bad one never counts
        // as holding the blob, so prune never drops the only good copy. With all copies good nothing changes.
        Set<Integer> bad = badCopies(plan, used);

        // Packs whose blobs are all used are kept whole; they cover those blobs for every other pack.
        CompactIdSet covered = new CompactIdSet();
        List<Integer> others = new ArrayList<>();
        long[] usedBytesOf = new long[table.packs()];
        for (int p = 0; p < table.packs(); p++) {
            BlobId packId = table.packId(p);
            if (!plan.stored.containsKey(packId)) {
                plan.indexedMissing++;
                LOG.warn("pack '{}' is listed in the index of {} but missing; the new index drops it",
                        Packs.objectName(packId, table.type(p)), store.location());
                continue;
            }
            boolean all = true;
            for (int b = table.first(p); b < table.first(p) + table.blobCount(p); b++) {
                if (used.contains(table.blobId(b, blobId)) && (bad.isEmpty() || !bad.contains(b))) {
                    usedBytesOf[p] += table.length(b);
                } else {
                    all = false;
                }
            }
            if (all) {
                plan.keep.add(p);
                for (int b = table.first(p); b < table.first(p) + table.blobCount(p); b++) {
                    covered.add(table.blobId(b, blobId).clone());
                }
            } else {
                others.add(p);
            }
        }
        // The rest, most used first: each used blob is needed from the first pack that holds it.
        others.sort(Comparator.comparingLong((Integer p) -> -usedBytesOf[p])
                .thenComparing(p -> table.packId(p)));
        List<Partly> partly = new ArrayList<>();
        long usedBytes = 0;
        for (int pack : plan.keep) {
            usedBytes += table.totalBytes(pack);
        }
        for (int pack : others) {
            List<Integer> needed = new ArrayList<>();
            long neededBytes = 0;
            for (int b = table.first(pack); b < table.first(pack) + table.blobCount(pack); b++) {
                byte[] id = table.blobId(b, new byte[BlobId.LENGTH]);
                if (used.contains(id) && (bad.isEmpty() || !bad.contains(b)) && covered.add(id)) {
                    needed.add(b);
                    neededBytes += table.length(b);
                }
            }
            if (needed.isEmpty()) {
                plan.delete.add(pack);
            } else {
                needed.sort(Comparator.comparingInt(table::offset));
                usedBytes += neededBytes;
                partly.add(new Partly(pack, table.packId(pack), needed.stream().mapToInt(Integer::intValue).toArray(),
                        neededBytes, table.totalBytes(pack)));
            }
        }

        // Every used blob must be in a stored pack; checked before anything changes.
        if (covered.size() < used.size()) {
            List<BlobId> missing = new ArrayList<>();
            used.forEach(blob -> {
                if (!covered.contains(blob)) {
                    missing.add(blob);
                }
            });
            missing.sort(Comparator.naturalOrder());
            throw new CorruptDataException("prune stopped before deleting any data: " + missing.size()
                    + " blob(s) that remaining snapshots need are in no stored pack of " + store.location()
                    + " (first: " + missing.get(0) + ")" + REPAIR_FIRST);
        }

        // Repack the packs with the largest unused share until the unused rest is within maxUnused of the repository.
        long unused = 0;
        for (Partly p : partly) {
            unused += p.unusedBytes();
        }
        double share = options.maxUnused();
        double allowed = share >= 1 ? Double.POSITIVE_INFINITY : usedBytes * share / (1 - share);
        partly.sort(Comparator.comparingDouble((Partly p) -> -(double) p.unusedBytes() / Math.max(1, p.totalBytes()))
                .thenComparing(Partly::id));
        for (Partly p : partly) {
            if (unused > allowed) {
                plan.repack.add(p);
                unused -= p.unusedBytes();
            } else {
                plan.keep.add(p.pack());
            }
        }
        plan.repack.sort(Comparator.comparing(Partly::id));
        unusedLeft = unused;


        Instant horizon = options.lockSettings().clock().instant().minus(options.unindexedGrace());
        plan.stored.forEach((pack, info) -> {
            if (table.number(pack) < 0) {
                if (info.lastModified().isBefore(horizon)) {
                    plan.unindexedOld.add(pack);
                } else {
                    unindexedKept++;
                }
            }
        });
        plan.unindexedOld.sort(Comparator.naturalOrder());
        return plan;
    }

    /**
     * The copies (blob numbers of the table) of used blobs that more than one stored pack holds and that do not read
     * back as the blob. Stops the prune when no copy of such a blob is good.
     */
    private Set<Integer> badCopies(Plan plan, CompactIdSet used) {
        PackTable table = plan.indexed;
        CompactIdSet seen = new CompactIdSet();
        IdSet twice = new IdSet();
        byte[] id = new byte[BlobId.LENGTH];
        for (int p = 0; p < table.packs(); p++) {
            if (!plan.stored.containsKey(table.packId(p))) {
                continue;
            }
            for (int b = table.first(p); b < table.first(p) + table.blobCount(p); b++) {
                table.blobId(b, id);
                if (used.contains(id) && !seen.add(id)) {
                    twice.add(id);
                }
            }
        }
        Set<Integer> bad = new HashSet<>();
        if (twice.size() == 0) {
            return bad;
        }
        Map<BlobId, List<int[]>> holders = new TreeMap<>();
        for (int p = 0; p < table.packs(); p++) {
            if (!plan.stored.containsKey(table.packId(p))) {
                continue;
            }
            for (int b = table.first(p); b < table.first(p) + table.blobCount(p); b++) {
                table.blobId(b, id);
                if (twice.contains(id)) {
                    holders.computeIfAbsent(BlobId.wrap(id.clone()), k -> new ArrayList<>(2)).add(new int[] {p, b});
                }
            }
        }
        for (Map.Entry<BlobId, List<int[]>> h : holders.entrySet()) {
            String why = null;
            int good = 0;
            for (int[] copy : h.getValue()) {
                int p = copy[0];
                int b = copy[1];
                BlobLocation at = new BlobLocation(table.packId(p), table.type(p), table.offset(b), table.length(b),
                        table.plainLength(b));
                try {
                    store.readBlob(h.getKey(), at);
                    good++;
                } catch (CorruptDataException e) {
                    why = e.getMessage();
                    bad.add(b);
                    LOG.warn("prune: a copy of blob {} is bad and does not count: {}", h.getKey(), e.getMessage());
                }
            }
            if (good == 0) {
                throw new CorruptDataException("prune stopped before deleting any data: no stored copy of blob "
                        + h.getKey() + " in " + store.location() + " is good (" + why + ")" + REPAIR_FIRST);
            }
        }
        return bad;
    }
    // ---- the data phase

    /** Counts what {@link #execute} would do, changing nothing. */
    private void estimate(Plan plan) {
        PackTable table = plan.indexed;
        long index = 0;
        for (int pack : plan.keep) {
            index += BlobId.LENGTH + 5 + table.blobCount(pack) * (long) IndexFile.BYTES_PER_BLOB;
        }
        Map<BlobType, Long> repackedBytes = new java.util.EnumMap<>(BlobType.class);
        Map<BlobType, Long> repackedBlobs = new java.util.EnumMap<>(BlobType.class);
        for (Partly p : plan.repack) {
            repackedBytes.merge(table.type(p.pack()), p.neededBytes(), Long::sum);
            repackedBlobs.merge(table.type(p.pack()), (long) p.needed().length, Long::sum);
            index += p.needed().length * (long) IndexFile.BYTES_PER_BLOB;
            packsRepacked++;
            bytesDeleted += plan.stored.get(p.id()).size();
        }
        long packSize = store.config().packSize();
        for (Map.Entry<BlobType, Long> bytes : repackedBytes.entrySet()) {
            long blobs = repackedBlobs.get(bytes.getKey());
            // packs are cut by size, or by count for tiny blobs (PackWriter.MAX_BLOBS)
            packsWritten += Math.max((bytes.getValue() + packSize - 1) / packSize,
                    (blobs + PackWriter.MAX_BLOBS - 1) / PackWriter.MAX_BLOBS);
            bytesWritten += bytes.getValue();
        }
        boolean changes = !plan.repack.isEmpty() || !plan.delete.isEmpty() || plan.indexedMissing > 0;
        int objects;
        Set<String> staying = Set.of(); // index objects the run would keep as they are
        if (changes) {
            // roughly as execute cuts them: the packs repacking would write in objects of their own
            List<Integer> kept = new ArrayList<>(plan.keep);
            kept.sort(Comparator.comparing(table::packId));
            objects = indexObjects(kept, table::blobCount).size()
                    + (int) ((packsWritten + PACKS_PER_INDEX_OBJECT - 1) / PACKS_PER_INDEX_OBJECT);
        } else {
            // only the index would change: named exactly as execute names it, so a dry run says what a run writes
            Map<String, List<IndexEntry>> consolidated = consolidated(table, new ArrayList<>(), plan.keep);
            Set<String> rewrite = rewritten(plan, consolidated);
            changes = !consolidated.keySet().equals(plan.oldIndex.keySet()) || !rewrite.isEmpty();
            objects = (int) consolidated.keySet().stream()
                    .filter(name -> !plan.oldIndex.containsKey(name) || rewrite.contains(name)).count();
            staying = consolidated.keySet();
        }
        if (changes) {
            bytesWritten += index;
            indexWritten = objects;
            for (Map.Entry<String, Long> old : plan.oldIndex.entrySet()) {
                if (!staying.contains(old.getKey())) {
                    indexDeleted++;
                    bytesDeleted += old.getValue();
                }
            }
        }
        for (int pack : plan.delete) {
            packsDeleted++;
            bytesDeleted += plan.stored.get(table.packId(pack)).size();
        }
        for (BlobId pack : plan.unindexedOld) {
            unindexedDeleted++;
            bytesDeleted += plan.stored.get(pack).size();
        }
    }

    /** A pack of the consolidated index: one the table lists ({@code pack} >= 0) or one repacking wrote. */
    private record IndexEntry(BlobId id, int pack, IndexFile.PackBlobs written) {
    }

    /**
     * The consolidated index objects' packs: consecutive runs of {@code entries} (sorted by pack id) of at most
     * {@value #PACKS_PER_INDEX_OBJECT} packs and {@link #BLOBS_PER_INDEX_OBJECT} blobs, a pack of more blobs alone.
     */
    static <T> List<List<T>> indexObjects(List<T> entries, java.util.function.ToIntFunction<T> blobs) {
        List<List<T>> out = new ArrayList<>();
        int start = 0;
        long count = 0;
        for (int i = 0; i < entries.size(); i++) {
            int n = blobs.applyAsInt(entries.get(i));
            if (i > start && (i - start == PACKS_PER_INDEX_OBJECT || count + n > BLOBS_PER_INDEX_OBJECT)) {
                out.add(entries.subList(start, i));
                start = i;
                count = 0;
            }
            count += n;
        }
        if (start < entries.size()) {
            out.add(entries.subList(start, entries.size()));
        }
        return out;
    }

    /**
     * The consolidated index: {@code entries} (the packs repacking wrote) and the kept packs, cut into objects by
     * {@link #indexObjects}, each under its name (as Store.writeIndex names it: keyed in an encrypted repository).
     */
    private Map<String, List<IndexEntry>> consolidated(PackTable table, List<IndexEntry> entries, List<Integer> keep) {
        for (int pack : keep) {
            entries.add(new IndexEntry(table.packId(pack), pack, null));
        }
        entries.sort(Comparator.comparing(IndexEntry::id));
        Map<String, List<IndexEntry>> index = new LinkedHashMap<>();
        for (List<IndexEntry> part : indexObjects(entries, e -> e.written() != null ? e.written().blobs().size()
                : table.blobCount(e.pack()))) {
            index.put(store.encodeIndex(indexPlaintext(table, part)).name(), part);
        }
        return index;
    }

    /** The consolidated index's objects that are stored already but without the id part writers need. */
    private Set<String> rewritten(Plan plan, Map<String, List<IndexEntry>> index) {
        Set<String> rewrite = new HashSet<>();
        if (store.writesIdParts()) {
            rewrite.addAll(plan.withoutIdPart);
            rewrite.retainAll(index.keySet());
        }
        return rewrite;
    }

    /** The plaintext of the consolidated index object holding {@code entries}, written from the compact table. */
    private static byte[] indexPlaintext(PackTable table, List<IndexEntry> entries) {
        IndexFile.Writer w = new IndexFile.Writer();
        for (IndexEntry e : entries) {
            if (e.written() != null) {
                w.pack(e.id().bytes(), e.written().type(), e.written().blobs().size());
                for (Packs.PackedBlob b : e.written().blobs()) {
                    w.blob(b.id().bytes(), b.location().offset(), b.location().length(), b.location().plainLength());
                }
            } else {
                table.writeTo(e.pack(), w);
            }
        }
        return w.finish();
    }

    private void execute(Plan plan) {
        PackTable table = plan.indexed;
        // 1. Copy the used blobs of the packs to repack into new packs. Nothing refers to them yet.
        guard(true);
        List<IndexFile.PackBlobs> written = repack(plan);
        Set<BlobId> writtenIds = new HashSet<>();
        written.forEach(p -> writtenIds.add(p.pack()));

        // 2. The consolidated index: every kept pack with all its blobs, and the new packs. Its objects are named by
        // their content, computed once to compare with the old index and again, one at a time, to be written: the
        // whole index is never held as bytes beside the table.
        List<IndexEntry> entries = new ArrayList<>();
        for (IndexFile.PackBlobs w : written) {
            entries.add(new IndexEntry(w.pack(), -1, w));
        }
        Map<String, List<IndexEntry>> index = consolidated(table, entries, plan.keep);
        Set<String> rewrite = rewritten(plan, index);
        if (!index.keySet().equals(plan.oldIndex.keySet()) || !rewrite.isEmpty()) {
            guard(true);
            for (Map.Entry<String, List<IndexEntry>> e : index.entrySet()) {
                if (!plan.oldIndex.containsKey(e.getKey()) || rewrite.contains(e.getKey())) {
                    before(Prune.Step.WRITE_INDEX, e.getKey());
                    guard(false);
                    // encoded like Store.writeIndex does (with an id part and signed when the repository has writers)
                    bytesWritten += store.putIndex(store.encodeIndex(indexPlaintext(table, e.getValue())));
                    indexWritten++;
                }
            }
            // 3. Only now that the new index is complete, the old index objects go.
            guard(true);
            for (Map.Entry<String, Long> old : plan.oldIndex.entrySet()) {
                if (!index.containsKey(old.getKey())) {
                    before(Prune.Step.DELETE_INDEX, old.getKey());
                    guard(false);
                    if (deleteUnlessRetained(old.getKey())) {
                        bytesDeleted += old.getValue();
                        indexDeleted++;
                    } else {
                        oldIndexKept = true;
                    }
                }
            }
        }

        // 4. Packs no index lists any more. Deleted last: while an index lists a pack, a backup may rely on its blobs.
        if (oldIndexKept) {
            // An old index object the store would not delete still lists these packs: deleting them would leave an
            // index naming missing packs. They wait until the store lets the index object go.
            LOG.warn("prune: old index objects are retained by the store, so no pack is deleted this time");
            return;
        }
        guard(true);
        // A repacked pack is named by its header: when it lists exactly the blobs of a pack being dropped (whose copies
        // were bad, or covered elsewhere), it has that pack's name and has just replaced it. It is indexed: keep it.
        for (int pack : plan.delete) {
            if (!writtenIds.contains(table.packId(pack))) {
                deletePack(plan, table.packId(pack));
                packsDeleted++;
            }
        }
        for (Partly p : plan.repack) {
            if (!writtenIds.contains(p.id())) {
                deletePack(plan, p.id());
            }
        }
        for (BlobId pack : plan.unindexedOld) {
            if (!writtenIds.contains(pack)) {
                deletePack(plan, pack);
                unindexedDeleted++;
            }
        }
    }

    private List<IndexFile.PackBlobs> repack(Plan plan) {
        List<IndexFile.PackBlobs> written = new ArrayList<>();
        if (plan.repack.isEmpty()) {
            return written;
        }
        PackTable table = plan.indexed;
        Map<BlobType, PackWriter> writers = new java.util.EnumMap<>(BlobType.class);
        try {
            for (Partly p : plan.repack) {
                BlobType type = table.type(p.pack());
                PackWriter writer = writers.computeIfAbsent(type, t -> new PackWriter(store.codec(),
                        PackWriter.targetSize(store.config().packSize(), Runtime.getRuntime().maxMemory()), t));
                String name = Packs.objectName(p.id(), type);
                phase = "reading pack '" + name + "' to repack it";
                // Read as a stream, one needed blob at a time (they are in the order of their offsets): the whole pack
                // read into memory (twice its size while it was read) ran a prune that repacks 16 MiB packs out of a
                // 96 MiB heap.
                try (InputStream in = store.open(name)) {
                    long at = 0;
                    for (int b : p.needed()) {
                        int offset = table.offset(b);
                        int length = table.length(b);
                        BlobId id = table.blobId(b);
                        byte[] encoded = offset < at ? null : readAt(in, offset - at, length);
                        if (encoded == null) {
                            throw new CorruptDataException("prune stopped before deleting any data: pack '" + name
                                    + "' is shorter than its index says, or its index entries overlap (blob " + id + ")");
                        }
                        at = (long) offset + length;
                        encoded = checked(name, id, offset, length, table.plainLength(b), encoded);
                        Optional<PackWriter.Pack> full = writer.add(id, encoded, table.plainLength(b));
                        if (full.isPresent()) {
                            upload(full.get(), written);
                        }
                    }
                }
                packsRepacked++;
            }
            for (PackWriter writer : writers.values()) {
                Optional<PackWriter.Pack> last = writer.flush();
                if (last.isPresent()) {
                    upload(last.get(), written);
                }
            }
        } catch (IOException e) {
            throw new BackupException("prune could not repack into " + store.location() + ": " + e.getMessage()
                    + "; nothing was deleted", e);
        }
        return written;
    }

    /** Skips {@code skip} bytes, then reads {@code length}; null when the stream ends first. */
    /**
     * The stored bytes of a blob to repack, checked against its id: those the pack's stream gave, or, when they fail,
     * the blob read again on its own, as every reader does ({@link Store#readChecked}): damage in transit (a proxy
     * that flips a byte) no longer stops a prune and calls an intact pack corrupt; the same bad bytes twice do.
     */
    private byte[] checked(String pack, BlobId id, int offset, int length, int plainLength, byte[] streamed) {
        byte[][] first = {streamed};
        return Store.readChecked(store.sink(), "blob " + id + " in pack '" + pack + "'", () -> {
            byte[] bytes = first[0];
            if (bytes != null) {
                first[0] = null;
                return bytes;
            }
            try (InputStream in = store.sink().get(pack, offset, length)) {
                return in.readNBytes(length);
            } catch (IOException e) {
                throw new BackupException("prune could not read blob " + id + " of pack '" + pack + "' again from "
                        + store.location() + ": " + e.getMessage() + "; nothing was deleted", e);
            }
        }, bytes -> {
            store.checkBlob(id, pack, bytes, plainLength);
            return bytes;
        });
    }

    private static byte[] readAt(InputStream in, long skip, int length) throws IOException {
        try {
            in.skipNBytes(skip);
        } catch (java.io.EOFException shortPack) {
            return null;
        }
        byte[] bytes = in.readNBytes(length);
        return bytes.length < length ? null : bytes;
    }

    private void upload(PackWriter.Pack pack, List<IndexFile.PackBlobs> written) throws IOException {
        before(Prune.Step.WRITE_PACK, pack.objectName());
        guard(false);
        pack.upload(store.sink());
        bytesWritten += pack.size();
        packsWritten++;
        written.add(pack.indexEntry());
    }

    private void deletePack(Plan plan, BlobId pack) {
        String name = plan.stored.get(pack).name();
        before(Prune.Step.DELETE_PACK, name);
        guard(false);
        if (deleteUnlessRetained(name)) {
            bytesDeleted += plan.stored.get(pack).size();
        }
    }

    /** The single-object layout: entry objects no remaining snapshot refers to. */
    private void collectObjects(Plan plan, Set<String> removed) {
        Instant horizon = options.lockSettings().clock().instant().minus(options.unindexedGrace());
        boolean first = true;
        for (ObjectInfo o : store.list(FILES_PREFIX)) {
            if (plan.usedObjects.contains(o.name())) {
                continue;
            }
            boolean ofRemoved = SingleObjectNames.snapshotOf(o.name()).filter(removed::contains).isPresent();
            if (!ofRemoved && !o.lastModified().isBefore(horizon)) {
                continue; // perhaps of a backup still running: its manifest is not written yet
            }
            if (!options.dryRun()) {
                if (first) {
                    guard(true);
                    first = false;
                }
                before(Prune.Step.DELETE_OBJECT, o.name());
                guard(false);
                if (!deleteUnlessRetained(o.name())) {
                    continue;
                }
            }
            objectsDeleted++;
            bytesDeleted += o.size();
        }
    }

    // ---- helpers

    private void before(Prune.Step step, String object) {
        watch.check();
        phase = step.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " '" + object + "'";
        options.listener().before(step, object);
    }

    /** Stops before a change unless the exclusive lease still holds; {@code thorough} also asks the Sink. */
    private void guard(boolean thorough) {
        if (lock != null) {
            if (thorough) {
                lock.check();
            } else {
                lock.checkLease();
            }
        }
    }
}
