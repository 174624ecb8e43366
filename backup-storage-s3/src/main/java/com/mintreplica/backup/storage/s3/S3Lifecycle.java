package com.mintreplica.backup.storage.s3;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Lifecycle rules for a repository's bucket, applied by {@link S3Sink#applyLifecycle(S3Lifecycle)}:
 * <ul>
 *   <li>{@code archiveDataAfterDays}: packs ({@code <prefix>data/}) move to {@code archiveClass} that many days after
 *       they were written. Only the data moves: config, keys, manifests and indexes stay instantly readable. With an
 *       archive class that is not instantly readable (GLACIER, DEEP_ARCHIVE) the archived packs must be restored
 *       (S3 RestoreObject) before a restore can read them;</li>
 *   <li>{@code expireNoncurrentAfterDays}: earlier versions of overwritten or deleted objects, under the repository
 *       prefix, are removed that many days after they stopped being current (this is how long a deleted snapshot can
 *       be brought back with {@link S3Sink#asOf(java.time.Instant)});</li>
 *   <li>{@code abortIncompleteUploadsAfterDays}: multipart uploads left by a killed backup are removed (default 7).</li>
 * </ul>
 *
 * @param archiveDataAfterDays days after which data moves to the archive class, if at all
 * @param archiveClass the S3 storage class data moves to, e.g. {@code GLACIER_IR}, {@code GLACIER}, {@code DEEP_ARCHIVE}
 * @param expireNoncurrentAfterDays days after which noncurrent versions are deleted, if at all
 * @param abortIncompleteUploadsAfterDays days after which incomplete multipart uploads are aborted, if at all
 */
public record S3Lifecycle(OptionalInt archiveDataAfterDays, Optional<String> archiveClass,
                          OptionalInt expireNoncurrentAfterDays, OptionalInt abortIncompleteUploadsAfterDays) {

    public S3Lifecycle {
        Objects.requireNonNull(archiveDataAfterDays, "archiveDataAfterDays");
        Objects.requireNonNull(archiveClass, "archiveClass");
        Objects.requireNonNull(expireNoncurrentAfterDays, "expireNoncurrentAfterDays");
        Objects.requireNonNull(abortIncompleteUploadsAfterDays, "abortIncompleteUploadsAfterDays");
        if (archiveDataAfterDays.isPresent() != archiveClass.isPresent()) {
            throw new IllegalArgumentException("archiving data needs both a number of days and a storage class");
        }
        positive(archiveDataAfterDays, "archiveDataAfterDays");
        positive(expireNoncurrentAfterDays, "expireNoncurrentAfterDays");
        positive(abortIncompleteUploadsAfterDays, "abortIncompleteUploadsAfterDays");
    }

    private static void positive(OptionalInt days, String what) {
        if (days.isPresent() && days.getAsInt() < 1) {
            throw new IllegalArgumentException(what + " must be at least 1 day: " + days.getAsInt());
        }
    }

    /** No rules but aborting incomplete uploads after 7 days; add rules with the {@code with...} methods. */
    public static S3Lifecycle defaults() {
        return new S3Lifecycle(OptionalInt.empty(), Optional.empty(), OptionalInt.empty(), OptionalInt.of(7));
    }

    /** Moves data to {@code storageClass} (e.g. {@code GLACIER_IR}) {@code days} after it is written. */
    public S3Lifecycle withArchiveDataAfter(int days, String storageClass) {
        return new S3Lifecycle(OptionalInt.of(days), Optional.of(storageClass), expireNoncurrentAfterDays,
                abortIncompleteUploadsAfterDays);
    }

    /** Deletes noncurrent versions {@code days} after they became noncurrent. */
    public S3Lifecycle withExpireNoncurrentAfter(int days) {
        return new S3Lifecycle(archiveDataAfterDays, archiveClass, OptionalInt.of(days), abortIncompleteUploadsAfterDays);
    }

    /** Aborts incomplete multipart uploads {@code days} after they started. */
    public S3Lifecycle withAbortIncompleteUploadsAfter(int days) {
        return new S3Lifecycle(archiveDataAfterDays, archiveClass, expireNoncurrentAfterDays, OptionalInt.of(days));
    }
}
