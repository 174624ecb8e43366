package com.mintreplica.backup.storage.s3;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.ObjectNames;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.storage.s3.internal.S3BucketAdmin;
import com.mintreplica.backup.storage.s3.internal.S3Errors;
import com.mintreplica.backup.storage.s3.internal.S3ObjectLocks;
import com.mintreplica.backup.storage.s3.internal.S3Place;
import com.mintreplica.backup.storage.s3.internal.S3PointInTime;
import com.mintreplica.backup.storage.s3.internal.S3Reads;
import com.mintreplica.backup.storage.s3.internal.S3Uploads;
import com.mintreplica.backup.storage.s3.internal.TimedRetryStrategy;
import com.mintreplica.backup.storage.s3.internal.VersionSelector;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * A {@link Sink} on Amazon S3 or an S3-compatible store, on the AWS SDK v2 (synchronous client, Apache HTTP).
 *
 * <pre>{@code
 * try (S3Sink sink = S3Sink.builder()
 *         .bucket("acme-backups").prefix("mint/prod")
 *         .region("eu-west-1")
 *         .storageClass(ObjectKind.DATA, "STANDARD_IA")
 *         .serverSideEncryption(S3ServerSideEncryption.kms("alias/backups"))
 *         .build();
 *      Repository repo = Repository.open(sink)) {
 *     ...
 * }
 * }</pre>
 *
 * <h2>How it stores</h2>
 * <ul>
 *   <li>Objects are keys {@code <prefix>/<name>} in one bucket.</li>
 *   <li>Content of unknown length, and content larger than one part, is streamed as a multipart upload: each part
 *       ({@link Builder#partSize}, default 8 MiB) is read into memory and uploaded while the next is read; at most
 *       {@link Builder#parallelUploads} part buffers (default 4) exist at once in the whole Sink, being filled or
 *       uploading, so its buffers never exceed {@code parallelUploads x partSize}, however many objects are put at
 *       once. The object appears only when the upload completes;
 *       a failed upload is aborted. Smaller content goes in one PUT. Every request body carries a Content-MD5.</li>
 *   <li>{@link #putIfAbsent} sends {@code If-None-Match: *}: S3 creates the object only if no object has its key,
 *       atomically ({@link SinkCapability#ATOMIC_CREATE}); a {@code 412} is a lost race, a {@code 409} (a concurrent
 *       conditional write in progress) is tried again. A {@code 412} whose object holds exactly the bytes this call
 *       sent counts as a win (the SDK retried a PUT whose answer was lost), so lock contents should be unique per
 *       writer (a lease id).</li>
 *   <li>Reads are ranged GETs. A connection that breaks in the middle of a body is resumed from where it broke,
 *       pinned to the same object version by its ETag.</li>
 *   <li>Listing pages through ListObjectsV2 lazily, 1000 keys a page; a page whose response breaks off (a connection
 *       reset in the middle of its XML, which the SDK does not retry) is asked for again.</li>
 * </ul>
 *
 * <h2>Retries</h2>
 * Every request is retried for up to {@link Builder#retryFor} (default 15 minutes, as restic does) after its first
 * try, with the SDK's standard choice of what to retry and how long to wait: throttling ({@code 429},
 * {@code 503 SlowDown} and the other throttling error codes), server errors ({@code 500}, {@code 502}, {@code 503},
 * {@code 504}) and I/O errors (refused, reset or timed-out connections) are retried with exponential backoff (up to
 * 20 s between tries) and full jitter; so are answers that break off or arrive damaged, and uploads S3 says arrived
 * cut ({@code 400 IncompleteBody}). Other {@code 4xx} errors are not, nor is {@code 501 Not Implemented}: its
 * message says that the store lacks what the request needs, not that it should be tried again.
 * {@link Builder#maxAttempts} also caps the number of tries when it is set. Request bodies are held in memory, so a
 * retried upload part sends the same bytes again.
 *
 * <h2>Protection of earlier data</h2>
 * <ul>
 *   <li>Storage class per {@link ObjectKind} ({@link Builder#storageClass}); classes that cannot be read at once
 *       (GLACIER, DEEP_ARCHIVE) are refused: use {@link #applyLifecycle} to archive data after some days.</li>
 *   <li>Server-side encryption: {@link S3ServerSideEncryption}.</li>
 *   <li>Versioning: {@link #bucketStatus()} reports it, {@link #enableVersioning()} turns it on, and
 *       {@link #asOf(Instant)} reads the bucket as it was at a past time, so a snapshot deleted or overwritten by
 *       mistake or by an attacker can be restored from the view, or put back with {@link #restoreVersions}.</li>
 *   <li>Object Lock ({@link Builder#objectLock}): every object but locks and run records ({@link ObjectKind#LOCK},
 *       {@link ObjectKind#RECORD}) is written with a retention date. On such a
 *       Sink, {@link #delete} of an object still under retention or legal hold throws {@link ObjectLockedException}
 *       (and writes no delete marker), so a prune can skip it and go on.</li>
 * </ul>
 *
 * <p>Credentials come from the SDK's default chain (environment, system properties, profile, container or instance
 * role) unless an application passes its own {@link AwsCredentialsProvider}; they never appear in
 * {@link #describe()}. The Sink is safe for concurrent use. Closing it closes the client and the upload threads it
 * created, never a client or executor it was given.
 *
 * <p>This class is the Sink's front: its work is done by the parts in {@code internal} (uploads, reads, deletes under
 * Object Lock, bucket administration, the point-in-time view, error mapping), which share the bucket, the prefix and
 * the client.
 */
public final class S3Sink implements Sink {
    /** The smallest part S3 accepts (except for the last part). */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;
    public static final int DEFAULT_PARALLEL_UPLOADS = 4;
    /** How long a failing request is retried after its first try, unless the builder says otherwise: 15 minutes. */
    public static final Duration DEFAULT_RETRY_FOR = Duration.ofMinutes(15);
    private static final Set<StorageClass> NOT_INSTANT = EnumSet.of(StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE);

    private final S3Client s3;
    private final boolean ownsClient;
    private final String bucket;
    private final String prefix;
    private final Map<ObjectKind, StorageClass> storageClasses;
    private final S3ServerSideEncryption encryption;
    private final Optional<S3ObjectLock> objectLock;
    private final int partSize;
    private final Semaphore inFlight;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final Clock clock;
    private final String endpointDescription;
    private final boolean atomicCreate;
    /** Present in a read-only view of the past ({@link #asOf}). */
    private final Optional<S3PointInTime> past;
    private final S3Place place;
    private final S3Reads reads;
    private final S3Uploads uploads;
    private final S3ObjectLocks deletes;
    private final S3BucketAdmin admin;
    private volatile Set<SinkCapability> capabilities;

    private S3Sink(Builder b, S3Client s3, boolean ownsClient) {
        this.s3 = s3;
        this.ownsClient = ownsClient;
        this.bucket = b.bucket;
        this.prefix = ObjectNames.normalizePrefix(b.prefix);
        this.storageClasses = Collections.unmodifiableMap(new EnumMap<>(b.storageClasses));
        this.encryption = b.encryption;
        this.objectLock = Optional.ofNullable(b.objectLock);
        this.partSize = b.partSize;
        this.inFlight = new Semaphore(b.parallelUploads);
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownedExecutor = null;
        } else {
            AtomicInteger n = new AtomicInteger();
            this.ownedExecutor = Executors.newFixedThreadPool(b.parallelUploads, r -> {
                Thread t = new Thread(r, "mint-backup-s3-upload-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.executor = ownedExecutor;
        }
        this.clock = b.clock;
        this.endpointDescription = b.endpoint == null ? "" : " at " + b.endpoint.getScheme() + "://" + b.endpoint.getAuthority();
        this.atomicCreate = b.atomicCreate;
        this.past = Optional.empty();
        this.place = new S3Place(s3, bucket, prefix, this::describe, atomicCreate);
        this.reads = new S3Reads(place);
        this.uploads = new S3Uploads(place, storageClasses, encryption, objectLock, partSize, inFlight, executor, clock, reads);
        this.deletes = new S3ObjectLocks(place, objectLock, clock);
        this.admin = new S3BucketAdmin(place);
    }

    /** A read-only view of {@code base} as of {@code time}. */
    private S3Sink(S3Sink base, Instant time) {
        this.s3 = base.s3;
        this.ownsClient = false;
        this.bucket = base.bucket;
        this.prefix = base.prefix;
        this.storageClasses = base.storageClasses;
        this.encryption = base.encryption;
        this.objectLock = base.objectLock;
        this.partSize = base.partSize;
        this.inFlight = base.inFlight;
        this.executor = base.executor;
        this.ownedExecutor = null;
        this.clock = base.clock;
        this.endpointDescription = base.endpointDescription;
        this.atomicCreate = false;
        this.place = new S3Place(s3, bucket, prefix, this::describe, false);
        this.past = Optional.of(new S3PointInTime(place, time));
        this.reads = new S3Reads(place);
        this.uploads = null;
        this.deletes = null;
        this.admin = new S3BucketAdmin(place);
    }

    /** A new builder. {@link Builder#bucket} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The bucket this Sink stores in. */
    public String bucket() {
        return bucket;
    }

    /** The key prefix of every object, empty or ending with {@code /}. */
    public String prefix() {
        return prefix;
    }

    /** The S3 client, for operations this Sink does not offer. It belongs to the Sink (or to whoever gave it). */
    public S3Client client() {
        return s3;
    }

    @Override
    public Set<SinkCapability> capabilities() {
        Set<SinkCapability> current = capabilities;
        if (current == null) {
            EnumSet<SinkCapability> set = EnumSet.of(SinkCapability.STORAGE_CLASSES);
            if (atomicCreate && past.isEmpty()) {
                set.add(SinkCapability.ATOMIC_CREATE);
            }
            if (encryption.type() != S3ServerSideEncryption.Type.NONE) {
                set.add(SinkCapability.SERVER_SIDE_ENCRYPTION);
            }
            if (objectLock.isPresent()) {
                set.add(SinkCapability.IMMUTABILITY);
            }
            if (admin.versioningEnabled()) {
                set.add(SinkCapability.VERSIONING);
            }
            current = Collections.unmodifiableSet(set);
            capabilities = current;
        }
        return current;
    }

    // ---- writing

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        checkWritable(name);
        uploads.write(name, content, length, kind, false);
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        if (!capabilities().contains(SinkCapability.ATOMIC_CREATE)) {
            throw new UnsupportedOperationException(describe() + " was built without atomic create (If-None-Match)");
        }
        checkWritable(name);
        return uploads.write(name, content, length, kind, true);
    }

    // ---- reading

    @Override
    public InputStream get(String name) throws IOException {
        return open(name, 0, -1);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0: " + offset + ", " + length);
        }
        if (length == 0) {
            if (stat(name).isEmpty()) {
                throw S3Errors.notFound(name, describe());
            }
            return InputStream.nullInputStream();
        }
        return open(name, offset, offset + length);
    }

    private InputStream open(String name, long from, long end) throws IOException {
        Optional<String> versionId = Optional.empty();
        if (past.isPresent()) {
            VersionSelector.Version v = past.get().versionOf(name).orElseThrow(() -> S3Errors.notFound(name, describe()));
            versionId = Optional.of(v.versionId());
        }
        return reads.open(name, from, end, versionId);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        return past.isPresent() ? past.get().stat(name) : reads.stat(name);
    }

    @Override
    public Stream<ObjectInfo> list(String namePrefix) throws IOException {
        return past.isPresent() ? past.get().list(namePrefix) : reads.list(namePrefix);
    }

    // ---- deleting

    /**
     * Deletes the object. On a versioned bucket S3 keeps the earlier version behind a delete marker (until a lifecycle
     * rule expires it), so {@link #asOf} can still read it.
     *
     * @throws ObjectLockedException when this Sink writes with Object Lock and the object is still under retention or
     *     legal hold (nothing is written then, not even a delete marker), or when S3 refuses the delete because of
     *     Object Lock
     */
    @Override
    public void delete(String name) throws IOException {
        checkWritable(name);
        deletes.delete(name);
    }

    // ---- versioning, lifecycle, Object Lock

    /** Reads the bucket's versioning and Object Lock state. */
    public S3BucketStatus bucketStatus() throws IOException {
        return admin.status();
    }

    /** Turns versioning on for the bucket (needs {@code s3:PutBucketVersioning}). */
    public void enableVersioning() throws IOException {
        admin.enableVersioning();
        capabilities = null;
    }

    /**
     * Replaces the bucket's lifecycle configuration with rules for this repository's prefix (needs
     * {@code s3:PutLifecycleConfiguration}). The rules have ids starting with {@code mint-backup-}. S3 keeps one
     * lifecycle configuration per bucket: rules for other prefixes must be given to S3 together with these.
     *
     * @return the rules sent, for logs and tests
     */
    public List<LifecycleRule> applyLifecycle(S3Lifecycle lifecycle) throws IOException {
        return admin.apply(lifecycle);
    }

    /**
     * The lifecycle rules {@link #applyLifecycle} sends for this Sink's prefix: data objects (under every prefix the
     * core stores them: packs and single-object entries) are archived, and the whole prefix cleaned up.
     */
    public List<LifecycleRule> lifecycleRules(S3Lifecycle lifecycle) {
        return admin.rules(lifecycle);
    }

    /**
     * A read-only view of this Sink as the bucket was at {@code time}: every read, stat and list sees, for each key,
     * the version that was current then (deleted objects come back, overwritten ones show their old content, newer
     * ones are absent). Needs a versioned bucket and {@code s3:ListBucketVersions}, {@code s3:GetObjectVersion}.
     *
     * <p>To restore a snapshot that was deleted or overwritten by mistake or by an attacker:
     * <pre>{@code
     * Repository past = Repository.open(sink.asOf(Instant.parse("2026-11-20T00:00:00Z")));
     * past.restore(SnapshotSelector.id("20261119-010000-3fa2c1d0")).to(target).run();
     * // or put the old versions back as current ones, then use the repository as usual:
     * sink.restoreVersions(Instant.parse("2026-11-20T00:00:00Z"), "");
     * }</pre>
     * Closing the view does nothing; it shares this Sink's client.
     */
    public S3Sink asOf(Instant time) {
        Objects.requireNonNull(time, "time");
        return new S3Sink(this, time);
    }

    /**
     * Puts back, as current objects, the versions that were current at {@code time} under {@code namePrefix} and
     * differ from what is current now (deleted or overwritten since). Objects created after {@code time} are left
     * alone: nothing is deleted. Each object is stored again as its kind (storage class, retention), which the
     * core's {@link com.mintreplica.backup.core.sink.RepositoryObjects} gives by name.
     *
     * @return the names of the objects put back
     */
    public List<String> restoreVersions(Instant time, String namePrefix) throws IOException {
        checkWritable(namePrefix);
        return S3PointInTime.restore(place, time, namePrefix, this::put);
    }

    // ---- the rest

    @Override
    public String describe() {
        String where = "s3://" + bucket + "/" + prefix;
        if (where.endsWith("/") && !prefix.isEmpty()) {
            where = where.substring(0, where.length() - 1);
        }
        return where + endpointDescription + past.map(p -> " as of " + p.time()).orElse("");
    }

    @Override
    public String toString() {
        return "S3Sink[" + describe() + "]";
    }

    /** Closes the client and upload threads this Sink created; a view from {@link #asOf} closes nothing. */
    @Override
    public void close() {
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
        if (ownsClient) {
            s3.close();
        }
    }

    private void checkWritable(String name) throws IOException {
        if (past.isPresent()) {
            throw new IOException(describe() + " is a read-only view of the past: cannot change '" + name + "'");
        }
    }

    /**
     * Builds an {@link S3Sink}. Only {@link #bucket} is required; without {@link #region} the SDK's default region
     * chain is asked, and {@code us-east-1} is used with an {@link #endpoint} when it finds none.
     */
    public static final class Builder {
        private String bucket;
        private String prefix = "";
        private String region;
        private URI endpoint;
        private boolean pathStyle;
        private AwsCredentialsProvider credentials;
        private final Map<ObjectKind, StorageClass> storageClasses = new EnumMap<>(ObjectKind.class);
        private S3ServerSideEncryption encryption = S3ServerSideEncryption.none();
        private S3ObjectLock objectLock;
        private int partSize = DEFAULT_PART_SIZE;
        private int parallelUploads = DEFAULT_PARALLEL_UPLOADS;
        private int maxAttempts;
        private Duration retryFor = DEFAULT_RETRY_FOR;
        private Executor executor;
        private S3Client client;
        private Clock clock = Clock.systemUTC();
        private boolean atomicCreate = true;
        private Duration apiCallAttemptTimeout;

        private Builder() {
        }

        /** The bucket (required). */
        public Builder bucket(String bucket) {
            this.bucket = bucket;
            return this;
        }

        /** The key prefix under which the repository lives, e.g. {@code mint/prod}; default none. */
        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        /** The AWS region, e.g. {@code eu-west-1}. */
        public Builder region(String region) {
            this.region = region;
            return this;
        }

        /** The endpoint of an S3-compatible store (MinIO, Ceph, a test server), e.g. {@code http://127.0.0.1:9000}. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** Path-style addressing ({@code host/bucket/key}), which most S3-compatible stores need. */
        public Builder pathStyle(boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        /** Credentials; default: the SDK's default chain. */
        public Builder credentials(AwsCredentialsProvider credentials) {
            this.credentials = credentials;
            return this;
        }

        /**
         * The storage class for objects of {@code kind}, e.g. {@code STANDARD_IA} or {@code GLACIER_IR} for
         * {@link ObjectKind#DATA}; default: the bucket's default (STANDARD). Classes that cannot be read at once
         * (GLACIER, DEEP_ARCHIVE) are refused for every kind: archive with {@link S3Sink#applyLifecycle} instead.
         */
        public Builder storageClass(ObjectKind kind, String storageClass) {
            StorageClass parsed = StorageClass.fromValue(Objects.requireNonNull(storageClass, "storageClass").toUpperCase(Locale.ROOT));
            if (parsed == StorageClass.UNKNOWN_TO_SDK_VERSION) {
                throw new InvalidInputException("'" + storageClass + "' is not an S3 storage class: use for example "
                        + "STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR");
            }
            if (NOT_INSTANT.contains(parsed)) {
                throw new InvalidInputException("storage class " + parsed + " cannot be read without a restore request, "
                        + "so the repository could not read its " + kind.name().toLowerCase(Locale.ROOT) + " objects: use "
                        + "GLACIER_IR or STANDARD_IA, or move data to " + parsed + " after some days with S3Sink.applyLifecycle");
            }
            storageClasses.put(Objects.requireNonNull(kind, "kind"), parsed);
            return this;
        }

        /** Server-side encryption; default: none requested. */
        public Builder serverSideEncryption(S3ServerSideEncryption encryption) {
            this.encryption = Objects.requireNonNull(encryption, "encryption");
            return this;
        }

        /**
         * Writes every object but locks and run records with this Object Lock retention (the bucket must have Object
         * Lock).
         */
        public Builder objectLock(S3ObjectLock objectLock) {
            this.objectLock = objectLock;
            return this;
        }

        /** The size of multipart parts, at least 5 MiB; default 8 MiB. */
        public Builder partSize(int partSize) {
            this.partSize = partSize;
            return this;
        }

        /** How many parts upload at once across the Sink; default 4. */
        public Builder parallelUploads(int parallelUploads) {
            this.parallelUploads = parallelUploads;
            return this;
        }

        /**
         * At most how many times a request is tried in all (the first try included), within {@link #retryFor}; default:
         * no limit but the time.
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new InvalidInputException("S3Sink maxAttempts must be at least 1: " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * How long after its first try a failing request may still be tried again; default 15 minutes. Zero: each
         * request is tried once. A command that must answer soon (PostgreSQL's {@code archive_command}) sets less; the
         * stall watchdog of a backup or restore (10 minutes by default) ends one that makes no progress at all sooner.
         * Applies to the client the Sink builds, not to one given through {@link #client}.
         */
        public Builder retryFor(Duration retryFor) {
            Objects.requireNonNull(retryFor, "retryFor");
            if (retryFor.isNegative()) {
                throw new InvalidInputException("S3Sink retryFor must not be negative: " + retryFor);
            }
            this.retryFor = retryFor;
            return this;
        }

        /** How long one attempt of a request may take before it is retried; default: the SDK's (none). */
        public Builder attemptTimeout(Duration timeout) {
            this.apiCallAttemptTimeout = timeout;
            return this;
        }

        /**
         * The executor part uploads run on; default: a pool of {@link #parallelUploads} daemon threads owned by the
         * Sink. Must not be the executor whose threads call {@code put}, or they could wait on each other.
         */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** An S3 client to use instead of building one; the Sink does not close it. */
        public Builder client(S3Client client) {
            this.client = client;
            return this;
        }

        /** The clock Object Lock retention dates are computed from; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Whether the store supports {@code If-None-Match: *} on PUT (AWS S3 does since 2024; some S3-compatible stores
         * do not): without it the Sink does not declare {@link SinkCapability#ATOMIC_CREATE}. Default true.
         */
        public Builder atomicCreate(boolean atomicCreate) {
            this.atomicCreate = atomicCreate;
            return this;
        }

        /**
         * Builds the Sink.
         *
         * @throws InvalidInputException naming the field that is missing or wrong
         */
        public S3Sink build() {
            if (bucket == null || bucket.isBlank()) {
                throw new InvalidInputException("S3Sink needs a bucket");
            }
            if (partSize < MIN_PART_SIZE) {
                throw new InvalidInputException("S3Sink partSize must be at least 5 MiB (S3's smallest part): " + partSize);
            }
            if (parallelUploads < 1) {
                throw new InvalidInputException("S3Sink parallelUploads must be at least 1: " + parallelUploads);
            }
            if (client != null) {
                return new S3Sink(this, client, false);
            }
            return new S3Sink(this, buildClient(), true);
        }

        private S3Client buildClient() {
            Region resolved;
            if (region != null && !region.isBlank()) {
                resolved = Region.of(region);
            } else {
                try {
                    resolved = DefaultAwsRegionProviderChain.builder().build().getRegion();
                } catch (SdkClientException e) {
                    if (endpoint == null) {
                        throw new InvalidInputException("no AWS region for bucket " + bucket + ": give one (region=... in "
                                + "the repository URI, or S3Sink.builder().region(...)) or set AWS_REGION");
                    }
                    resolved = Region.US_EAST_1;
                }
            }
            var builder = S3Client.builder()
                    .region(resolved)
                    .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder().build())
                    .forcePathStyle(pathStyle)
                    .httpClientBuilder(ApacheHttpClient.builder()
                            .maxConnections(Math.max(32, parallelUploads * 4))
                            .connectionTimeout(Duration.ofSeconds(10))
                            .socketTimeout(Duration.ofSeconds(60)))
                    .overrideConfiguration(o -> {
                        o.retryStrategy(new TimedRetryStrategy(TimedRetryStrategy.standardWithoutLimits(), retryFor,
                                maxAttempts, System::nanoTime));
                        if (apiCallAttemptTimeout != null) {
                            o.apiCallAttemptTimeout(apiCallAttemptTimeout);
                        }
                    });
            if (endpoint != null) {
                builder.endpointOverride(endpoint);
            }
            return builder.build();
        }
    }
}
