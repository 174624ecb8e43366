package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.encryption.EncryptionProvider;
import com.mintreplica.backup.testkit.EncryptionProviderContract;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;

/** The {@code openpgp} provider passes the kit, with keys GnuPG made. */
@Timeout(120)
class OpenPgpEncryptionProviderTest extends EncryptionProviderContract {

    @Override
    protected EncryptionProvider provider() {
        return new OpenPgpEncryptionProvider();
    }

    @Override
    protected Path publicKey() {
        return TestKeys.get().rsa.publicFile();
    }

    @Override
    protected Path secretKey() {
        return TestKeys.get().rsa.secretFile();
    }

    @Override
    protected Secret passphrase() {
        return TestKeys.passphrase();
    }
}
