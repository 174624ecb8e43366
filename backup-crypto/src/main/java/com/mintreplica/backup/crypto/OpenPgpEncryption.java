package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.encryption.RepositoryKeys;
import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.crypto.internal.AesGcmTransformer;
import com.mintreplica.backup.crypto.internal.DataKey;
import com.mintreplica.backup.crypto.internal.KeyObject;
import com.mintreplica.backup.crypto.internal.KeyObjects;
import com.mintreplica.backup.crypto.internal.ReaderAccess;
import com.mintreplica.backup.crypto.internal.RepositoryPgpKey;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * Encryption at rest with OpenPGP keys, for {@code Repository.init} and {@code Repository.open}.
 *
 * <pre>{@code
 * // create: every stored object encrypted; the keys wrapped for each recipient under keys/
 * Repository.init(sink, RepositorySettings.defaults(),
 *         OpenPgpEncryption.to(OpenPgpKeys.publicKeys(Path.of("ops.asc"))));
 * // open: with the secret key of any recipient
 * Repository.open(sink, OpenPgpEncryption.unlockWith(OpenPgpKeys.secretKey(Path.of("ops-secret.asc"), passphrase)));
 * }</pre>
 *
 * <p>A new repository gets a random 256-bit data key and a random 256-bit blob id key; each recipient gets a
 * {@code keys/<id>} object holding them, OpenPGP-encrypted to its key. In the chunked layout every stored object is
 * AES-256-GCM under a key derived per object from the data key (the JDK's accelerated AES); in the single-object
 * layout every object is a standard OpenPGP message to the recipients (and to a repository key derived from the data
 * key), so {@code gpg --decrypt} opens it. Blob and index names are HMAC-SHA256 under the id key. Key rotation:
 * {@link KeyManager}.
 */
public final class OpenPgpEncryption implements RepositoryEncryption {
    public static final String SCHEME = "openpgp";
    /** Config extension: the transformer that seals stored objects ({@code aes-256-gcm} or {@code openpgp}). */
    public static final String TRANSFORMER_EXTENSION = "encryption.transformer";
    /** Config extension: the OpenPGP message format of the single-object layout ({@code seipd1}, {@code seipd2}). */
    public static final String FORMAT_EXTENSION = "encryption.openpgp.format";

    private final List<OpenPgpPublicKey> recipients;
    private final List<OpenPgpSecretKey> secretKeys;
    private final OpenPgpMessageFormat format;
    private final SecureRandom random;

    private OpenPgpEncryption(List<OpenPgpPublicKey> recipients, List<OpenPgpSecretKey> secretKeys, OpenPgpMessageFormat format,
                              SecureRandom random) {
        this.recipients = List.copyOf(recipients);
        this.secretKeys = List.copyOf(secretKeys);
        this.format = format;
        this.random = random;
    }

    /** For {@code Repository.init}: encrypt a new repository to these recipients (at least one). */
    public static OpenPgpEncryption to(List<OpenPgpPublicKey> recipients) {
        if (recipients.isEmpty()) {
            throw new InvalidInputException("an encrypted repository needs at least one recipient: give a public key (--encrypt-to KEY.asc)");
        }
        return new OpenPgpEncryption(distinct(recipients), List.of(), OpenPgpMessageFormat.SEIPD_V1, new SecureRandom());
    }

    public static OpenPgpEncryption to(OpenPgpPublicKey... recipients) {
        return to(Arrays.asList(recipients));
    }

    /** For {@code Repository.open}: unlock an encrypted repository with any of these secret keys. */
    public static OpenPgpEncryption unlockWith(List<OpenPgpSecretKey> keys) {
        if (keys.isEmpty()) {
            throw new InvalidInputException("opening an encrypted repository to read it or manage its keys needs a reader's key: the secret key of a recipient (--key SECRET.asc)");
        }
        return new OpenPgpEncryption(List.of(), keys, OpenPgpMessageFormat.SEIPD_V1, new SecureRandom());
    }

    public static OpenPgpEncryption unlockWith(OpenPgpSecretKey... keys) {
        return unlockWith(Arrays.asList(keys));
    }

    /**
     * For {@code Repository.open} on a backup host: write to the repository with a writer key only (no secret key, no
     * passphrase). The repository opened this way backs up and copies into it; everything that reads fails with an
     * {@link AccessDeniedException} saying that a reader's key is needed. Opening refuses (with an
     * {@code AccessDeniedException}, writing nothing) when the repository's recipients differ from those the writer key
     * was exported with, or when the writer key was revoked. See {@link WriterKey}.
     */
    public static RepositoryEncryption writeWith(WriterKey key) {
        return new WriterEncryption(java.util.Objects.requireNonNull(key, "key"), new SecureRandom());
    }

    /**
     * The OpenPGP message format of a new single-object repository (default {@link OpenPgpMessageFormat#SEIPD_V1}, which
     * GnuPG 2.2 reads; {@link OpenPgpMessageFormat#SEIPD_V2_AEAD} is the RFC 9580 opt-in).
     */
    public OpenPgpEncryption withMessageFormat(OpenPgpMessageFormat value) {
        return new OpenPgpEncryption(recipients, secretKeys, Objects.requireNonNull(value, "format"), random);
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public RepositoryKeys create(Context context) throws IOException {
        if (recipients.isEmpty()) {
            throw new InvalidInputException("creating an encrypted repository needs recipients: use OpenPgpEncryption.to(public keys)");
        }
        byte[] idKey = new byte[32];
        random.nextBytes(idKey);
        DataKey dataKey = DataKey.generate(random, Instant.now());
        KeyObject.Payload payload = new KeyObject.Payload(context.repositoryId(), idKey, List.of(dataKey));
        for (OpenPgpPublicKey recipient : recipients) {
            KeyObjects.write(context.sink(), KeyObjects.wrap(recipient.ring(), payload, random));
        }
        Map<String, String> extensions = new TreeMap<>();
        extensions.put(RECIPIENTS_EXTENSION, recipients.stream()
                .map(r -> r.fingerprint() + " (subkey " + r.encryptionKeyId() + ")").collect(Collectors.joining(", ")));
        extensions.put(TRANSFORMER_EXTENSION, context.layout() == Layout.CHUNKED ? AesGcmTransformer.NAME : OpenPgpTransformer.NAME);
        if (context.layout() == Layout.SINGLE) {
            extensions.put(FORMAT_EXTENSION, format.id());
        }
        Unlocked unlocked = new Unlocked(context.repositoryId(), idKey, List.of(dataKey),
                recipients.stream().map(OpenPgpPublicKey::ring).toList(), Map.of());
        return unlocked.repositoryKeys(context, format, random, extensions);
    }

    @Override
    public RepositoryKeys unlock(Context context) throws IOException {
        OpenPgpMessageFormat recorded = OpenPgpMessageFormat.fromId(context.extensions().getOrDefault(FORMAT_EXTENSION, OpenPgpMessageFormat.SEIPD_V1.id()));
        return unlockKeys(context).repositoryKeys(context, recorded, random, Map.of());
    }

    /** Deletes the key objects of a repository whose creation lost a race. */
    @Override
    public void discard(Context context, RepositoryKeys keys) throws IOException {
        for (KeyObject k : KeyObjects.readAll(context.sink(), context.repositoryId())) {
            context.sink().delete(k.name());
        }
    }

    /** The keys {@link #secretKeys} open, with every key object of the repository. */
    Unlocked unlockKeys(Context context) throws IOException {
        if (secretKeys.isEmpty()) {
            throw new AccessDeniedException("the repository at " + context.sink().describe()
                    + " is encrypted: open it with a secret key (OpenPgpEncryption.unlockWith, CLI --key SECRET.asc)");
        }
        Map<Long, PGPPrivateKey> mine = new LinkedHashMap<>(); // the order the keys were given: hidden recipients try it
        secretKeys.forEach(k -> mine.putAll(k.privateKeys()));
        List<KeyObject> objects = new ArrayList<>();
        // Another repository's key object, or one whose clear repository id was damaged: its keys say which. Checked
        // while the object is read, so that an id damaged on the way (not in the store) is read again.
        UnaryOperator<KeyObject> namesItsRepository = object -> {
            if (!object.repository().equals(context.repositoryId()) && opens(object, mine)) {
                KeyObject.Payload payload = unwrap(object, mine, context);
                if (payload != null && payload.repository().equals(context.repositoryId())) {
                    throw new CorruptDataException("key object '" + object.name() + "' in " + context.sink().describe()
                            + " names repository " + object.repository() + " but wraps the keys of this one: it is damaged");
                }
            }
            return object;
        };
        for (KeyObject object : KeyObjects.readAll(context.sink(), namesItsRepository)) {
            if (object.repository().equals(context.repositoryId())) {
                objects.add(object);
            }
        }
        if (objects.isEmpty()) {
            throw new AccessDeniedException("the repository at " + context.sink().describe() + " is encrypted but holds no key"
                    + " objects under keys/: its keys were deleted, and nothing in it can be decrypted");
        }
        byte[] idKey = null;
        Map<String, DataKey> dataKeys = new LinkedHashMap<>();
        Map<String, DataKey> sessions = new LinkedHashMap<>();
        for (KeyObject object : objects) {
            if (!KeyObjects.opens(object, mine)) {
                continue;
            }
            KeyObject.Payload payload = unwrap(object, mine, context);
            if (payload == null) {
                continue; // a hidden recipient that is not us
            }
            if (!payload.repository().equals(object.repository())) {
                throw new CorruptDataException("key object '" + object.name() + "' in " + context.sink().describe()
                        + " wraps the keys of repository " + payload.repository() + ", not of " + object.repository());
            }
            if (idKey == null) {
                idKey = payload.idKey();
            } else if (!MessageDigest.isEqual(idKey, payload.idKey())) {
                throw new CorruptDataException("key object '" + object.name() + "' in " + context.sink().describe()
                        + " holds another id key than the other key objects: the keys/ objects were tampered with");
            }
            payload.dataKeys().forEach(k -> dataKeys.putIfAbsent(k.idHex(), k));
            payload.sessions().forEach(k -> sessions.putIfAbsent(k.idHex(), k));
        }
        if (idKey == null) {
            throw new AccessDeniedException("none of the secret keys given (" + secretKeys.stream()
                    .map(k -> k.fingerprint() + " subkeys " + k.keyIds()).collect(Collectors.joining("; "))
                    + ") opens the repository at " + context.sink().describe() + ": it is encrypted to "
                    + describe(objects) + "; give the secret key of one of them (--key SECRET.asc)");
        }
        List<DataKey> sorted = new ArrayList<>(dataKeys.values());
        sorted.sort(Comparator.comparing(DataKey::created));
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        Map<String, Boolean> seen = new HashMap<>();
        for (KeyObject object : objects) {
            if (seen.putIfAbsent(object.fingerprint(), true) == null) {
                try {
                    rings.add(object.publicKeyRing());
                } catch (IOException | RuntimeException e) {
                    throw new CorruptDataException("the public key in key object '" + object.name() + "' is damaged: "
                            + e.getMessage(), e);
                }
            }
        }
        return new Unlocked(context.repositoryId(), idKey, sorted, rings, mine, objects, List.copyOf(sessions.values()));
    }

    private static boolean opens(KeyObject object, Map<Long, PGPPrivateKey> mine) {
        try {
            return KeyObjects.opens(object, mine);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The keys {@code object} wraps, or null when it is for a hidden recipient that is not one of {@code mine}. */
    private static KeyObject.Payload unwrap(KeyObject object, Map<Long, PGPPrivateKey> mine, Context context) {
        try {
            return KeyObjects.unwrap(object, mine);
        } catch (com.mintreplica.backup.crypto.internal.Pgp.NotARecipientException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("key object '" + object.name() + "' in " + context.sink().describe()
                    + " does not decrypt: " + e.getMessage(), e);
        }
    }

    static String describe(List<KeyObject> objects) {
        Map<String, String> byFingerprint = new LinkedHashMap<>();
        for (KeyObject o : objects) {
            byFingerprint.putIfAbsent(o.fingerprint(), o.fingerprint() + " (subkey " + o.keyId() + ")"
                    + (o.userIds().isEmpty() ? "" : " " + o.userIds().get(0)));
        }
        return String.join(", ", byFingerprint.values());
    }

    private static List<OpenPgpPublicKey> distinct(List<OpenPgpPublicKey> keys) {
        return new ArrayList<>(new java.util.LinkedHashSet<>(keys));
    }

    @Override
    public String toString() {
        return "OpenPgpEncryption[recipients " + recipients + ", secret keys " + secretKeys + "]";
    }

    /** A repository's unlocked keys and what they were found in. */
    record Unlocked(String repositoryId, byte[] idKey, List<DataKey> dataKeys, List<PGPPublicKeyRing> recipients,
                    Map<Long, PGPPrivateKey> privateKeys, List<KeyObject> objects, List<DataKey> sessions) {
        Unlocked(String repositoryId, byte[] idKey, List<DataKey> dataKeys, List<PGPPublicKeyRing> recipients,
                 Map<Long, PGPPrivateKey> privateKeys) {
            this(repositoryId, idKey, dataKeys, recipients, privateKeys, List.of(), List.of());
        }

        DataKey current() {
            return dataKeys.get(dataKeys.size() - 1);
        }

        /** What this reader's key objects wrap, with the session keys its key objects carry. */
        KeyObject.Payload payload() {
            return new KeyObject.Payload(repositoryId, idKey, dataKeys, sessions);
        }

        /** The repository's authority key (signs the writers list and, once there are writers, what readers write). */
        com.mintreplica.backup.crypto.internal.Ed25519 authority() {
            return ReaderAccess.authority(dataKeys.get(0));
        }

        ReaderAccess access(Context context, SecureRandom random) {
            return new ReaderAccess(context.sink(), repositoryId, context.layout(), dataKeys, idKey, privateKeys, sessions,
                    random);
        }

        RepositoryKeys repositoryKeys(Context context, OpenPgpMessageFormat format, SecureRandom random, Map<String, String> extensions) {
            ReaderAccess access = access(context, random);
            Transformer sealing = transformer(context.layout(), format, random, access);
            access.sealing(sealing);
            return new RepositoryKeys(sealing, new SecretKeySpec(idKey, "HmacSHA256"), extensions, access);
        }

        Transformer transformer(Layout layout, OpenPgpMessageFormat format, SecureRandom random, ReaderAccess access) {
            if (layout == Layout.CHUNKED) {
                return new AesGcmTransformer(access.keys(), random);
            }
            OpenPgpTransformer.Builder b = OpenPgpTransformer.builder().format(format).random(random).repositoryObjects();
            recipients.forEach(r -> b.encryptTo(com.mintreplica.backup.crypto.internal.Pgp.encryptionKey(r)));
            b.encryptTo(RepositoryPgpKey.derive(current()).getPublicKey());
            // Opened with repository keys only. Every object mint-backup stores (readers and writers alike, since the
            // first version) is also encrypted to the repository key; the recipients' public keys are in keys/ in
            // clear, so a message only a recipient's secret key opens may be anyone's who can write to the bucket: a
            // planted object, which decoding then reports as corrupt (docs/encryption.md, "Threats").
            for (DataKey k : dataKeys) {
                PGPKeyPair pair = RepositoryPgpKey.derive(k);
                b.decryptWith(pair.getPrivateKey());
            }
            return b.build();
        }
    }
}
