package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.util.encoders.Hex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads, writes, wraps and unwraps the {@code keys/} objects of a repository. */
public final class KeyObjects {
    private static final Logger LOG = LoggerFactory.getLogger(KeyObjects.class);

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
        List<String> names;
        try (Stream<ObjectInfo> objects = sink.list(RepositoryEncryption.KEYS_PREFIX)) {
            names = objects.map(ObjectInfo::name).sorted().toList();
        }
        List<KeyObject> out = new ArrayList<>();
        for (String name : names) {
            byte[] bytes;
            try (InputStream in = sink.get(name)) {
                bytes = in.readAllBytes();
            } catch (com.mintreplica.backup.core.sink.NoSuchObjectException vanished) {
                continue; // removed by a concurrent key operation
            }
            out.add(KeyObject.parse(name, bytes));
        }
        out.sort(java.util.Comparator.comparing(KeyObject::created).thenComparing(KeyObject::name));
        return out;
    }

    /** A new key object wrapping {@code payload} for {@code recipient}. */
    public static KeyObject wrap(PGPPublicKeyRing recipient, KeyObject.Payload payload, SecureRandom random) throws IOException {
        PGPPublicKey encryptionKey = Pgp.encryptionKey(recipient);
        byte[] id = new byte[16];
        random.nextBytes(id);
        byte[] message = Pgp.encrypt(payload.toBytes(), List.of(encryptionKey),
                com.mintreplica.backup.crypto.MessageFormat.SEIPD_V1, random);
        return new KeyObject(RepositoryEncryption.KEYS_PREFIX + Hex.toHexString(id), payload.repository(),
                Pgp.fingerprint(recipient.getPublicKey()), Pgp.keyId(encryptionKey.getKeyID()),
                Pgp.userIds(recipient.getPublicKey()), Instant.now(), Pgp.armor(recipient.getEncoded()), Pgp.armor(message));
    }

    public static void write(Sink sink, KeyObject key) throws IOException {
        byte[] bytes = key.toBytes();
        sink.put(key.name(), new ByteArrayInputStream(bytes), bytes.length, ObjectKind.CONFIG);
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
