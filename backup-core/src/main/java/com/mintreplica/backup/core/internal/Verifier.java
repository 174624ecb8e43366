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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a repository: every manifest and index object reads and matches its checksum, every blob a snapshot needs is
 * indexed and its pack exists; with {@code readData}, every pack a snapshot needs is read whole and checked against
 * its name, and every blob in it against its id.
 */
public final class Verifier {
    private final Store store;
    private final List<VerifyReport.Problem> problems = new ArrayList<>();
    private long objectsRead;
    private long bytesRead;

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
        store.requireReader(readData ? "verifying the data (verify --read-data)" : "verifying snapshots");
        BlobIndex index = loadIndexCheckingEach();
        Map<String, ObjectInfo> packs = new HashMap<>();
        for (ObjectInfo o : store.list(Packs.PREFIX)) {
            packs.put(o.name(), o);
        }
        // blob -> snapshots that need it; pack -> snapshots that need it
        Map<BlobId, Set<String>> blobUsers = new LinkedHashMap<>();
        Map<String, Set<String>> packUsers = new TreeMap<>();
        Map<String, Manifest.Item> singleObjects = new TreeMap<>();
        Map<String, String> singleObjectSnapshot = new HashMap<>();
        List<Snapshot> checked = new ArrayList<>();
        for (String id : snapshotIds) {
            String name = Manifest.objectName(id);
            Manifest manifest;
            try {
                manifest = store.manifest(id);
            } catch (CorruptDataException | TransitDamageException | com.mintreplica.backup.core.AccessDeniedException e) {
                // AccessDenied: a manifest the keys do not trust (a revoked writer's); the keys read, as checked above
                problem(name, List.of(id), e.getMessage());
                continue;
            } catch (com.mintreplica.backup.core.NotFoundException vanished) {
                continue; // removed by a prune since the listing
            }
            checked.add(manifest.snapshot());
            for (Manifest.Item item : manifest.items()) {
                if (item.entry().type() != EntryType.REGULAR) {
                    continue;
                }
                if (manifest.layout() == Layout.SINGLE && item.object().isPresent()) {
                    singleObjects.put(item.object().get(), item);
                    singleObjectSnapshot.put(item.object().get(), id);
                    continue;
                }
                for (BlobId blob : item.blobs()) {
                    blobUsers.computeIfAbsent(blob, b -> new LinkedHashSet<>()).add(id);
                }
            }
        }
        Map<String, List<BlobId>> blobsByPack = new TreeMap<>();
        for (Map.Entry<BlobId, Set<String>> use : blobUsers.entrySet()) {
            var location = index.find(use.getKey());
            if (location.isEmpty()) {
                problem("index/", List.copyOf(use.getValue()), "blob " + use.getKey() + " is not in any index object");
                continue;
            }
            String pack = location.get().packObject();
            packUsers.computeIfAbsent(pack, p -> new LinkedHashSet<>()).addAll(use.getValue());
            blobsByPack.computeIfAbsent(pack, p -> new ArrayList<>()).add(use.getKey());
        }
        Map<String, Long> ends = blobsEnd(index);
        for (Map.Entry<String, Set<String>> use : packUsers.entrySet()) {
            if (!packs.containsKey(use.getKey())) {
                problem(use.getKey(), List.copyOf(use.getValue()), "pack '" + use.getKey() + "' is missing");
            } else if (!sizeMatches(use.getKey(), packs.get(use.getKey()), ends.getOrDefault(use.getKey(), 0L),
                    List.copyOf(use.getValue()))) {
                continue; // a truncated pack: reading it whole would only say the same at greater cost
            } else if (readData) {
                checkPack(use.getKey(), List.copyOf(use.getValue()), blobsByPack.get(use.getKey()), index);
            }
        }
        if (wholeRepository) {
            // Packs no checked snapshot needs are damage too, if less urgent: check their sizes as well.
            for (Map.Entry<String, Long> end : ends.entrySet()) {
                ObjectInfo stored = packs.get(end.getKey());
                if (stored != null && !packUsers.containsKey(end.getKey())) {
                    sizeMatches(end.getKey(), stored, end.getValue(), List.of());
                }
            }
        }
        for (Map.Entry<String, Manifest.Item> single : singleObjects.entrySet()) {
            checkSingleObject(single.getKey(), single.getValue(), singleObjectSnapshot.get(single.getKey()), readData);
        }
        Set<BlobId> indexedPacks = new java.util.HashSet<>();
        index.locations().values().forEach(l -> indexedPacks.add(l.pack()));
        long unreferenced = packs.keySet().stream().map(Packs::idOf).filter(id -> id != null && !indexedPacks.contains(id)).count();
        // Ids sort by the second they were taken in, then by a random part: two snapshots of one second would come
        // out in either order. The manifest's time is exact, so order by it, as a listing does.
        checked.sort(java.util.Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
        return new VerifyReport(checked, problems, objectsRead, bytesRead, unreferenced);
    }

