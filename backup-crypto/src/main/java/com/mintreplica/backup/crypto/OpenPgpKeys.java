package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.crypto.internal.IteratedS2K;
import com.mintreplica.backup.crypto.internal.Pgp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PBESecretKeyDecryptor;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;

/**
 * Reads OpenPGP keys as GnuPG exports them: public keys ({@code gpg --export [--armor]}, one key or a whole keyring)
 * and secret keys ({@code gpg --export-secret-keys [--armor]}), RSA and ed25519/cv25519 alike.
 *
 * <pre>{@code
 * List<OpenPgpPublicKey> recipients = OpenPgpKeys.publicKeys(Path.of("ops.asc"));
 * OpenPgpSecretKey key = OpenPgpKeys.secretKey(Path.of("ops-secret.asc"), OpenPgpKeys.passphraseFile(Path.of("pass")));
 * }</pre>
 */
public final class OpenPgpKeys {
    private OpenPgpKeys() {
    }

    /**
     * Every public key in a file: armored or binary, one key or a keyring export. A secret key file gives its public
     * parts.
     *
     * @throws InvalidInputException when the file holds no OpenPGP key
     */
    public static List<OpenPgpPublicKey> publicKeys(Path file) {
        return new ArrayList<>(publicRings(file).stream().map(OpenPgpPublicKey::of).toList());
    }

    /** Every public key read from {@code in}; {@code what} names the source in messages. */
    public static List<OpenPgpPublicKey> publicKeys(InputStream in, String what) {
        return new ArrayList<>(publicRings(in, what).stream().map(OpenPgpPublicKey::of).toList());
    }

