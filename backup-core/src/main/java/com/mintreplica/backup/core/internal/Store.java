package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.DamagedSnapshot;
import com.mintreplica.backup.core.SnapshotListing;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.encryption.RepositoryKeys;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes a repository's objects on its Sink: config, manifests, indexes, packs and blobs. Metadata objects
 * are encoded by the chain and sealed in an {@link Envelope}; every blob read is checked against its id.
 */
public final class Store {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    /** How many times an object that fails its check is read in all before it is called damaged. */
    public static final int READ_ATTEMPTS = 3;
    private final Sink sink;
    private final Codec codec;
    /** From this many snapshot objects to read, they are read in parallel, on at most {@link #PARALLEL_READS} threads. */
    private static final int PARALLEL_READS_FROM = 16;
    private static final int PARALLEL_READS = 8;
    /** The fewest stored bytes an index object takes per blob (compressed), to size the loaded index. */
    static final int STORED_BYTES_PER_BLOB = 36;
    /** The loaded index, the local cache and the config (raised by {@link #upgradeFormat}), shared with the views {@link #withSink} makes. */
    private final Shared shared;

    /**
     * What this process knows of the repository, shared by a Store and its views: the index as loaded and extended by
     * this process, the tree-pack cache and the config. Its monitor guards loading the index and raising the config.
     */
    private static final class Shared {
        volatile BlobIndex index;
        volatile LocalCache cache;
        volatile RepoConfig config;

        Shared(RepoConfig config) {
            this.config = config;
        }
    }

    private Store(Sink sink, RepoConfig config, Codec codec) {
        this(sink, codec, new Shared(config));
    }

    private Store(Sink sink, Codec codec, Shared shared) {
        this.sink = sink;
        this.codec = codec;
        this.shared = shared;
    }

    /**
     * The same repository through another Sink object (a run's watched view of this Store's Sink): config, codec,
     * loaded index and tree-pack cache are shared, so what the view stores is known to this Store too.
     */
    public Store withSink(Sink view) {
        return view == sink ? this : new Store(view, codec, shared);
    }

    /** Opens the repository on {@code sink}. */
    public static Store open(Sink sink) {
        return open(sink, null);
    }

    /**
     * Opens the repository on {@code sink}, unlocking it with {@code encryption} when it is encrypted.
     *
     * @param encryption the keys for an encrypted repository, or {@code null}
     * @throws AccessDeniedException when the repository is encrypted and no encryption is given
     */
    public static Store open(Sink sink, RepositoryEncryption encryption) {
        RepoConfig config = readChecked(sink, "'" + RepoConfig.OBJECT + "'", () -> {
            try (InputStream in = sink.get(RepoConfig.OBJECT)) {
                return in.readAllBytes();
            } catch (NoSuchObjectException e) {
                throw new NotFoundException("there is no repository at " + sink.describe()
                        + " (no 'config' object): create one with `mint-backup init --repo " + sink.describe() + "`");
            } catch (IOException e) {
                throw new BackupException("cannot read the repository config at " + sink.describe() + ": " + e.getMessage(), e);
            }
        }, bytes -> RepoConfig.parse(bytes, sink.describe()));
        String scheme = config.extensions().get(RepositoryEncryption.SCHEME_EXTENSION);
        if (scheme == null) {
            if (encryption != null) {
                LOG.warn("the repository at {} is not encrypted: the {} keys given are not used", sink.describe(),
                        encryption.scheme());
            }
            return new Store(sink, config, codecFor(config, null));
        }
        String recipients = config.extensions().getOrDefault(RepositoryEncryption.RECIPIENTS_EXTENSION, "");
        if (encryption == null) {
            throw new AccessDeniedException("the repository at " + sink.describe() + " is encrypted (" + scheme
                    + "): open it with the secret key of one of its recipients (--key SECRET.asc)"
                    + (recipients.isEmpty() ? "" : "; it was created for " + recipients)
                    + "; `mint-backup key list` shows its current recipients");
        }
        if (!encryption.scheme().equals(scheme)) {
            throw new UnsupportedException("the repository at " + sink.describe() + " is encrypted with the scheme '"
                    + scheme + "', but the keys given are for '" + encryption.scheme() + "'");
        }
        RepositoryKeys keys;
        try {
            keys = encryption.unlock(new RepositoryEncryption.Context(sink, config.id(), config.layout(), config.extensions()));
        } catch (IOException e) {
            throw new BackupException("cannot read the keys of the repository at " + sink.describe() + ": " + e.getMessage(), e);
        }
        return new Store(sink, config, codecFor(config, keys));
    }

