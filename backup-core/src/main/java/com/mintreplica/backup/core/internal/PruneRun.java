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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
    private static final Logger LOG = LoggerFactory.getLogger(PruneRun.class);
    private static final Comparator<Snapshot> NEWEST_FIRST =
            Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id).reversed();
    /** Packs per consolidated index object: about 3 MB of index for 16 MiB packs of 1 MiB chunks. */
    static final int PACKS_PER_INDEX_OBJECT = 4096;
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
            }
            com.mintreplica.backup.core.SnapshotListing listing = store.listSnapshots();
            if (!listing.damaged().isEmpty()) {
                // A snapshot whose manifest cannot be read may still need any blob: nothing can be deleted safely.
                com.mintreplica.backup.core.DamagedSnapshot d = listing.damaged().get(0);
                throw new CorruptDataException("prune stopped before changing anything: the manifest of snapshot " + d.id()
                        + " cannot be read (" + d.problem() + "), so the data it needs is unknown. Put it back (from a"
                        + " versioned bucket or a copy), or remove it with `mint-backup repair snapshots --forget " + d.id()
                        + "`, then prune again");
            }
            List<Snapshot> all = listing.snapshots();
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
            for (Store.Untrusted u : store.untrusted()) {
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
                store.reloadIndex();
            }
            PruneReport report = new PruneReport(options.dryRun(), groups, packsDeleted, packsRepacked, packsWritten,
                    unindexedDeleted, unindexedKept, indexWritten, indexDeleted, objectsDeleted, staleLocks, bytesDeleted,
                    bytesWritten, unusedLeft, retained, Duration.ofNanos(System.nanoTime() - start));
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

    /** A pack whose used blobs are worth keeping but not all of whose blobs are used. */
    private record Partly(BlobId pack, List<Packs.PackedBlob> needed, long neededBytes, long totalBytes) {
        long unusedBytes() {
            return totalBytes - neededBytes;
        }
    }

    /** What the data phase will do, decided before anything is changed. */
    private static final class Plan {
        final Set<String> usedObjects = new HashSet<>();
        final Map<String, Long> oldIndex = new TreeMap<>();
        /** Old index objects without an id part (format 1), rewritten with one when the repository has writers. */
        final Set<String> withoutIdPart = new HashSet<>();
        final Map<BlobId, List<Packs.PackedBlob>> indexed = new TreeMap<>();
        final Map<BlobId, ObjectInfo> stored = new TreeMap<>();
        final List<BlobId> keep = new ArrayList<>();
        final List<Partly> repack = new ArrayList<>();
        final List<BlobId> delete = new ArrayList<>();
        final List<BlobId> unindexedOld = new ArrayList<>();
        int indexedMissing;
    }

    private Plan plan(List<String> remaining) {
        Plan plan = new Plan();
        Set<BlobId> used = new HashSet<>();
        for (String id : remaining) {
            for (Manifest.Item item : store.manifest(id, true).items()) {
                used.addAll(item.blobs());
                item.object().ifPresent(plan.usedObjects::add);
            }
        }
        for (ObjectInfo o : store.list(IndexFile.PREFIX)) {
            List<IndexFile.PackBlobs> packs;
            try {
                Store.IndexObject read = store.readIndexObject(o.name());
                packs = read.packs().orElseThrow();
                if (read.ids().isEmpty()) {
                    plan.withoutIdPart.add(o.name());
                }
            } catch (NotFoundException vanished) {
                continue;
            }
            plan.oldIndex.put(o.name(), o.size());
            for (IndexFile.PackBlobs p : packs) {
                plan.indexed.putIfAbsent(p.pack(), p.blobs());
            }
        }
        for (ObjectInfo o : store.list(Packs.PREFIX)) {
            BlobId id = Packs.idOf(o.name());
            if (id != null && o.name().equals(Packs.objectName(id))) {
                plan.stored.put(id, o);
            }
        }

        Set<BlobId> available = new HashSet<>();
        plan.indexed.forEach((pack, blobs) -> {
            if (plan.stored.containsKey(pack)) {
                blobs.forEach(b -> available.add(b.id()));
            } else {
                plan.indexedMissing++;
                LOG.warn("pack '{}' is listed in the index of {} but missing; the new index drops it",
                        Packs.objectName(pack), store.location());
            }
        });
        List<BlobId> missing = new ArrayList<>();
        for (BlobId blob : used) {
            if (!available.contains(blob)) {
                missing.add(blob);
            }
        }
        if (!missing.isEmpty()) {
            missing.sort(Comparator.naturalOrder());
            throw new CorruptDataException("prune stopped before deleting any data: " + missing.size()
                    + " blob(s) that remaining snapshots need are in no stored pack of " + store.location()
                    + " (first: " + missing.get(0) + "). Run `mint-backup verify` to see which snapshots are damaged");
        }

        // A blob stored in more than one pack (concurrent backups stored it twice, a prune was interrupted, or an index
        // object of a writer lists an id it does not hold): every copy is read and checked, and a bad one never counts
        // as holding the blob, so prune never drops the only good copy. With all copies good nothing changes.
        Set<PackAndBlob> bad = badCopies(plan, used);
        java.util.function.BiPredicate<BlobId, BlobId> usedIn = (pack, blob) -> used.contains(blob)
                && (bad.isEmpty() || !bad.contains(new PackAndBlob(pack, blob)));

        // Packs whose blobs are all used are kept whole; they cover those blobs for every other pack.
        Set<BlobId> covered = new HashSet<>();
        List<BlobId> others = new ArrayList<>();
        plan.indexed.forEach((pack, blobs) -> {
            if (!plan.stored.containsKey(pack)) {
                return;
            }
            if (blobs.stream().allMatch(b -> usedIn.test(pack, b.id()))) {
                plan.keep.add(pack);
                blobs.forEach(b -> covered.add(b.id()));
            } else {
                others.add(pack);
            }
        });
        // The rest, most used first: each used blob is needed from the first pack that holds it.
        others.sort(Comparator.comparingLong((BlobId p) -> -usedBytes(p, plan.indexed.get(p), usedIn))
                .thenComparing(Comparator.naturalOrder()));
        List<Partly> partly = new ArrayList<>();
        long usedBytes = 0;
        for (BlobId pack : plan.keep) {
            usedBytes += totalBytes(plan.indexed.get(pack));
        }
        for (BlobId pack : others) {
            List<Packs.PackedBlob> blobs = plan.indexed.get(pack);
            List<Packs.PackedBlob> needed = new ArrayList<>();
            for (Packs.PackedBlob b : blobs) {
                if (usedIn.test(pack, b.id()) && covered.add(b.id())) {
                    needed.add(b);
                }
            }
            if (needed.isEmpty()) {
                plan.delete.add(pack);
            } else {
                needed.sort(Comparator.comparingInt(b -> b.location().offset()));
                long neededBytes = totalBytes(needed);
                usedBytes += neededBytes;
                partly.add(new Partly(pack, needed, neededBytes, totalBytes(blobs)));
            }
        }

        // Repack the packs with the largest unused share until the unused rest is within maxUnused of the repository.
        long unused = 0;
        for (Partly p : partly) {
            unused += p.unusedBytes();
        }
        double share = options.maxUnused();
        double allowed = share >= 1 ? Double.POSITIVE_INFINITY : usedBytes * share / (1 - share);
        partly.sort(Comparator.comparingDouble((Partly p) -> -(double) p.unusedBytes() / Math.max(1, p.totalBytes()))
                .thenComparing(Partly::pack));
        for (Partly p : partly) {
            if (unused > allowed) {
                plan.repack.add(p);
                unused -= p.unusedBytes();
            } else {
                plan.keep.add(p.pack());
            }
        }
        plan.repack.sort(Comparator.comparing(Partly::pack));
        unusedLeft = unused;


        Instant horizon = options.lockSettings().clock().instant().minus(options.unindexedGrace());
        plan.stored.forEach((pack, info) -> {
            if (!plan.indexed.containsKey(pack)) {
                if (info.lastModified().isBefore(horizon)) {
                    plan.unindexedOld.add(pack);
                } else {
                    unindexedKept++;
                }
            }
        });
        return plan;
    }

    private record PackAndBlob(BlobId pack, BlobId blob) {
    }

    /**
     * The copies of used blobs that more than one stored pack holds and that do not read back as the blob. Stops the
     * prune when no copy of such a blob is good.
     */
    private Set<PackAndBlob> badCopies(Plan plan, Set<BlobId> used) {
        Map<BlobId, List<Packs.PackedBlob>> holders = new java.util.HashMap<>();
        plan.indexed.forEach((pack, blobs) -> {
            if (plan.stored.containsKey(pack)) {
                for (Packs.PackedBlob b : blobs) {
                    if (used.contains(b.id())) {
                        holders.computeIfAbsent(b.id(), k -> new ArrayList<>(1)).add(b);
                    }
                }
            }
        });
        Set<PackAndBlob> bad = new HashSet<>();
        for (Map.Entry<BlobId, List<Packs.PackedBlob>> h : holders.entrySet()) {
            if (h.getValue().size() < 2) {
                continue;
            }
            String why = null;
            int good = 0;
            for (Packs.PackedBlob copy : h.getValue()) {
                try {
                    store.readBlob(copy.id(), copy.location());
                    good++;
                } catch (CorruptDataException e) {
                    why = e.getMessage();
                    bad.add(new PackAndBlob(copy.location().pack(), copy.id()));
                    LOG.warn("prune: a copy of blob {} is bad and does not count: {}", copy.id(), e.getMessage());
                }
            }
            if (good == 0) {
                throw new CorruptDataException("prune stopped before deleting any data: no stored copy of blob "
                        + h.getKey() + " in " + store.location() + " is good (" + why + "). Run `mint-backup verify`"
                        + " to see which snapshots are damaged");
            }
        }
        return bad;
    }

    private static long usedBytes(BlobId pack, List<Packs.PackedBlob> blobs, java.util.function.BiPredicate<BlobId, BlobId> usedIn) {
        long n = 0;
        for (Packs.PackedBlob b : blobs) {
            if (usedIn.test(pack, b.id())) {
                n += b.location().length();
            }
        }
        return n;
    }

    private static long totalBytes(List<Packs.PackedBlob> blobs) {
        long n = 0;
        for (Packs.PackedBlob b : blobs) {
            n += b.location().length();
        }
        return n;
    }

    // ---- the data phase

    /** Counts what {@link #execute} would do, changing nothing. */
    private void estimate(Plan plan) {
        long index = 0;
        for (BlobId pack : plan.keep) {
            index += BlobId.LENGTH + 4 + plan.indexed.get(pack).size() * (BlobId.LENGTH + 12L);
        }
        long repackedBytes = 0;
        for (Partly p : plan.repack) {
            repackedBytes += p.neededBytes();
            index += p.needed().size() * (BlobId.LENGTH + 12L);
            packsRepacked++;
            bytesDeleted += plan.stored.get(p.pack()).size();
        }
        long packSize = store.config().packSize();
        packsWritten = (repackedBytes + packSize - 1) / packSize;
        bytesWritten += repackedBytes;
        if (plan.oldIndex.size() > 1 || !plan.repack.isEmpty() || !plan.delete.isEmpty() || plan.indexedMissing > 0) {
            bytesWritten += index;
            indexWritten = (plan.keep.size() + packsWritten + PACKS_PER_INDEX_OBJECT - 1) / PACKS_PER_INDEX_OBJECT;
            indexDeleted = plan.oldIndex.size();
            bytesDeleted += plan.oldIndex.values().stream().mapToLong(Long::longValue).sum();
        }
        for (BlobId pack : plan.delete) {
            packsDeleted++;
            bytesDeleted += plan.stored.get(pack).size();
        }
        for (BlobId pack : plan.unindexedOld) {
            unindexedDeleted++;
            bytesDeleted += plan.stored.get(pack).size();
        }
    }

    private void execute(Plan plan) {
        // 1. Copy the used blobs of the packs to repack into new packs. Nothing refers to them yet.
        guard(true);
        List<IndexFile.PackBlobs> written = repack(plan);
        Set<BlobId> writtenIds = new HashSet<>();
        written.forEach(p -> writtenIds.add(p.pack()));

        // 2. The consolidated index: every kept pack with all its blobs, and the new packs.
        List<IndexFile.PackBlobs> entries = new ArrayList<>(written);
        for (BlobId pack : plan.keep) {
            entries.add(new IndexFile.PackBlobs(pack, plan.indexed.get(pack)));
        }
        entries.sort(Comparator.comparing(IndexFile.PackBlobs::pack));
        Map<String, Store.EncodedIndex> index = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i += PACKS_PER_INDEX_OBJECT) {
            // named and encoded like Store.writeIndex does (with an id part and signed when the repository has writers)
            Store.EncodedIndex encoded = store.encodeIndex(entries.subList(i, Math.min(entries.size(), i + PACKS_PER_INDEX_OBJECT)));
            index.put(encoded.name(), encoded);
        }
        Set<String> rewrite = new HashSet<>();
        if (store.writesIdParts()) {
            rewrite.addAll(plan.withoutIdPart);
            rewrite.retainAll(index.keySet());
        }
        if (!index.keySet().equals(plan.oldIndex.keySet()) || !rewrite.isEmpty()) {
            guard(true);
            for (Map.Entry<String, Store.EncodedIndex> e : index.entrySet()) {
                if (!plan.oldIndex.containsKey(e.getKey()) || rewrite.contains(e.getKey())) {
                    before(Prune.Step.WRITE_INDEX, e.getKey());
                    guard(false);
                    bytesWritten += store.putIndex(e.getValue());
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
        for (BlobId pack : plan.delete) {
            if (!writtenIds.contains(pack)) {
                deletePack(plan, pack);
                packsDeleted++;
            }
        }
        for (Partly p : plan.repack) {
            if (!writtenIds.contains(p.pack())) {
                deletePack(plan, p.pack());
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
        PackWriter writer = new PackWriter(store.codec(), store.config().packSize());
        try {
            for (Partly p : plan.repack) {
                String name = Packs.objectName(p.pack());
                phase = "reading pack '" + name + "' to repack it";
                byte[] bytes = store.readObject(name);
                for (Packs.PackedBlob b : p.needed()) {
                    BlobLocation at = b.location();
                    if (at.offset() < 0 || (long) at.offset() + at.length() > bytes.length) {
                        throw new CorruptDataException("prune stopped before deleting any data: pack '" + name
                                + "' is shorter than its index says (blob " + b.id() + ")");
                    }
                    byte[] encoded = Arrays.copyOfRange(bytes, at.offset(), at.offset() + at.length());
                    store.decodeBlob(b.id(), name, encoded, at.plainLength());
                    Optional<PackWriter.Pack> full = writer.add(b.id(), encoded, at.plainLength());
                    if (full.isPresent()) {
                        upload(full.get(), written);
                    }
                }
                packsRepacked++;
            }
            Optional<PackWriter.Pack> last = writer.flush();
            if (last.isPresent()) {
                upload(last.get(), written);
            }
        } catch (IOException e) {
            throw new BackupException("prune could not repack into " + store.location() + ": " + e.getMessage()
                    + "; nothing was deleted", e);
        }
        return written;
    }

    private void upload(PackWriter.Pack pack, List<IndexFile.PackBlobs> written) throws IOException {
        before(Prune.Step.WRITE_PACK, pack.objectName());
        guard(false);
        pack.upload(store.sink());
        bytesWritten += pack.size();
        packsWritten++;
        written.add(new IndexFile.PackBlobs(pack.id(), pack.blobs()));
    }

    private void deletePack(Plan plan, BlobId pack) {
        String name = Packs.objectName(pack);
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
