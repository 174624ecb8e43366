package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.source.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a repository: every snapshot object, tree blob and index object reads and matches its checksum, every blob a
 * snapshot needs is indexed and its pack exists; with {@code readData}, every pack a snapshot needs is read whole and
 * checked against its name, and every needed blob in it against its id.
 *
 * <p>Memory stays bounded by the index and the set of needed ids: the snapshots' trees are walked once each (a subtree
 * shared by many snapshots is walked once), problems are keyed by blob id, and only when there are problems is each
 * snapshot walked again to name the snapshots they affect.
 */
public final class Verifier {
    private final Store store;
    private final List<Found> found = new ArrayList<>();
    /** Blob and tree ids at fault, to the problem that names them. */
    private final Map<BlobId, Integer> badIds = new HashMap<>();
    private final List<VerifyReport.Problem> plain = new ArrayList<>();
    private long objectsRead;
    private long bytesRead;

    /** What to run when blobs are in no index object. */
    static final String REINDEX = ": an index object is lost or damaged; `mint-backup repair index` indexes again the"
            + " packs that hold them (and `mint-backup repair snapshots` saves what is left if none does)";

    /** A problem whose affected snapshots are found by walking them again. */
    private static final class Found {
        final int number;
        final String object;
        final String message;
        final Set<String> snapshots = new LinkedHashSet<>();

        Found(int number, String object, String message) {
            this.number = number;
            this.object = object;
            this.message = message;
        }
    }

    public Verifier(Store store) {
        this.store = store;
    }

    /**
     * @param snapshotIds the snapshots to check
     */
    public VerifyReport verify(List<String> snapshotIds, boolean readData) {
        return verify(snapshotIds, readData, false);
    }

    /**
     * @param snapshotIds the snapshots to check
     * @param wholeRepository whether these are all the repository's snapshots: then every indexed pack's size is
     *     checked, not only those of packs the snapshots need
     */
    public VerifyReport verify(List<String> snapshotIds, boolean readData, boolean wholeRepository) {
        return verify(snapshotIds, readData ? com.mintreplica.backup.core.DataSubset.all()
                : com.mintreplica.backup.core.DataSubset.none(), wholeRepository);
    }

