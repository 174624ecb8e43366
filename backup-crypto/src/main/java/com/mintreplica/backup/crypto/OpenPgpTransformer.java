package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.TransformerProvider;
import com.mintreplica.backup.crypto.internal.Pgp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;

/**
 * Plain OpenPGP encryption as a {@link Transformer}: each encoded stream is one standard OpenPGP message (binary,
 * SEIPD v1 with MDC by default) encrypted to the recipients, which {@code gpg --decrypt} opens with any recipient's
 * secret key; decoding opens messages (also those {@code gpg --encrypt} made) with the secret keys given, and fails
 * on any change (MDC or AEAD tag). Name {@code openpgp}, suffix {@code .gpg}.
 *
 * <pre>{@code
 * Transformer pgp = OpenPgpTransformer.builder()
 *     .encryptTo(OpenPgpKeys.publicKeys(Path.of("ops.asc")))
 *     .decryptWith(OpenPgpKeys.secretKey(Path.of("ops-secret.asc"), passphrase))
 *     .build();
 * }</pre>
 *
 * <p>Its {@link #parameters()} name the recipients' key ids, never keys; the {@link Provider} found through
 * {@code META-INF/services} therefore rebuilds a transformer that has no keys and says so when used. Rebuild one that
 * can work with {@link #provider(List, List)}, which takes the keys from the caller (as {@link OpenPgpEncryption} does
 * for a repository).
 */
public final class OpenPgpTransformer implements Transformer {
    public static final String NAME = "openpgp";

    private final List<PGPPublicKey> recipients;
    /** In the order given: a message to a hidden recipient is tried with each in this order. */
    private final Map<Long, PGPPrivateKey> privateKeys;
    /** The secret keys given, for messages: {@code FINGERPRINT (subkeys [ID, ...])} or {@code subkey ID}. */
    private final List<String> secretKeyNames;
    private final OpenPgpMessageFormat format;
    private final SecureRandom random;
    /** Whether it decodes a repository's objects: see {@link Builder#repositoryObjects()}. */
    private final boolean repositoryObjects;

    private OpenPgpTransformer(List<PGPPublicKey> recipients, Map<Long, PGPPrivateKey> privateKeys,
                               List<String> secretKeyNames, OpenPgpMessageFormat format, SecureRandom random,
                               boolean repositoryObjects) {
        this.recipients = List.copyOf(recipients);
        this.privateKeys = Collections.unmodifiableMap(new LinkedHashMap<>(privateKeys));
        this.secretKeyNames = List.copyOf(secretKeyNames);
        this.format = format;
        this.random = random;
        this.repositoryObjects = repositoryObjects;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return NAME;
    }

    /** {@code format} ({@code seipd1} or {@code seipd2}) and {@code recipients} (the key ids encrypted to, sorted). */
    @Override
    public Map<String, String> parameters() {
        TreeSet<String> ids = new TreeSet<>();
        recipients.forEach(k -> ids.add(Pgp.keyId(k.getKeyID())));
        Map<String, String> out = new LinkedHashMap<>();
        out.put("format", format.id());
        out.put("recipients", String.join(",", ids));
        return out;
    }

    @Override
    public String fileSuffix() {
        return ".gpg";
    }

    @Override
    public OutputStream encoder(OutputStream out) throws IOException {
        if (recipients.isEmpty()) {
            throw new AccessDeniedException("this openpgp transformer has no recipients' public keys and cannot encrypt:"
                    + " build it with encryptTo(...) or rebuild it with OpenPgpTransformer.provider(publicKeys, secretKeys)");
        }
        return Pgp.encryptor(out, recipients, format, random);
    }

    @Override
    public InputStream decoder(InputStream in) throws IOException {
        if (privateKeys.isEmpty()) {
            throw new AccessDeniedException("this openpgp transformer has no secret key and cannot decrypt: build it with"
                    + " decryptWith(OpenPgpKeys.secretKey(...)) or open the repository with OpenPgpEncryption.unlockWith(...)");
        }
        try {
            return Pgp.decryptor(in, privateKeys);
        } catch (Pgp.NotARecipientException e) {
            if (repositoryObjects) {
                throw new IOException("it is not encrypted to any key of this repository (" + e.detail()
                        + "): it was replaced or damaged", e);
            }
            in.close();
            throw new AccessDeniedException("none of the secret keys given (" + String.join("; ", secretKeyNames)
                    + ") opens this OpenPGP message: " + e.detail() + ". Give the secret key it is encrypted to"
                    + " (CLI: --key SECRET.asc)", e);
        }
    }

    @Override
    public String toString() {
        return "openpgp(" + parameters() + ")";
    }