    private BlobIndex loadIndexCheckingEach() {
        BlobIndex index = new BlobIndex();
        for (ObjectInfo o : store.list(IndexFile.PREFIX)) {
            try {
                Store.IndexObject read = store.readIndexObject(o.name());
                List<IndexFile.PackBlobs> packs = read.packs().orElseThrow();
                if (read.ids().isPresent()) {
                    // What writers deduplicate against must be exactly what the object locates: an id listed but not
                    // stored would make every writer skip storing that chunk.
                    Set<BlobId> located = new java.util.HashSet<>();
                    packs.forEach(p -> p.blobs().forEach(b -> located.add(b.id())));
                    Set<BlobId> listed = new java.util.HashSet<>(read.ids().get());
                    if (!listed.equals(located)) {
                        listed.removeAll(located);
                        problem(o.name(), List.of(), "index object '" + o.name() + "' is inconsistent: its id part, which"
                                + " writers deduplicate against, lists " + listed.size() + " blob(s) it does not locate"
                                + (read.ids().get().size() != new java.util.HashSet<>(read.ids().get()).size() ? " and repeats ids" : "")
                                + (listed.isEmpty() ? " (it leaves out blobs it locates)" : ""));
                    }
                }
                read.untrusted().ifPresent(why -> problem(o.name(), List.of(), "index object '" + o.name()
                        + "' is not trusted: " + why));
                index.add(o.name(), packs);
            } catch (CorruptDataException | TransitDamageException e) {
                problem(o.name(), List.of(), e.getMessage()
                        + "; `mint-backup repair index` rebuilds the index from the packs");
            } catch (com.mintreplica.backup.core.NotFoundException vanished) {
                // replaced by a concurrent prune
            }
        }
        return index;
    }

    /** Where the last blob the index places in each pack ends. */
    private static Map<String, Long> blobsEnd(BlobIndex index) {
        Map<String, Long> ends = new TreeMap<>();
        index.locations().values().forEach(l -> ends.merge(l.packObject(), (long) l.offset() + l.length(), Math::max));
        return ends;
    }

    /**
     * Compares a pack's stored size (from the listing, no read) with what the index says: its blobs, then a header and
     * the trailer. A pack cut short fails this without a byte being read; only {@code readData} finds a flipped byte.
     */
    private boolean sizeMatches(String pack, ObjectInfo stored, long end, List<String> snapshots) {
        long minimum = end + Packs.TRAILER + 1; // at least one byte of header after the last blob
        if (stored.size() < minimum) {
            problem(pack, snapshots, "pack '" + pack + "' is truncated: it has " + stored.size()
                    + " bytes, but the index places blobs up to byte " + end + " and a header and trailer after them");
            return false;
        }
        return true;
    }

