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
    private final RepoConfig config;
    private final Codec codec;
    /** The loaded index, shared with the views {@link #withSink} makes. */
    private final Indexes indexes;

    /** The index as loaded and extended by this process; its monitor guards loading. */
    private static final class Indexes {
        volatile BlobIndex index;
    }

    private Store(Sink sink, RepoConfig config, Codec codec) {
        this(sink, config, codec, new Indexes());
    }

    private Store(Sink sink, RepoConfig config, Codec codec, Indexes indexes) {
        this.sink = sink;
        this.config = config;
        this.codec = codec;
        this.indexes = indexes;
    }

    /**
     * The same repository through another Sink object (a run's watched view of this Store's Sink): config, codec and
     * loaded index are shared, so what the view stores is known to this Store too.
     */
    public Store withSink(Sink view) {
        return view == sink ? this : new Store(view, config, codec, indexes);
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
        return config;
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
        List<String> ids = new ArrayList<>();
        for (ObjectInfo o : list(Manifest.PREFIX)) {
            String id = o.name().substring(Manifest.PREFIX.length());
            if (SnapshotIds.isValid(id)) {
                ids.add(id);
            }
        }
        ids.sort(Comparator.naturalOrder());
        return ids;
    }

    /**
     * Every snapshot, oldest first; fails when any manifest is damaged. For what must see every snapshot's data
     * (prune: a snapshot it cannot read still needs its blobs).
     */
    public List<Snapshot> snapshots() {
        SnapshotListing listing = listSnapshots();
        if (!listing.damaged().isEmpty()) {
            DamagedSnapshot d = listing.damaged().get(0);
            throw new CorruptDataException("snapshot " + d.id() + " cannot be read: " + d.problem());
        }
        return listing.snapshots();
    }

    /**
     * The readable snapshots (oldest first) and the damaged ones: a manifest that is stored damaged affects only its
     * own snapshot. Read errors that are not damage (I/O, damage in transit) fail the listing.
     */
    public SnapshotListing listSnapshots() {
        List<Snapshot> out = new ArrayList<>();
        List<DamagedSnapshot> damaged = new ArrayList<>();
        for (String id : snapshotIds()) {
            String name = Manifest.objectName(id);
            try {
                out.add(ManifestFormat.readSummary(name, readMetadata(name)));
            } catch (NotFoundException vanished) {
                // removed by a concurrent prune between list and read
            } catch (CorruptDataException e) {
                damaged.add(new DamagedSnapshot(id, name, e.getMessage()));
            }
        }
        out.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
        return new SnapshotListing(out, damaged);
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

    // ---- index and blobs

    /** The repository's index, loaded on first use and extended by this process's backups. */
    public BlobIndex index() {
        BlobIndex current = indexes.index;
        if (current == null) {
            synchronized (indexes) {
                current = indexes.index;
                if (current == null) {
                    current = loadIndex();
                    indexes.index = current;
                }
            }
        }
        return current;
    }

    /** Reads the index again, to see what other processes wrote. */
    public BlobIndex reloadIndex() {
        synchronized (indexes) {
            BlobIndex loaded = loadIndex();
            indexes.index = loaded;
            return loaded;
        }
    }

    private BlobIndex loadIndex() {
        BlobIndex loaded = new BlobIndex();
        for (ObjectInfo o : list(IndexFile.PREFIX)) {
            try {
                loaded.add(o.name(), IndexFile.parse(o.name(), readMetadata(o.name())));
            } catch (NotFoundException vanished) {
                // replaced by a concurrent prune; its content lives in the replacement
            }
        }
        return loaded;
    }

    /** Stores an index object for {@code packs} and adds it to the loaded index; returns the stored size. */
    public long writeIndex(List<IndexFile.PackBlobs> packs) {
        byte[] plain = IndexFile.plaintext(packs);
        // Keyed in an encrypted repository: an index object's name must not reveal a hash of its plaintext.
        String name = IndexFile.PREFIX + Hex.encode(codec.hash(plain));
        long size = writeMetadata(name, plain, ObjectKind.INDEX);
        index().add(name, packs);
        return size;
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
