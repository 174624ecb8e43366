package com.mintreplica.backup.core;

import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.encryption.RepositoryKeys;
import com.mintreplica.backup.core.internal.Manifest;
import com.mintreplica.backup.core.internal.RepairRun;
import com.mintreplica.backup.core.internal.RepoConfig;
import com.mintreplica.backup.core.internal.RestoreRun;
import com.mintreplica.backup.core.internal.SnapshotWalker;
import com.mintreplica.backup.core.internal.Store;
import com.mintreplica.backup.core.internal.Verifier;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.transform.Transformer;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A repository of snapshots on a {@link Sink}. It is self-describing: the Sink alone (and a key, when encrypted) is
 * enough to list, verify and restore everything, on any machine.
 *
 * <pre>{@code
 * try (Repository repo = Repository.open(new LocalDirectorySink(Path.of("/srv/backup")))) {
 *     Snapshot latest = repo.snapshot(SnapshotSelector.latest());
 *     repo.restore(SnapshotSelector.latest()).to(target).run();
 * }
 * }</pre>
 *
 * <p>A Repository is safe for use by several threads. Closing it closes the Sink only when the repository opened it
 * itself ({@link #open(String)}).
 */
public final class Repository implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Repository.class);
    /**
     * How long a backup, restore, copy or prune may make no progress before it is abandoned with a
     * {@link StallException} (unless the caller sets another): 10 minutes, far above any pause of a store that works
     * (retries with backoff, a slow link still moving bytes), and far below "never".
     */
    public static final java.time.Duration DEFAULT_STALL_TIMEOUT = java.time.Duration.ofMinutes(10);

    private final Store store;
    private final boolean ownsSink;

    private Repository(Store store, boolean ownsSink) {
        this.store = store;
        this.ownsSink = ownsSink;
    }

    /** Creates a repository with the default settings (chunked, zstd). Fails if the Sink holds one already. */
    public static Repository init(Sink sink) {
        return init(sink, RepositorySettings.defaults());
    }

    /**
     * Creates a repository on {@code sink}.
     *
     * @throws ConflictException when the Sink already holds a repository
     */
    public static Repository init(Sink sink, RepositorySettings settings) {
        return new Repository(Store.create(Objects.requireNonNull(sink, "sink"), newConfig(settings)), false);
    }

    /**
     * Creates a repository on {@code sink} whose every stored object is encrypted: {@code encryption} creates and
     * stores the repository's keys (see {@link RepositoryEncryption}), the config records that it is encrypted.
     *
     * @throws ConflictException when the Sink already holds a repository
     */
    public static Repository init(Sink sink, RepositorySettings settings, RepositoryEncryption encryption) {
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(encryption, "encryption");
        if (exists(sink)) {
            throw new ConflictException("a repository already exists at " + sink.describe() + ": use it, or choose another location");
        }
        RepoConfig config = newConfig(settings);
        RepositoryEncryption.Context context = new RepositoryEncryption.Context(sink, config.id(), config.layout(), Map.of());
        RepositoryKeys keys;
        try {
            keys = encryption.create(context);
        } catch (IOException e) {
            throw new BackupException("cannot store the keys of a new repository at " + sink.describe() + ": " + e.getMessage(), e);
        }
        Map<String, String> extensions = new TreeMap<>(keys.extensions());
        extensions.put(RepositoryEncryption.SCHEME_EXTENSION, encryption.scheme());
        try {
            Store store = Store.create(sink, config.withExtensions(extensions), keys);
            store.createdWith(encryption);
            return new Repository(store, false);
        } catch (ConflictException e) {
            try {
                encryption.discard(context, keys);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static RepoConfig newConfig(RepositorySettings settings) {
        List<RepoConfig.TransformerSpec> chain = settings.transformers().stream()
                .map(t -> new RepoConfig.TransformerSpec(t.name(), t.parameters()))
                .toList();
        return new RepoConfig(RepoConfig.CURRENT_VERSION, UUID.randomUUID().toString(), Instant.now(),
                settings.layout(), settings.chunkMin(), settings.chunkAvg(), settings.chunkMax(),
                new SecureRandom().nextLong(), settings.packSize(), chain, java.util.Map.of());
    }

    /**
     * Opens the repository on {@code sink}.
     *
     * @throws NotFoundException when the Sink holds no repository
     * @throws UnsupportedException when the repository's format is newer than this version, or it needs a transformer
     *     whose module is missing
     */
    public static Repository open(Sink sink) {
        return new Repository(Store.open(Objects.requireNonNull(sink, "sink")), false);
    }

    /**
     * Opens the repository on {@code sink}; when it is encrypted, {@code encryption} unlocks it (an unencrypted
     * repository opens without using it).
     *
     * @throws AccessDeniedException when the keys of {@code encryption} do not open the repository
     */
    public static Repository open(Sink sink, RepositoryEncryption encryption) {
        return new Repository(Store.open(Objects.requireNonNull(sink, "sink"), Objects.requireNonNull(encryption, "encryption")), false);
    }

    /** Opens the repository at a directory path or URI (see {@link Sinks#open(String)}); closing it closes the Sink. */
    public static Repository open(String location) {
        return open(location, null);
    }

    /**
     * Opens the repository at a directory path or URI, unlocking it with {@code encryption} ({@code null}: none) when
     * it is encrypted; closing it closes the Sink.
     */
    public static Repository open(String location, RepositoryEncryption encryption) {
        Sink sink = Sinks.open(location);
        try {
            return new Repository(Store.open(sink, encryption), true);
        } catch (RuntimeException e) {
            closeQuietly(sink);
            throw e;
        }
    }

    /** Whether {@code sink} holds a repository. */
    public static boolean exists(Sink sink) {
        try {
            return sink.stat(RepoConfig.OBJECT).isPresent();
        } catch (IOException e) {
            throw new BackupException("cannot read " + sink.describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Keeps a local cache under {@code directory} (in a subdirectory per repository id) of snapshot summaries and of
     * the packs of directory listings (tree packs), so that listing snapshots, finding a backup's parent and planning a
     * prune read only the snapshot objects they have not seen before (a repository of 10,000 snapshots on a remote store
     * lists from one listing request), and a backup's comparison with its parent, a restore and {@code ls} read
     * directory listings from local files instead of one request per directory. Cached objects are stored as the
     * repository stores them (encrypted when it is encrypted) and checked when read; the repository stays the source
     * of truth, and a cache that cannot be written is only logged. An app that backs up to a remote store should give
     * one. The CLI uses {@code $XDG_CACHE_HOME/mint-backup}. {@code null} turns the cache off (the default).
     *
     * @return this repository
     */
    public Repository withCache(java.nio.file.Path directory) {
        store.useCache(directory);
        return this;
    }

    /** Where the repository is, for messages. */
    public String location() {
        return store.location();
    }

    /** The repository's unique id, from its config. */
    public String id() {
        return store.config().id();
    }

    public Layout layout() {
        return store.config().layout();
    }

    /** The encryption scheme the repository's objects are encrypted with ({@code openpgp}), if any. */
    public Optional<String> encryption() {
        return Optional.ofNullable(store.config().extensions().get(RepositoryEncryption.SCHEME_EXTENSION));
    }

    /**
     * Whether the keys the repository was opened with read what is stored. False when it was opened with write-only
     * material (a writer key): then it can back up and copy into it, and everything that reads (list, restore, verify,
     * prune, copy from it) fails with an {@link AccessDeniedException} saying that a reader's key is needed.
     */
    public boolean canRead() {
        return store.canRead();
    }

    /**
     * Snapshots whose manifests are authentic but not trusted by the keys (written by a writer after it was revoked),
     * with why. They are left out of {@link #snapshots()}, so neither restores nor retention see them; prune keeps them
     * and their data until someone {@link #forget}s them. Lists the repository; {@link #listSnapshots()} gives them
     * with the rest of one listing.
     */
    public List<UntrustedSnapshot> untrustedSnapshots() {
        return store.listSnapshots().untrusted();
    }

    /** The transformer chain every stored blob or entry goes through. */
    public List<Transformer> transformers() {
        return store.codec().chain();
    }

    /**
     * The file name suffix of {@linkplain #putObject standalone objects} ({@code .zst}, {@code .zst.gpg}): the chain's,
     * and {@code .gpg} when the repository is encrypted, whatever its layout.
     */
    public String objectSuffix() {
        return store.objectCodec().fileSuffix();
    }

    /**
     * The name to store the standalone object {@code baseName} under (see {@link #putObject}): {@code baseName}, then,
     * once the repository has writers, {@code -} and a signature of {@code baseName} by these keys (the repository's
     * authority key for a reader, the writer's own key for a writer; base64url without padding, 112 characters), then
     * {@link #objectSuffix()}. Without writers (and without encryption) it is {@code baseName + objectSuffix()}, as
     * before signatures existed. {@code baseName} must bind everything the content is checked against (a hash of the
     * content, say), and must not itself end with {@code -} and 112 base64url characters.
     */
    public String objectName(String baseName) {
        Objects.requireNonNull(baseName, "baseName");
        return store.standaloneName(baseName);
    }

    /**
     * Why the stored standalone object {@code object} (as listed: its name is {@code baseName}, its signature if any
     * and a suffix; its store date is the store's) must not be used, or empty when it may: it is signed by the
     * repository's authority key, or by a writer the writers list names and has not revoked (or whose revocation kept
     * it), or it is unsigned and the store dates it before the repository's first writers list (or there is none).
     */
    public Optional<String> untrustedObject(com.mintreplica.backup.core.sink.ObjectInfo object, String baseName) {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(baseName, "baseName");
        return store.untrustedStandalone(object, baseName);
    }

    /**
     * Stores {@code content} as one standalone object, outside snapshots (archived PostgreSQL WAL): encoded by the
     * repository's chain as an entry of the single-object layout is, so that {@code zstd -d} (and {@code gpg --decrypt}
     * with a recipient's key when the repository is encrypted, in either layout) opens it, with the recipients' public
     * material only, so write-only hosts (writers) store them too. The object is created only if no object of that name
     * exists where the Sink can create atomically; the caller names it ({@link #objectName}) and
     * records what it needs to check it (a hash of the content in its name, say). Prune, copy and verify of snapshots
     * never look at such objects. Reads {@code content} to its end and does not close it.
     *
     * @return false when an object of that name existed already (nothing was written), true once the object is stored
     *     as the Sink stores (for a local directory: file and directory fsynced; for S3: the PUT returned)
     */
    public boolean putObject(String name, InputStream content, ObjectKind kind) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(content, "content");
        Sink sink = store.sink();
        try {
            var encoded = new com.mintreplica.backup.core.internal.EncodingInputStream(content, store.objectCodec()::encoder);
            if (sink.capabilities().contains(com.mintreplica.backup.core.sink.SinkCapability.ATOMIC_CREATE)) {
                return sink.putIfAbsent(name, encoded, -1, kind);
            }
            sink.put(name, encoded, -1, kind);
            return true;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new BackupException("cannot store '" + name + "' in " + store.location() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens the standalone object {@code name} (see {@link #putObject}) decoded. The caller checks the content (its
     * hash); a decoding that fails (damage, a wrong key) throws from the stream's reads. Needs a reader's key.
     *
     * @throws NotFoundException when there is no such object
     */
    public InputStream openObject(String name) {
        Objects.requireNonNull(name, "name");
        if (!store.canRead()) {
            throw new AccessDeniedException("reading '" + name + "' from " + store.location() + " needs a reader's key:"
                    + " the repository was opened with write-only keys");
        }
        InputStream raw;
        try {
            raw = store.sink().get(name);
        } catch (com.mintreplica.backup.core.sink.NoSuchObjectException e) {
            throw new NotFoundException("there is no object '" + name + "' in " + store.location());
        } catch (IOException e) {
            throw new BackupException("cannot read '" + name + "' from " + store.location() + ": " + e.getMessage(), e);
        }
        try {
            return store.objectCodec().decoder(raw);
        } catch (IOException | RuntimeException e) {
            try {
                raw.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof BackupException be) {
                throw be;
            }
            throw new CorruptDataException("object '" + name + "' in " + store.location() + " does not decode: "
                    + e.getMessage(), e);
        }
    }

    /** The Sink the repository is stored on. */
    public Sink sink() {
        return store.sink();
    }

    /**
     * Every committed snapshot whose manifest reads, oldest first. A snapshot whose manifest is damaged is left out
     * (and logged as a warning): it affects nothing but itself. {@link #listSnapshots()} names the damaged ones too.
     */
    public List<Snapshot> snapshots() {
        SnapshotListing listing = store.listSnapshots();
        for (DamagedSnapshot d : listing.damaged()) {
            LOG.warn("snapshot {} is left out: {}", d.id(), d.problem());
        }
        return listing.snapshots();
    }

    /** The readable snapshots, oldest first, and the ones whose manifest is damaged, from one listing. */
    public SnapshotListing listSnapshots() {
        return store.listSnapshots();
    }

    /**
     * The snapshot {@code selector} chooses, among the readable ones.
     *
     * @throws NotFoundException when there is none
     * @throws CorruptDataException when the selector names a snapshot by id whose manifest is damaged
     */
    public Snapshot snapshot(SnapshotSelector selector) {
        SnapshotListing listing = store.listSnapshots();
        String id = selector.idOrPrefix();
        if (id != null) {
            for (DamagedSnapshot d : listing.damaged()) {
                if (d.id().equals(id) || (d.id().startsWith(id)
                        && listing.snapshots().stream().noneMatch(s -> s.id().startsWith(id)))) {
                    throw new CorruptDataException("snapshot " + d.id() + " in " + location() + " cannot be read: "
                            + d.problem() + ". The other snapshots are not affected: `mint-backup list` shows them");
                }
            }
        }
        Snapshot chosen;
        try {
            chosen = selector.select(listing.snapshots(), location());
        } catch (NotFoundException e) {
            if (listing.damaged().isEmpty()) {
                throw e;
            }
            // The one that would match may be among those that cannot be read: say so rather than "none".
            DamagedSnapshot d = listing.damaged().get(listing.damaged().size() - 1);
            throw new CorruptDataException("found no readable snapshot in " + location() + " for " + selector + ", and "
                    + listing.damaged().size() + " snapshot" + (listing.damaged().size() == 1 ? "" : "s")
                    + " cannot be read (the newest, " + d.id() + ": " + d.problem() + ")", e);
        }
        for (DamagedSnapshot d : listing.damaged()) {
            if (id == null && d.id().compareTo(chosen.id()) > 0) {
                LOG.warn("snapshot {} may be newer than {}, but its manifest cannot be read: {}", d.id(), chosen.id(),
                        d.problem());
            }
        }
        return chosen;
    }

    /**
     * The entries of a snapshot, in snapshot order, in one list. A snapshot of millions of entries needs a heap to
     * match: {@link #forEachEntry} hands them over one at a time instead.
     */
    public List<Entry> entries(Snapshot snapshot) {
        List<Entry> out = new java.util.ArrayList<>();
        forEachEntry(snapshot, out::add);
        return out;
    }

    /**
     * Hands every entry of a snapshot to {@code action}, in snapshot order (a directory before what it holds), reading
     * the snapshot's directory listings only as it reaches them: memory stays small however many entries there are.
     *
     * @throws CorruptDataException when a directory listing of the snapshot is missing or damaged
     */
    public void forEachEntry(Snapshot snapshot, java.util.function.Consumer<Entry> action) {
        Objects.requireNonNull(action, "action");
        SnapshotWalker.of(store, store.manifest(snapshot.id())).forEach(item -> action.accept(item.entry()));
    }

    /**
     * Hands the entries inside one directory of a snapshot to {@code action}, in snapshot order (restic's {@code ls
     * SNAPSHOT DIR}): those directly in it, or with {@code recursive} everything below it. Only the listings on the way
     * to the directory, its own and (with {@code recursive}) those below it are read: one directory of a snapshot of
     * millions of entries costs a few listings.
     *
     * @param directory a path as {@code ls} prints it (a byte that is not UTF-8 as {@code \xff}), with or without a
     *     leading '/'; "" or "/" is the top of the snapshot
     * @throws NotFoundException when the snapshot has nothing at {@code directory}
     * @throws InvalidInputException when the entry there is not a directory
     */
    public void forEachEntryIn(Snapshot snapshot, String directory, boolean recursive,
                               java.util.function.Consumer<Entry> action) {
        Objects.requireNonNull(action, "action");
        Manifest manifest = store.manifest(snapshot.id());
        String dir = directory;
        while (dir.startsWith("/")) {
            dir = dir.substring(1);
        }
        while (dir.endsWith("/")) {
            dir = dir.substring(0, dir.length() - 1);
        }
        // as given, else as `ls` shows it (a byte that is not UTF-8 as \xff: the command line cannot carry it)
        String shown = com.mintreplica.backup.core.source.FileNames.parseDisplayed(dir);
        Optional<EntryType> met = walkIn(manifest, dir, recursive, action);
        if (met.isEmpty() && !shown.equals(dir)) {
            met = walkIn(manifest, shown, recursive, action);
        }
        if (met.isEmpty()) {
            throw new NotFoundException("snapshot " + snapshot.id() + " has no directory '" + directory
                    + "': `mint-backup ls " + snapshot.id() + "` lists its entries");
        }
        if (met.get() != EntryType.DIRECTORY) {
            throw new InvalidInputException("'" + directory + "' in snapshot " + snapshot.id() + " is a "
                    + met.get().name().toLowerCase(java.util.Locale.ROOT) + ", not a directory");
        }
    }

    /**
     * Walks the listings on the way to {@code top} and inside it, handing what is inside to {@code action}; returns
     * the type of the entry at {@code top} (a directory for the top of the snapshot), or empty when there is none.
     */
    private Optional<EntryType> walkIn(Manifest manifest, String top, boolean recursive,
                                       java.util.function.Consumer<Entry> action) {
        String prefix = top.isEmpty() ? "" : top + "/";
        EntryType[] met = {top.isEmpty() ? EntryType.DIRECTORY : null};
        SnapshotWalker.of(store, manifest)
                // on the way to the directory (its ancestors and itself), or inside it
                .selection(path -> path.startsWith(prefix) || prefix.startsWith(path + "/"))
                .descend(path -> {
                    if (path.equals(top)) {
                        met[0] = EntryType.DIRECTORY; // also an implicit one, which the walk does not hand over
                    }
                    return recursive || !path.startsWith(prefix);
                })
                .forEach(item -> {
                    String path = item.entry().path();
                    if (path.equals(top)) {
                        met[0] = item.entry().type();
                    } else if (path.startsWith(prefix)) {
                        if (met[0] == null) {
                            met[0] = EntryType.DIRECTORY; // a flat snapshot's directory that was never an entry
                        }
                        if (recursive || path.indexOf('/', prefix.length()) < 0) {
                            action.accept(item.entry());
                        }
                    }
                });
        return Optional.ofNullable(met[0]);
    }

    /**
     * The entries of {@code snapshots} that a pattern matches (restic's {@code find}), handed to {@code found} snapshot
     * by snapshot, each in its snapshot's order. Patterns match as {@link Restore#exclude(java.util.Collection)
     * restore's --exclude} does, the entry's own path only: {@code *.pdf} a name at any depth, {@code /srv/app/*.log}
     * the whole path, {@code app/uploads} the path's end from any directory on. Reads directory listings only; a
     * subtree that held no match in one snapshot is not read again at the same path in the next.
     *
     * @return how many entries matched, in all
     */
    public long find(List<Snapshot> snapshots, java.util.Collection<String> patterns,
                     java.util.function.BiConsumer<Snapshot, Entry> found) {
        Objects.requireNonNull(found, "found");
        store.requireReader("searching snapshots");
        ExcludePatterns globs = ExcludePatterns.of(patterns);
        if (globs.isEmpty()) {
            throw new InvalidInputException("find needs at least one pattern");
        }
        com.mintreplica.backup.core.internal.SnapshotFinder finder =
                new com.mintreplica.backup.core.internal.SnapshotFinder(store, globs::matches);
        long n = 0;
        for (Snapshot s : snapshots) {
            n += finder.find(store.manifest(s.id()), e -> found.accept(s, e));
        }
        return n;
    }

    /**
     * Opens the content of one regular entry, checked as it is read. The caller closes the stream.
     *
     * @throws NotFoundException when the snapshot has no such entry
     */
    public InputStream openEntry(Snapshot snapshot, String path) {
        store.requireReader("reading an entry");
        Manifest manifest = store.manifest(snapshot.id());
        // as given, else as `ls` shows it (a byte that is not UTF-8 as \xff: the command line cannot carry it)
        String shown = com.mintreplica.backup.core.source.FileNames.parseDisplayed(path);
        Manifest.Item item = findEntry(manifest, path)
                .or(() -> shown.equals(path) ? Optional.empty() : findEntry(manifest, shown))
                .orElseThrow(() -> new NotFoundException("snapshot " + snapshot.id() + " has no entry '" + path
                        + "': `mint-backup ls` lists its entries"));
        if (item.entry().type() != EntryType.REGULAR) {
            throw new InvalidInputException("entry '" + path + "' of snapshot " + snapshot.id() + " is a "
                    + item.entry().type().name().toLowerCase(java.util.Locale.ROOT) + " and has no content");
        }
        try {
            return new RestoreRun(store, manifest, Runnable::run, 1).open(item);
        } catch (IOException e) {
            throw new BackupException("cannot read entry '" + path + "' of snapshot " + snapshot.id() + ": " + e.getMessage(), e);
        }
    }

    private Optional<Manifest.Item> findEntry(Manifest manifest, String path) {
        try {
            Entry.checkPath(path);
        } catch (InvalidInputException e) {
            return Optional.empty();
        }
        return SnapshotWalker.find(store, manifest, path);
    }

    /**
     * What changed from snapshot {@code older} to snapshot {@code newer}: each added, removed or changed entry is handed
     * to {@code changes}, and the counts are returned. Reads the two snapshots' directory listings, no file content:
     * content is compared by the ids that name it. Changes come in path order (a directory before what is in it, a
     * directory's entries by name), and a subtree both snapshots share is not read, as with restic's {@code diff}.
     * Snapshots written before version 3 of the format (a flat list of entries) are compared in bounded memory too
     * (32 bytes per entry of the older one), in the newer snapshot's order, then the removed entries in the older's.
     */
    public SnapshotDiff diff(SnapshotSelector older, SnapshotSelector newer,
                             java.util.function.Consumer<SnapshotDiff.Change> changes) {
        Objects.requireNonNull(changes, "changes");
        store.requireReader("comparing snapshots");
        Manifest from = store.manifest(snapshot(older).id());
        Manifest to = store.manifest(snapshot(newer).id());
        return new com.mintreplica.backup.core.internal.SnapshotDiffer(store).diff(from, to, changes);
    }

    /** Starts describing a restore of the snapshot {@code selector} chooses. */
    public Restore restore(SnapshotSelector selector) {
        return new Restore(this, selector);
    }

    /**
     * Runs a verify on a view of the store that reads each tree pack whole once, from the repository, into a temporary
     * directory deleted after (restic's check and its temporary cache); where no temporary directory can be made, on
     * one that reads tree blobs one at a time.
     */
    private VerifyReport verifying(java.util.function.Function<com.mintreplica.backup.core.internal.Store, VerifyReport> check) {
        java.nio.file.Path temp;
        try {
            temp = java.nio.file.Files.createTempDirectory("mint-backup-verify-");
        } catch (IOException | RuntimeException e) {
            return check.apply(store.readingTreesFromRepository());
        }
        try {
            return check.apply(store.readingTreesThrough(temp));
        } finally {
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(temp)) {
                for (java.nio.file.Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                // a temporary directory: the system's cleaning takes what is left
            }
        }
    }

    /**
     * Checks the whole repository: every snapshot's manifest, the index, and that every blob a snapshot needs exists.
     *
     * @param readData also read every pack the snapshots need and check every blob against its id
     */
    public VerifyReport verify(boolean readData) {
        store.requireReader(readData ? "verifying the data (verify --read-data)" : "verifying snapshots");
        return verifying(view -> new Verifier(view).verify(store.snapshotIds(), readData, true));
    }

    /**
     * Checks the whole repository as {@link #verify(boolean)} does, reading whole only the packs {@code subset} chooses
     * (restic's {@code check --read-data-subset}): a large repository in a store that charges for reads can be read
     * through in parts, a part a day.
     */
    public VerifyReport verify(DataSubset subset) {
        store.requireReader(subset.readsData() ? "verifying the data (verify --read-data)" : "verifying snapshots");
        return verifying(view -> new Verifier(view).verify(store.snapshotIds(), subset, true));
    }

    /** Checks one snapshot, reading the packs {@code subset} chooses; see {@link #verify(DataSubset)}. */
    public VerifyReport verify(SnapshotSelector selector, DataSubset subset) {
        store.requireReader(subset.readsData() ? "verifying the data (verify --read-data)" : "verifying snapshots");
        Snapshot snapshot = snapshot(selector);
        return verifying(view -> new Verifier(view).verify(List.of(snapshot.id()), subset, false));
    }

    /** Checks one snapshot; see {@link #verify(boolean)}. */
    public VerifyReport verify(SnapshotSelector selector, boolean readData) {
        store.requireReader(readData ? "verifying the data (verify --read-data)" : "verifying snapshots");
        Snapshot snapshot = snapshot(selector);
        return verifying(view -> new Verifier(view).verify(List.of(snapshot.id()), readData));
    }

    /**
     * Removes a snapshot's manifest. Its data stays until a prune finds no other snapshot needs it.
     *
     * @throws NotFoundException when no such snapshot exists
     */
    public void forget(Snapshot snapshot) {
        store.requireReader("forgetting a snapshot");
        String name = Manifest.objectName(snapshot.id());
        store.readObject(name);
        store.delete(name);
    }

    /** The tag {@link #repairSnapshots} gives the snapshots it writes. */
    public static final String REPAIRED_TAG = "repaired";

    /**
     * Rebuilds the index from the stored packs (restic's {@code repair index}): packs no index object lists are
     * indexed from their headers, packs that are listed but gone are dropped, damaged index objects are replaced. The
     * new index objects are written before the old ones are deleted. Takes the exclusive lease (no backup, copy or
     * prune runs meanwhile) unless {@code dryRun}.
     *
     * @param dryRun report what would change, change nothing
     * @param readAllPacks read and check the header of every pack, not only of those no index object lists
     * @throws ConflictException when another process holds the repository
     */
    public IndexRepairReport repairIndex(boolean dryRun, boolean readAllPacks) {
        return repairIndex(dryRun, readAllPacks, false);
    }

    /**
     * {@link #repairIndex(boolean, boolean)}, and with {@code readData} every pack is read whole and each blob checked:
     * one damaged in the store is left out of the new index (it is named in the report's
     * {@link IndexRepairReport#damagedBlobs()}), so that the next backup of a source that still has its content
     * stores it again (which makes whole again every snapshot that needs it), and {@link #repairSnapshots} saves what
     * is left of the snapshots that need it otherwise. A damaged blob that stays indexed is never stored again: every
     * backup deduplicates against it.
     */
    public IndexRepairReport repairIndex(boolean dryRun, boolean readAllPacks, boolean readData) {
        store.requireReader("repairing the index");
        return new RepairRun(store.readingTreesFromRepository(), dryRun, java.time.Duration.ZERO)
                .repairIndex(readAllPacks, readData);
    }

    /**
     * Writes, beside each snapshot whose data is partly gone, a new snapshot without the entries whose data is gone
     * (restic's {@code repair snapshots}), tagged {@value #REPAIRED_TAG}, and reports what was left out. Run
     * {@link #repairIndex} first when index objects are damaged or missing: this refuses to run while stored packs are
     * in no index. Takes the exclusive lease unless {@code dryRun}.
     *
     * @param snapshotIds ids or unique id prefixes to check; empty: every snapshot
     * @param dryRun report what would change, change nothing
     * @param forget also remove each damaged snapshot once its repaired copy is written, and manifests that cannot be
     *     read at all
     * @throws NotFoundException when an id matches no snapshot
     */
    public SnapshotRepairReport repairSnapshots(List<String> snapshotIds, boolean dryRun, boolean forget) {
        store.requireReader("repairing snapshots");
        return new RepairRun(store.readingTreesFromRepository(), dryRun, java.time.Duration.ZERO)
                .repairSnapshots(snapshotIds(snapshotIds), forget);
    }

    /**
     * Writes, beside each snapshot that holds entries the patterns match, a new snapshot without them (restic's
     * {@code rewrite --exclude}): what erasing a person's data from backups needs (GDPR's right to erasure), with
     * {@code forget} and then a {@link #prune}, which deletes the data no snapshot needs any more. Patterns match as
     * {@link Restore#exclude(java.util.Collection) restore's}, each entry's path in the snapshot and the directories above it
     * (a directory matched goes with everything below it). Subtrees that hold nothing matched are shared with the
     * original, so a rewrite stores only the listings of the directories on the way to what it removes. Takes the
     * exclusive lease unless {@code dryRun}.
     *
     * @param snapshotIds ids or unique id prefixes; empty: every snapshot
     * @param excludePatterns what to leave out; at least one
     * @param dryRun report what would change, change nothing
     * @param forget also remove each original once its new snapshot is written
     * @throws NotFoundException when an id matches no snapshot
     * @throws CorruptDataException when a snapshot's directory listings cannot be read (repair it first)
     */
    public RewriteReport rewrite(List<String> snapshotIds, java.util.Collection<String> excludePatterns, boolean dryRun,
                                 boolean forget) {
        store.requireReader("rewriting snapshots");
        ExcludePatterns patterns = ExcludePatterns.of(excludePatterns);
        if (patterns.isEmpty()) {
            throw new InvalidInputException("a rewrite needs at least one exclude pattern: what to leave out");
        }
        return new RepairRun(store.readingTreesFromRepository(), dryRun, java.time.Duration.ZERO)
                .rewriteSnapshots(snapshotIds(snapshotIds), patterns::excludes, forget);
    }

    /**
     * Changes the tags of snapshots, as restic's {@code tag}: {@code set} (when given) replaces them, then {@code add}
     * are added and {@code remove} removed. A tag is how a snapshot is kept out of a retention policy's reach
     * ({@link RetentionPolicy}'s keep-tag: a legal hold); a snapshot's id names its content and summary, so each
     * snapshot whose tags change is written again under a new id (same time, host, source, job and content, the fact
     * {@code tag.of} naming the original) and the original removed. Takes the exclusive lease unless {@code dryRun}.
     *
     * @param snapshotIds ids or unique id prefixes; at least one
     * @return each snapshot whose tags changed, by its id, with its new id (empty in a dry run)
     * @throws NotFoundException when an id matches no snapshot
     */
    public java.util.Map<String, java.util.Optional<String>> tag(List<String> snapshotIds, java.util.Collection<String> add,
            java.util.Collection<String> remove, java.util.Optional<java.util.Collection<String>> set,
            boolean dryRun) {
        store.requireReader("changing tags");
        if (snapshotIds.isEmpty()) {
            throw new InvalidInputException("name the snapshots whose tags change (ids, unique prefixes or latest)");
        }
        if (add.isEmpty() && remove.isEmpty() && set.isEmpty()) {
            throw new InvalidInputException("nothing to change: give tags to add, remove or set");
        }
        for (java.util.Collection<String> tags : List.of(add, remove, set.orElse(java.util.Set.of()))) {
            for (String t : tags) {
                if (t == null || t.isBlank() || t.contains(",")) {
                    throw new InvalidInputException("tag '" + t + "' is empty or contains a comma");
                }
            }
        }
        List<String> ids = snapshotIds(snapshotIds);
        return new RepairRun(store, dryRun, java.time.Duration.ZERO).retag(ids, tags -> {
            java.util.Set<String> out = new java.util.TreeSet<>(set.isPresent() ? set.get() : tags);
            out.addAll(add);
            out.removeAll(remove);
            return out;
        });
    }

    /**
     * The full ids {@code wanted} names: ids, unique prefixes or the hex part's, {@code latest} and
     * {@code latest@TIME} (as every command that takes one snapshot: `rewrite ... latest` said there was no snapshot
     * 'latest').
     */
    private List<String> snapshotIds(List<String> wanted) {
        List<String> all = store.snapshotIds();
        List<String> ids = new java.util.ArrayList<>();
        for (String one : wanted) {
            if (one.equals("latest") || one.startsWith("latest@")) {
                ids.add(snapshot(SnapshotSelector.parse(one)).id());
                continue;
            }
            List<String> matching = SnapshotSelector.matching(all, one);
            if (matching.isEmpty()) {
                throw new NotFoundException("no snapshot '" + one + "' in " + location()
                        + ": `mint-backup list` shows the snapshots there");
            }
            if (matching.size() > 1) {
                throw new InvalidInputException("'" + one + "' matches " + matching.size() + " snapshots in "
                        + location() + ": give more of the id");
            }
            ids.add(matching.get(0));
        }
        return ids;
    }

    /**
     * Starts describing a prune: which snapshots a retention policy removes, then the removal of the data no remaining
     * snapshot needs. See {@link Prune}.
     */
    public Prune prune() {
        return new Prune(this);
    }

    /**
     * Copies every snapshot of this repository into {@code target}; see {@link #copyTo(Repository, List)}.
     */
    public CopyResult copyTo(Repository target) {
        return copyTo(target, snapshots());
    }

    /**
     * Copies {@code snapshots} of this repository into {@code target} (another Sink: local to S3, S3 to GCS), keeping
     * their ids. Only what the target lacks is sent: a snapshot it already holds is skipped, and of the others only
     * the blobs its index lacks. Every blob is checked against its id as it is read; the target's transformer chain
     * (compression, encryption) is applied on the way. Each snapshot's manifest is written last, so the target never
     * shows a snapshot whose data is incomplete; a copy that was interrupted resumes where it stopped when run again.
     *
     * @return what was copied and skipped
     * @throws CorruptDataException naming the blob or object when a source blob does not match its id; the snapshot
     *     it belongs to is not committed in the target
     * @throws InvalidInputException when {@code target} is this repository
     */
    public CopyResult copyTo(Repository target, List<Snapshot> snapshots) {
        return copyTo(target, snapshots, DEFAULT_STALL_TIMEOUT);
    }

    /**
     * Like {@link #copyTo(Repository, List)}, abandoning the copy with a {@link StallException} (naming what it waits
     * for) when it makes no progress for {@code stallTimeout} ({@link java.time.Duration#ZERO}: wait forever).
     * Snapshots copied before then stay copied, each complete; the one being copied is not committed, and running the
     * copy again resumes it.
     */
    public CopyResult copyTo(Repository target, List<Snapshot> snapshots, java.time.Duration stallTimeout) {
        Objects.requireNonNull(target, "target");
        if (stallTimeout == null || stallTimeout.isNegative()) {
            throw new InvalidInputException("stallTimeout must be zero (off) or positive: " + stallTimeout);
        }
        Objects.requireNonNull(snapshots, "snapshots");
        store.requireReader("copying snapshots out of a repository");
        if (target == this || target.store().sink() == store.sink()) {
            throw new InvalidInputException("cannot copy " + location() + " into itself: give another repository as the target");
        }
        long start = System.nanoTime();
        int parallelism = 4;
        ExecutorService executor = newExecutor("mint-backup-copy", parallelism);
        try {
            com.mintreplica.backup.core.internal.CopyRun.Counts counts = new com.mintreplica.backup.core.internal.CopyRun(
                    store, target.store(), executor, parallelism, stallTimeout)
                    .run(snapshots.stream()
                            .sorted(java.util.Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id))
                            .map(Snapshot::id).toList());
            return new CopyResult(counts.copied(), counts.skipped(), counts.blobs(), counts.objects(), counts.plainBytes(),
                    counts.storedBytes(), java.time.Duration.ofNanos(System.nanoTime() - start));
        } finally {
            executor.shutdownNow();
        }
    }

    /**
     * For key managers (backup-crypto's {@code KeyManager}): runs {@code change} while no backup, copy or prune runs (an
     * exclusive lease, waiting up to {@code wait} for those that do), then, if the keys now say the repository has
     * writers, lists every indexed pack in an index object with a writer-readable id part, so that writers deduplicate
     * against everything stored before them too. Returns what {@code change} returned.
     *
     * @throws ConflictException when the lease cannot be had within {@code wait}
     */
    public <T> T changeKeys(String operation, java.time.Duration wait, java.util.function.Supplier<T> change) {
        store.requireReader(operation);
        try (com.mintreplica.backup.core.internal.RepositoryLock lock = com.mintreplica.backup.core.internal.RepositoryLock
                .acquire(store, com.mintreplica.backup.core.internal.RepositoryLock.Kind.EXCLUSIVE, operation, wait,
                        com.mintreplica.backup.core.internal.RepositoryLock.Settings.DEFAULT)) {
            T result = change.get();
            store.beginWrite().close(); // lets the keys see what change did (a writers list)
            if (store.writesIdParts()) {
                lock.check();
                addIdParts();
            }
            return result;
        }
    }

    /** Writes one index object with an id part for the packs that only index objects without one list. */
    private void addIdParts() {
        java.util.Map<com.mintreplica.backup.core.internal.BlobId, com.mintreplica.backup.core.internal.IndexFile.PackBlobs>
                missing = new java.util.TreeMap<>();
        java.util.Set<com.mintreplica.backup.core.internal.BlobId> covered = new java.util.HashSet<>();
        for (com.mintreplica.backup.core.sink.ObjectInfo o : store.list(com.mintreplica.backup.core.internal.IndexFile.PREFIX)) {
            com.mintreplica.backup.core.internal.Store.IndexObject read = store.readIndexObject(o.name());
            for (com.mintreplica.backup.core.internal.IndexFile.PackBlobs p : read.packs().orElseThrow()) {
                if (read.ids().isPresent()) {
                    covered.add(p.pack());
                } else {
                    missing.putIfAbsent(p.pack(), p);
                }
            }
        }
        covered.forEach(missing::remove);
        if (!missing.isEmpty()) {
            store.writeIndex(new java.util.ArrayList<>(missing.values()));
        }
    }

    /** The engine behind this repository; not API. */
    Store store() {
        return store;
    }

    /** Runs a restore prepared by {@link Restore}. */
    RestoreResult runRestore(Restore restore) {
        long start = System.nanoTime();
        store.requireReader("restoring a snapshot");
        Snapshot snapshot = snapshot(restore.selector());
        Manifest manifest = store.manifest(snapshot.id());
        restore.checkIncludesExist(include -> SnapshotWalker.hasPathOrBelow(store, manifest, include), snapshot);
        if (restore.dryRun().isPresent()) {
            RestoreRun.Counts counts = RestoreRun.plan(store, manifest, restore.target(), restore.selection(),
                    restore.isPartial(), restore.dryRun().get());
            return new RestoreResult(snapshot, counts.entries(), counts.bytes(),
                    java.time.Duration.ofNanos(System.nanoTime() - start));
        }
        ExecutorService executor = restore.executor() != null ? null : newExecutor("mint-backup-restore", restore.parallelism());
        try {
            RestoreRun.Counts counts = new RestoreRun(store, manifest,
                    restore.executor() != null ? restore.executor() : executor, restore.parallelism(),
                    restore.stallTimeout())
                    .run(restore.target(), restore.selection(), restore.isPartial());
            return new RestoreResult(snapshot, counts.entries(), counts.bytes(),
                    java.time.Duration.ofNanos(System.nanoTime() - start), counts.unchanged());
        } finally {
            if (executor != null) {
                executor.shutdownNow();
            }
        }
    }

    static ExecutorService newExecutor(String name, int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void close() {
        if (ownsSink) {
            closeQuietly(store.sink());
        }
    }

    private static void closeQuietly(Sink sink) {
        try {
            sink.close();
        } catch (Exception ignored) {
            // nothing useful to do
        }
    }

    @Override
    public String toString() {
        return "Repository[" + location() + "]";
    }
}
