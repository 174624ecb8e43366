package com.mintreplica.backup.storage.s3.internal;

import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.storage.s3.S3ObjectLock;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 Sink's deletes, and what Object Lock makes of them: an object still under retention or legal hold is not
 * deleted (no delete marker either) but reported as an {@link ObjectLockedException}, so a prune skips it.
 */
public final class S3ObjectLocks {
    private final S3Place place;
    private final Optional<S3ObjectLock> objectLock;
    private final Clock clock;

    public S3ObjectLocks(S3Place place, Optional<S3ObjectLock> objectLock, Clock clock) {
        this.place = place;
        this.objectLock = objectLock;
        this.clock = clock;
    }

    public void delete(String name) throws IOException {
        String key = place.key(name);
        if (objectLock.isPresent()) {
            Optional<ObjectLockedException> locked = lockOf(name, key);
            if (locked.isPresent()) {
                throw locked.get();
            }
        }
        try {
            place.s3().deleteObject(r -> r.bucket(place.bucket()).key(key));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return;
            }
            if (e.statusCode() == 403) {
                Optional<ObjectLockedException> locked = lockOf(name, key);
                if (locked.isPresent()) {
                    throw locked.get();
                }
                String message = String.valueOf(e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage());
                if (message.toLowerCase(Locale.ROOT).contains("object lock")) {
                    throw new ObjectLockedException(name, Optional.empty(), "S3 refused to delete '" + name + "' in "
                            + place.where() + ": it is protected by Object Lock (" + message + "); it stays until its retention ends");
                }
            }
            throw place.io("delete", name, e);
        } catch (SdkException e) {
            throw place.io("delete", name, e);
        }
    }

    /**
     * The lock that protects the object now, as S3 stores it (GetObjectRetention, GetObjectLegalHold); empty when it is
     * not protected, is gone, or the store keeps no Object Lock.
     */
    private Optional<ObjectLockedException> lockOf(String name, String key) throws IOException {
        try {
            var retention = place.s3().getObjectRetention(r -> r.bucket(place.bucket()).key(key)).retention();
            Instant until = retention == null ? null : retention.retainUntilDate();
            if (until != null && until.isAfter(clock.instant())) {
                return Optional.of(new ObjectLockedException(name, Optional.of(until), "'" + name + "' in " + place.where()
                        + " is under Object Lock " + retention.modeAsString() + " retention until " + until
                        + ": it cannot be deleted before then; it is kept and a later prune removes it"));
            }
        } catch (S3Exception e) {
            if (!S3Errors.noLockConfiguration(e)) {
                throw place.io("read the retention of", name, e);
            }
        } catch (SdkException e) {
            throw place.io("read the retention of", name, e);
        }
        try {
            var hold = place.s3().getObjectLegalHold(r -> r.bucket(place.bucket()).key(key)).legalHold();
            if (hold != null && hold.status() == ObjectLockLegalHoldStatus.ON) {
                return Optional.of(new ObjectLockedException(name, Optional.empty(), "'" + name + "' in " + place.where()
                        + " is under an Object Lock legal hold: it cannot be deleted until the hold is removed"));
            }
        } catch (S3Exception e) {
            if (!S3Errors.noLockConfiguration(e)) {
                throw place.io("read the legal hold of", name, e);
            }
        } catch (SdkException e) {
            throw place.io("read the legal hold of", name, e);
        }
        return Optional.empty();
    }
}
