package com.mintreplica.backup.storage.gcs;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Lifecycle rules for a repository's bucket, applied by {@link GcsSink#applyLifecycle(GcsLifecycle)}:
 * <ul>
 *   <li>{@code archiveDataAfterDays}: packs ({@code <prefix>data/}) get {@code SetStorageClass} to
 *       {@code archiveClass} (NEARLINE, COLDLINE or ARCHIVE) that many days after they were written; metadata stays in
 *       its class. All GCS classes read at once; colder ones cost more to read and have minimum storage durations;</li>
 *   <li>{@code deleteNoncurrentAfterDays}: in a bucket with object versioning, earlier generations are deleted that many
 *       days after they stopped being live;</li>
 *   <li>{@code deleteAfterDays}: every object under the prefix is deleted that many days after it was written. Only for
 *       single-object repositories, where each backup is one standalone object: in a chunked repository a pack written
 *       long ago is still used by today's snapshots, and deleting it by age would break them (use prune there).</li>
 * </ul>
 * Objects under a retention policy or hold are not deleted by lifecycle rules before their retention ends.
 */
public record GcsLifecycle(OptionalInt archiveDataAfterDays, Optional<String> archiveClass,
                           OptionalInt deleteNoncurrentAfterDays, OptionalInt deleteAfterDays) {

    public GcsLifecycle {
        Objects.requireNonNull(archiveDataAfterDays, "archiveDataAfterDays");
        Objects.requireNonNull(archiveClass, "archiveClass");
        Objects.requireNonNull(deleteNoncurrentAfterDays, "deleteNoncurrentAfterDays");
        Objects.requireNonNull(deleteAfterDays, "deleteAfterDays");
        if (archiveDataAfterDays.isPresent() != archiveClass.isPresent()) {
            throw new IllegalArgumentException("archiving data needs both a number of days and a storage class");
        }
        for (OptionalInt d : new OptionalInt[] {archiveDataAfterDays, deleteNoncurrentAfterDays, deleteAfterDays}) {
            if (d.isPresent() && d.getAsInt() < 1) {
                throw new IllegalArgumentException("lifecycle days must be at least 1: " + d.getAsInt());
            }
        }
        if (archiveDataAfterDays.isPresent() && deleteAfterDays.isPresent()
                && deleteAfterDays.getAsInt() <= archiveDataAfterDays.getAsInt()) {
            throw new IllegalArgumentException("objects would be deleted (after " + deleteAfterDays.getAsInt()
                    + " days) before they are archived (after " + archiveDataAfterDays.getAsInt() + " days)");
        }
    }

    /** No rules; add them with the {@code with...} methods. */
    public static GcsLifecycle none() {
        return new GcsLifecycle(OptionalInt.empty(), Optional.empty(), OptionalInt.empty(), OptionalInt.empty());
    }

    /** Moves data to {@code storageClass} (COLDLINE, ARCHIVE, NEARLINE) {@code days} after it is written. */
    public GcsLifecycle withArchiveDataAfter(int days, String storageClass) {
        return new GcsLifecycle(OptionalInt.of(days), Optional.of(storageClass), deleteNoncurrentAfterDays, deleteAfterDays);
    }

    /** Deletes noncurrent generations {@code days} after they stopped being live. */
    public GcsLifecycle withDeleteNoncurrentAfter(int days) {
        return new GcsLifecycle(archiveDataAfterDays, archiveClass, OptionalInt.of(days), deleteAfterDays);
    }

    /** Deletes every object under the prefix {@code days} after it was written (single-object repositories only). */
    public GcsLifecycle withDeleteAfter(int days) {
        return new GcsLifecycle(archiveDataAfterDays, archiveClass, deleteNoncurrentAfterDays, OptionalInt.of(days));
    }
}