    /** Creates a repository on {@code sink} with {@code config}; fails if one exists. */
    public static Store create(Sink sink, RepoConfig config) {
        return create(sink, config, null);
    }

    /**
     * Creates a repository on {@code sink} with {@code config}, whose stored objects are sealed with {@code keys}
     * ({@code null}: unencrypted); fails if one exists.
     */
    public static Store create(Sink sink, RepoConfig config, RepositoryKeys keys) {
        byte[] bytes = config.toBytes();
        try {
            boolean created;
            if (sink.capabilities().contains(SinkCapability.ATOMIC_CREATE)) {
                created = sink.putIfAbsent(RepoConfig.OBJECT, new ByteArrayInputStream(bytes), bytes.length, ObjectKind.CONFIG);
            } else {
                created = sink.stat(RepoConfig.OBJECT).isEmpty();
                if (created) {
                    sink.put(RepoConfig.OBJECT, new ByteArrayInputStream(bytes), bytes.length, ObjectKind.CONFIG);
                }
            }
            if (!created) {
                throw new ConflictException("a repository already exists at " + sink.describe() + ": use it, or choose another location");
            }
        } catch (IOException e) {
            throw new BackupException("cannot create a repository at " + sink.describe() + ": " + e.getMessage(), e);
        }
        return new Store(sink, config, codecFor(config, keys));
    }

    /**
     * Raises the config of an older repository to the current format version before this process writes objects of
     * that format into it (a backup, a copy into it, a prune): an older mint-backup then refuses the repository and
     * asks to be upgraded, instead of meeting snapshots and index objects it cannot read. The one object rewritten in
     * place, with the same content but its version: a write that fails (a store that retains the config) is logged,
     * and the repository works as before.
     */
    public void upgradeFormat() {
        synchronized (shared) {
            upgradeFormatLocked();
        }
    }

