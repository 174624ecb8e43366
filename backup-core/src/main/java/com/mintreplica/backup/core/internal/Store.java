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
import com.mintreplica.backup.core.encryption.AccessControl;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes a repository's objects on its Sink: config, manifests, indexes, packs and blobs. Metadata objects
 * are encoded by the chain and sealed in an {@link Envelope}; every blob read is checked against its id.
 *
 * <p>In an encrypted repository, manifests and index objects also pass the keys' {@link AccessControl} (which signs
 * and checks them), and leases use the transformer readers and writers share. Opened with write-only keys (a writer),
 * the Store refuses everything that reads stored content, writes through a {@link WriterSink} (which never replaces
 * or deletes anything but its own leases), reads only the id parts of index objects, and keeps the parent of the next
 * backup in a local {@link ParentCache}.
 */
public final class Store {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    /**
     * How many times an object that fails its check is read in all before it is called damaged in transit. Damage in
     * the store shows at the second read (the same bytes again), so this bounds only reads that fail with different
     * bytes each time: five, so that a link that damages one answer in ten (a store failing half its requests, a
     * fifth of them by flipping a byte) fails one read in 100,000, not one in a thousand (three reads), which ended
     * copies of 100,000 small files through such a store.
     */
    public static final int READ_ATTEMPTS = 5;
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
     * Whether tree blobs are read from the local cache's tree packs when it has them (false: always from the
     * repository, {@link #readingTreesFromRepository}).
     */
    private final boolean treesFromCache;
    /** A view's own cache of whole tree packs (verify's, fresh from the repository), or null. */
    private final LocalCache ownTrees;
    /** Leases: readable by every holder of the repository's keys, writers included. */
    private final Codec lockCodec;
    /** The id parts of index objects: sealed only, like leases. */
    private final Codec idCodec;
    /** Null for an unencrypted repository. */
    private final AccessControl access;
    private final ParentCache parentCache;
    /** A writer's cache of index objects' id parts (see {@link WriterIndexCache}); null for readers, or without a cache. */
    private final WriterIndexCache writerIndexCache;
    /** Snapshots whose manifest the keys do not trust, with why; filled by {@link #snapshots()}. */
    private final Map<String, Untrusted> untrusted;
    /** Snapshots that a writer (not a reader) wrote; filled as manifests are read. */
    private final Map<String, Boolean> byWriter;

    /**
     * What this process knows of the repository, shared by a Store and its views: the index as loaded and extended by
     * this process, the tree-pack cache and the config. Its monitor guards loading the index and raising the config.
     */
    private static final class Shared {
        volatile BlobIndex index;
        volatile LocalCache cache;
        volatile RepoConfig config;
        /** The encryption the repository was opened with (null: none), for {@link #objectCodec()}. */
        volatile RepositoryEncryption encryption;
        /** The codec of standalone objects, made on first use. */
        volatile Codec objectCodec;

        Shared(RepoConfig config) {
            this.config = config;
        }
    }

    /** A snapshot the keys do not trust, with why (for example, written by a revoked writer). */
    public record Untrusted(Snapshot snapshot, String reason) {
    }

    private Store(Sink sink, RepoConfig config, Codec codec, RepositoryKeys keys) {
        this.access = keys == null ? null : keys.access();
        boolean writer = access != null && !access.canRead();
        this.sink = writer ? new WriterSink(sink) : sink;
        this.codec = codec;
        if (keys == null) {
            this.lockCodec = codec;
            this.idCodec = codec;
        } else {
            this.lockCodec = new Codec(codec.chain(), access.shared(), keys.blobIdKey());
            this.idCodec = new Codec(List.of(), access.shared(), keys.blobIdKey());
        }
        this.parentCache = access == null ? null
                : access.parentCache().map(c -> new ParentCache(c, config.id())).orElse(null);
        this.writerIndexCache = !writer ? null
                : access.parentCache().map(c -> new WriterIndexCache(c, config.id())).orElse(null);
        this.untrusted = new ConcurrentHashMap<>();
        this.byWriter = new ConcurrentHashMap<>();
        this.shared = new Shared(config);
        this.treesFromCache = true;
        this.ownTrees = null;
    }

    /** A view of {@code of} through another Sink: everything but the Sink is shared. */
    private Store(Store of, Sink view) {
        this(of, view, of.treesFromCache);
    }

    private Store(Store of, Sink view, boolean treesFromCache) {
        this(of, view, treesFromCache, null);
    }

    private Store(Store of, Sink view, boolean treesFromCache, LocalCache ownTrees) {
        this.treesFromCache = treesFromCache;
        this.ownTrees = ownTrees;
        // A writer never overwrites or deletes, through whatever view (a view normally wraps the WriterSink already).
        this.sink = of.access != null && !of.access.canRead() && !(view instanceof WriterSink) ? new WriterSink(view) : view;
        this.codec = of.codec;
        this.lockCodec = of.lockCodec;
        this.idCodec = of.idCodec;
        this.access = of.access;
        this.parentCache = of.parentCache;
        this.writerIndexCache = of.writerIndexCache;
        this.untrusted = of.untrusted;
        this.byWriter = of.byWriter;
        this.shared = of.shared;
    }

    /**
     * The same repository through another Sink object (a run's watched view of this Store's Sink): config, codec, keys,
     * loaded index and tree-pack cache are shared, so what the view stores is known to this Store too.
     */
    public Store withSink(Sink view) {
        return view == sink ? this : new Store(this, view);
    }

    /**
     * The same repository, reading every tree blob from the repository rather than from the local cache's copy of its
     * pack: what verify and repair judge must be what is stored (a tree pack damaged in the repository and whole in
     * the cache restores on this host and nowhere else, as after a disaster). Its reads do not fill the cache either.
     */
    public Store readingTreesFromRepository() {
        return treesFromCache ? new Store(this, sink, false) : this;
    }

    /**
     * The same repository, reading each tree pack whole from the repository once, into a cache of its own in
     * {@code directory} (empty, the caller's to delete), as restic's check does with its temporary cache: verify
     * fetched every tree blob with a request of its own, 216 ranged reads of 3 tree packs for a tree of 20,000 files,
     * each one backing off under a store's throttling. Still what is stored that is judged: the copies are fresh, and
     * each blob is checked against its id as it is read.
     */
    public Store readingTreesThrough(java.nio.file.Path directory) {
        return new Store(this, sink, false, new LocalCache(directory, config().id(), codec));
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
            if (encryption != null && encryption.writeOnly()) {
                throw new AccessDeniedException("the repository at " + sink.describe() + " is not encrypted, but the"
                        + " keys given (" + encryption + ") are write-only keys of an encrypted repository: a writer"
                        + " never stores anything in clear; check the repository address");
            }
            if (encryption != null) {
                LOG.warn("the repository at {} is not encrypted: the {} keys given are not used", sink.describe(),
                        encryption.scheme());
            }
            return new Store(sink, config, codecFor(config, null), null);
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
        Store store = new Store(sink, config, codecFor(config, keys), keys);
        store.shared.encryption = encryption;
        return store;
    }

    /**
     * The codec of standalone objects (archived WAL): the recorded chain, then in an encrypted repository the sealing of
     * the single-object layout (an OpenPGP message to the recipients, which {@code gpg --decrypt} opens), whatever this
     * repository's layout. In a single-object or unencrypted repository that is {@link #codec()}; in an encrypted
     * chunked one the encryption is unlocked a second time, as for a single-object repository, so a writer (public
     * material only) seals for the recipients exactly as it does there.
     */
    /** Records the encryption a new repository was created with, for {@link #objectCodec()}. */
    public void createdWith(RepositoryEncryption encryption) {
        shared.encryption = encryption;
    }

    public Codec objectCodec() {
        Codec c = shared.objectCodec;
        if (c != null) {
            return c;
        }
        synchronized (shared) {
            if (shared.objectCodec == null) {
                RepoConfig config = shared.config;
                if (access == null || config.layout() == com.mintreplica.backup.core.Layout.SINGLE) {
                    shared.objectCodec = codec;
                } else {
                    if (shared.encryption == null) {
                        throw new UnsupportedException("the repository at " + sink.describe() + " was created by this"
                                + " process and its encryption is not known here: open it again to store standalone objects");
                    }
                    RepositoryKeys objectKeys;
                    try {
                        objectKeys = shared.encryption.unlock(new RepositoryEncryption.Context(sink, config.id(),
                                com.mintreplica.backup.core.Layout.SINGLE, config.extensions()));
                    } catch (IOException e) {
                        throw new BackupException("cannot read the keys of the repository at " + sink.describe() + ": "
                                + e.getMessage(), e);
                    }
                    shared.objectCodec = codecFor(config, objectKeys);
                }
            }
            return shared.objectCodec;
        }
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
        return new Store(sink, config, codecFor(config, keys), keys);
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
        if (!canRead()) {
            // A writer never replaces an object (WriterSink, and its S3 policy): the next reader that writes raises it.
            LOG.debug("a writer leaves the format version of {} at {}", location(), current.version());
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

    // ---- access

    /** Whether the keys read what is stored: false for a writer's (write-only) keys. */
    public boolean canRead() {
        return access == null || access.canRead();
    }

    /**
     * Fails unless the keys read what is stored.
     *
     * @param what what needs reading, e.g. {@code "restoring a snapshot"}
     * @throws AccessDeniedException naming what is needed
     */
    public void requireReader(String what) {
        if (!canRead()) {
            throw new AccessDeniedException(what + " needs a reader's key: the repository at " + location()
                    + " was opened with " + access.describe() + ", which can only add snapshots and decrypts nothing"
                    + " stored. Give the secret key of one of its recipients (--key SECRET.asc)");
        }
    }

    /** Starts a write session (see {@link AccessControl#beginWrite}); held for the length of a shared lease. */
    public AccessControl.Session beginWrite() {
        if (access == null) {
            return () -> {
            };
        }
        try {
            return access.beginWrite();
        } catch (IOException e) {
            throw new BackupException("cannot start writing to " + location() + ": " + e.getMessage(), e);
        }
    }

    /** Whether index objects are written with a writer-readable id part (the repository has writers). */
    public boolean writesIdParts() {
        return access != null && access.writesIdParts();
    }

    /** The codec of lease objects, which readers and writers both read. */
    public Codec lockCodec() {
        return lockCodec;
    }

    // ---- metadata objects

    /** A metadata object opened (signature checked) and decoded. */
    private record OpenedObject(AccessControl.Opened opened, byte[] plaintext) {
    }

    /** Opening (signature) and decoding in one check, so that damage found by either is read again. */
    private OpenedObject openAndDecode(String name) {
        return readChecked(sink, "'" + name + "'", () -> readObject(name), stored -> {
            AccessControl.Opened opened = open(name, stored);
            return new OpenedObject(opened, decodeMetadata(name, opened.content()));
        });
    }

    private AccessControl.Opened open(String name, byte[] stored) {
        if (access == null) {
            return AccessControl.Opened.byReader(stored);
        }
        try {
            return access.open(name, stored);
        } catch (IOException e) {
            throw new CorruptDataException("'" + name + "' in " + location() + " cannot be checked: " + e.getMessage(), e);
        }
    }

    private byte[] seal(String name, byte[] content) {
        if (access == null) {
            return content;
        }
        try {
            return access.seal(name, content);
        } catch (IOException e) {
            throw new BackupException("cannot sign '" + name + "' for " + location() + ": " + e.getMessage(), e);
        }
    }

    // ---- standalone objects (archived WAL): the signature travels in the name

    private static final java.util.Base64.Encoder NAME_SIGNATURE = java.util.Base64.getUrlEncoder().withoutPadding();

    /**
     * The name to store the standalone object {@code base} under: {@code base}, then {@code -} and the keys' signature
     * of {@code base} (base64url, no padding) when they sign (the repository has writers), then the codec's suffix.
     */
    public String standaloneName(String base) {
        String suffix = objectCodec().fileSuffix();
        if (access == null) {
            return base + suffix;
        }
        byte[] signature;
        if (access.canRead()) {
            signature = seal(base, new byte[0]);
        } else {
            // A writer checks at each session's start that it is not revoked; a standalone object (a WAL file) is
            // pushed outside any, and a long-running archiver must stop when its key is revoked, not go on storing
            // what readers refuse.
            try (AccessControl.Session checked = access.beginWrite()) {
                signature = seal(base, new byte[0]);
            } catch (IOException e) {
                throw new BackupException("cannot check the writers list of " + sink.describe() + ": " + e.getMessage(), e);
            }
        }
        return signature.length == 0 ? base + suffix : base + "-" + NAME_SIGNATURE.encodeToString(signature) + suffix;
    }

    /**
     * Why the stored standalone object {@code object} (named {@code base}, its signature if any, a suffix) must not be
     * trusted, or empty when it is: signed by a key the keys trust, or unsigned and stored before the repository got
     * writers (or the repository has none).
     */
    public Optional<String> untrustedStandalone(ObjectInfo object, String base) {
        String name = object.name();
        if (!name.startsWith(base)) {
            throw new IllegalArgumentException("'" + name + "' is not named after '" + base + "'");
        }
        if (access == null) {
            return Optional.empty(); // nothing is signed or authenticated without keys
        }
        String rest = name.substring(base.length());
        try {
            if (rest.startsWith("-")) {
                int dot = rest.indexOf('.');
                String encoded = dot < 0 ? rest.substring(1) : rest.substring(1, dot);
                byte[] signature;
                try {
                    signature = java.util.Base64.getUrlDecoder().decode(encoded);
                } catch (IllegalArgumentException e) {
                    return Optional.of("its name carries '" + encoded + "' where a signature belongs, which is not base64url");
                }
                if (signature.length == 0) {
                    return Optional.of("its name carries an empty signature");
                }
                AccessControl.Opened opened;
                try {
                    opened = access.open(base, signature);
                } catch (CorruptDataException e) {
                    return Optional.of("the signature its name carries is forged or damaged (" + e.getMessage() + ")");
                }
                if (opened.content().length != 0) {
                    // open() hands back what is not a signature as content: a name signature signs empty content
                    return Optional.of("its name carries no valid signature"
                            + opened.untrusted().map(u -> " (" + u + ")").orElse(""));
                }
                return opened.untrusted();
            }
            Optional<java.time.Instant> since = access.signedSince();
            if (since.isEmpty() || object.lastModified().isBefore(since.get())) {
                return Optional.empty();
            }
            return Optional.of("it is not signed, and it was stored on " + object.lastModified() + ", after the repository"
                    + " got writers (" + since.get() + "); since then every such object is signed by a reader or a writer");
        } catch (IOException e) {
            throw new BackupException("cannot check the signature of '" + name + "' in " + location() + ": "
                    + e.getMessage(), e);
        }
    }

    private byte[] decodeMetadata(String name, byte[] enveloped) {
        byte[] encoded = Envelope.open(name, enveloped);
        try {
            return codec.decode(encoded, -1);
        } catch (AccessDeniedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("'" + name + "' in " + location() + " does not decode: " + e.getMessage(), e);
        }
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
                    TransitDamage.healed(what + " arrived damaged from " + sink.describe() + " and read intact on attempt "
                            + attempt + ": damage in transit, not in the store (" + first.getMessage() + ")");
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

    /**
     * Reads, checks and decodes a manifest or an index object of format 1 (index objects of either format:
     * {@link #readIndexObject}). A damaged read is read again before it is called corrupt (see {@link #readChecked}).
     */
    public byte[] readMetadata(String name) {
        requireReader("reading '" + name + "'");
        return openAndDecode(name).plaintext();
    }

    /** Encodes, seals, signs and stores a metadata object; returns the stored size. */
    public long writeMetadata(String name, byte[] plaintext, ObjectKind kind) {
        try {
            return put(name, seal(name, Envelope.seal(codec.encode(plaintext))), kind);
        } catch (IOException e) {
            throw new BackupException("cannot write '" + name + "' to " + location() + ": " + e.getMessage(), e);
        }
    }

    private long put(String name, byte[] stored, ObjectKind kind) {
        try {
            sink.put(name, new ByteArrayInputStream(stored), stored.length, kind);
            return stored.length;
        } catch (IOException e) {
            throw new BackupException("cannot write '" + name + "' to " + location() + ": " + e.getMessage(), e);
        }
    }

    /** A lease object as stored: the JSON encoded by the lock codec, in an envelope. */
    public byte[] encodeLock(String name, byte[] json) {
        try {
            return Envelope.seal(lockCodec.encode(json));
        } catch (IOException e) {
            throw new BackupException("cannot encode the lock '" + name + "': " + e.getMessage(), e);
        }
    }

    /** The JSON of a lease object. */
    public byte[] readLock(String name) {
        byte[] encoded = Envelope.open(name, readObject(name));
        try {
            return lockCodec.decode(encoded, -1);
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("'" + name + "' in " + location() + " does not decode: " + e.getMessage(), e);
        }
    }

    /** The whole object as a stream, to read a large one a piece at a time; a missing object is a {@link NotFoundException}. */
    public InputStream open(String name) {
        try {
            return sink.get(name);
        } catch (NoSuchObjectException e) {
            throw new NotFoundException("object '" + name + "' does not exist in " + location());
        } catch (IOException e) {
            throw new BackupException("cannot read '" + name + "' from " + location() + ": " + e.getMessage(), e);
        }
    }

    /** The whole object; a missing object is a {@link NotFoundException}. */
    public byte[] readObject(String name) {
        return readObject(name, -1);
    }

    /**
     * Reads an object whose size the caller knows from a listing into an array of that size: {@code readAllBytes}
     * collects a stream of unknown length in pieces and then copies them into one array, twice the object's size at
     * once (32 MiB for a 16 MiB pack, which ran verify out of a 64 MiB heap). A store that returns another size gets
     * what it returned, for the caller's checks to name; an unknown size ({@code -1}) is read as it comes.
     */
    public byte[] readObject(String name, long size) {
        try (InputStream in = sink.get(name)) {
            return size <= 0 || size > Integer.MAX_VALUE - 16 ? in.readAllBytes() : readSized(in, (int) size);
        } catch (NoSuchObjectException e) {
            throw new NotFoundException("object '" + name + "' does not exist in " + location());
        } catch (IOException e) {
            throw new BackupException("cannot read '" + name + "' from " + location() + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readSized(InputStream in, int size) throws IOException {
        byte[] bytes = new byte[size];
        int n = in.readNBytes(bytes, 0, size);
        if (n < size) {
            return java.util.Arrays.copyOf(bytes, n);
        }
        byte[] more = in.readAllBytes();
        if (more.length == 0) {
            return bytes;
        }
        byte[] all = java.util.Arrays.copyOf(bytes, size + more.length);
        System.arraycopy(more, 0, all, size, more.length);
        return all;
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
        // A writer reads neither snapshot objects nor tree packs: it has nothing to cache.
        shared.cache = directory == null || !canRead() ? null : new LocalCache(directory, config().id(), codec);
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
        return new SnapshotListing(out, damaged, all.untrusted().stream()
                .map(u -> new com.mintreplica.backup.core.UntrustedSnapshot(u.snapshot(), u.reason())).toList());
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

    /**
     * The readable heads (oldest first), the snapshots whose object is damaged (by id) and those the keys do not trust
     * (oldest first).
     */
    public record Heads(List<Manifest> heads, List<DamagedSnapshot> damaged, List<Untrusted> untrusted) {
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
        requireReader("listing snapshots");
        java.util.Map<String, ObjectInfo> objects = snapshotObjects();
        LocalCache cache = shared.cache;
        LocalCache.Heads loaded = cache == null ? LocalCache.Heads.NONE : cache.loadHeads();
        java.util.Map<String, CachedHeads.Entry> held = loaded.entries();
        List<Manifest> out = java.util.Collections.synchronizedList(new ArrayList<>());
        List<DamagedSnapshot> damaged = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> toRead = new ArrayList<>();
        // what the cache is to hold after this listing: the entries of listed, unchanged objects, and those read now
        Map<String, CachedHeads.Entry> keep = new ConcurrentHashMap<>();
        Map<String, Untrusted> notTrusted = new ConcurrentHashMap<>();
        for (java.util.Map.Entry<String, ObjectInfo> e : objects.entrySet()) {
            CachedHeads.Entry c = held.get(e.getKey());
            if (c == null || !c.matches(e.getValue())) {
                toRead.add(e.getKey());
                continue;
            }
            AccessControl.Opened now = null;
            if (c.recheck().isPresent()) {
                // a writer's snapshot: trusted only while the keys, as they are now, trust that writer
                now = recheck(e.getKey(), c.recheck().get());
                if (now == null) {
                    toRead.add(e.getKey());
                    continue;
                }
                byWriter.put(e.getKey(), true);
            }
            keep.put(e.getKey(), c);
            if (now != null && now.untrusted().isPresent()) {
                notTrusted.put(e.getKey(), new Untrusted(c.head().snapshot(), now.untrusted().get()));
                continue;
            }
            out.add(c.head());
        }
        java.util.function.Consumer<String> read = id -> {
            String name = Manifest.objectName(id);
            try {
                OpenedObject opened = openAndDecode(name);
                Manifest head = ManifestFormat.readHead(name, opened.plaintext());
                byWriter.put(id, opened.opened().writer());
                // What a reader wrote is cached as it is. A writer's snapshot that is trusted now stops being trusted
                // when the writer is revoked without keeping it: it is cached with the token the keys gave, and every
                // later listing asks the keys again with it (recheck) before it counts.
                Optional<String> recheck = opened.opened().recheck();
                if (cache != null && (!opened.opened().writer() || recheck.isPresent())) {
                    ObjectInfo info = objects.get(id);
                    Manifest summary = head.isTree() ? head : new Manifest(head.snapshot(), head.layout(), List.of());
                    keep.put(id, new CachedHeads.Entry(id, info.size(), info.lastModified(), summary, recheck));
                }
                if (opened.opened().untrusted().isPresent()) {
                    // A tree snapshot too: its root tree (and so every subtree) is reached only through its head.
                    notTrusted.put(id, new Untrusted(head.snapshot(), opened.opened().untrusted().get()));
                    return;
                }
                out.add(head);
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
        // written only when it changes: a snapshot read now (new, or replaced under its id) or one no longer listed
        if (cache != null) {
            cache.updateHeads(loaded, keep);
        }
        untrusted.clear();
        untrusted.putAll(notTrusted);
        List<Untrusted> left = new ArrayList<>(notTrusted.values());
        left.sort(Comparator.comparing((Untrusted u) -> u.snapshot().time()).thenComparing(u -> u.snapshot().id()));
        List<Manifest> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparing((Manifest m) -> m.snapshot().time()).thenComparing(m -> m.snapshot().id()));
        List<DamagedSnapshot> bad = new ArrayList<>(damaged);
        bad.sort(Comparator.comparing(DamagedSnapshot::id));
        return new Heads(sorted, bad, left);
    }

    /**
     * What the keys say now of the writer's snapshot {@code id}, cached with {@code token}: null when they cannot tell
     * without the object (it is read again).
     */
    private AccessControl.Opened recheck(String id, String token) {
        if (access == null) {
            return null;
        }
        try {
            return access.recheck(Manifest.objectName(id), token).orElse(null);
        } catch (IOException e) {
            LOG.debug("cannot recheck the cached snapshot {} ({}); reading it again", id, e.toString());
            return null;
        }
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

    /** The snapshots the last {@link #snapshots()} left out because the keys do not trust them, oldest first. */
    public List<Untrusted> untrusted() {
        List<Untrusted> out = new ArrayList<>(untrusted.values());
        out.sort(Comparator.comparing((Untrusted u) -> u.snapshot().time()).thenComparing(u -> u.snapshot().id()));
        return out;
    }

    /** Whether a writer (not a reader) wrote the snapshot, as far as its manifest was read by this Store. */
    public boolean writtenByWriter(String snapshotId) {
        return byWriter.getOrDefault(snapshotId, false);
    }

    /**
     * The manifest of a trusted snapshot.
     *
     * @throws AccessDeniedException when the keys cannot read it, or do not trust it (saying why)
     */
    public Manifest manifest(String snapshotId) {
        return manifest(snapshotId, false);
    }

    /**
     * The manifest of a snapshot; with {@code evenUntrusted}, also of one the keys do not trust (prune keeps the data
     * of those: deleting it is a person's decision).
     */
    public Manifest manifest(String snapshotId, boolean evenUntrusted) {
        requireReader("reading snapshot " + snapshotId);
        String name = Manifest.objectName(snapshotId);
        OpenedObject read = openAndDecode(name);
        AccessControl.Opened opened = read.opened();
        byWriter.put(snapshotId, opened.writer());
        if (!evenUntrusted && opened.untrusted().isPresent()) {
            throw new AccessDeniedException("snapshot " + snapshotId + " in " + location() + " is not trusted: "
                    + opened.untrusted().get());
        }
        return ManifestFormat.read(name, read.plaintext());
    }

    /** Stores a backup's manifest, the commit point of a snapshot; a writer then updates its parent cache. */
    public long writeManifest(Manifest manifest) {
        return writeManifest(manifest, true);
    }

    /**
     * Stores a manifest.
     *
     * @param asParent whether a writer keeps it in its parent cache (true for its own backups, false for copies)
     */
    public long writeManifest(Manifest manifest, boolean asParent) {
        long size = writeManifestObject(manifest);
        if (asParent && parentCache != null && !manifest.isTree()) {
            parentCache.save(manifest);
        }
        return size;
    }

    /**
     * Whether this Store keeps a writer's parent cache: a backup of a tree snapshot then hands its files to
     * {@link #cachedParentWriter} as its tree blobs are made, since the snapshot object (a head) does not list them.
     */
    public boolean keepsParentCache() {
        return parentCache != null;
    }

    /**
     * A writer's collector of the files of a backup of {@code host} and {@code source} for its parent cache (see
     * {@link ParentCache}), committed once the snapshot is; null for a reader. The caller closes it.
     */
    public ParentCache.Writer cachedParentWriter(String host, com.mintreplica.backup.core.source.SourceId source) {
        return parentCache == null ? null : parentCache.writer(host, source);
    }

    /**
     * Stores a manifest: the same bytes as {@link #writeMetadata} of its JSON, but the JSON is encoded as it is
     * written, so only the encoded manifest is held in memory, never the plaintext beside it (which, for a backup of
     * a few hundred thousand small files, is what would not fit a small heap). In an encrypted repository the keys
     * then sign it (a copy of the encoded bytes).
     */
    private long writeManifestObject(Manifest manifest) {
        String name = Manifest.objectName(manifest.snapshot().id());
        Buffer sealed = new Buffer(64 * 1024 + manifest.items().size() * 48);
        java.security.MessageDigest sha256 = Sha256.newDigest();
        try {
            ManifestFormat.write(manifest, codec.encoder(new java.security.DigestOutputStream(sealed, sha256)));
            sealed.write(sha256.digest()); // the Envelope trailer: SHA-256 of the encoded payload
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BackupException("cannot write '" + name + "' to " + location() + ": " + e.getMessage(), e);
        }
        if (access != null) {
            return put(name, seal(name, sealed.toByteArray()), ObjectKind.SNAPSHOT);
        }
        try {
            sink.put(name, sealed.asInputStream(), sealed.size(), ObjectKind.SNAPSHOT);
            return sealed.size();
        } catch (IOException e) {
            throw new BackupException("cannot write '" + name + "' to " + location() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A writer's parent for the next backup of {@code host} and {@code source}: what its local cache says its last
     * backup stored (it cannot read manifests), served a directory at a time. Empty for readers, and when the cache has
     * nothing valid. The caller closes it.
     */
    public Optional<ParentCache.Reader> cachedParent(String host, com.mintreplica.backup.core.source.SourceId source) {
        return parentCache == null ? Optional.empty() : parentCache.load(host, source);
    }

    /**
     * A writer's record of what its last copy of {@code host}'s {@code source} from the repository
     * {@code fromRepository} stored here (see {@link ParentCache#loadCopies}): a copy into a repository it cannot read
     * takes its files' target ids from it instead of reading them again. Empty for readers, and when there is none.
     */
    public Optional<ParentCache.Reader> copiedFiles(String fromRepository, String host,
                                                     com.mintreplica.backup.core.source.SourceId source) {
        return parentCache == null ? Optional.empty() : parentCache.loadCopies(fromRepository, host, source);
    }

    /** A writer's collector of a copy's files for {@link #copiedFiles}; null for a reader. The caller closes it. */
    public ParentCache.Writer copiedFilesWriter(String fromRepository, String host,
                                                com.mintreplica.backup.core.source.SourceId source) {
        return parentCache == null ? null : parentCache.copiesWriter(fromRepository, host, source);
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
        int plainLength = index().find(id).map(BlobLocation::plainLength).orElse(0);
        if (plainLength >= TreeFormat.SPOOLED_FROM) {
            SpooledBytes spool;
            try {
                spool = SpooledBytes.create();
            } catch (IOException | RuntimeException e) {
                spool = null;
                LOG.debug("no temporary file for the listing of '{}' ({}): it is held in memory", directory, e.toString());
            }
            if (spool != null) {
                SpooledBytes to = spool;
                boolean handedOut = false;
                try {
                    TreeFormat.Node node = parseBlob(id, plain -> TreeFormat.decode(id, directory, plain, to));
                    handedOut = true;
                    return node;
                } catch (BackupException e) {
                    if (to.failure() == null) {
                        throw e;
                    }
                    LOG.debug("the temporary file for the listing of '{}' cannot be written ({}): it is held in memory",
                            directory, to.failure().toString());
                } finally {
                    if (!handedOut) {
                        to.close();   // its descriptor now, not when the collector gets to it
                    }
                }
            }
        }
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

    /**
     * Drops the loaded index; the next {@link #index()} reads it again. What a prune does after its walk and at its end:
     * reading it again at once held the new index beside the prune's plan, and a prune of 200,000 files ran out of an
     * 80 MiB heap.
     */
    public void dropIndex() {
        synchronized (shared) {
            shared.index = null;
        }
    }

    /** The blob entries of the loaded index ({@link BlobIndex#size()}), or 0 when none is loaded; loads nothing. */
    public int loadedIndexSize() {
        BlobIndex current = shared.index;
        return current == null ? 0 : current.size();
    }

    /** Reads the index again, to see what other processes wrote. */
    public BlobIndex reloadIndex() {
        return reloadIndex(null);
    }

    /**
     * Reads the index again; with {@code onCorrupt}, an index object that is damaged (stored, or every read of it in
     * transit) is handed to it and left out instead of failing the load (verify, repair index). An object whose id part
     * does not match its locations, or whose signer the keys do not trust, is handed to it too, but kept. The index held before
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

    /**
     * The blobs a load of index objects of {@code stored} bytes sizes the index for. A writer's load puts no locations
     * in it (it cannot read them; the ids go beside it): sizing it all the same took 96 MiB of a 256 MiB heap at a
     * million blobs, and a writer's unchanged backup of a million files ran out of memory at its start. Index objects
     * of a repository with writers also hold each blob's id in their id part (32 bytes that do not compress): sized
     * without them, a reader's load of a million blobs allocated for two million (94 MiB of arrays for 48 MiB of
     * index) and a prune of that repository ran out of a 128 MiB heap there. Objects written before the repository had
     * writers have no id part: the arrays then grow, as they do whenever the guess is low.
     */
    static int expectedBlobs(long stored, boolean readsLocations, boolean idParts) {
        long perBlob = STORED_BYTES_PER_BLOB + (idParts ? BlobId.LENGTH : 0);
        return readsLocations ? (int) Math.min(Integer.MAX_VALUE - 16, stored / perBlob) : 0;
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
        BlobIndex.Builder builder = loaded.builder(expectedBlobs(stored, canRead(), writesIdParts()));
        // A reader's plain load takes what the local cache holds of an object listed unchanged; verify and repair
        // (onCorrupt) check what is stored, and read every object (see LocalCache).
        LocalCache cache = onCorrupt == null && canRead() ? shared.cache : null;
        // A writer's plain load takes the ids its own cache holds of an object listed unchanged, once the keys say
        // again that whoever signed it is still trusted (see WriterIndexCache).
        WriterIndexCache ids = onCorrupt == null && !canRead() ? writerIndexCache : null;
        for (ObjectInfo o : objects) {
            if (ids != null) {
                WriterIndexCache.Entry cached = ids.read(o);
                if (cached != null) {
                    Optional<AccessControl.Opened> now = recheckIndex(o.name(), cached.token());
                    if (now.isPresent() && now.get().untrusted().isEmpty()) {
                        loaded.addIds(o.name(), cached.ids());
                        continue;
                    }
                    if (now.isPresent()) {
                        // the same list open() would check it against: reading it would not make it count
                        LOG.debug("a writer does not deduplicate against index object '{}': {}", o.name(),
                                now.get().untrusted().get());
                        continue;
                    }
                }
            }
            if (cache != null) {
                byte[] plain = cache.readIndex(o);
                if (plain != null) {
                    IndexFile.read(o.name(), plain, builder);
                    builder.indexObject(o.name());
                    continue;
                }
            }
            try {
                RawIndex read = readChecked(sink, "'" + o.name() + "'", () -> readObject(o.name()),
                        bytes -> rawIndex(o.name(), bytes));
                if (read.plaintext() != null) {
                    byte[] plain = read.plaintext();
                    if (onCorrupt != null) {
                        // read through once on its own, so a damaged object adds nothing half-read
                        IndexFile.read(o.name(), plain, IndexFile.Visitor.NONE);
                    }
                    IndexFile.read(o.name(), plain, builder);
                    builder.indexObject(o.name());
                    if (onCorrupt != null) {
                        checkForWriters(o.name(), read, plain, onCorrupt);
                    }
                    if (cache != null) {
                        cache.putIndex(o, plain);
                    }
                } else if (read.idPart() != null) {
                    loaded.addIds(o.name(), read.idPart());
                    if (ids != null && read.recheck().isPresent()) {
                        ids.put(o, read.idPart(), read.recheck().get());
                    }
                } else {
                    LOG.debug("a writer does not deduplicate against index object '{}': {}", o.name(), read.untrusted().orElse(""));
                }
            } catch (NotFoundException vanished) {
                // replaced by a concurrent prune; its content lives in the replacement
            } catch (CorruptDataException | TransitDamageException e) {
                if (!canRead()) {
                    // A writer leaves out what it cannot use and stores those chunks again; readers report it (verify).
                    LOG.warn("a writer ignores index object '{}' of {}: {}", o.name(), location(), e.getMessage());
                    continue;
                }
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
            if (cache != null) {
                java.util.Set<String> listed = new java.util.HashSet<>();
                objects.forEach(o -> listed.add(o.name()));
                cache.retainIndex(listed);
            }
        }
        if (ids != null) {
            java.util.Set<String> listed = new java.util.HashSet<>();
            objects.forEach(o -> listed.add(o.name()));
            ids.retain(listed);
        }
        return loaded;
    }

    /**
     * What writers rely on in an index object a reader loaded, handed to {@code onProblem} (its locations stay in the
     * index): its id part, which writers deduplicate against, must list exactly the blobs it locates (an id listed but
     * not stored would make every writer skip storing that chunk), and its signer must be trusted.
     */
    private void checkForWriters(String name, RawIndex read, byte[] plain,
                                 java.util.function.BiConsumer<String, BackupException> onProblem) {
        if (read.idPart() != null && !java.util.Arrays.equals(read.idPart(), IndexFile.idPart(name, plain))) {
            onProblem.accept(name, new CorruptDataException("index object '" + name + "' is inconsistent: its id part,"
                    + " which writers deduplicate against, does not list exactly the blobs it locates"));
        }
        read.untrusted().ifPresent(why -> onProblem.accept(name, new CorruptDataException("index object '" + name
                + "' is not trusted: " + why)));
    }

    /**
     * An index object as these keys read it, without objects per blob.
     *
     * @param plaintext its plaintext ({@code MBI1} or {@code MBI3}); null for a writer
     * @param idPart its id part, decoded (sorted ids); null when it has none, or a writer does not trust it
     * @param untrusted why a writer does not use it, or empty
     */
    private record RawIndex(byte[] plaintext, byte[] idPart, Optional<String> untrusted, Optional<String> recheck) {
    }

    /** What the keys say now of a writer's cached index object (see {@link AccessControl#recheck}); empty: read it. */
    private Optional<AccessControl.Opened> recheckIndex(String name, String token) {
        try {
            return access.recheck(name, token);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot recheck the cached id part of '{}' ({}); reading it again", name, e.toString());
            return Optional.empty();
        }
    }

    private RawIndex rawIndex(String name, byte[] stored) {
        AccessControl.Opened opened = open(name, stored);
        IndexFile.Framed framed = IndexFile.unframe(name, opened.content());
        byte[] ids = null;
        if (framed.sealedIds().isPresent() && (canRead() || opened.untrusted().isEmpty())) {
            try {
                ids = idCodec.decode(framed.sealedIds().get(), -1);
            } catch (IOException | RuntimeException e) {
                throw new CorruptDataException("index object '" + name + "' in " + location()
                        + " is corrupt: its id part does not decode (" + e.getMessage() + ")", e);
            }
            if (ids.length % BlobId.LENGTH != 0) {
                throw new CorruptDataException("index object '" + name + "' is corrupt: its id part has "
                        + ids.length + " bytes, not a multiple of " + BlobId.LENGTH);
            }
        }
        if (!canRead()) {
            Optional<String> why = opened.untrusted().or(() -> framed.sealedIds().isPresent() ? Optional.empty()
                    : Optional.of("it has no id part a writer can read (format 1)"));
            return new RawIndex(null, why.isPresent() ? null : ids, why, opened.recheck());
        }
        return new RawIndex(decodeMetadata(name, framed.format1()), ids, opened.untrusted(), opened.recheck());
    }

    /**
     * What an index object says, as far as the keys read it: a reader gets the packs (and the id part of an
     * {@code MBI2} object, to check it); a writer gets only the ids of an {@code MBI2} object it trusts, and nothing else.
     *
     * @param packs where its blobs are (readers only)
     * @param ids the blob ids of its id part ({@code MBI2} only)
     * @param untrusted why a writer does not use it (no id part, unsigned, or signed by a revoked writer), or empty
     */
    public record IndexObject(Optional<List<IndexFile.PackBlobs>> packs, Optional<List<BlobId>> ids, Optional<String> untrusted) {
    }

    /**
     * Reads an index object of either stored form; see {@link IndexObject}. A damaged read is read again before it is
     * called corrupt (see {@link #readChecked}).
     */
    public IndexObject readIndexObject(String name) {
        return readChecked(sink, "'" + name + "'", () -> readObject(name), stored -> {
            RawIndex raw = rawIndex(name, stored);
            return new IndexObject(
                    raw.plaintext() == null ? Optional.empty() : Optional.of(IndexFile.parse(name, raw.plaintext())),
                    raw.idPart() == null ? Optional.empty() : Optional.of(IndexFile.parseIdPart(name, raw.idPart())),
                    raw.untrusted());
        });
    }

    /** An index object's plaintext ({@code MBI1} or {@code MBI3}) and whether it is stored with an id part. */
    public record IndexPlaintext(byte[] plaintext, boolean hasIdPart) {
    }

    /**
     * Reads an index object's plaintext (a reader's), without objects per blob. A damaged read is read again before it
     * is called corrupt (see {@link #readChecked}).
     */
    public IndexPlaintext readIndexPlaintext(String name) {
        requireReader("reading '" + name + "'");
        RawIndex raw = readChecked(sink, "'" + name + "'", () -> readObject(name), stored -> rawIndex(name, stored));
        return new IndexPlaintext(raw.plaintext(), raw.idPart() != null);
    }

    /** An index object ready to store: its name and bytes. */
    public record EncodedIndex(String name, byte[] stored) {
    }

    /**
     * Encodes an index object for {@code packs} (plaintext {@code MBI3}); see {@link #encodeIndex(byte[])}.
     */
    public EncodedIndex encodeIndex(List<IndexFile.PackBlobs> packs) {
        return encodeIndex(IndexFile.plaintext(packs));
    }

    /**
     * Encodes an index object with this plaintext: {@code envelope(chain(plaintext))}, with a writer-readable id part
     * in front ({@code MBI2}) when the keys say the repository has writers; signed as the keys sign. Its name is a
     * (keyed, when encrypted) hash of the plaintext, so the same packs always give the same name.
     */
    public EncodedIndex encodeIndex(byte[] plain) {
        String name = indexObjectName(plain);
        try {
            byte[] format1 = Envelope.seal(codec.encode(plain));
            byte[] content = access != null && access.writesIdParts()
                    ? IndexFile.frame(idCodec.encode(IndexFile.idPart(name, plain)), format1) : format1;
            return new EncodedIndex(name, seal(name, content));
        } catch (IOException e) {
            throw new BackupException("cannot encode '" + name + "' for " + location() + ": " + e.getMessage(), e);
        }
    }

    /** Stores an encoded index object; returns the stored size. */
    public long putIndex(EncodedIndex encoded) {
        return put(encoded.name(), encoded.stored(), ObjectKind.INDEX);
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
        EncodedIndex encoded = encodeIndex(packs);
        long size = putIndex(encoded);
        if (addToLoaded) {
            index().add(encoded.name(), packs);
        }
        return size;
    }

    /** Stores an index object with this plaintext (not added to the loaded index); returns the stored size. */
    public long writeIndex(byte[] plain) {
        return putIndex(encodeIndex(plain));
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
        return readBlob(id, (pack, encoded, plainLength) -> decodeBlob(id, pack, encoded, plainLength));
    }

    /**
     * Reads one blob and hands its plaintext to {@code parse} as a stream, then checks it against its id: what
     * {@code parse} returned is given back only when the blob is intact. A blob of a mebibyte or more is never held
     * whole in plain form (a parent listing of 300,000 files, some 100 MiB, did not fit beside a backup in a 256 MiB
     * heap); {@code parse} may stop early, and the rest is read for the check.
     *
     * @throws CorruptDataException as {@link #readBlob(BlobId)} does, and as {@code parse} throws it for an intact blob
     */
    public <T> T parseBlob(BlobId id, BlobParser<T> parse) {
        return readBlob(id, (pack, encoded, plainLength) -> parseBlob(id, pack, encoded, plainLength, parse));
    }

    /** Reads a blob's plaintext from a stream (see {@link #parseBlob}). */
    @FunctionalInterface
    public interface BlobParser<T> {
        T parse(InputStream plain) throws IOException;
    }

    /** Decodes and checks a blob's stored bytes (see readBlob). */
    @FunctionalInterface
    private interface BlobDecoder<T> {
        T decode(String pack, byte[] encoded, int plainLength);
    }

    private <T> T readBlob(BlobId id, BlobDecoder<T> decoder) {
        requireReader("reading blob " + id);
        BlobLocation location = index().find(id).orElse(null);
        if (location == null) {
            location = reloadIndex().find(id).orElseThrow(() -> new CorruptDataException(
                    "blob " + id + " is not in the index of " + location() + Verifier.REINDEX));
        }
        try {
            return readBlob(id, location, decoder);
        } catch (CorruptDataException e) {
            // A prune in another process may have repacked the blob since this index was loaded: look again, once.
            BlobLocation again = reloadIndex().find(id).orElse(null);
            if (again == null || again.equals(location)) {
                throw e;
            }
            return readBlob(id, again, decoder);
        }
    }

    /** Reads one blob from where {@code location} says and checks it against its id, reading again when damaged. */
    public byte[] readBlob(BlobId id, BlobLocation location) {
        return readBlob(id, location, (pack, encoded, plainLength) -> decodeBlob(id, pack, encoded, plainLength));
    }

    private <T> T readBlob(BlobId id, BlobLocation location, BlobDecoder<T> decoder) {
        String pack = location.packObject();
        LocalCache c = ownTrees != null ? ownTrees : treesFromCache ? shared.cache : null;
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
                    return decoder.decode(pack, cached, location.plainLength());
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
            return decoder.decode(pack, encoded, location.plainLength());
        });
    }

    private <T> T parseBlob(BlobId id, String pack, byte[] encoded, int plainLength, BlobParser<T> parse) {
        if (plainLength < TreeFormat.PARSED_ON_ACCESS_FROM) {
            byte[] plain = decodeBlob(id, pack, encoded, plainLength);
            try {
                return parse.parse(new java.io.ByteArrayInputStream(plain));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        String what = "blob " + id + " in pack '" + pack + "'";
        Codec.Hasher hasher = codec.hasher();
        long[] length = {0};
        T value = null;
        RuntimeException failure = null;
        try (InputStream plain = codec.plainStream(encoded, plainLength)) {
            // A parser closes what it reads (Jackson does): the rest is still read for the check.
            InputStream hashed = new TappedInputStream(plain, (b, off, n) -> {
                hasher.update(b, off, n);
                length[0] += n;
            }, false);
            try {
                value = parse.parse(hashed);
            } catch (RuntimeException | IOException e) {
                // damaged bytes may fail the parse first: the check below says which it is
                failure = e instanceof RuntimeException r ? r : new java.io.UncheckedIOException((IOException) e);
            }
            hashed.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException(what + " is corrupt: it does not decode (" + e.getMessage() + ")", e);
        }
        if (length[0] != plainLength || !java.security.MessageDigest.isEqual(id.bytes(), hasher.id().bytes())) {
            throw new CorruptDataException(what + " is corrupt: its content does not match its id");
        }
        if (failure != null) {
            throw failure;
        }
        return value;
    }

    /**
     * Decodes {@code length} stored bytes of a blob from {@code offset} of {@code encoded} into {@code plain} (from 0;
     * it has room for the blob's {@code plainLength} bytes) and checks them against {@code id}, without allocating
     * (a restore reuses its buffers): {@link #decodeBlob(BlobId, String, byte[], int)} otherwise.
     */
    public void decodeBlob(BlobId id, String pack, byte[] encoded, int offset, int length, int plainLength, byte[] plain,
                           Codec.Scratch scratch) {
        try {
            codec.decode(encoded, offset, length, plainLength, plain, scratch);
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("blob " + id + " in pack '" + pack + "' is corrupt: it does not decode ("
                    + e.getMessage() + ")", e);
        }
        if (!codec.matches(id, plain, 0, plainLength)) {
            throw new CorruptDataException("blob " + id + " in pack '" + pack + "' is corrupt: its content does not match its id");
        }
    }

    /**
     * Checks a blob's stored bytes against its id, as {@link #decodeBlob(BlobId, String, byte[], int)} does, without
     * holding a large listing's plaintext: a tree blob of a mebibyte or more is hashed as it is decoded. Verify, repair
     * and prune read a tree pack whole, and the listing of 300,000 files decoded whole beside it did not fit in 128 MiB.
     * A data blob (at most a chunk) is decoded whole, as it always was.
     *
     * @throws CorruptDataException naming the blob and its pack when it does not decode or does not match
     */
    public void checkBlob(BlobId id, String pack, byte[] encoded, int plainLength) {
        if (plainLength >= TreeFormat.PARSED_ON_ACCESS_FROM && Packs.typeOf(pack) == BlobType.TREE) {
            parseBlob(id, pack, encoded, plainLength, plain -> null);
        } else {
            decodeBlob(id, pack, encoded, plainLength);
        }
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