    /**
     * A provider that rebuilds {@code openpgp} transformers with the caller's keys: the recorded recipients are looked
     * up among {@code publicKeys} and the public parts of {@code secretKeys}; decoding uses {@code secretKeys}.
     */
    public static TransformerProvider provider(List<OpenPgpPublicKey> publicKeys, List<OpenPgpSecretKey> secretKeys) {
        List<OpenPgpPublicKey> known = new ArrayList<>(publicKeys);
        for (OpenPgpSecretKey s : secretKeys) {
            try {
                known.add(OpenPgpPublicKey.of(s.publicRing()));
            } catch (InvalidInputException cannotBeEncryptedTo) {
                // an expired or revoked encryption subkey: no recipient of new data, but it still decrypts old data
            }
        }
        return new TransformerProvider() {
            @Override
            public String name() {
                return NAME;
            }

            @Override
            public String module() {
                return "backup-crypto";
            }

            @Override
            public Transformer create(Map<String, String> parameters) {
                Builder b = builder().format(OpenPgpMessageFormat.fromId(parameters.getOrDefault("format", OpenPgpMessageFormat.SEIPD_V1.id())));
                for (String id : recipientIds(parameters)) {
                    OpenPgpPublicKey key = known.stream().filter(k -> k.encryptionKeyId().equals(id)).findFirst()
                            .orElseThrow(() -> new InvalidInputException("the openpgp transformer encrypts to key " + id
                                    + ", and no public key given has that id: give the recipients' public keys"));
                    b.encryptTo(key);
                }
                secretKeys.forEach(b::decryptWith);
                return b.build();
            }
        };
    }

    private static List<String> recipientIds(Map<String, String> parameters) {
        String value = parameters.getOrDefault("recipients", "");
        return value.isBlank() ? List.of() : Arrays.asList(value.split(","));
    }

    /**
     * Rebuilds {@code openpgp} transformers from recorded parameters, without keys (parameters never hold them): the
     * transformer it makes names what it lacks when used. Use {@link #provider(List, List)} to rebuild with keys.
     */
    public static final class Provider implements TransformerProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String module() {
            return "backup-crypto";
        }

        @Override
        public Transformer create(Map<String, String> parameters) {
            return new KeylessTransformer(parameters);
        }
    }

    /** What {@link Provider} makes: the recorded name and parameters, and a clear error on use. */
    private static final class KeylessTransformer implements Transformer {
        private final Map<String, String> parameters;

        KeylessTransformer(Map<String, String> parameters) {
            this.parameters = Map.copyOf(parameters);
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Map<String, String> parameters() {
            return parameters;
        }

        @Override
        public String fileSuffix() {
            return ".gpg";
        }

        @Override
        public OutputStream encoder(OutputStream out) {
            throw missingKeys();
        }

        @Override
        public InputStream decoder(InputStream in) {
            throw missingKeys();
        }

        private AccessDeniedException missingKeys() {
            return new AccessDeniedException("OpenPGP encryption to the keys " + recipientIds(parameters)
                    + " needs the keys themselves, which a recorded transformer never holds: open the repository with"
                    + " OpenPgpEncryption.unlockWith(secret key) (CLI: --key SECRET.asc), or rebuild the transformer with"
                    + " OpenPgpTransformer.provider(publicKeys, secretKeys)");
        }
    }

    /** Builds an {@link OpenPgpTransformer}. */
    public static final class Builder {
        private final List<PGPPublicKey> recipients = new ArrayList<>();
        private final Map<Long, PGPPrivateKey> privateKeys = new LinkedHashMap<>();
        private final List<String> secretKeyNames = new ArrayList<>();
        private OpenPgpMessageFormat format = OpenPgpMessageFormat.SEIPD_V1;
        private SecureRandom random;
        private boolean repositoryObjects;

        private Builder() {
        }

        /** Encrypts to these keys (their encryption subkeys). */
        public Builder encryptTo(List<OpenPgpPublicKey> keys) {
            keys.forEach(this::encryptTo);
            return this;
        }

        public Builder encryptTo(OpenPgpPublicKey key) {
            recipients.add(key.encryptionKey());
            return this;
        }

        /** Encrypts to this exact (sub)key. */
        Builder encryptTo(PGPPublicKey key) {
            recipients.add(key);
            return this;
        }

        /**
         * Decrypts messages encrypted to any unlocked subkey of {@code key}. A message to a hidden recipient
         * ({@code gpg --throw-keyids}) is tried with the keys in the order they were given.
         */
        public Builder decryptWith(OpenPgpSecretKey key) {
            privateKeys.putAll(key.privateKeys());
            secretKeyNames.add(key.fingerprint() + " (subkeys " + key.keyIds() + ")");
            return this;
        }

        /** Decrypts messages encrypted to this private key. */
        Builder decryptWith(PGPPrivateKey key) {
            privateKeys.put(key.getKeyID(), key);
            secretKeyNames.add("subkey " + Pgp.keyId(key.getKeyID()));
            return this;
        }

        /** The packet format written (default {@link OpenPgpMessageFormat#SEIPD_V1}, which GnuPG 2.2 reads). */
        public Builder format(OpenPgpMessageFormat value) {
            this.format = java.util.Objects.requireNonNull(value, "format");
            return this;
        }

        public Builder random(SecureRandom value) {
            this.random = value;
            return this;
        }

        /**
         * For the objects of an unlocked repository ({@link OpenPgpEncryption}): each is encrypted to a key the
         * repository holds, so one that none of the keys opens was replaced or damaged. Decoding it then fails with an
         * IOException (corrupt data, named by verify and restore), not with access denied as for a wrong key.
         */
        Builder repositoryObjects() {
            this.repositoryObjects = true;
            return this;
        }

        public OpenPgpTransformer build() {
            if (recipients.isEmpty() && privateKeys.isEmpty()) {
                throw new InvalidInputException("an openpgp transformer needs recipients (encryptTo) or secret keys (decryptWith)");
            }
            return new OpenPgpTransformer(recipients, privateKeys, secretKeyNames, format,
                    random != null ? random : new SecureRandom(), repositoryObjects);
        }
    }
}