    private void upgradeFormatLocked() {
        RepoConfig current = shared.config;
        if (current.version() >= RepoConfig.CURRENT_VERSION) {
            return;
        }
        RepoConfig upgraded = current.withVersion(RepoConfig.CURRENT_VERSION);
        byte[] bytes = upgraded.toBytes();
        try {
            sink.put(RepoConfig.OBJECT, new ByteArrayInputStream(bytes), bytes.length, ObjectKind.CONFIG);
            shared.config = upgraded;
            LOG.info("the repository at {} is now of format version {} (snapshots as trees): mint-backup versions before"
                    + " it refuse it and ask to be upgraded", location(), RepoConfig.CURRENT_VERSION);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot raise the format version of the repository at {} to {} ({}); older mint-backup versions will"
                    + " report its new snapshots as damaged instead of asking to be upgraded", location(),
                    RepoConfig.CURRENT_VERSION, e.toString());
        }
    }

    private static Codec codecFor(RepoConfig config, RepositoryKeys keys) {
        List<Transformer> chain = new ArrayList<>();
        for (RepoConfig.TransformerSpec t : config.transformers()) {
            chain.add(Transformers.create(t.name(), t.parameters()));
        }
        return keys == null ? new Codec(chain) : new Codec(chain, keys.transformer(), keys.blobIdKey());
    }

    public Sink sink() {
        return sink;
    }

    public RepoConfig config() {
        return shared.config;
    }

    public Codec codec() {
        return codec;
    }

    public String location() {
        return sink.describe();
    }

    // ---- metadata objects

    /**
     * Reads a metadata object, checks its envelope and decodes it. A damaged read is read again before it is called
     * corrupt (see {@link #readChecked}).
     */
    public byte[] readMetadata(String name) {
        return readChecked(sink, "'" + name + "'", () -> readObject(name), sealed -> {
            byte[] encoded = Envelope.open(name, sealed);
            try {
                return codec.decode(encoded, -1);
            } catch (IOException | RuntimeException e) {
                throw new CorruptDataException("'" + name + "' in " + location() + " does not decode: " + e.getMessage(), e);
            }
        });
    }

    /** Reads whole objects (or ranges) for {@link #readChecked}. */
    @FunctionalInterface
    public interface Read {
        byte[] bytes();
    }

    /** Checks what was read; throws {@link CorruptDataException} when it is damaged. */
    @FunctionalInterface
    public interface Check<T> {
        T apply(byte[] bytes);
    }

    /**
     * Reads and checks an object, telling damage in the store from damage in transit. A read that fails its check is
     * read again, up to {@value #READ_ATTEMPTS} times in all: when a later read passes, the damage happened on the way
     * (a warning, no failure); when two reads fail with the same bytes, the stored object is damaged
     * ({@link CorruptDataException}); when every read fails with different bytes, something between here and the store
     * damages data, and the stored object may well be intact: a {@link TransitDamageException} that says so, not a
     * {@code CorruptDataException}. A missing object and I/O errors pass through unchanged.
     *
     * @param what the object for messages, e.g. {@code 'index/3fa2...'} or {@code blob 3fa2... in pack 'data/..'}
     */
    public static <T> T readChecked(Sink sink, String what, Read read, Check<T> check) {
        List<byte[]> badDigests = new ArrayList<>();
        CorruptDataException first = null;
        for (int attempt = 1; ; attempt++) {
            byte[] bytes = read.bytes();
            try {
                T value = check.apply(bytes);
                if (first != null) {
                    LOG.warn("{} arrived damaged from {} and read intact on attempt {}: damage in transit, not in the store ({})",
                            what, sink.describe(), attempt, first.getMessage());
                }
                return value;
            } catch (CorruptDataException e) {
                if (first == null) {
                    first = e;
                }
                byte[] digest = Sha256.hash(bytes);
                if (badDigests.stream().anyMatch(d -> java.util.Arrays.equals(d, digest))) {
                    throw new CorruptDataException(e.getMessage() + " (read " + attempt
                            + " times with the same result: the stored object is damaged)", e);
                }
                badDigests.add(digest);
                if (attempt >= READ_ATTEMPTS) {
                    throw new TransitDamageException(what + " arrived damaged " + attempt + " times from " + sink.describe()
                            + ", different bytes each time: something between here and the store damages data in transit;"
                            + " the stored object may be intact, try again (first: " + first.getMessage() + ")", first);
                }
                LOG.debug("{} from {} failed its check ({}); reading it again", what, sink.describe(), e.getMessage());
            }
        }
    }

    /** Encodes, seals and stores a metadata object; returns the stored size. */
    public long writeMetadata(String name, byte[] plaintext, ObjectKind kind) {
        try {
            byte[] sealed = Envelope.seal(codec.encode(plaintext));
            sink.put(name, new ByteArrayInputStream(sealed), sealed.length, kind);
            return sealed.length;
        } catch (IOException e) {
            throw new BackupException("cannot write '" + name + "' to " + location() + ": " + e.getMessage(), e);
        }
    }

    /** The whole object; a missing object is a {@link NotFoundException}. */
    public byte[] readObject(String name) {
        try (InputStream in = sink.get(name)) {
            return in.readAllBytes();
        } catch (NoSuchObjectException e) {
            throw new NotFoundException("object '" + name + "' does not exist in " + location());
        } catch (IOException e) {
            throw new BackupException("cannot read '" + name + "' from " + location() + ": " + e.getMessage(), e);
        }
    }

    public List<ObjectInfo> list(String prefix) {
        try (Stream<ObjectInfo> objects = sink.list(prefix)) {
            return objects.toList();
        } catch (IOException e) {
            throw new BackupException("cannot list '" + prefix + "' in " + location() + ": " + e.getMessage(), e);
        }
    }

    public void delete(String name) {
        try {
            sink.delete(name);
        } catch (IOException e) {
            throw new BackupException("cannot delete '" + name + "' from " + location() + ": " + e.getMessage(), e);
        }
    }

    // ---- snapshots

    public List<String> snapshotIds() {
        List<String> ids = new ArrayList<>(snapshotObjects().keySet());
        ids.sort(Comparator.naturalOrder());
        return ids;
    }

    private java.util.Map<String, ObjectInfo> snapshotObjects() {
        java.util.Map<String, ObjectInfo> out = new java.util.TreeMap<>();
        for (ObjectInfo o : list(Manifest.PREFIX)) {
            String id = o.name().substring(Manifest.PREFIX.length());
            if (SnapshotIds.isValid(id)) {
                out.put(id, o);
            }
        }
        return out;
    }

    /**
     * Keeps summaries of snapshots and tree packs in a local cache under {@code directory} (see {@link LocalCache});
     * {@code null} turns it off.
     */
    public void useCache(java.nio.file.Path directory) {
        shared.cache = directory == null ? null : new LocalCache(directory, config().id(), codec);
    }

    /** Stores a finished pack; a tree pack also goes to the local cache, for the next backup's parent comparison. */
    public void upload(PackWriter.Pack pack) throws IOException {
        pack.upload(sink);
        LocalCache c = shared.cache;
        if (c != null && pack.type() == BlobType.TREE) {
            c.putTree(pack);
        }
    }

    /**
     * Every snapshot, oldest first; fails when any snapshot object is damaged. For what must see every snapshot's data
     * (prune: a snapshot it cannot read still needs its blobs).
     */
    public List<Snapshot> snapshots() {
        Heads all = headsListing();
        if (!all.damaged().isEmpty()) {
            DamagedSnapshot d = all.damaged().get(0);
            throw new CorruptDataException("snapshot " + d.id() + " cannot be read: " + d.problem());
        }
        return all.heads().stream().map(Manifest::snapshot).toList();
    }

    /**
     * The readable snapshots (oldest first) and the damaged ones: a snapshot object that is stored damaged, or a tree
     * snapshot whose root tree is lost, affects only its own snapshot. Read errors that are not damage (I/O, damage in
     * transit) fail the listing. A root tree is lost when the index does not list it, or lists it in a tree pack that
     * is not stored or is cut short before it: checked from the index and one listing of {@code tree/}, without
     * reading a blob, so a listing of 10,000 snapshots stays as fast as their objects read. A root tree that is
     * stored but damaged, and damage deeper in a tree, are named by verify and by a restore of that snapshot.
     */
    public SnapshotListing listSnapshots() {
        Heads all = headsListing();
        List<Snapshot> out = new ArrayList<>();
        List<DamagedSnapshot> damaged = new ArrayList<>(all.damaged());
        java.util.Map<String, ObjectInfo> treePacks = null;
        boolean[] reloaded = {false};
        for (Manifest head : all.heads()) {
            String problem = null;
            if (head.isTree()) {
                if (treePacks == null) {
                    treePacks = new java.util.HashMap<>();
                    for (ObjectInfo o : list(Packs.TREE_PREFIX)) {
                        treePacks.put(o.name(), o);
                    }
                }
                problem = rootProblem(head.tree().orElseThrow(), treePacks, reloaded);
            }
            if (problem == null) {
                out.add(head.snapshot());
            } else {
                String id = head.snapshot().id();
                damaged.add(new DamagedSnapshot(id, Manifest.objectName(id), problem));
            }
        }
        damaged.sort(Comparator.comparing(DamagedSnapshot::id));
        return new SnapshotListing(out, damaged);
    }

    /** Why a snapshot's root tree is lost, or {@code null} when the index places it in a stored tree pack. */
    private String rootProblem(BlobId root, java.util.Map<String, ObjectInfo> treePacks, boolean[] reloaded) {
        BlobLocation at = index().find(root).orElse(null);
        if (at == null && !reloaded[0]) {
            reloaded[0] = true;
            at = reloadIndex().find(root).orElse(null); // a backup in another process may have indexed it since
        }
        if (at == null) {
            return "its root tree " + root + " is in no index object (`mint-backup repair index` rebuilds the index)";
        }
        ObjectInfo pack = treePacks.get(at.packObject());
        if (pack == null) {
            return "its root tree cannot be read: pack '" + at.packObject() + "' holding tree " + root + " is missing";
        }
        if (pack.size() < (long) at.offset() + at.length() + Packs.TRAILER) {
            return "its root tree cannot be read: pack '" + at.packObject() + "' is truncated before tree " + root;
        }
        return null;
    }

    /** The readable heads (oldest first) and the snapshots whose object is damaged (by id). */
    public record Heads(List<Manifest> heads, List<DamagedSnapshot> damaged) {
    }

    /**
     * The head of every snapshot whose object reads: its summary, layout and root tree (a flat snapshot's entries are
     * left out), oldest first; a damaged snapshot object is left out (see {@link #headsListing}).
     */
    public List<Manifest> heads() {
        return headsListing().heads();
    }

    /**
     * The head of every snapshot, oldest first, and the snapshots whose object is damaged. Snapshot objects are small
     * since format version 3: those not in the local cache are read in parallel.
     */
    public Heads headsListing() {
        java.util.Map<String, ObjectInfo> objects = snapshotObjects();
        LocalCache cache = shared.cache;
        List<Manifest> out = java.util.Collections.synchronizedList(new ArrayList<>());
        List<DamagedSnapshot> damaged = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> toRead = new ArrayList<>();
        java.util.Set<String> cached = new java.util.HashSet<>();
        for (java.util.Map.Entry<String, ObjectInfo> e : objects.entrySet()) {
            Manifest head = cache == null ? null : cache.get(e.getValue(), e.getKey());
            if (head != null) {
                out.add(head);
            } else {
                toRead.add(e.getKey());
            }
            cached.add(LocalCache.fileName(e.getValue(), e.getKey()));
        }
        java.util.function.Consumer<String> read = id -> {
            String name = Manifest.objectName(id);
            try {
                Manifest head = ManifestFormat.readHead(name, readMetadata(name));
                out.add(head);
                if (cache != null) {
                    cache.put(objects.get(id), head);
                }
            } catch (NotFoundException vanished) {
                // removed by a concurrent prune between list and read
            } catch (CorruptDataException e) {
                damaged.add(new DamagedSnapshot(id, name, e.getMessage()));
            }
        };
        if (toRead.size() < PARALLEL_READS_FROM) {
            toRead.forEach(read);
        } else {
            readInParallel(toRead, read);
        }
        if (cache != null) {
            cache.retain(cached);
        }
        List<Manifest> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparing((Manifest m) -> m.snapshot().time()).thenComparing(m -> m.snapshot().id()));
        List<DamagedSnapshot> bad = new ArrayList<>(damaged);
        bad.sort(Comparator.comparing(DamagedSnapshot::id));
        return new Heads(sorted, bad);
    }

    /** Reads on a few threads of this call's own, stopped when it returns: snapshot objects are small, latency rules. */
    private static void readInParallel(List<String> ids, java.util.function.Consumer<String> read) {
        int threads = Math.min(PARALLEL_READS, ids.size());
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "mint-backup-list-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (String id : ids) {
                futures.add(pool.submit(() -> read.accept(id)));
            }
            for (java.util.concurrent.Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new BackupException("cannot read a snapshot: " + e.getCause(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackupException("listing snapshots was interrupted");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    public Manifest manifest(String snapshotId) {
        String name = Manifest.objectName(snapshotId);
        return ManifestFormat.read(name, readMetadata(name));
    }

    /**
     * Stores a manifest: the same bytes as {@link #writeMetadata} of its JSON, but the JSON is encoded as it is
     * written, so only the encoded manifest is held in memory, never the plaintext beside it (which, for a backup of
     * a few hundred thousand small files, is what would not fit a small heap).
     */
    public long writeManifest(Manifest manifest) {
        String name = Manifest.objectName(manifest.snapshot().id());
        Buffer sealed = new Buffer(64 * 1024 + manifest.items().size() * 48);
        java.security.MessageDigest sha256 = Sha256.newDigest();
        try {
            ManifestFormat.write(manifest, codec.encoder(new java.security.DigestOutputStream(sealed, sha256)));
            sealed.write(sha256.digest()); // the Envelope trailer: SHA-256 of the encoded payload
            sink.put(name, sealed.asInputStream(), sealed.size(), ObjectKind.SNAPSHOT);
            return sealed.size();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BackupException("cannot write '" + name + "' to " + location() + ": " + e.getMessage(), e);
        }
    }

    /** A byte array output stream that hands its bytes out without copying them. */
    private static final class Buffer extends java.io.ByteArrayOutputStream {
        Buffer(int size) {
            super(size);
        }

        InputStream asInputStream() {
            return new ByteArrayInputStream(buf, 0, count);
        }
    }

    /**
     * Reads and parses a tree blob of the directory {@code directory} ("" for the root).
     *
     * @throws CorruptDataException naming the tree when it is missing, damaged or not a listing
     */
    public TreeFormat.Node readTree(BlobId id, String directory) {
        return TreeFormat.decode(id, directory, readBlob(id));
    }

    // ---- index and blobs

    /** The repository's index, loaded on first use and extended by this process's backups. */
    public BlobIndex index() {
        BlobIndex current = shared.index;
        if (current == null) {
            synchronized (shared) {
                current = shared.index;
                if (current == null) {
                    current = loadIndex();
                    shared.index = current;
                }
            }
        }
        return current;
    }

    /** Reads the index again, to see what other processes wrote. */
    public BlobIndex reloadIndex() {
        return reloadIndex(null);
    }

    /**
     * Reads the index again; with {@code onCorrupt}, an index object that is damaged (stored, or every read of it in
     * transit) is handed to it and left out instead of failing the load (verify, repair index). The index held before
     * is dropped first, so the two are never in memory together.
     */
    public BlobIndex reloadIndex(java.util.function.BiConsumer<String, BackupException> onCorrupt) {
        synchronized (shared) {
            shared.index = null;
            BlobIndex loaded = loadIndex(onCorrupt);
            shared.index = loaded;
            return loaded;
        }
    }

    private BlobIndex loadIndex() {
        return loadIndex(null);
    }

    private BlobIndex loadIndex(java.util.function.BiConsumer<String, BackupException> onCorrupt) {
        List<ObjectInfo> objects = list(IndexFile.PREFIX);
        BlobIndex loaded = new BlobIndex();
        // An index object takes 44 bytes a blob before compression and about 37 after (ids do not compress), so the
        // stored sizes say how many blobs to expect, a little high: the arrays are allocated once instead of growing
        // by copies, which would need their size twice over.
        long stored = 0;
        for (ObjectInfo o : objects) {
            stored += o.size();
        }
        BlobIndex.Builder builder = loaded.builder((int) Math.min(Integer.MAX_VALUE - 16, stored / STORED_BYTES_PER_BLOB));
        for (ObjectInfo o : objects) {
            try {
                byte[] plain = readMetadata(o.name());
                if (onCorrupt != null) {
                    // read through once on its own, so a damaged object adds nothing half-read
                    IndexFile.read(o.name(), plain, IndexFile.Visitor.NONE);
                }
                IndexFile.read(o.name(), plain, builder);
                builder.indexObject(o.name());
            } catch (NotFoundException vanished) {
                // replaced by a concurrent prune; its content lives in the replacement
            } catch (CorruptDataException | TransitDamageException e) {
                if (onCorrupt == null) {
                    throw e;
                }
                onCorrupt.accept(o.name(), e);
            }
        }
        builder.finishInto();
        LocalCache c = shared.cache;
        if (c != null) {
            c.retainTrees(loaded.packObjects(BlobType.TREE));
        }
        return loaded;
    }

    /** Stores an index object for {@code packs} and adds it to the loaded index; returns the stored size. */
    public long writeIndex(List<IndexFile.PackBlobs> packs) {
        return writeIndex(packs, true);
    }

    /**
     * Stores an index object for {@code packs}; returns the stored size.
     *
     * @param addToLoaded also add it to the loaded index (a backup does not: it knows its own blobs, and the loaded
     *     index then holds only what it read, in one compact run)
     */
    public long writeIndex(List<IndexFile.PackBlobs> packs, boolean addToLoaded) {
        byte[] plain = IndexFile.plaintext(packs);
        long size = writeIndex(plain);
        if (addToLoaded) {
            index().add(indexObjectName(plain), packs);
        }
        return size;
    }

    /** Stores an index object with this plaintext (not added to the loaded index); returns the stored size. */
    public long writeIndex(byte[] plain) {
        return writeMetadata(indexObjectName(plain), plain, ObjectKind.INDEX);
    }

    private String indexObjectName(byte[] plain) {
        // Keyed in an encrypted repository: an index object's name must not reveal a hash of its plaintext.
        return IndexFile.PREFIX + Hex.encode(codec.hash(plain));
    }

    /**
     * Reads one blob and checks it against its id.
     *
     * @throws CorruptDataException naming the blob and its pack when it is missing, does not decode or does not match
     */
    public byte[] readBlob(BlobId id) {
        BlobLocation location = index().find(id).orElse(null);
        if (location == null) {
            location = reloadIndex().find(id).orElseThrow(() -> new CorruptDataException(
                    "blob " + id + " is not in the index of " + location() + ": the repository is damaged"));
        }
        try {
            return readBlob(id, location);
        } catch (CorruptDataException e) {
            // A prune in another process may have repacked the blob since this index was loaded: look again, once.
            BlobLocation again = reloadIndex().find(id).orElse(null);
            if (again == null || again.equals(location)) {
                throw e;
            }
            return readBlob(id, again);
        }
    }

    /** Reads one blob from where {@code location} says and checks it against its id, reading again when damaged. */
    public byte[] readBlob(BlobId id, BlobLocation location) {
        String pack = location.packObject();
        LocalCache c = shared.cache;
        if (c != null && location.type() == BlobType.TREE) {
            byte[] cached;
            try {
                cached = c.readTree(sink, location);
            } catch (NoSuchObjectException e) {
                throw new CorruptDataException("pack '" + pack + "' holding blob " + id + " is missing from " + location());
            } catch (IOException e) {
                throw new BackupException("cannot read pack '" + pack + "' from " + location() + ": " + e.getMessage(), e);
            }
            if (cached != null) {
                try {
                    return decodeBlob(id, pack, cached, location.plainLength());
                } catch (CorruptDataException e) {
                    // the cached copy may be what is damaged: read from the repository, which decides
                    c.evictTree(pack);
                }
            }
        }
        return readChecked(sink, "blob " + id + " in pack '" + pack + "'", () -> {
            byte[] encoded = new byte[location.length()];
            try (InputStream in = sink.get(pack, location.offset(), location.length())) {
                int n = in.readNBytes(encoded, 0, encoded.length);
                return n == encoded.length ? encoded : java.util.Arrays.copyOf(encoded, n);
            } catch (NoSuchObjectException e) {
                throw new CorruptDataException("pack '" + pack + "' holding blob " + id + " is missing from " + location());
            } catch (IOException e) {
                throw new BackupException("cannot read pack '" + pack + "' from " + location() + ": " + e.getMessage(), e);
            }
        }, encoded -> {
            if (encoded.length != location.length()) {
                throw new CorruptDataException("pack '" + pack + "' is corrupt: it ends before blob " + id
                        + " (" + encoded.length + " of " + location.length() + " bytes)");
            }
            return decodeBlob(id, pack, encoded, location.plainLength());
        });
    }

    public byte[] decodeBlob(BlobId id, String pack, byte[] encoded, int plainLength) {
        byte[] plain;
        try {
            plain = codec.decode(encoded, plainLength);
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("blob " + id + " in pack '" + pack + "' is corrupt: it does not decode ("
                    + e.getMessage() + ")", e);
        }
        if (!codec.matches(id, plain)) {
            throw new CorruptDataException("blob " + id + " in pack '" + pack + "' is corrupt: its content does not match its id");
        }
        return plain;
    }
}
