package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.HexFormat;

/** Reads, writes, wraps and unwraps the {@code keys/} objects of a repository. */
public final class KeyObjects {
    private static final Logger LOG = LoggerFactory.getLogger(KeyObjects.class);

    /** Reads of a key object before its damage is called stored or transit damage; the core reads its own as often. */
    static final int READ_ATTEMPTS = 5; // as Store.READ_ATTEMPTS

    private KeyObjects() {
    }

    /** Every key object of repository {@code repositoryId}, oldest first; objects of another repository are ignored. */
    public static List<KeyObject> readAll(Sink sink, String repositoryId) throws IOException {
        List<KeyObject> out = new ArrayList<>();
        for (KeyObject key : readAll(sink)) {
            if (!key.repository().equals(repositoryId)) {
                LOG.warn("ignoring key object '{}' in {}: it belongs to repository {}, not {}", key.name(), sink.describe(),
                        key.repository(), repositoryId);
                continue;
            }
            out.add(key);
        }
        return out;
    }

    /**
     * Every key object under {@code keys/}, whatever repository it names, oldest first.
     *
     * @throws com.mintreplica.backup.core.CorruptDataException naming a key object that is damaged
     */
    public static List<KeyObject> readAll(Sink sink) throws IOException {
        return readAll(sink, UnaryOperator.identity());
    }

    /**
     * Every key object under {@code keys/}, each parsed and passed through {@code check} (which throws
     * {@link CorruptDataException} for a damaged one) inside {@link #read}'s reading again, oldest first.
     */
    public static List<KeyObject> readAll(Sink sink, UnaryOperator<KeyObject> check) throws IOException {
        List<String> names;
        try (Stream<ObjectInfo> objects = sink.list(RepositoryEncryption.KEYS_PREFIX)) {
            names = objects.map(ObjectInfo::name).sorted().toList();
        }
        List<KeyObject> out = new ArrayList<>();
        for (String name : names) {
            read(sink, name, check).ifPresent(out::add); // absent: removed by a concurrent key operation
        }
        out.sort(java.util.Comparator.comparing(KeyObject::created).thenComparing(KeyObject::name));
        return out;
    }

    /**
     * Reads and parses one key object, telling damage in the store from damage on the way, as the core does for its
     * own objects (its {@code Store.readChecked}, which an adapter does not reach): a read that fails its checks is
     * read again, up to {@value #READ_ATTEMPTS} times in all. A later read that passes was damage in transit (a
     * warning); two reads that fail with the same bytes are damage in the store ({@link CorruptDataException}); every
     * read failing with different bytes is damage on the way, and the stored object may well be intact: a
     * {@link BackupException} that says so, not a {@code CorruptDataException}.
     *
     * @return empty when the object is gone (removed by a concurrent key operation)
     */
    public static Optional<KeyObject> read(Sink sink, String name) throws IOException {
        return read(sink, name, UnaryOperator.identity());
    }

    /**
     * {@link #read(Sink, String)}, where {@code check} (which throws {@link CorruptDataException}) is one more check
     * of each read, such as that a key object names the repository whose keys it wraps.
     */
    public static Optional<KeyObject> read(Sink sink, String name, UnaryOperator<KeyObject> check) throws IOException {
        List<byte[]> badDigests = new ArrayList<>();
        CorruptDataException first = null;
        for (int attempt = 1; ; attempt++) {
            byte[] bytes;
            try (InputStream in = sink.get(name)) {
                bytes = in.readAllBytes();
            } catch (NoSuchObjectException vanished) {
                return Optional.empty();
            }
            try {
                KeyObject key = check.apply(KeyObject.parse(name, bytes));
                if (first != null) {
                    LOG.warn("key object '{}' arrived damaged from {} and read intact on attempt {}: damage in transit,"
                            + " not in the store ({})", name, sink.describe(), attempt, first.getMessage());
                }
                return Optional.of(key);
            } catch (CorruptDataException e) {
                first = first == null ? e : first;
                byte[] digest = sha256(bytes);
                if (badDigests.stream().anyMatch(d -> Arrays.equals(d, digest))) {
                    throw new CorruptDataException(e.getMessage() + " (read " + attempt
                            + " times with the same result: the stored object is damaged)", e);
                }
                badDigests.add(digest);
                if (attempt >= READ_ATTEMPTS) {
                    throw new BackupException("key object '" + name + "' arrived damaged " + attempt + " times from "
                            + sink.describe() + ", different bytes each time: something between here and the store"
                            + " damages data in transit; the stored object may be intact, try again (first: "
                            + first.getMessage() + ")", first);
                }
                LOG.debug("key object '{}' from {} failed its checks ({}); reading it again", name, sink.describe(),
                        e.getMessage());
            }
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new key object wrapping {@code payload} for {@code recipient}. */
    public static KeyObject wrap(PGPPublicKeyRing recipient, KeyObject.Payload payload, SecureRandom random) throws IOException {
        PGPPublicKey encryptionKey = Pgp.encryptionKey(recipient);
        byte[] id = new byte[16];
        random.nextBytes(id);
        byte[] message = Pgp.encrypt(payload.toBytes(), List.of(encryptionKey),
                com.mintreplica.backup.crypto.OpenPgpMessageFormat.SEIPD_V1, random);
        return new KeyObject(RepositoryEncryption.KEYS_PREFIX + HexFormat.of().formatHex(id), payload.repository(),
                Pgp.fingerprint(recipient.getPublicKey()), Pgp.keyId(encryptionKey.getKeyID()),
                Pgp.userIds(recipient.getPublicKey()), Instant.now(), Pgp.armor(recipient.getEncoded()), Pgp.armor(message));
    }

    public static void write(Sink sink, KeyObject key) throws IOException {
        byte[] bytes = key.toBytes();
        sink.put(key.name(), new ByteArrayInputStream(bytes), bytes.length, ObjectKind.KEY);
    }

    /** Whether any of {@code privateKeys} is a recipient of the object's wrapped message. */
    public static boolean opens(KeyObject key, Map<Long, PGPPrivateKey> privateKeys) throws IOException {
        List<Long> recipients;
        try {
            recipients = Pgp.recipients(key.wrappedMessage());
        } catch (IOException | RuntimeException e) {
            throw new com.mintreplica.backup.core.CorruptDataException("key object '" + key.name()
                    + "' holds a damaged wrapped message (" + e.getMessage() + ")", e);
        }
        for (long id : recipients) {
            if (id == 0 || privateKeys.containsKey(id)) {
                return true;
            }
        }
        return false;
    }

    /** The keys {@code key} wraps, as written: the caller compares their repository with the one it names. */
    public static KeyObject.Payload unwrap(KeyObject key, Map<Long, PGPPrivateKey> privateKeys) throws IOException {
        byte[] plain = Pgp.decrypt(key.wrappedMessage(), privateKeys);
        return KeyObject.Payload.parse(key.name(), plain);
    }
}
