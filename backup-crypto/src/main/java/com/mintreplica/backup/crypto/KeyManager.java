package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.crypto.internal.DataKey;
import com.mintreplica.backup.crypto.internal.Ed25519;
import com.mintreplica.backup.crypto.internal.KeyObject;
import com.mintreplica.backup.crypto.internal.KeyObjects;
import com.mintreplica.backup.crypto.internal.RepositoryPgpKey;
import com.mintreplica.backup.crypto.internal.Signatures;
import com.mintreplica.backup.crypto.internal.WritersList;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.HexFormat;

/**
 * Key rotation of an encrypted repository without re-uploading data: who can open it changes by rewrapping its keys,
 * never by rewriting data.
 *
 * <pre>{@code
 * List<Recipient> who = KeyManager.recipients(sink);                 // key list: no secret needed
 * try (KeyManager keys = KeyManager.open(sink, mySecretKey)) {       // any current recipient's secret key
 *     keys.add(OpenPgpKeys.publicKey(Path.of("new-ops.asc")));       // key add
 *     keys.remove("0xDEADBEEFDEADBEEF", true);                       // key remove, new data key from now on
 * }
 * }</pre>
 *
 * <p>What rotation does: {@link #add} wraps the repository's existing keys for one more recipient; {@link #remove}
 * deletes every key object of a recipient, so its key opens nothing in the repository any more (no key object is
 * encrypted to it, and every stored object is encrypted under repository keys, never to it directly, in the chunked
 * layout); {@link #rotateDataKey} starts a new data key that everything written afterwards uses, while older data keys
 * stay readable. What it cannot do: take back what the removed key's holder already read or copied (the data, and the
 * data keys it unwrapped); only the new data key protects data written after the rotation. See docs/encryption.md.
 */