    private void checkPack(String pack, List<String> snapshots, List<BlobId> needed, BlobIndex index) {
        try {
            // A pack that fails its checks is read again before it is called damaged: see Store.readChecked.
            Store.readChecked(store.sink(), "pack '" + pack + "'", () -> {
                byte[] bytes = store.readObject(pack);
                objectsRead++;
                bytesRead += bytes.length;
                return bytes;
            }, bytes -> {
                List<String> found = packProblems(pack, bytes, needed, index);
                if (!found.isEmpty()) {
                    throw new PackDamage(found);
                }
                return bytes;
            });
        } catch (CorruptDataException e) {
            PackDamage damage = e instanceof PackDamage d ? d : e.getCause() instanceof PackDamage d ? d : null;
            if (damage == null) {
                problem(pack, snapshots, e.getMessage());
            } else {
                String stored = e == damage ? "" : " (read twice with the same result: the stored pack is damaged)";
                damage.problems.forEach(p -> problem(pack, snapshots, p + stored));
            }
        } catch (BackupException e) {
            problem(pack, snapshots, e.getMessage());
        }
    }

    /** The problems of one pack read whole; empty when it is sound. */
    private List<String> packProblems(String pack, byte[] bytes, List<BlobId> needed, BlobIndex index) {
        BlobId packId = Packs.idOf(pack);
        if (packId == null || !Packs.matchesName(packId, bytes)) {
            return List.of("pack '" + pack + "' is corrupt: its header does not match its name");
        }
        List<Packs.PackedBlob> contents;
        try {
            contents = Packs.parse(packId, bytes, store.codec());
        } catch (CorruptDataException e) {
            return List.of(e.getMessage());
        }
        List<String> found = new ArrayList<>();
        Map<BlobId, BlobLocation> inPack = new HashMap<>();
        contents.forEach(b -> inPack.put(b.id(), b.location()));
        for (BlobId blob : needed) {
            BlobLocation recorded = index.find(blob).orElseThrow();
            BlobLocation actual = inPack.get(blob);
            if (actual == null || actual.offset() != recorded.offset() || actual.length() != recorded.length()) {
                found.add("pack '" + pack + "' does not hold blob " + blob + " where the index says");
                continue;
            }
            try {
                store.decodeBlob(blob, pack, java.util.Arrays.copyOfRange(bytes, actual.offset(), actual.offset() + actual.length()),
                        actual.plainLength());
            } catch (CorruptDataException e) {
                found.add(e.getMessage());
            }
        }
        return found;
    }

    /** Every problem found in one read of a pack. */
    private static final class PackDamage extends CorruptDataException {
        private static final long serialVersionUID = 1L;
        private final transient List<String> problems;

        PackDamage(List<String> problems) {
            super(problems.get(0));
            this.problems = problems;
        }
    }

    private void checkSingleObject(String object, Manifest.Item item, String snapshot, boolean readData) {
        try {
            var info = store.sink().stat(object);
            if (info.isEmpty()) {
                problem(object, List.of(snapshot), "object '" + object + "' holding entry '" + item.entry().path() + "' is missing");
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
                    problem(object, List.of(snapshot), damage.getMessage() + " (read " + attempt
                            + " times with the same result: the stored object is damaged)");
                    return;
                }
                badDigests.add(digest);
                first = first == null ? damage : first;
            }
            problem(object, List.of(snapshot), "object '" + object + "' arrived damaged " + Store.READ_ATTEMPTS
                    + " times, different bytes each time: something between here and the store damages data in transit;"
                    + " the stored object may be intact, verify again (first: " + first.getMessage() + ")");
        } catch (CorruptDataException e) {
            problem(object, List.of(snapshot), e.getMessage());
        } catch (IOException | RuntimeException e) {
            problem(object, List.of(snapshot), "object '" + object + "' cannot be read or decoded: " + e.getMessage());
        }
    }

    private void problem(String object, List<String> snapshots, String message) {
        problems.add(new VerifyReport.Problem(object, snapshots, message));
    }
}
