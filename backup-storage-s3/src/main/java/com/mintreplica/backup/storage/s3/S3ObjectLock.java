package com.mintreplica.backup.storage.s3;

import java.time.Duration;
import java.util.Objects;

/**
 * The Object Lock retention the Sink puts on what it writes, so that for {@code retention} after it is written no one,
 * not even a stolen credential, can delete or overwrite that version. Needs a bucket created with Object Lock (which
 * implies versioning).
 *
 * <p>Applied to every kind of object except locks ({@code locks/}, short leases that must stay deletable). Each object
 * gets {@code x-amz-object-lock-mode} and {@code x-amz-object-lock-retain-until-date = now + retention}, and a
 * {@code Content-MD5}, which S3 requires with them.
 *
 * @param mode GOVERNANCE (users with {@code s3:BypassGovernanceRetention} can still delete) or COMPLIANCE (no one can
 *     until the date, not even the account root)
 * @param retention how long each object stays locked after it is written
 */
public record S3ObjectLock(Mode mode, Duration retention) {

    /** The Object Lock retention modes, as S3 names them. */
    public enum Mode {
        GOVERNANCE,
        COMPLIANCE
    }

    public S3ObjectLock {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(retention, "retention");
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("the Object Lock retention must be positive: " + retention);
        }
    }

    /** Governance-mode retention for {@code retention}. */
    public static S3ObjectLock governance(Duration retention) {
        return new S3ObjectLock(Mode.GOVERNANCE, retention);
    }

    /** Compliance-mode retention for {@code retention}. */
    public static S3ObjectLock compliance(Duration retention) {
        return new S3ObjectLock(Mode.COMPLIANCE, retention);
    }
}
