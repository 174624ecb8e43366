package com.mintreplica.backup.crypto;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.core.Secret;

/**
 * Two keys made once per test JVM by the real {@code gpg --quick-gen-key} (key generation takes seconds): an RSA key
 * ({@code default}: rsa3072 with an RSA encryption subkey) and an ed25519/cv25519 key ({@code future-default}), both
 * protected by {@link GnuPG#PASSPHRASE}. The GNUPGHOME and its agent go when the JVM ends.
 */
final class TestKeys {
    private static TestKeys instance;

    final GnuPG gpg;
    final GnuPG.Key rsa;
    final GnuPG.Key ed;

    private TestKeys() {
        gpg = GnuPG.start();
        Runtime.getRuntime().addShutdownHook(new Thread(gpg::close));
        rsa = gpg.generate("RSA Operator <rsa-ops@mint.example>", "default");
        ed = gpg.generate("Ed Operator <ed-ops@mint.example>", "future-default");
    }

    static synchronized TestKeys get() {
        if (instance == null) {
            instance = new TestKeys();
        }
        return instance;
    }

    static Secret passphrase() {
        return Secret.of(GnuPG.PASSPHRASE);
    }

    OpenPgpPublicKey rsaPublic() {
        return OpenPgpKeys.publicKey(rsa.publicFile());
    }

    OpenPgpPublicKey edPublic() {
        return OpenPgpKeys.publicKey(ed.publicFile());
    }

    OpenPgpSecretKey rsaSecret() {
        return OpenPgpKeys.secretKey(rsa.secretFile(), passphrase());
    }

    OpenPgpSecretKey edSecret() {
        return OpenPgpKeys.secretKey(ed.secretFile(), passphrase());
    }
}
