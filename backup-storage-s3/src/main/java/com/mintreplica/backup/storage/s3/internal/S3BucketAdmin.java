package com.mintreplica.backup.storage.s3.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.RepositoryObjects;
import com.mintreplica.backup.storage.s3.S3BucketStatus;
import com.mintreplica.backup.storage.s3.S3Lifecycle;
import com.mintreplica.backup.storage.s3.S3ObjectLock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.AbortIncompleteMultipartUpload;
import software.amazon.awssdk.services.s3.model.BucketLifecycleConfiguration;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.DefaultRetention;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.NoncurrentVersionExpiration;
import software.amazon.awssdk.services.s3.model.ObjectLockConfiguration;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Transition;
import software.amazon.awssdk.services.s3.model.TransitionStorageClass;
import software.amazon.awssdk.services.s3.model.VersioningConfiguration;

/**
 * Administration of the Sink's bucket: its versioning and Object Lock state, turning versioning on, and lifecycle
 * rules for the repository's prefix. The data prefixes come from the core's {@link RepositoryObjects}.
 */
public final class S3BucketAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(S3BucketAdmin.class);
    private final S3Place place;

    public S3BucketAdmin(S3Place place) {
        this.place = place;
    }

    /** Whether versioning is on; an error (no permission, a store without it) reads as off. */
    public boolean versioningEnabled() {
        try {
            return place.s3().getBucketVersioning(r -> r.bucket(place.bucket())).status() == BucketVersioningStatus.ENABLED;
        } catch (SdkException e) {
            LOG.debug("cannot read the versioning state of bucket {}: {}", place.bucket(), e.getMessage());
            return false;
        }
    }

    public S3BucketStatus status() throws IOException {
        String bucket = place.bucket();
        S3BucketStatus.Versioning versioning;
        try {
            BucketVersioningStatus status = place.s3().getBucketVersioning(r -> r.bucket(bucket)).status();
            versioning = status == BucketVersioningStatus.ENABLED ? S3BucketStatus.Versioning.ENABLED
                    : status == BucketVersioningStatus.SUSPENDED ? S3BucketStatus.Versioning.SUSPENDED
                    : S3BucketStatus.Versioning.UNVERSIONED;
        } catch (SdkException e) {
            throw place.io("read the versioning state of", "bucket " + bucket, e);
        }
        boolean lockEnabled = false;
        Optional<S3ObjectLock> retention = Optional.empty();
        try {
            ObjectLockConfiguration config = place.s3().getObjectLockConfiguration(r -> r.bucket(bucket)).objectLockConfiguration();
            if (config != null && "Enabled".equals(config.objectLockEnabledAsString())) {
                lockEnabled = true;
                DefaultRetention d = config.rule() == null ? null : config.rule().defaultRetention();
                if (d != null && d.mode() != null) {
                    Duration period = d.days() != null ? Duration.ofDays(d.days())
                            : d.years() != null ? Duration.ofDays(365L * d.years()) : null;
                    if (period != null) {
                        retention = Optional.of(new S3ObjectLock(S3ObjectLock.Mode.valueOf(d.modeAsString()), period));
                    }
                }
            }
        } catch (S3Exception e) {
            // AWS: 404 ObjectLockConfigurationNotFoundError; others: 400, or 501 where the store has no Object Lock
            if (!S3Errors.noLockConfiguration(e)) {
                throw place.io("read the Object Lock configuration of", "bucket " + bucket, e);
            }
        } catch (SdkException e) {
            throw place.io("read the Object Lock configuration of", "bucket " + bucket, e);
        }
        return new S3BucketStatus(versioning, lockEnabled, retention);
    }

    public void enableVersioning() throws IOException {
        try {
            place.s3().putBucketVersioning(r -> r.bucket(place.bucket())
                    .versioningConfiguration(VersioningConfiguration.builder().status(BucketVersioningStatus.ENABLED).build()));
        } catch (SdkException e) {
            throw place.io("enable versioning on", "bucket " + place.bucket(), e);
        }
    }

    public List<LifecycleRule> apply(S3Lifecycle lifecycle) throws IOException {
        List<LifecycleRule> rules = rules(lifecycle);
        if (rules.isEmpty()) {
            throw new InvalidInputException("the lifecycle has no rule: give days to archive data, to expire noncurrent "
                    + "versions, or to abort incomplete uploads");
        }
        try {
            place.s3().putBucketLifecycleConfiguration(r -> r.bucket(place.bucket())
                    .lifecycleConfiguration(BucketLifecycleConfiguration.builder().rules(rules).build()));
        } catch (SdkException e) {
            throw place.io("set the lifecycle of", "bucket " + place.bucket(), e);
        }
        return rules;
    }

    /**
     * The rules for the repository's prefix: one archive rule per prefix the core stores data objects under
     * ({@code mint-backup-archive-data} for packs, {@code mint-backup-archive-files} for single-object entries), and
     * one cleanup rule for the whole prefix.
     */
    public List<LifecycleRule> rules(S3Lifecycle lifecycle) {
        List<LifecycleRule> rules = new ArrayList<>();
        if (lifecycle.archiveDataAfterDays().isPresent()) {
            TransitionStorageClass target = TransitionStorageClass.fromValue(lifecycle.archiveClass().orElseThrow());
            if (target == TransitionStorageClass.UNKNOWN_TO_SDK_VERSION) {
                throw new InvalidInputException("'" + lifecycle.archiveClass().get() + "' is not an S3 storage class to "
                        + "transition to: use GLACIER_IR, GLACIER, DEEP_ARCHIVE, STANDARD_IA, ONEZONE_IA or INTELLIGENT_TIERING");
            }
            for (String dataPrefix : RepositoryObjects.namePrefixes(ObjectKind.DATA)) {
                rules.add(LifecycleRule.builder()
                        .id("mint-backup-archive-" + dataPrefix.replace("/", ""))
                        .filter(LifecycleRuleFilter.builder().prefix(place.prefix() + dataPrefix).build())
                        .status(ExpirationStatus.ENABLED)
                        .transitions(Transition.builder().days(lifecycle.archiveDataAfterDays().getAsInt())
                                .storageClass(target).build())
                        .build());
            }
        }
        if (lifecycle.expireNoncurrentAfterDays().isPresent() || lifecycle.abortIncompleteUploadsAfterDays().isPresent()) {
            LifecycleRule.Builder rule = LifecycleRule.builder()
                    .id("mint-backup-cleanup")
                    .filter(LifecycleRuleFilter.builder().prefix(place.prefix()).build())
                    .status(ExpirationStatus.ENABLED);
            lifecycle.expireNoncurrentAfterDays().ifPresent(days -> rule.noncurrentVersionExpiration(
                    NoncurrentVersionExpiration.builder().noncurrentDays(days).build()));
            lifecycle.abortIncompleteUploadsAfterDays().ifPresent(days -> rule.abortIncompleteMultipartUpload(
                    AbortIncompleteMultipartUpload.builder().daysAfterInitiation(days).build()));
            rules.add(rule.build());
        }
        return rules;
    }
}
