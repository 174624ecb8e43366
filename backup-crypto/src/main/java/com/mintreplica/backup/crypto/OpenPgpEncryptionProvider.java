package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.encryption.EncryptionProvider;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * The {@code openpgp} {@link EncryptionProvider}: repositories encrypted to OpenPGP public keys as GnuPG exports them,
 * opened with secret keys, written to with writer keys ({@link WriterKey}). Found through {@code META-INF/services}
 * by the jobs layer; apps use {@link OpenPgpEncryption} directly.
 */
public final class OpenPgpEncryptionProvider implements EncryptionProvider {

    @Override
    public String id() {
        return OpenPgpEncryption.SCHEME;
    }

    @Override
    public String module() {
        return "backup-crypto";
    }

    @Override
    public RepositoryEncryption create(List<Path> recipients) {
        List<OpenPgpPublicKey> keys = new ArrayList<>();
        for (Path file : recipients) {
            keys.addAll(OpenPgpKeys.publicKeys(file));
        }
        return OpenPgpEncryption.to(keys);
    }

    @Override
    public UnlockedKey unlock(Path file, Optional<Secret> passphrase) {
        OpenPgpSecretKey key = OpenPgpKeys.secretKey(file, passphrase.map(PassphraseCallback::of)
                .orElse(PassphraseCallback.none()));
        return new Unlocked(key, info(key.fingerprint(), key.userIds(), key.publicRing()));
    }

    @Override
    public RepositoryEncryption unlockWith(List<UnlockedKey> keys) {
        List<OpenPgpSecretKey> secret = new ArrayList<>();
        for (UnlockedKey k : keys) {
            if (!(k instanceof Unlocked u)) {
                throw new InvalidInputException("key " + k.info().fingerprint() + " was not unlocked by the openpgp"
                        + " encryption: unlock it with this provider");
            }
            secret.add(u.key);
        }
        return OpenPgpEncryption.unlockWith(secret);
    }

    @Override
    public RepositoryEncryption writeWith(Path file, Path cacheDirectory) {
        return OpenPgpEncryption.writeWith(WriterKey.load(file).withCacheDirectory(cacheDirectory));
    }

    @Override
    public List<KeyInfo> publicKeys(Path file) {
        List<KeyInfo> out = new ArrayList<>();
        for (OpenPgpPublicKey k : OpenPgpKeys.publicKeys(file)) {
            out.add(info(k.fingerprint(), k.userIds(), k.ring()));
        }
        return out;
    }

    @Override
    public String renewal(KeyInfo key, Path file) {
        String fingerprint = key.fingerprint();
        return "extend it (gpg --quick-set-expire " + fingerprint + " 2y, and for its subkeys gpg --quick-set-expire "
                + fingerprint + " 2y '*'), then export it again to " + file + "; or add a new key to the repositories"
                + " (mint-backup key add) and remove this one (mint-backup key remove)";
    }

    private static KeyInfo info(String fingerprint, List<String> userIds, PGPPublicKeyRing ring) {
        try {
            return new KeyInfo(fingerprint, userIds, expiry(ring), Optional.empty());
        } catch (BackupException e) {
            return new KeyInfo(fingerprint, userIds, Optional.empty(), Optional.of(String.valueOf(e.getMessage())));
        }
    }

    /** When the key stops working: the earlier of its primary key's and its encryption subkey's expiry. */
    static Optional<Instant> expiry(PGPPublicKeyRing ring) {
        PGPPublicKey primary = ring.getPublicKey();
        PGPPublicKey encryption = OpenPgpPublicKey.of(ring).encryptionKey();
        Optional<Instant> a = expiryOf(primary);
        Optional<Instant> b = encryption == primary ? Optional.empty() : expiryOf(encryption);
        if (a.isPresent() && b.isPresent()) {
            return Optional.of(a.get().isBefore(b.get()) ? a.get() : b.get());
        }
        return a.or(() -> b);
    }

    private static Optional<Instant> expiryOf(PGPPublicKey key) {
        long seconds = key.getValidSeconds();
        return seconds <= 0 ? Optional.empty() : Optional.of(key.getCreationTime().toInstant().plusSeconds(seconds));
    }

    /** An unlocked secret key of this provider. */
    private static final class Unlocked implements UnlockedKey {
        private final OpenPgpSecretKey key;
        private final KeyInfo info;

        Unlocked(OpenPgpSecretKey key, KeyInfo info) {
            this.key = Objects.requireNonNull(key, "key");
            this.info = info;
        }

        @Override
        public KeyInfo info() {
            return info;
        }

        @Override
        public String toString() {
            return "openpgp key " + info.fingerprint();
        }
    }
}