    /**
     * @param snapshotIds the snapshots to check
     * @param subset the packs (and single objects) read whole; the others are checked without reading
     * @param wholeRepository whether these are all the repository's snapshots: then every indexed pack's size is
     *     checked, not only those of packs the snapshots need
     */
    public VerifyReport verify(List<String> snapshotIds, com.mintreplica.backup.core.DataSubset subset,
                               boolean wholeRepository) {
        boolean readData = subset.readsData();
        store.requireReader(readData ? "verifying the data (verify --read-data)" : "verifying snapshots");
        BlobIndex index = loadIndexCheckingEach();
        Map<String, ObjectInfo> packs = new HashMap<>();
        for (String prefix : List.of(Packs.PREFIX, Packs.TREE_PREFIX)) {
            for (ObjectInfo o : store.list(prefix)) {
                packs.put(o.name(), o);
            }
        }
        // Every blob the snapshots use, in sorted runs (32 bytes an id): as a hash table it took a quarter of a 64 MiB
        // heap at 200,000 files, and reading a pack beside it ran out of memory.
        CompactIdSet needed = new CompactIdSet();
        IdSet visited = new IdSet();
        List<Snapshot> checked = new ArrayList<>();
        List<Manifest> manifests = new ArrayList<>();
        for (String id : snapshotIds) {
            String name = Manifest.objectName(id);
            Manifest manifest;
            try {
                manifest = store.manifest(id);
            } catch (CorruptDataException | TransitDamageException | com.mintreplica.backup.core.AccessDeniedException e) {
                // AccessDenied: a manifest the keys do not trust (a revoked writer's); the keys read, as checked above
                plain.add(new VerifyReport.Problem(name, List.of(id), e.getMessage()));
                continue;
            } catch (com.mintreplica.backup.core.NotFoundException vanished) {
                continue; // removed by a prune since the listing
            }
            checked.add(manifest.snapshot());
            manifests.add(head(manifest));
            SnapshotWalker.of(store, manifest).visited(visited)
                    .onTree((tree, path) -> needed.add(tree))
                    .onUnreadable((tree, path, e) -> {
                        String object = index.find(tree).map(BlobLocation::packObject).orElse("index/");
                        mark(tree, problem(object, e.getMessage()));
                    })
                    .forEach(item -> {
                        if (item.entry().type() != EntryType.REGULAR) {
                            return;
                        }
                        if (manifest.layout() == Layout.SINGLE && item.object().isPresent()) {
                            checkSingleObject(item, id, readData && subset.includes(item.object().get()));
                            return;
                        }
                        for (BlobId blob : item.blobs()) {
                            needed.add(blob);
                        }
                    });
        }

        // Every needed blob: indexed, in a stored pack (and, reading data, intact there).
        Map<String, Integer> neededPerPack = new TreeMap<>();
        // Blobs in no index object are one problem, not one line each (a lost index object made dozens), with the
        // command that indexes their packs again.
        List<BlobId> unindexed = new ArrayList<>();
        needed.forEach(blob -> {
            if (badIds.containsKey(blob)) {
                return;
            }
            var location = index.find(blob);
            if (location.isEmpty()) {
                unindexed.add(blob);
                return;
            }
            neededPerPack.merge(location.get().packObject(), 1, Integer::sum);
        });
        if (!unindexed.isEmpty()) {
            Found notIndexed = problem("index/", unindexed.size() == 1
                    ? "blob " + unindexed.get(0) + " is not in any index object" + REINDEX
                    : unindexed.size() + " blobs the snapshots need are in no index object (the first: "
                            + unindexed.get(0) + ")" + REINDEX);
            unindexed.forEach(blob -> mark(blob, notIndexed));
        }
        Map<String, Found> packProblems = new HashMap<>();
        Map<String, Long> ends = index.packEnds();
        for (Map.Entry<String, Integer> use : neededPerPack.entrySet()) {
            String pack = use.getKey();
            String truncated = packs.containsKey(pack) ? truncated(pack, packs.get(pack), ends.getOrDefault(pack, 0L)) : null;
            if (!packs.containsKey(pack)) {
                packProblems.put(pack, problem(pack, "pack '" + pack + "' is missing"));
            } else if (truncated != null) {
                // a truncated pack: reading it whole would only say the same at greater cost
                packProblems.put(pack, problem(pack, truncated));
            } else if (readData && subset.includes(pack)) {
                checkPack(pack, packs.get(pack).size(), use.getValue(), needed, index, packProblems);
            }
        }
        if (wholeRepository) {
            // Packs no checked snapshot needs are damage too, if less urgent: check their sizes as well.
            for (Map.Entry<String, Long> end : ends.entrySet()) {
                ObjectInfo stored = packs.get(end.getKey());
                String why = stored == null || neededPerPack.containsKey(end.getKey()) ? null
                        : truncated(end.getKey(), stored, end.getValue());
                if (why != null) {
                    plain.add(new VerifyReport.Problem(end.getKey(), List.of(), why));
                }
            }
        }
        if (!packProblems.isEmpty()) {
            needed.forEach(blob -> {
                if (!badIds.containsKey(blob)) {
                    index.find(blob).ifPresent(l -> {
                        Found f = packProblems.get(l.packObject());
                        if (f != null) {
                            mark(blob, f);
                        }
                    });
                }
            });
        }
        if (!badIds.isEmpty()) {
            attribute(manifests);
        }

        Set<BlobId> indexedPacks = index.packs();
        long unreferenced = packs.keySet().stream().map(Packs::idOf).filter(id -> id != null && !indexedPacks.contains(id)).count();
        List<VerifyReport.Problem> problems = new ArrayList<>(plain);
        for (Found f : found) {
            problems.add(new VerifyReport.Problem(f.object, List.copyOf(f.snapshots), f.message));
        }
        // Ids sort by the second they were taken in, then by a random part: two snapshots of one second would come
        // out in either order. The manifest's time is exact, so order by it, as a listing does.
        checked.sort(java.util.Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
        return new VerifyReport(checked, problems, objectsRead, bytesRead, unreferenced);
    }

    /** The summary and root of a snapshot, without a flat snapshot's entries (read again when needed). */
    private static Manifest head(Manifest m) {
        return m.isTree() ? m : new Manifest(m.snapshot(), m.layout(), List.of(), java.util.Optional.empty());
    }

    /** Walks every snapshot again to name the snapshots each problem affects. */
    private void attribute(List<Manifest> heads) {
        for (Manifest head : heads) {
            String id = head.snapshot().id();
            Manifest manifest = head.isTree() ? head : store.manifest(id);
            SnapshotWalker.of(store, manifest).visited(new IdSet())
                    .onTree((tree, path) -> affects(tree, id))
                    .onUnreadable((tree, path, e) -> { })   // named to affects() before it failed to load
                    .forEach(item -> item.blobs().forEach(blob -> affects(blob, id)));
        }
    }

    private void affects(BlobId id, String snapshot) {
        Integer problem = badIds.get(id);
        if (problem != null) {
            found.get(problem).snapshots.add(snapshot);
        }
    }

    private Found problem(String object, String message) {
        Found f = new Found(found.size(), object, message);
        found.add(f);
        return f;
    }

    private void mark(BlobId id, Found f) {
        badIds.putIfAbsent(id, f.number);
    }

    private BlobIndex loadIndexCheckingEach() {
        return store.reloadIndex((name, e) -> plain.add(new VerifyReport.Problem(name, List.of(), e.getMessage()
                + "; `mint-backup repair index` rebuilds the index from the packs")));
    }

    /**
     * Compares a pack's stored size (from the listing, no read) with what the index says: its blobs, then a header and
     * the trailer. A pack cut short fails this without a byte being read; only {@code readData} finds a flipped byte.
     *
     * @return why the pack is truncated, or {@code null} when its size is possible
     */
    private static String truncated(String pack, ObjectInfo stored, long end) {
        long minimum = end + Packs.TRAILER + 1; // at least one byte of header after the last blob
        if (stored.size() < minimum) {
            return "pack '" + pack + "' is truncated: it has " + stored.size()
                    + " bytes, but the index places blobs up to byte " + end + " and a header and trailer after them";
        }
        return null;
    }

    /**
     * Reads a pack whole (into an array of its listed {@code size}) and checks the {@code count} needed blobs the index
     * places in it. A pack that fails its checks is read again before it is called damaged (see
     * {@link Store#readChecked}): the same bytes twice is damage in the store, a good later read was damage on the way.
     */
    private void checkPack(String pack, long size, int count, CompactIdSet needed, BlobIndex index,
                           Map<String, Found> packProblems) {
        try {
            Store.readChecked(store.sink(), "pack '" + pack + "'", () -> {
                byte[] bytes = store.readObject(pack, size);
                objectsRead++;
                bytesRead += bytes.length;
                return bytes;
            }, bytes -> {
                PackDamage damage = packProblems(pack, bytes, count, needed, index);
                if (damage != null) {
                    throw damage;
                }
                return bytes;
            });
        } catch (CorruptDataException e) {
            PackDamage damage = e instanceof PackDamage d ? d : e.getCause() instanceof PackDamage d ? d : null;
            if (damage == null) {
                packProblems.put(pack, problem(pack, e.getMessage()));
                return;
            }
            String stored = e == damage ? "" : " (read twice with the same result: the stored pack is damaged)";
            if (damage.whole != null) {
                packProblems.put(pack, problem(pack, damage.whole + stored));
            }
            // A damaged blob stays indexed, and every backup deduplicates against it, until the index leaves it out.
            damage.blobs.forEach((blob, message) -> mark(blob, problem(pack, message + stored
                    + "; `mint-backup repair index --read-data` leaves it out of the index, so that the next backup"
                    + " stores it again where its source still has it, and `mint-backup repair snapshots` saves the rest")));
        } catch (BackupException e) {
            packProblems.put(pack, problem(pack, e.getMessage()));
        }
    }

    /** The problems of one pack read whole, or {@code null} when it is sound. */
    private PackDamage packProblems(String pack, byte[] bytes, int count, CompactIdSet needed, BlobIndex index) {
        BlobId packId = Packs.idOf(pack);
        BlobType type = Packs.typeOf(pack);
        if (packId == null || !Packs.matchesName(packId, bytes)) {
            return new PackDamage("pack '" + pack + "' is corrupt: its header does not match its name", Map.of());
        }
        List<Packs.PackedBlob> contents;
        try {
            contents = Packs.parse(packId, type, bytes, store.codec());
        } catch (CorruptDataException e) {
            return new PackDamage(e.getMessage(), Map.of());
        }
        Map<BlobId, String> bad = new java.util.LinkedHashMap<>();
        int matched = 0;
        for (Packs.PackedBlob b : contents) {
            if (!needed.contains(b.id())) {
                continue;
            }
            BlobLocation recorded = index.find(b.id()).orElse(null);
            if (recorded == null || !recorded.packObject().equals(pack)) {
                continue; // the index places it in another pack, which is checked there
            }
            BlobLocation actual = b.location();
            if (actual.offset() != recorded.offset() || actual.length() != recorded.length()) {
                continue; // counted as unmatched below
            }
            matched++;
            try {
                store.checkBlob(b.id(), pack, java.util.Arrays.copyOfRange(bytes, actual.offset(), actual.offset() + actual.length()),
                        actual.plainLength());
            } catch (CorruptDataException e) {
                bad.putIfAbsent(b.id(), e.getMessage());
            }
        }
        if (matched < count) {
            // Some needed blob is not where the index says: name each (a rare path, so another pass is fine).
            java.util.Set<BlobId> present = new java.util.HashSet<>();
            for (Packs.PackedBlob b : contents) {
                BlobLocation recorded = index.find(b.id()).orElse(null);
                if (recorded != null && recorded.packObject().equals(pack) && recorded.offset() == b.location().offset()
                        && recorded.length() == b.location().length()) {
                    present.add(b.id());
                }
            }
            needed.forEach(blob -> {
                if (!present.contains(blob) && !badIds.containsKey(blob)) {
                    index.find(blob).filter(l -> l.packObject().equals(pack)).ifPresent(l ->
                            bad.putIfAbsent(blob, "pack '" + pack + "' does not hold blob " + blob + " where the index says"));
                }
            });
        }
        return bad.isEmpty() ? null : new PackDamage(null, bad);
    }

    /** Every problem found in one read of a pack: the whole pack's, or its blobs'. */
    private static final class PackDamage extends CorruptDataException {
        private static final long serialVersionUID = 1L;
        private final String whole;
        private final transient Map<BlobId, String> blobs;

        PackDamage(String whole, Map<BlobId, String> blobs) {
            super(whole != null ? whole : blobs.values().iterator().next());
            this.whole = whole;
            this.blobs = blobs;
        }
    }

    private void checkSingleObject(Manifest.Item item, String snapshot, boolean readData) {
        String object = item.object().get();
        try {
            var info = store.sink().stat(object);
            if (info.isEmpty()) {
                problem(object, snapshot, "object '" + object + "' holding entry '" + item.entry().path() + "' is missing");
                return;
            }
            if (!readData) {
                return;
            }
            // Read again before calling it damaged, as Store.readChecked does: the same stored bytes twice is damage
            // in the store, a good second read was damage on the way.
            List<byte[]> badDigests = new ArrayList<>();
            CorruptDataException first = null;
            for (int attempt = 1; attempt <= Store.READ_ATTEMPTS; attempt++) {
                objectsRead++;
                bytesRead += info.get().size();
                java.security.MessageDigest stored = Sha256.newDigest();
                InputStream raw = new java.security.DigestInputStream(SinkReadException.marking(store.sink().get(object)), stored);
                CorruptDataException damage;
                try {
                    InputStream checked = new HashCheckingInputStream(store.codec().decoder(raw),
                            Hex.decode(item.sha256().orElse("")), item.size(), "object '" + object + "'");
                    checked.transferTo(OutputStream.nullOutputStream());
                    if (first != null) {
                        org.slf4j.LoggerFactory.getLogger(Verifier.class).warn("{} arrived damaged from {} and read intact"
                                + " on attempt {}: damage in transit, not in the store", object, store.location(), attempt);
                    }
                    return;
                } catch (SinkReadException e) {
                    throw e;
                } catch (CorruptDataException e) {
                    damage = e;
                } catch (IOException | RuntimeException e) {
                    // A decoder meeting damaged bytes may fail with any exception (a native codec, a transformer).
                    damage = new CorruptDataException("object '" + object + "' is corrupt: it does not decode ("
                            + e.getMessage() + ")", e);
                } finally {
                    try {
                        raw.transferTo(OutputStream.nullOutputStream()); // the whole stored object goes into the digest
                    } finally {
                        raw.close();
                    }
                }
                byte[] digest = stored.digest();
                if (badDigests.stream().anyMatch(d -> java.util.Arrays.equals(d, digest))) {
                    problem(object, snapshot, damage.getMessage() + " (read " + attempt
                            + " times with the same result: the stored object is damaged)");
                    return;
                }
                badDigests.add(digest);
                first = first == null ? damage : first;
            }
            problem(object, snapshot, "object '" + object + "' arrived damaged " + Store.READ_ATTEMPTS
                    + " times, different bytes each time: something between here and the store damages data in transit;"
                    + " the stored object may be intact, verify again (first: " + first.getMessage() + ")");
        } catch (CorruptDataException e) {
            problem(object, snapshot, e.getMessage());
        } catch (IOException | RuntimeException e) {
            problem(object, snapshot, "object '" + object + "' cannot be read or decoded: " + e.getMessage());
        }
    }

    private void problem(String object, String snapshot, String message) {
        plain.add(new VerifyReport.Problem(object, List.of(snapshot), message));
    }
}
