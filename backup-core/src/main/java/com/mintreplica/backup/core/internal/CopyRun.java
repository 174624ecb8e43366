package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectKind;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies snapshots from one repository into another, whatever their Sinks and transformer chains:
 * <ul>
 *   <li>a snapshot whose manifest the target already has is skipped: that is how a killed copy resumes;</li>
 *   <li>of a chunked snapshot, only the blobs the target's index lacks are read (each checked against its id), decoded
 *       with the source's chain, encoded with the target's, packed and stored; an index object is written every
 *       {@value #INDEX_EVERY_PACKS} packs and at the end, so blobs a killed copy already stored are not sent again.
 *       Where either repository is encrypted, blob ids are keyed and differ between the two: then every blob of the
 *       snapshot is read to compute its id in the target, only the ones the target lacks are stored, and the copied
 *       manifest names the target's ids;</li>
 *   <li>of a single-object snapshot, every object is streamed through (decoded, checked against the manifest's
 *       SHA-256, encoded again); objects already in the target are skipped;</li>
 *   <li>the manifest, with the same snapshot id, is written last: until then the snapshot is not visible in the
 *       target.</li>
 * </ul>
 * A snapshot keeps its layout: a chunked snapshot stays chunked in a target whose own backups use the single-object
 * layout, and the other way round; restores read the layout from each manifest.
 */
public final class CopyRun {
    private static final Logger LOG = LoggerFactory.getLogger(CopyRun.class);
    static final int INDEX_EVERY_PACKS = 4;

    /** What a run did. */
    public record Counts(List<String> copied, List<String> skipped, long blobs, long objects, long plainBytes,
                         long storedBytes) {
    }

    private final Store from;
    private final Store to;
    private final Executor executor;
    private final int parallelism;
    private final List<String> copied = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    /** Source blob id to target blob id, for blobs read in this run (they differ where either repository is keyed). */
    private final Map<BlobId, BlobId> idMap = new HashMap<>();
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
        this.executor = executor;
        this.parallelism = Math.max(1, parallelism);
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
            // What other processes stored in the target since it was opened counts too.
            to.reloadIndex();
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
                copy = manifest.layout() == Layout.CHUNKED ? copyChunked(manifest) : copySingle(manifest);
                lock.check();
                watch.check();
                storedBytes += to.writeManifest(copy, false);
            }
            copied.add(id);
            LOG.info("snapshot {} copied from {} to {}", id, from.location(), to.location());
        }
        return new Counts(copied, skipped, blobs, objects, plainBytes, storedBytes);
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

    // ---- chunked snapshots

    private Manifest copyChunked(Manifest manifest) {
        // Where both repositories name blobs by plain SHA-256, a blob keeps its id and the target's index says, before
        // anything is read, which blobs it lacks. Where either names them with a key (an encrypted repository), every
        // blob of the snapshot is read to learn its id in the target; only those the target lacks are stored.
        boolean sameIds = !from.codec().keyed() && !to.codec().keyed();
        BlobIndex target = to.index();
        Set<BlobId> toRead = new LinkedHashSet<>();
        for (Manifest.Item item : manifest.items()) {
            for (BlobId id : item.blobs()) {
                if (sameIds ? !target.contains(id) : !idMap.containsKey(id)) {
                    toRead.add(id);
                }
            }
        }
        if (!toRead.isEmpty()) {
            transfer(manifest, toRead, sameIds);
        }
        if (sameIds) {
            return manifest;
        }
        List<Manifest.Item> items = new ArrayList<>(manifest.items().size());
        for (Manifest.Item item : manifest.items()) {
            List<BlobId> mapped = new ArrayList<>(item.blobs().size());
            for (BlobId id : item.blobs()) {
                mapped.add(idMap.get(id));
            }
            items.add(new Manifest.Item(item.entry(), item.size(), mapped, item.object(), item.sha256()));
        }
        return new Manifest(manifest.snapshot(), manifest.layout(), items);
    }

    private void transfer(Manifest manifest, Set<BlobId> toRead, boolean sameIds) {
        PackWriter packer = new PackWriter(to.codec(), to.config().packSize());
        List<IndexFile.PackBlobs> unindexed = new ArrayList<>();
        Deque<CompletableFuture<Encoded>> window = new ArrayDeque<>();
        Iterator<BlobId> next = toRead.iterator();
        Set<BlobId> packed = new HashSet<>();
        try {
            while (next.hasNext() || !window.isEmpty()) {
                while (window.size() < parallelism && next.hasNext()) {
                    BlobId id = next.next();
                    window.add(CompletableFuture.supplyAsync(() -> encode(id, manifest, sameIds), executor));
                }
                CompletableFuture<Encoded> head = window.removeFirst();
                Encoded blob;
                try (Watchdog.Activity a = watch.activity("copy", () -> "waiting for the next blob to be read from "
                        + from.location() + " (" + blobs + " blobs copied so far)")) {
                    blob = join(head);
                }
                watch.progress();
                idMap.put(blob.sourceId(), blob.id());
                if (blob.encoded() == null || !packed.add(blob.id())) {
                    continue;   // the target has it already
                }
                Optional<PackWriter.Pack> full = packer.add(blob.id(), blob.encoded(), blob.plainLength());
                blobs++;
                plainBytes += blob.plainLength();
                if (full.isPresent()) {
                    store(full.get(), unindexed);
                }
            }
            Optional<PackWriter.Pack> last = packer.flush();
            if (last.isPresent()) {
                store(last.get(), unindexed);
            }
            writeIndex(unindexed);
        } catch (IOException e) {
            throw new BackupException("copy of snapshot " + manifest.snapshot().id() + " to " + to.location()
                    + " failed: " + e.getMessage(), e);
        } finally {
            for (CompletableFuture<Encoded> f : window) {
                f.cancel(false);
            }
        }
    }

    /** A blob read from the source: its id there and in the target, and its encoding for the target (null: not needed). */
    private record Encoded(BlobId sourceId, BlobId id, byte[] encoded, int plainLength) {
    }

    private Encoded encode(BlobId sourceId, Manifest manifest, boolean sameIds) {
        byte[] plain;
        try (Watchdog.Activity a = watch.activity("reader", () -> "reading blob " + sourceId
                + from.index().find(sourceId).map(l -> " of pack '" + l.packObject() + "'").orElse("") + " from "
                + from.location())) {
            watch.check();
            plain = from.readBlob(sourceId);
        }
        // readBlob checked the plaintext against its source id; with plain SHA-256 ids on both sides it is the same id
        BlobId id = sameIds ? sourceId : to.codec().blobId(plain);
        if (!sameIds && to.index().contains(id)) {
            return new Encoded(sourceId, id, null, plain.length);
        }
        try {
            return new Encoded(sourceId, id, to.codec().encode(plain), plain.length);
        } catch (IOException e) {
            throw new BackupException("cannot encode blob " + sourceId + " for " + to.location() + ": " + e.getMessage(), e);
        }
    }

    private void store(PackWriter.Pack pack, List<IndexFile.PackBlobs> unindexed) throws IOException {
        try (Watchdog.Activity a = watch.activity("copy", () -> "storing pack '" + pack.objectName() + "' ("
                + Watchdog.bytes(pack.size()) + ") in " + to.location())) {
            pack.upload(to.sink());
        }
        storedBytes += pack.size();
        unindexed.add(new IndexFile.PackBlobs(pack.id(), pack.blobs()));
        if (unindexed.size() >= INDEX_EVERY_PACKS) {
            writeIndex(unindexed);
        }
    }

    private void writeIndex(List<IndexFile.PackBlobs> unindexed) {
        if (!unindexed.isEmpty()) {
            storedBytes += to.writeIndex(new ArrayList<>(unindexed));
            unindexed.clear();
        }
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
        Set<String> used = new HashSet<>();
        for (Manifest.Item item : manifest.items()) {
            if (item.object().isEmpty()) {
                items.add(item);
                continue;
            }
            String source = item.object().get();
            String target = targetName(source, used);
            byte[] sha256 = Hex.decode(item.sha256().orElseThrow(() -> new CorruptDataException(
                    "manifest of snapshot " + manifest.snapshot().id() + " has no checksum for '" + source + "'")));
            if (!exists(target)) {
                copyObject(manifest, item, source, target, sha256);
            }
            items.add(Manifest.Item.single(item.entry(), item.size(), target, item.sha256().get()));
        }
        return new Manifest(manifest.snapshot(), manifest.layout(), items);
    }

    private void copyObject(Manifest manifest, Manifest.Item item, String source, String target, byte[] sha256) {
        InputStream raw;
        try {
            raw = SinkReadException.marking(from.sink().get(source));
        } catch (NoSuchObjectException e) {
            throw new CorruptDataException("object '" + source + "' holding entry '" + item.entry().path() + "' of snapshot "
                    + manifest.snapshot().id() + " is missing from " + from.location());
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

    /** The source object's name with the source chain's suffix replaced by the target's. */
    private String targetName(String source, Set<String> used) {
        String suffix = from.codec().fileSuffix();
        String base = !suffix.isEmpty() && source.endsWith(suffix) ? source.substring(0, source.length() - suffix.length()) : source;
        String name = base + to.codec().fileSuffix();
        for (int n = 2; !used.add(name); n++) {
            name = base + "~c" + n + to.codec().fileSuffix();
        }
        return name;
    }
}
