package com.mintreplica.backup.storage.s3;

import java.util.Objects;
import java.util.Optional;

/**
 * Server-side encryption asked of S3 for every object the Sink writes. This is encryption at rest by the store, with
 * keys the store (or KMS) manages; it adds to, and does not replace, the repository's own encryption transformer.
 *
 * @param type none, SSE-S3 ({@code AES256}) or SSE-KMS ({@code aws:kms})
 * @param kmsKeyId with SSE-KMS, the key id or ARN; empty for the account's default {@code aws/s3} key
 */
public record S3ServerSideEncryption(Type type, Optional<String> kmsKeyId) {

    /** The kinds of server-side encryption. */
    public enum Type {
        /** The Sink asks for nothing (the bucket's default encryption still applies). */
        NONE,
        /** SSE-S3: keys managed by S3 ({@code x-amz-server-side-encryption: AES256}). */
        S3_MANAGED,
        /** SSE-KMS: keys in AWS KMS ({@code x-amz-server-side-encryption: aws:kms}). */
        KMS
    }

    public S3ServerSideEncryption {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(kmsKeyId, "kmsKeyId");
        if (type != Type.KMS && kmsKeyId.isPresent()) {
            throw new IllegalArgumentException("a KMS key id only goes with SSE-KMS");
        }
    }

    /** No server-side encryption requested. */
    public static S3ServerSideEncryption none() {
        return new S3ServerSideEncryption(Type.NONE, Optional.empty());
    }

    /** SSE-S3 (AES-256 with keys S3 manages). */
    public static S3ServerSideEncryption s3Managed() {
        return new S3ServerSideEncryption(Type.S3_MANAGED, Optional.empty());
    }

    /** SSE-KMS with the account's default S3 key. */
    public static S3ServerSideEncryption kms() {
        return new S3ServerSideEncryption(Type.KMS, Optional.empty());
    }

    /** SSE-KMS with the given key id or ARN. */
    public static S3ServerSideEncryption kms(String keyId) {
        if (keyId == null || keyId.isBlank()) {
            throw new IllegalArgumentException("the KMS key id is empty");
        }
        return new S3ServerSideEncryption(Type.KMS, Optional.of(keyId));
    }
}
