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
            } catch (CorruptDataException | com.mintreplica.backup.core.AccessDeniedException e) {
                // AccessDenied: a manifest the keys do not trust (a revoked writer's); the keys read, as checked above
                problem(name, List.of(id), e.getMessage());
                continue;
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
        for (Map.Entry<String, Set<String>> use : packUsers.entrySet()) {
            if (!packs.containsKey(use.getKey())) {
                problem(use.getKey(), List.copyOf(use.getValue()), "pack '" + use.getKey() + "' is missing");
            } else if (readData) {
                checkPack(use.getKey(), List.copyOf(use.getValue()), blobsByPack.get(use.getKey()), index);
            }
        }
        for (Map.Entry<String, Manifest.Item> single : singleObjects.entrySet()) {
            checkSingleObject(single.getKey(), single.getValue(), singleObjectSnapshot.get(single.getKey()), readData);
        }
        Set<BlobId> indexedPacks = new java.util.HashSet<>();
        index.locations().values().forEach(l -> indexedPacks.add(l.pack()));
        long unreferenced = packs.keySet().stream().map(Packs::idOf).filter(id -> id != null && !indexedPacks.contains(id)).count();
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
            } catch (CorruptDataException e) {
                problem(o.name(), List.of(), e.getMessage());
            }
        }
        return index;
    }

    private void checkPack(String pack, List<String> snapshots, List<BlobId> needed, BlobIndex index) {
        byte[] bytes;
        try {
            bytes = store.readObject(pack);
        } catch (BackupException e) {
            problem(pack, snapshots, e.getMessage());
            return;
        }
        objectsRead++;
        bytesRead += bytes.length;
        BlobId packId = Packs.idOf(pack);
        if (packId == null || !Packs.matchesName(packId, bytes)) {
            problem(pack, snapshots, "pack '" + pack + "' is corrupt: its header does not match its name");
            return;
        }
        List<Packs.PackedBlob> contents;
        try {
            contents = Packs.parse(packId, bytes, store.codec());
        } catch (CorruptDataException e) {
            problem(pack, snapshots, e.getMessage());
            return;
        }
        Map<BlobId, BlobLocation> inPack = new HashMap<>();
        contents.forEach(b -> inPack.put(b.id(), b.location()));
        for (BlobId blob : needed) {
            BlobLocation recorded = index.find(blob).orElseThrow();
            BlobLocation actual = inPack.get(blob);
            if (actual == null || actual.offset() != recorded.offset() || actual.length() != recorded.length()) {
                problem(pack, snapshots, "pack '" + pack + "' does not hold blob " + blob + " where the index says");
                continue;
            }
            try {
                store.decodeBlob(blob, pack, java.util.Arrays.copyOfRange(bytes, actual.offset(), actual.offset() + actual.length()),
                        actual.plainLength());
            } catch (CorruptDataException e) {
                problem(pack, snapshots, e.getMessage());
            }
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
            objectsRead++;
            bytesRead += info.get().size();
            InputStream raw = store.sink().get(object);
            try (InputStream checked = new HashCheckingInputStream(store.codec().decoder(raw),
                    Hex.decode(item.sha256().orElse("")), item.size(), "object '" + object + "'")) {
                checked.transferTo(OutputStream.nullOutputStream());
            }
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
