package com.mintreplica.backup.jobs.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * An OpenPGP key the config refers to by name. Repositories are encrypted to the public keys of their recipients
 * and opened with a secret key (a backup needs one too: new data is sealed with the repository's data key, which only
 * a secret key unwraps).
 *
 * @param name how repositories refer to it
 * @param publicKey an exported public key ({@code gpg --export --armor}), for encrypting to it
 * @param secretKey an exported secret key ({@code gpg --export-secret-keys --armor}), for opening
 * @param passphrase the secret key's passphrase, by reference; empty when the key has none
 */
public record KeyConfig(String name, Optional<Path> publicKey, Optional<Path> secretKey, Optional<SecretRef> passphrase) {
    public KeyConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(secretKey, "secretKey");
        Objects.requireNonNull(passphrase, "passphrase");
    }

    /** A key that can only be encrypted to. */
    public static KeyConfig publicOnly(String name, Path publicKey) {
        return new KeyConfig(name, Optional.of(publicKey), Optional.empty(), Optional.empty());
    }

    /** A key that can open repositories (and be encrypted to: a secret key file holds its public key). */
    public static KeyConfig secret(String name, Path secretKey, Optional<SecretRef> passphrase) {
        return new KeyConfig(name, Optional.empty(), Optional.of(secretKey), passphrase);
    }
}
