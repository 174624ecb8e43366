package com.mintreplica.backup.testkit.gpg;

import java.util.Objects;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5: a {@link GnuPG} home with one key made by the real gpg, for a whole test class: started before its first
 * test, closed after its last. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GnuPGExtension OPS = GnuPGExtension.withKey("Ops <ops@mint.example>", "future-default");
 * ...
 * OPS.key().secretFile();      // the exported secret key (protected by GnuPG.PASSPHRASE)
 * OPS.gpg().passphraseFile;    // the file holding the passphrase
 * }</pre>
 */
public final class GnuPGExtension implements BeforeAllCallback, AfterAllCallback {
    private final String userId;
    private final String algorithm;
    private volatile GnuPG gpg;
    private volatile GnuPG.Key key;

    private GnuPGExtension(String userId, String algorithm) {
        this.userId = Objects.requireNonNull(userId, "userId");
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    }

    /** A home with one key for {@code userId}, of {@code algorithm} as {@link GnuPG#generate} takes it. */
    public static GnuPGExtension withKey(String userId, String algorithm) {
        return new GnuPGExtension(userId, algorithm);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        gpg = GnuPG.start();
        key = gpg.generate(userId, algorithm);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (gpg != null) {
            gpg.close();
        }
    }

    /** The gpg home of the running test class. */
    public GnuPG gpg() {
        return started(gpg);
    }

    /** The key made for the running test class. */
    public GnuPG.Key key() {
        return started(key);
    }

    private <T> T started(T value) {
        if (value == null) {
            throw new IllegalStateException("the GnuPG extension has not started: register it with @RegisterExtension"
                    + " on a static field");
        }
        return value;
    }
}
