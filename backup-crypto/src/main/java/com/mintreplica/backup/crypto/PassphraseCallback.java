package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.Secret;
import java.util.Optional;

/**
 * Asks for the passphrase of a secret key when it is needed (an interactive prompt, a secrets manager). Never a
 * command-line argument.
 */
@FunctionalInterface
public interface PassphraseCallback {

    /**
     * The passphrase of the key described by {@code key} (fingerprint and user id), or empty when there is none to
     * give.
     */
    Optional<Secret> passphrase(String key);

    /** Always the same passphrase. */
    static PassphraseCallback of(Secret passphrase) {
        Optional<Secret> value = Optional.of(passphrase);
        return key -> value;
    }

    /** No passphrase: for keys that have none. */
    static PassphraseCallback none() {
        return key -> Optional.empty();
    }
}
