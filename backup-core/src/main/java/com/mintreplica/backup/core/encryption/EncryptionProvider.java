package com.mintreplica.backup.core.encryption;

import com.mintreplica.backup.core.Secret;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Makes {@link RepositoryEncryption}s of one scheme from key files, found by its {@link #id()} through
 * {@code META-INF/services} ({@link Encryptions#require}): the jobs layer and the CLI's config encrypt, unlock and
 * check keys without naming the module that implements the scheme (backup-crypto for {@code openpgp}).
 *
 * <p>Checked by {@code EncryptionProviderContract} in backup-testkit.
 */
public interface EncryptionProvider {

    /** The scheme, as {@link RepositoryEncryption#scheme()} records it: {@code openpgp}. */
    String id();

    /** The module that holds it, named in the error when it is needed and missing: {@code backup-crypto}. */
    String module();

    /**
     * An encryption that creates a new repository's keys for the public keys in {@code recipients} (and also unlocks
     * nothing: opening takes {@link #unlockWith}).
     *
     * @throws com.mintreplica.backup.core.InvalidInputException when a file holds no usable key, or there is none
     */
    RepositoryEncryption create(List<Path> recipients);

    /**
     * Reads the secret key in {@code file} and unlocks it with {@code passphrase} (empty: the key has none).
     *
     * @throws com.mintreplica.backup.core.AccessDeniedException when the passphrase is wrong or missing
     * @throws com.mintreplica.backup.core.BackupException when the file cannot be read or holds no secret key
     */
    UnlockedKey unlock(Path file, Optional<Secret> passphrase);

    /**
     * An encryption that opens repositories with {@code keys} (each from this provider's {@link #unlock}).
     */
    RepositoryEncryption unlockWith(List<UnlockedKey> keys);

    /**
     * An encryption that only writes (backs up into an existing repository with public material): its
     * {@link RepositoryEncryption#writeOnly()} is true.
     *
     * @param file the writer key file
     * @param cacheDirectory where the writer keeps what replaces the parent snapshot it cannot read
     * @throws com.mintreplica.backup.core.UnsupportedException when the scheme has no write-only keys
     */
    RepositoryEncryption writeWith(Path file, Path cacheDirectory);

    /**
     * The public keys in {@code file}, for the doctor.
     *
     * @throws com.mintreplica.backup.core.BackupException when it cannot be read
     */
    List<KeyInfo> publicKeys(Path file);

    /** What to do about a key that expires (or has), stored in {@code file}: the commands that extend it. */
    String renewal(KeyInfo key, Path file);

    /** A secret key, unlocked; what it is made of is the provider's. Its {@code toString} names no secret. */
    interface UnlockedKey {
        KeyInfo info();
    }

    /**
     * A key, for people and the doctor.
     *
     * @param fingerprint the key's fingerprint
     * @param userIds its user ids
     * @param expires when it stops working (the earliest expiry of what encrypts), if ever
     * @param problem why its expiry cannot be told (no usable encryption key), if so
     */
    record KeyInfo(String fingerprint, List<String> userIds, Optional<Instant> expires, Optional<String> problem) {
        public KeyInfo {
            Objects.requireNonNull(fingerprint, "fingerprint");
            userIds = List.copyOf(userIds);
            Objects.requireNonNull(expires, "expires");
            Objects.requireNonNull(problem, "problem");
        }
    }
}
