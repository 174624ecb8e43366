package com.mintreplica.backup.storage.s3;

import java.util.Objects;
import java.util.Optional;

/**
 * What a repository's bucket does to protect earlier data, as {@link S3Sink#bucketStatus()} reads it.
 *
 * @param versioning the bucket's versioning state
 * @param objectLockEnabled whether the bucket was created with Object Lock
 * @param defaultRetention the bucket's default Object Lock retention, if it has one
 */
public record S3BucketStatus(Versioning versioning, boolean objectLockEnabled, Optional<S3ObjectLock> defaultRetention) {

    /** A bucket's versioning state. */
    public enum Versioning {
        /** Never enabled: overwritten and deleted objects are gone. */
        UNVERSIONED,
        /** Earlier versions are kept: a deleted or overwritten snapshot can be brought back. */
        ENABLED,
        /** Was enabled, now suspended: versions kept before stay, new overwrites replace. */
        SUSPENDED
    }

    public S3BucketStatus {
        Objects.requireNonNull(versioning, "versioning");
        Objects.requireNonNull(defaultRetention, "defaultRetention");
    }

    /** A one-line summary for {@code mint-backup} reports and logs. */
    public String describe() {
        StringBuilder sb = new StringBuilder("versioning ").append(versioning.name().toLowerCase(java.util.Locale.ROOT));
        sb.append(objectLockEnabled ? ", Object Lock enabled" : ", no Object Lock");
        defaultRetention.ifPresent(r -> sb.append(" (default ").append(r.mode()).append(' ').append(r.retention()).append(')'));
        return sb.toString();
    }
}
