package com.mintreplica.backup.storage.s3.archfixture;

/** Keeps the third-party rule (ArchitectureRulesTest): the S3 adapter takes the app's own client, on purpose. */
public final class TakesItsOwnSdk {
    public TakesItsOwnSdk client(software.amazon.awssdk.services.s3.S3Client client) {
        return this;
    }
}