    /** Every public key ring in {@code file}, whether or not it can be encrypted to. */
    private static List<PGPPublicKeyRing> publicRings(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return publicRings(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new NotFoundException("the key file " + file + " does not exist");
        } catch (IOException e) {
            throw new AccessDeniedException("cannot read the key file " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<PGPPublicKeyRing> publicRings(InputStream in, String what) {
        List<PGPPublicKeyRing> out = new ArrayList<>();
        for (Object o : objects(in, what)) {
            if (o instanceof PGPPublicKeyRing ring) {
                out.add(ring);
            } else if (o instanceof PGPSecretKeyRing ring) {
                out.add(Pgp.publicRing(ring));
            }
        }
        if (out.isEmpty()) {
            throw new InvalidInputException(what + " holds no OpenPGP public key: export one with `gpg --export --armor KEY > "
                    + "key.asc`");
        }
        return out;
    }

    /** The one public key in {@code file}. */
    public static OpenPgpPublicKey publicKey(Path file) {
        List<OpenPgpPublicKey> keys = publicKeys(file);
        if (keys.size() != 1) {
            throw new InvalidInputException(file + " holds " + keys.size() + " public keys " + keys
                    + ": choose one with publicKey(file, fingerprint or user id)");
        }
        return keys.get(0);
    }

    /**
     * The public key of a keyring file that {@code selector} names: its fingerprint, a key id, or part of a user id.
     *
     * @throws NotFoundException when none matches; {@link InvalidInputException} when several do
     */
    public static OpenPgpPublicKey publicKey(Path keyring, String selector) {
        // Match on the rings first: another key of the keyring that cannot be encrypted to (expired, revoked) must not
        // end the search for this one.
        List<PGPPublicKeyRing> matching = publicRings(keyring).stream()
                .filter(ring -> OpenPgpPublicKey.matches(ring, selector)).toList();
        if (matching.isEmpty()) {
            throw new NotFoundException("no key in " + keyring + " matches '" + selector + "'");
        }
        if (matching.size() > 1) {
            throw new InvalidInputException("several keys in " + keyring + " match '" + selector + "': " + matching.stream()
                    .map(r -> Pgp.fingerprint(r.getPublicKey()) + " " + Pgp.userIds(r.getPublicKey())).toList()
                    + "; give a fingerprint");
        }
        return OpenPgpPublicKey.of(matching.get(0));
    }

    /**
     * The one secret key in {@code file}, unlocked with {@code passphrase} (ignored for a key without one).
     *
     * @throws AccessDeniedException when the passphrase is wrong or missing, naming the key
     */
    public static OpenPgpSecretKey secretKey(Path file, Secret passphrase) {
        return secretKey(file, PassphraseCallback.of(passphrase));
    }

    /** The one secret key in {@code file}, unlocked with the passphrase {@code callback} gives for it. */
    public static OpenPgpSecretKey secretKey(Path file, PassphraseCallback callback) {
        List<OpenPgpSecretKey> keys = secretKeys(file, callback);
        if (keys.size() != 1) {
            throw new InvalidInputException(file + " holds " + keys.size() + " secret keys " + keys
                    + ": use secretKeys(...) or export one key");
        }
        return keys.get(0);
    }

    /** Every secret key in {@code file}, each unlocked with the passphrase {@code callback} gives for it. */
    public static List<OpenPgpSecretKey> secretKeys(Path file, PassphraseCallback callback) {
        try (InputStream in = Files.newInputStream(file)) {
            return secretKeys(in, file.toString(), callback);
        } catch (NoSuchFileException e) {
            throw new NotFoundException("the secret key file " + file + " does not exist");
        } catch (IOException e) {
            throw new AccessDeniedException("cannot read the secret key file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Every secret key read from {@code in}; {@code what} names the source in messages. */
    public static List<OpenPgpSecretKey> secretKeys(InputStream in, String what, PassphraseCallback callback) {
        List<OpenPgpSecretKey> out = new ArrayList<>();
        for (Object o : objects(in, what)) {
            if (o instanceof PGPSecretKeyRing ring) {
                out.add(unlock(ring, what, callback));
            }
        }
        if (out.isEmpty()) {
            throw new InvalidInputException(what + " holds no OpenPGP secret key: export one with"
                    + " `gpg --export-secret-keys --armor KEY > secret.asc`");
        }
        return out;
    }

    private static OpenPgpSecretKey unlock(PGPSecretKeyRing ring, String what, PassphraseCallback callback) {
        PGPPublicKeyRing publicRing = Pgp.publicRing(ring);
        String description = Pgp.fingerprint(ring.getPublicKey()) + " " + Pgp.userIds(ring.getPublicKey());
        Map<Long, PGPPrivateKey> unlocked = new LinkedHashMap<>();
        Optional<Secret> passphrase = null;
        for (PGPSecretKey secret : ring) {
            PGPPublicKey pub = secret.getPublicKey();
            if (!pub.isEncryptionKey() || secret.isPrivateKeyEmpty()) {
                continue;
            }
            PBESecretKeyDecryptor decryptor = null;
            char[] chars = null;
            if (secret.getS2KUsage() != org.bouncycastle.bcpg.SecretKeyPacket.USAGE_NONE) {
                if (passphrase == null) {
                    passphrase = callback.passphrase(description);
                }
                if (passphrase.isEmpty()) {
                    throw new AccessDeniedException("the secret key " + description + " in " + what
                            + " is protected by a passphrase and none was given: give it with --passphrase-file FILE or"
                            + " the environment variable MINT_BACKUP_PASSPHRASE");
                }
                chars = passphrase.get().chars();
                // The S2K passphrase hashing (millions of bytes, as gpg calibrates it) through the JDK's digests, which
                // use the CPU's SHA instructions: Bouncy Castle's pure-Java SHA-1 made unlocking most of a short run.
                // gpg's iterated and salted S2K in large updates of a periodic buffer (IteratedS2K).
                org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider digests = bufferedJdkDigests();
                decryptor = IteratedS2K.faster(new BcPBESecretKeyDecryptorBuilder(digests).build(chars), chars, digests);
            }
            try {
                unlocked.put(pub.getKeyID(), secret.extractPrivateKey(decryptor));
            } catch (PGPException | RuntimeException e) {
                throw new AccessDeniedException("the passphrase does not unlock the secret key " + description + " in "
                        + what + ": check the passphrase file or MINT_BACKUP_PASSPHRASE");
            } finally {
                if (chars != null) {
                    Arrays.fill(chars, '\0');
                }
            }
        }
        if (unlocked.isEmpty()) {
            throw new InvalidInputException("the secret key " + description + " in " + what
                    + " has no usable decryption subkey (only signing keys, or stubs whose secret part is elsewhere)");
        }
        return new OpenPgpSecretKey(publicRing, unlocked);
    }

    /**
     * A passphrase read from a file: its first line, as {@code gpg --passphrase-file} reads it.
     *
     * @throws NotFoundException when the file does not exist
     */
    public static Secret passphraseFile(Path file) {
        try {
            String content = Files.readString(file, StandardCharsets.UTF_8);
            int end = content.indexOf('\n');
            String line = end < 0 ? content : content.substring(0, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            return Secret.of(line);
        } catch (NoSuchFileException e) {
            throw new NotFoundException("the passphrase file " + file + " does not exist");
        } catch (IOException e) {
            throw new AccessDeniedException("cannot read the passphrase file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A passphrase from an environment variable, looked up in {@code environment} (pass {@code System.getenv()} at the
     * edge of the application).
     *
     * @throws InvalidInputException when the variable is not set
     */
    public static Secret passphraseFromEnvironment(Map<String, String> environment, String variable) {
        String value = environment.get(variable);
        if (value == null) {
            throw new InvalidInputException("the environment variable " + variable + " that should hold the passphrase is not set");
        }
        return Secret.of(value);
    }

    private static List<Object> objects(InputStream in, String what) {
        List<Object> out = new ArrayList<>();
        try {
            InputStream decoded = PGPUtil.getDecoderStream(in);
            // An armored file may hold several blocks; a binary keyring holds several rings.
            while (true) {
                PGPObjectFactory factory = new BcPGPObjectFactory(decoded);
                Object o;
                boolean any = false;
                while ((o = factory.nextObject()) != null) {
                    out.add(o);
                    any = true;
                }
                if (!any || !(decoded instanceof org.bouncycastle.bcpg.ArmoredInputStream armored) || armored.isEndOfStream()) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(what + " is not an OpenPGP key file: " + e.getMessage(), e);
        }
        return out;
    }

    /** Digest calculators on the JDK's MessageDigest implementations (intrinsified, unlike Bouncy Castle's). */
    /**
     * The JDK's digests behind a 64 KiB buffer, for the S2K passphrase hashing: Bouncy Castle feeds the salt and the
     * passphrase to the digest a few bytes at a time (65 MB as gpg calibrates it: millions of calls, which cost more
     * than the hashing did, about a tenth of a second of an encrypted restore's start, when nothing else can run); in
     * large updates the digest runs on the CPU's SHA instructions.
     */
    private static org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider bufferedJdkDigests() {
        org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider jdk = jdkDigests();
        return algorithm -> new BufferedDigest(jdk.get(algorithm));
    }

    private static final class BufferedDigest implements org.bouncycastle.openpgp.operator.PGPDigestCalculator {
        private final org.bouncycastle.openpgp.operator.PGPDigestCalculator digest;
        private final byte[] buffer = new byte[64 << 10];
        private int filled;
        /** Closing it (as the S2K does after each round) only hands over what is buffered: more rounds may follow. */
        private final java.io.OutputStream stream = new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                if (filled == buffer.length) {
                    drain();
                }
                buffer[filled++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                if (len > buffer.length - filled) {
                    drain();
                    if (len >= buffer.length) {
                        digest.getOutputStream().write(b, off, len);
                        return;
                    }
                }
                System.arraycopy(b, off, buffer, filled, len);
                filled += len;
            }

            @Override
            public void flush() throws IOException {
                drain();
            }

            @Override
            public void close() throws IOException {
                drain();
            }
        };

        BufferedDigest(org.bouncycastle.openpgp.operator.PGPDigestCalculator digest) {
            this.digest = digest;
        }

        private void drain() throws IOException {
            if (filled > 0) {
                digest.getOutputStream().write(buffer, 0, filled);
                filled = 0;
            }
        }

        @Override
        public int getAlgorithm() {
            return digest.getAlgorithm();
        }

        @Override
        public java.io.OutputStream getOutputStream() {
            return stream;
        }

        @Override
        public byte[] getDigest() {
            try {
                drain();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return digest.getDigest();
        }

        @Override
        public void reset() {
            filled = 0;
            digest.reset();
        }
    }

    private static org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider jdkDigests() {
        try {
            return new JcaPGPDigestCalculatorProviderBuilder().build();
        } catch (org.bouncycastle.openpgp.PGPException e) {
            throw new IllegalStateException("the JDK's message digests are not available: " + e.getMessage(), e);
        }
    }
}