public final class KeyManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyManager.class);

    private final Repository repository;
    private final Sink sink;
    private final OpenPgpEncryption encryption;
    private final SecureRandom random = new SecureRandom();

    private KeyManager(Repository repository, Sink sink, OpenPgpEncryption encryption) {
        this.repository = repository;
        this.sink = sink;
        this.encryption = encryption;
    }

    /**
     * Opens the key management of the encrypted repository on {@code sink} with the secret key of a current recipient.
     *
     * @throws com.mintreplica.backup.core.AccessDeniedException when the keys do not open it, naming the keys that do
     */
    public static KeyManager open(Sink sink, List<OpenPgpSecretKey> keys) {
        OpenPgpEncryption encryption = OpenPgpEncryption.unlockWith(keys);
        Repository repository = Repository.open(sink, encryption);
        if (repository.encryption().isEmpty()) {
            throw new InvalidInputException("the repository at " + sink.describe() + " is not encrypted: it has no keys to manage");
        }
        return new KeyManager(repository, sink, encryption);
    }

    public static KeyManager open(Sink sink, OpenPgpSecretKey... keys) {
        return open(sink, List.of(keys));
    }

    /** The recipients of the encrypted repository on {@code sink}, read from its key objects; needs no secret. */
    public static List<Recipient> recipients(Sink sink) {
        try {
            List<String> names;
            try (Stream<ObjectInfo> objects = sink.list(RepositoryEncryption.KEYS_PREFIX)) {
                names = objects.map(ObjectInfo::name).sorted().toList();
            }
            List<KeyObject> keys = new ArrayList<>();
            for (String name : names) {
                KeyObjects.read(sink, name).ifPresent(keys::add); // absent: removed meanwhile
            }
            keys.sort(java.util.Comparator.comparing(KeyObject::created));
            return group(keys);
        } catch (IOException e) {
            throw new BackupException("cannot read the key objects of " + sink.describe() + ": " + e.getMessage(), e);
        }
    }

    /** The repository's current recipients. */
    public List<Recipient> list() {
        return group(unlocked().objects());
    }

    /**
     * Wraps the repository's keys (every data key and the id key) for {@code key}: from now on its secret key opens
     * the whole repository, including everything written before.
     *
     * @throws ConflictException when it is a recipient already
     */
    public Recipient add(OpenPgpPublicKey key) {
        OpenPgpEncryption.Unlocked unlocked = unlocked();
        if (unlocked.objects().stream().anyMatch(o -> o.fingerprint().equals(key.fingerprint()))) {
            throw new ConflictException("the key " + key + " already opens the repository at " + sink.describe());
        }
        try {
            KeyObject object = KeyObjects.wrap(key.ring(), withSessions(unlocked), random);
            KeyObjects.write(sink, object);
            LOG.info("key {} added to the repository at {} ({})", key, sink.describe(), object.name());
            return group(List.of(object)).get(0);
        } catch (IOException e) {
            throw new BackupException("cannot write a key object to " + sink.describe() + ": " + e.getMessage(), e);
        }
    }

    /** Adds each key; see {@link #add(OpenPgpPublicKey)}. */
    public List<Recipient> add(List<OpenPgpPublicKey> keys) {
        return keys.stream().map(this::add).toList();
    }

    /** {@link #remove(String, boolean)} without a new data key. */
    public Recipient remove(String selector) {
        return remove(selector, false);
    }

    /**
     * Removes the recipient {@code selector} names (fingerprint, key id, or part of a user id): deletes all its key
     * objects, so its secret key opens nothing in the repository any more. With {@code newDataKey}, also starts a new
     * data key (see {@link #rotateDataKey()}), so that data written from now on is safe even from someone who kept
     * the old data key.
     *
     * @throws NotFoundException when no recipient matches
     * @throws InvalidInputException when several match, or it is the last recipient
     */
    public Recipient remove(String selector, boolean newDataKey) {
        List<Recipient> all = list();
        List<Recipient> matching = all.stream().filter(r -> r.matches(selector)).toList();
        if (matching.isEmpty()) {
            throw new NotFoundException("no recipient of the repository at " + sink.describe() + " matches '" + selector
                    + "'; its recipients: " + all);
        }
        if (matching.size() > 1) {
            throw new InvalidInputException("several recipients match '" + selector + "': " + matching + "; give a fingerprint");
        }
        Recipient removed = matching.get(0);
        if (all.size() == 1) {
            throw new InvalidInputException("the key " + removed + " is the last recipient of the repository at "
                    + sink.describe() + ": add another key first, or nothing could ever open the repository again");
        }
        delete(removed.keyObjects());
        LOG.info("key {} removed from the repository at {}", removed, sink.describe());
        if (newDataKey) {
            rotateDataKey();
        }
        return removed;
    }

    /**
     * Starts a new data key: every recipient's key objects are replaced by ones that hold all data keys, the new one
     * last, and everything written from now on is encrypted under it. Data already stored keeps its key (no
     * re-upload) and stays readable. Returns the new data key's id.
     */
    public String rotateDataKey() {
        OpenPgpEncryption.Unlocked unlocked = unlocked();
        DataKey next = DataKey.generate(random, latest(unlocked).isAfter(Instant.now()) ? latest(unlocked).plusSeconds(1) : Instant.now());
        List<DataKey> keys = new ArrayList<>(unlocked.dataKeys());
        keys.add(next);
        KeyObject.Payload payload;
        try {
            payload = new KeyObject.Payload(unlocked.repositoryId(), unlocked.idKey(), keys, sessionKeys(unlocked));
            // write every new key object before deleting an old one: a crash leaves both, never neither
            List<String> old = new ArrayList<>();
            Map<String, Boolean> done = new LinkedHashMap<>();
            for (KeyObject o : unlocked.objects()) {
                old.add(o.name());
                if (done.putIfAbsent(o.fingerprint(), true) == null) {
                    KeyObjects.write(sink, KeyObjects.wrap(o.publicKeyRing(), payload, random));
                }
            }
            delete(old);
        } catch (IOException e) {
            throw new BackupException("cannot rewrap the keys of " + sink.describe() + ": " + e.getMessage(), e);
        }
        LOG.info("new data key {} for the repository at {}", next.idHex(), sink.describe());
        return next.idHex();
    }

    // ---- writers

    /** How long writer key changes wait for running backups and prunes to end. */
    static final java.time.Duration WRITERS_WAIT = java.time.Duration.ofMinutes(10);

    /**
     * Exports a new writer key: registers a new writer in the repository's writers list (signed with the repository's
     * authority key) and returns its key, to be written to a file ({@link WriterKey#write}) and deployed on one backup
     * host. The writer encrypts to the repository's current recipients. Runs while no backup or prune runs; the first
     * writer also makes the index readable to writers (ids only), so that they deduplicate against what is stored.
     *
     * @param name what the writer is called in lists and messages, usually the host's name
     */
    public WriterKey exportWriter(String name) {
        if (name == null || name.isBlank() || name.chars().anyMatch(c -> c < 0x20) || name.length() > 200) {
            throw new InvalidInputException("a writer needs a name of one line (the host it is for, e.g. app1): '" + name + "'");
        }
        return repository.changeKeys("export a writer key", WRITERS_WAIT, () -> {
            try {
                OpenPgpEncryption.Unlocked unlocked = unlocked();
                Ed25519 authority = unlocked.authority();
                Instant now = Instant.now();
                Optional<WritersList> current = WritersList.latest(sink, unlocked.repositoryId(), authority.publicKey());
                if (current.isPresent() && current.get().writers().stream().anyMatch(w -> w.name().equals(name) && !w.isRevoked())) {
                    throw new ConflictException("the repository at " + sink.describe() + " has a valid writer named '" + name
                            + "' already: choose another name, or revoke it first (mint-backup key writer revoke)");
                }
                WritersList base = current.orElseGet(() -> WritersList.first(unlocked.repositoryId(), now,
                        repository.layout() == com.mintreplica.backup.core.Layout.SINGLE
                                ? Optional.of(unsignedManifests()) : Optional.empty()));
                byte[] seed = new byte[Ed25519.SEED];
                random.nextBytes(seed);
                byte[] id = new byte[Signatures.SIGNER];
                random.nextBytes(id);
                String writerId = HexFormat.of().formatHex(id);
                Ed25519 signer = Ed25519.fromSeed(seed);
                WritersList next = base.with(new WritersList.Writer(writerId, name, signer.publicKey(), now, Optional.empty(),
                        Map.of()), now);
                if (!next.store(sink, authority)) {
                    throw new ConflictException("another key change wrote the writers list of " + sink.describe()
                            + " at the same time: run the command again");
                }
                LOG.info("writer '{}' ({}) added to the repository at {}", name, writerId, sink.describe());
                return new WriterKey(unlocked.repositoryId(), writerId, name, now,
                        repository.layout().name().toLowerCase(java.util.Locale.ROOT), unlocked.idKey(), seed,
                        authority.publicKey(), unlocked.recipients(),
                        List.of(RepositoryPgpKey.derive(unlocked.current()).getPublicKey()), Optional.empty(), true);
            } catch (IOException e) {
                throw new BackupException("cannot register a writer in " + sink.describe() + ": " + e.getMessage(), e);
            }
        });
    }

    /** The repository's writers, as the writers list in force says (its signature checked); empty when it has none. */
    public List<WriterInfo> writers() {
        try {
            OpenPgpEncryption.Unlocked unlocked = unlocked();
            return WritersList.latest(sink, unlocked.repositoryId(), unlocked.authority().publicKey())
                    .map(l -> l.writers().stream().map(KeyManager::info).toList()).orElse(List.of());
        } catch (IOException e) {
            throw new BackupException("cannot read the writers list of " + sink.describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Revokes a writer key: from now on readers reject every manifest it signs (its snapshots are left out of lists,
     * restores and retention), and writers stop deduplicating against the index objects it signs; the writer itself
     * refuses to run. What it wrote before stays trusted: every manifest and index object it signed that is stored now
     * (and, with {@code keepWrittenBefore}, only those the store dates before that time; {@code Instant.EPOCH} keeps
     * none, for a key that may have been stolen long ago), vouched for by its exact bytes. Other writers are untouched.
     *
     * @param selector the writer's name, or its id (or a prefix of at least 8 hex digits)
     * @throws NotFoundException when no writer matches
     * @throws ConflictException when it is revoked already
     */
    public WriterInfo revokeWriter(String selector, Optional<Instant> keepWrittenBefore) {
        return repository.changeKeys("revoke a writer key", WRITERS_WAIT, () -> {
            try {
                OpenPgpEncryption.Unlocked unlocked = unlocked();
                Ed25519 authority = unlocked.authority();
                WritersList list = WritersList.latest(sink, unlocked.repositoryId(), authority.publicKey())
                        .orElseThrow(() -> new NotFoundException("the repository at " + sink.describe() + " has no writers"));
                List<WritersList.Writer> matching = list.writers().stream().filter(w -> info(w).matches(selector)).toList();
                if (matching.isEmpty()) {
                    throw new NotFoundException("no writer of the repository at " + sink.describe() + " matches '" + selector
                            + "'; its writers: " + list.writers().stream().map(KeyManager::info).toList());
                }
                if (matching.size() > 1) {
                    throw new InvalidInputException("several writers match '" + selector + "': "
                            + matching.stream().map(KeyManager::info).toList() + "; give an id");
                }
                WritersList.Writer writer = matching.get(0);
                if (writer.isRevoked()) {
                    throw new ConflictException("the " + writer.describe() + " was revoked already, on " + writer.revoked().get());
                }
                Instant now = Instant.now();
                Map<String, String> kept = signedBy(writer.id(), keepWrittenBefore.orElse(now.plusSeconds(3600)));
                WritersList.Writer revoked = new WritersList.Writer(writer.id(), writer.name(), writer.publicKey(),
                        writer.added(), Optional.of(now), kept);
                if (!list.with(revoked, now).store(sink, authority)) {
                    throw new ConflictException("another key change wrote the writers list of " + sink.describe()
                            + " at the same time: run the command again");
                }
                LOG.info("{} revoked in the repository at {}; {} objects it wrote before stay trusted", writer.describe(),
                        sink.describe(), kept.size());
                return info(revoked);
            } catch (IOException e) {
                throw new BackupException("cannot revoke a writer in " + sink.describe() + ": " + e.getMessage(), e);
            }
        });
    }

    private static WriterInfo info(WritersList.Writer w) {
        return new WriterInfo(w.id(), w.name(), w.added(), w.revoked(), w.kept().size());
    }

    /**
     * Manifests, index objects and archived WAL signed by writer {@code id} and stored before {@code before}: name to
     * SHA-256 of the signed object, as readers check it. WAL carries its signature in its name, so it is keyed by its
     * name without signature and suffix (what the signature signs) and costs no read.
     */
    private Map<String, String> signedBy(String id, Instant before) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<ObjectInfo> listed = sink.list(com.mintreplica.backup.core.sink.RepositoryObjects.WAL_PREFIX)) {
            for (ObjectInfo o : (Iterable<ObjectInfo>) listed::iterator) {
                if (!o.lastModified().isBefore(before)) {
                    continue;
                }
                Optional<Signatures.NameSignature> signed = Signatures.parseName(o.name());
                if (signed.isPresent() && Signatures.parseObject(signed.get().stored()).get().signerHex().equalsIgnoreCase(id)) {
                    out.put(signed.get().base(), Signatures.sha256Hex(signed.get().stored()));
                }
            }
        }
        for (String prefix : List.of("snapshots/", "index/")) {
            List<ObjectInfo> objects;
            try (Stream<ObjectInfo> listed = sink.list(prefix)) {
                objects = listed.toList();
            }
            for (ObjectInfo o : objects) {
                if (!o.lastModified().isBefore(before)) {
                    continue;
                }
                byte[] stored;
                try (InputStream in = sink.get(o.name())) {
                    stored = in.readAllBytes();
                } catch (com.mintreplica.backup.core.sink.NoSuchObjectException vanished) {
                    continue;
                }
                Optional<Signatures.SignedObject> signed = Signatures.parseObject(stored);
                if (signed.isPresent() && signed.get().signerHex().equalsIgnoreCase(id)) {
                    out.put(o.name(), Signatures.sha256Hex(stored));
                }
            }
        }
        return out;
    }

    /**
     * The unsigned manifests and index objects of a single-layout repository, which readers keep trusting once it has
     * writers. (A single-layout repository of format 2 has index objects too: its tree packs are indexed.)
     */
    private Map<String, String> unsignedManifests() {
        try {
            Map<String, String> out = new java.util.TreeMap<>();
            List<ObjectInfo> objects = new java.util.ArrayList<>();
            for (String prefix : List.of("snapshots/", "index/")) {
                try (Stream<ObjectInfo> listed = sink.list(prefix)) {
                    objects.addAll(listed.toList());
                }
            }
            for (ObjectInfo o : objects) {
                byte[] stored;
                try (InputStream in = sink.get(o.name())) {
                    stored = in.readAllBytes();
                } catch (com.mintreplica.backup.core.sink.NoSuchObjectException vanished) {
                    continue;
                }
                if (Signatures.parseObject(stored).isEmpty()) {
                    out.put(o.name(), Signatures.sha256Hex(stored));
                }
            }
            return out;
        } catch (IOException e) {
            throw new BackupException("cannot read the manifests of " + sink.describe() + ": " + e.getMessage(), e);
        }
    }

    private static Instant latest(OpenPgpEncryption.Unlocked unlocked) {
        return unlocked.current().created();
    }

    private void delete(List<String> names) {
        for (String name : names) {
            try {
                sink.delete(name);
            } catch (IOException e) {
                throw new BackupException("cannot delete key object '" + name + "' from " + sink.describe() + ": "
                        + e.getMessage() + "; run the command again", e);
            }
        }
    }

    /**
     * The writers' session keys this reader opens (see {@code ReaderAccess#sessionKeys}). A recipient added later is
     * not among the recipients of the {@code sessions/} objects stored before, so key objects written for it carry
     * them; a key object rewritten for a rotation carries them on.
     */
    private List<DataKey> sessionKeys(OpenPgpEncryption.Unlocked unlocked) throws IOException {
        return unlocked.access(new RepositoryEncryption.Context(sink, repository.id(), repository.layout(), Map.of()), random)
                .sessionKeys();
    }

    private KeyObject.Payload withSessions(OpenPgpEncryption.Unlocked unlocked) throws IOException {
        return new KeyObject.Payload(unlocked.repositoryId(), unlocked.idKey(), unlocked.dataKeys(), sessionKeys(unlocked));
    }

    private OpenPgpEncryption.Unlocked unlocked() {
        try {
            return encryption.unlockKeys(new RepositoryEncryption.Context(sink, repository.id(), repository.layout(), Map.of()));
        } catch (IOException e) {
            throw new CorruptDataException("cannot read the key objects of " + sink.describe() + ": " + e.getMessage(), e);
        }
    }

    private static List<Recipient> group(List<KeyObject> objects) {
        Map<String, List<KeyObject>> byFingerprint = new LinkedHashMap<>();
        objects.forEach(o -> byFingerprint.computeIfAbsent(o.fingerprint(), f -> new ArrayList<>()).add(o));
        List<Recipient> out = new ArrayList<>();
        byFingerprint.forEach((fp, list) -> {
            KeyObject first = list.get(0);
            out.add(new Recipient(fp, list.get(list.size() - 1).keyId(), first.userIds(), first.created(),
                    list.stream().map(KeyObject::name).toList()));
        });
        return out;
    }

    /** Closes the repository it opened (not the Sink, which the caller gave). */
    @Override
    public void close() {
        repository.close();
    }
}
