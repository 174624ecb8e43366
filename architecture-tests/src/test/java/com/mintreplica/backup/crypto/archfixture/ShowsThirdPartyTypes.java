package com.mintreplica.backup.crypto.archfixture;

/** Breaks the third-party rule on purpose (ArchitectureRulesTest): a library module showing others' types. */
public final class ShowsThirdPartyTypes {
    private ShowsThirdPartyTypes() {
    }

    /** Bouncy Castle in a crypto signature: an implementation detail made API. */
    public static final class ReturnsBouncyCastle {
        public org.bouncycastle.openpgp.PGPPublicKey key() {
            return null;
        }
    }

    /** The AWS SDK is the S3 adapter's to show, not the crypto module's. */
    public static final class TakesAnotherModulesSdk {
        public void use(software.amazon.awssdk.services.s3.S3Client client) {
        }
    }

    /** Bouncy Castle used inside, where no caller sees it. */
    public static final class UsesBouncyCastlePrivately {
        private org.bouncycastle.openpgp.PGPPublicKey key;

        public String fingerprint() {
            return String.valueOf(key);
        }
    }
}
