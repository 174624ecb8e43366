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
import com.mintreplica.backup.crypto.internal.KeyObject;
import com.mintreplica.backup.crypto.internal.KeyObjects;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
            KeyObject object = KeyObjects.wrap(key.ring(), unlocked.payload(), random);
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
        KeyObject.Payload payload = new KeyObject.Payload(unlocked.repositoryId(), unlocked.idKey(), keys);
        try {
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
