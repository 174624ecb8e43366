package com.mintreplica.backup.storage.gcs.internal;

import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import java.nio.file.FileAlreadyExistsException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The GCS Sink's use of object generations and preconditions, and its reading of what GCS answers, kept apart so it
 * can be tested without a server:
 * <ul>
 *   <li>a create-if-absent carries {@code ifGenerationMatch=0} ({@code doesNotExist}): GCS creates the object only if
 *       no live generation exists, atomically, and answers 412 otherwise;</li>
 *   <li>a replacing write may carry {@code ifGenerationMatch=<g>}: it replaces exactly the generation that was read;</li>
 *   <li>a ranged read names the generation that {@code stat} saw, so every range comes from one version of the
 *       object even if it is replaced meanwhile;</li>
 *   <li>a refused delete (403) of an object under a retention policy, a retention date or a hold is reported as an
 *       {@link ObjectLockedException}.</li>
 * </ul>
 */
public final class GcsPreconditions {
    private GcsPreconditions() {
    }

    /** What a failed request means to the Sink. */
    public enum Outcome {
        /** The precondition did not hold: the object exists (create-if-absent) or another generation is live. */
        PRECONDITION_FAILED,
        /** The object (or that generation of it) does not exist. */
        NOT_FOUND,
        /** Refused: permissions, or a retention policy or hold. */
        FORBIDDEN,
        /** Anything else. */
        OTHER
    }

    /** The options of a write: {@code ifGenerationMatch=0} to create only, or {@code =generation} to replace only it. */
    public static Storage.BlobWriteOption[] writeOptions(boolean onlyIfAbsent, OptionalLong replaceGeneration) {
        List<Storage.BlobWriteOption> options = new ArrayList<>();
        if (onlyIfAbsent) {
            options.add(Storage.BlobWriteOption.doesNotExist());
        } else if (replaceGeneration.isPresent()) {
            options.add(Storage.BlobWriteOption.generationMatch(replaceGeneration.getAsLong()));
        }
        options.add(Storage.BlobWriteOption.disableGzipContent());
        return options.toArray(Storage.BlobWriteOption[]::new);
    }

    /** The options of a one-request create, the same preconditions as {@link #writeOptions}. */
    public static Storage.BlobTargetOption[] targetOptions(boolean onlyIfAbsent, OptionalLong replaceGeneration) {
        List<Storage.BlobTargetOption> options = new ArrayList<>();
        if (onlyIfAbsent) {
            options.add(Storage.BlobTargetOption.doesNotExist());
        } else if (replaceGeneration.isPresent()) {
            options.add(Storage.BlobTargetOption.generationMatch(replaceGeneration.getAsLong()));
        }
        options.add(Storage.BlobTargetOption.disableGzipContent());
        return options.toArray(Storage.BlobTargetOption[]::new);
    }

    /** Reads what a {@link StorageException} means (its HTTP code; a few client paths report only a cause). */
    public static Outcome classify(StorageException e) {
        return switch (e.getCode()) {
            case 412 -> Outcome.PRECONDITION_FAILED;
            case 404 -> Outcome.NOT_FOUND;
            case 403 -> Outcome.FORBIDDEN;
            default -> causedBy(e, FileAlreadyExistsException.class) ? Outcome.PRECONDITION_FAILED : Outcome.OTHER;
        };
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The protection that keeps {@code blob} from being deleted at {@code now}, as an exception naming it: a retention
     * time still in the future (from the bucket's retention policy or the object's own retention), or a temporary or
     * event-based hold. Empty when nothing protects it.
     */
    public static Optional<ObjectLockedException> lockOf(String name, BlobInfo blob, Instant now, String where) {
        Optional<Instant> until = retainUntil(blob);
        if (until.isPresent() && until.get().isAfter(now)) {
            return Optional.of(new ObjectLockedException(name, until, "'" + name + "' in " + where
                    + " is under retention until " + until.get() + ": it cannot be deleted before then; it is kept and a "
                    + "later prune removes it"));
        }
        if (Boolean.TRUE.equals(blob.getTemporaryHold()) || Boolean.TRUE.equals(blob.getEventBasedHold())) {
            String hold = Boolean.TRUE.equals(blob.getTemporaryHold()) ? "a temporary hold" : "an event-based hold";
            return Optional.of(new ObjectLockedException(name, Optional.empty(), "'" + name + "' in " + where + " is under "
                    + hold + ": it cannot be deleted until the hold is released"));
        }
        return Optional.empty();
    }

    private static Optional<Instant> retainUntil(BlobInfo blob) {
        Instant until = null;
        OffsetDateTime policy = blob.getRetentionExpirationTimeOffsetDateTime();
        if (policy != null) {
            until = policy.toInstant();
        }
        if (blob.getRetention() != null && blob.getRetention().getRetainUntilTime() != null) {
            Instant own = blob.getRetention().getRetainUntilTime().toInstant();
            until = until == null || own.isAfter(until) ? own : until;
        }
        return Optional.ofNullable(until);
    }
}
