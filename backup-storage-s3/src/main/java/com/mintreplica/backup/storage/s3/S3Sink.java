package com.mintreplica.backup.storage.s3;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectNames;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.storage.s3.internal.MultipartWriter;
import com.mintreplica.backup.storage.s3.internal.PartBuffers;
import com.mintreplica.backup.storage.s3.internal.ResumingInputStream;
import com.mintreplica.backup.storage.s3.internal.VersionSelector;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortIncompleteMultipartUpload;
import software.amazon.awssdk.services.s3.model.BucketLifecycleConfiguration;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DefaultRetention;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoncurrentVersionExpiration;
import software.amazon.awssdk.services.s3.model.ObjectLockConfiguration;
import software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.Transition;
import software.amazon.awssdk.services.s3.model.TransitionStorageClass;
import software.amazon.awssdk.services.s3.model.VersioningConfiguration;

/**
 * A {@link Sink} on Amazon S3 or an S3-compatible store, on the AWS SDK v2 (synchronous client, Apache HTTP).
 *
 * <pre>{@code
 * try (S3Sink sink = S3Sink.builder()
 *         .bucket("acme-backups").prefix("mint/prod")
 *         .region("eu-west-1")
 *         .storageClass(ObjectKind.DATA, "STANDARD_IA")
 *         .encryption(S3Encryption.kms("alias/backups"))
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
 * Every request goes through the SDK's standard retry strategy ({@link Builder#maxAttempts}, default 5 attempts):
 * throttling ({@code 429}, {@code 503 SlowDown} and the other throttling error codes), server errors ({@code 500},
 * {@code 502}, {@code 503}, {@code 504}) and I/O errors (refused, reset or timed-out connections) are retried with
 * exponential backoff and full jitter; other {@code 4xx} errors are not, nor is {@code 501 Not Implemented}: its
 * message says that the store lacks what the request needs, not that it should be tried again. Request bodies are
 * held in memory, so a retried upload part sends the same bytes again.
 *
 * <h2>Protection of earlier data</h2>
 * <ul>
 *   <li>Storage class per {@link ObjectKind} ({@link Builder#storageClass}); classes that cannot be read at once
 *       (GLACIER, DEEP_ARCHIVE) are refused: use {@link #applyLifecycle} to archive data after some days.</li>
 *   <li>Server-side encryption: {@link S3Encryption}.</li>
 *   <li>Versioning: {@link #bucketStatus()} reports it, {@link #enableVersioning()} turns it on, and
 *       {@link #asOf(Instant)} reads the bucket as it was at a past time, so a snapshot deleted or overwritten by
 *       mistake or by an attacker can be restored from the view, or put back with {@link #restoreVersions}.</li>
 *   <li>Object Lock ({@link Builder#objectLock}): every object but locks is written with a retention date. On such a
 *       Sink, {@link #delete} of an object still under retention or legal hold throws {@link ObjectLockedException}
 *       (and writes no delete marker), so a prune can skip it and go on.</li>
 * </ul>
 *
 * <p>Credentials come from the SDK's default chain (environment, system properties, profile, container or instance
 * role) unless an application passes its own {@link AwsCredentialsProvider}; they never appear in
 * {@link #describe()}. The Sink is safe for concurrent use. Closing it closes the client and the upload threads it
 * created, never a client or executor it was given.
 */
public final class S3Sink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(S3Sink.class);

    /** The smallest part S3 accepts (except for the last part). */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;
    public static final int DEFAULT_PARALLEL_UPLOADS = 4;
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    private static final int MAX_RESUMES = 3;
    private static final int CONFLICT_RETRIES = 5;
    private static final Set<StorageClass> NOT_INSTANT = EnumSet.of(StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE);

    private final S3Client s3;
    private final boolean ownsClient;
    private final String bucket;
    private final String prefix;
    private final Map<ObjectKind, StorageClass> storageClasses;
    private final S3Encryption encryption;
    private final Optional<S3ObjectLock> objectLock;
    private final int partSize;
    private final Semaphore inFlight;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final Clock clock;
    private final String endpointDescription;
    private final boolean atomicCreate;
    private final Optional<Instant> asOf;
    private final int maxAttempts;
    private final Map<String, Optional<VersionSelector.Version>> asOfVersions = new ConcurrentHashMap<>();
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
        this.asOf = Optional.empty();
        this.maxAttempts = b.maxAttempts;
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
        this.asOf = Optional.of(time);
        this.maxAttempts = base.maxAttempts;
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
            if (atomicCreate && asOf.isEmpty()) {
                set.add(SinkCapability.ATOMIC_CREATE);
            }
            if (encryption.type() != S3Encryption.Type.NONE) {
                set.add(SinkCapability.SERVER_SIDE_ENCRYPTION);
            }
            if (objectLock.isPresent()) {
                set.add(SinkCapability.IMMUTABILITY);
            }
            try {
                if (s3.getBucketVersioning(r -> r.bucket(bucket)).status() == BucketVersioningStatus.ENABLED) {
                    set.add(SinkCapability.VERSIONING);
                }
            } catch (SdkException e) {
                LOG.debug("cannot read the versioning state of bucket {}: {}", bucket, e.getMessage());
            }
            current = Collections.unmodifiableSet(set);
            capabilities = current;
        }
        return current;
    }

    // ---- writing

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        write(name, content, length, kind, false);
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        if (!capabilities().contains(SinkCapability.ATOMIC_CREATE)) {
            throw new UnsupportedOperationException(describe() + " was built without atomic create (If-None-Match)");
        }
        return write(name, content, length, kind, true);
    }

    private boolean write(String name, InputStream content, long length, ObjectKind kind, boolean ifAbsent) throws IOException {
        checkWritable(name);
        Objects.requireNonNull(kind, "kind");
        String key = key(name);
        // A permit stands for one part buffer of this Sink: taken before the first part is read, handed over to the
        // multipart writer, or given back when a single PUT is done.
        acquirePermit();
        boolean handedOver = false;
        try {
            byte[] first = PartBuffers.readUpTo(content, partSize, length);
            if (length >= 0 && first.length < partSize && first.length != length) {
                throw new IOException("content of '" + name + "' has " + first.length + " bytes, not the " + length + " declared");
            }
            if (first.length < partSize) {
                return putSingle(name, key, first, kind, ifAbsent);
            }
            String uploadId = startMultipart(name, key, kind);
            handedOver = true;
            return putMultipart(name, key, uploadId, first, content, length, kind, ifAbsent);
        } finally {
            if (!handedOver) {
                inFlight.release();
            }
        }
    }

    private void acquirePermit() throws InterruptedIOException {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to upload to " + describe());
        }
    }

    private boolean putSingle(String name, String key, byte[] data, ObjectKind kind, boolean ifAbsent) throws IOException {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(key)
                .contentLength((long) data.length)
                .contentMD5(PartBuffers.md5Base64(data));
        storageClass(kind).ifPresent(request::storageClass);
        applyEncryption(request::serverSideEncryption, request::ssekmsKeyId);
        lockFor(kind).ifPresent(until -> request.objectLockMode(lockMode()).objectLockRetainUntilDate(until));
        if (ifAbsent) {
            request.ifNoneMatch("*");
        }
        PutObjectRequest built = request.build();
        for (int attempt = 1; ; attempt++) {
            try {
                s3.putObject(built, RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data), data.length,
                        "application/octet-stream"));
                return true;
            } catch (S3Exception e) {
                if (ifAbsent && e.statusCode() == 412) {
                    // The SDK may have retried a PUT that S3 had applied (the answer was lost): then the object holds
                    // exactly our bytes, and this call created it.
                    return storedContentEquals(name, data);
                }
                if (ifAbsent && e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
                    pause(attempt);
                    continue;
                }
                throw io("store", name, e);
            } catch (SdkException e) {
                throw io("store", name, e);
            }
        }
    }

    private boolean storedContentEquals(String name, byte[] content) throws IOException {
        try (InputStream in = get(name)) {
            return java.util.Arrays.equals(in.readNBytes(content.length + 1), content);
        } catch (NoSuchObjectException vanished) {
            return false;
        }
    }

    private String startMultipart(String name, String key, ObjectKind kind) throws IOException {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                .contentType("application/octet-stream");
        storageClass(kind).ifPresent(create::storageClass);
        applyEncryption(create::serverSideEncryption, create::ssekmsKeyId);
        lockFor(kind).ifPresent(until -> create.objectLockMode(lockMode()).objectLockRetainUntilDate(until));
        try {
            return s3.createMultipartUpload(create.build()).uploadId();
        } catch (SdkException e) {
            throw io("start an upload of", name, e);
        }
    }

    /** Uploads {@code first} (holding a permit, which this takes over) and the rest of {@code content} as parts. */
    private boolean putMultipart(String name, String key, String uploadId, byte[] first, InputStream content, long length,
                                 ObjectKind kind, boolean ifAbsent) throws IOException {
        boolean completed = false;
        try {
            CountingInputStream counted = new CountingInputStream(content);
            List<CompletedPart> parts = new MultipartWriter<CompletedPart>(executor, inFlight, partSize)
                    .write(first, counted, length >= 0 ? Math.max(0, length - first.length) : -1,
                            (number, data) -> uploadPart(name, key, uploadId, number, data));
            long total = first.length + counted.count();
            if (length >= 0 && total != length) {
                throw new IOException("content of '" + name + "' has " + total + " bytes, not the " + length + " declared");
            }
            CompleteMultipartUploadRequest.Builder complete = CompleteMultipartUploadRequest.builder()
                    .bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build());
            if (ifAbsent) {
                complete.ifNoneMatch("*");
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    s3.completeMultipartUpload(complete.build());
                    completed = true;
                    return true;
                } catch (S3Exception e) {
                    if (ifAbsent && e.statusCode() == 412) {
                        return false;
                    }
                    if (ifAbsent && e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
                        pause(attempt);
                        continue;
                    }
                    throw io("complete the upload of", name, e);
                } catch (SdkException e) {
                    throw io("complete the upload of", name, e);
                }
            }
        } finally {
            if (!completed) {
                abort(name, key, uploadId);
            }
        }
    }

    private CompletedPart uploadPart(String name, String key, String uploadId, int number, byte[] data) throws IOException {
        try {
            String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
                            .contentLength((long) data.length).contentMD5(PartBuffers.md5Base64(data)),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data), data.length,
                            "application/octet-stream")).eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        } catch (SdkException e) {
            throw io("upload part " + number + " of", name, e);
        }
    }

    private void abort(String name, String key, String uploadId) {
        try {
            s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            LOG.warn("could not abort the multipart upload of '{}' in {} ({}); a lifecycle rule that aborts incomplete "
                    + "uploads removes it", name, describe(), e.getMessage());
        }
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
                throw notFound(name);
            }
            return InputStream.nullInputStream();
        }
        return open(name, offset, offset + length);
    }

    /** Opens {@code [from, end)} of the object ({@code end == -1}: to its end), resuming broken connections. */
    private InputStream open(String name, long from, long end) throws IOException {
        String key = key(name);
        Optional<String> versionId = Optional.empty();
        if (asOf.isPresent()) {
            VersionSelector.Version v = versionAsOf(name).orElseThrow(() -> notFound(name));
            versionId = Optional.of(v.versionId());
        }
        Optional<String> version = versionId;
        InputStream first;
        GetObjectResponse response;
        try {
            var stream = s3.getObject(rangeRequest(key, version, from, end, null));
            first = stream;
            response = stream.response();
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                if (stat(name).isEmpty()) {
                    throw notFound(name);
                }
                return InputStream.nullInputStream();
            }
            if (e.statusCode() == 404) {
                throw notFound(name);
            }
            throw io("read", name, e);
        } catch (SdkException e) {
            throw io("read", name, e);
        }
        String etag = response.eTag();
        long actualEnd = from + response.contentLength();
        return new ResumingInputStream(first, from, actualEnd, (resumeFrom, resumeEnd) -> {
            LOG.debug("resuming the read of '{}' in {} at byte {}", name, describe(), resumeFrom);
            if (resumeFrom >= resumeEnd) {
                return InputStream.nullInputStream();
            }
            try {
                return s3.getObject(rangeRequest(key, version, resumeFrom, resumeEnd, etag));
            } catch (SdkException e) {
                throw io("resume reading", name, e);
            }
        }, MAX_RESUMES);
    }

    private GetObjectRequest rangeRequest(String key, Optional<String> versionId, long from, long end, String ifMatch) {
        GetObjectRequest.Builder b = GetObjectRequest.builder().bucket(bucket).key(key);
        versionId.ifPresent(b::versionId);
        if (from > 0 || end >= 0) {
            b.range("bytes=" + from + "-" + (end >= 0 ? String.valueOf(end - 1) : ""));
        }
        if (ifMatch != null) {
            b.ifMatch(ifMatch);
        }
        return b.build();
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        if (asOf.isPresent()) {
            return versionAsOf(name).map(v -> new ObjectInfo(name, v.size(), v.lastModified()));
        }
        try {
            HeadObjectResponse head = s3.headObject(r -> r.bucket(bucket).key(key(name)));
            return Optional.of(new ObjectInfo(name, head.contentLength(), head.lastModified()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw io("stat", name, e);
        } catch (SdkException e) {
            throw io("stat", name, e);
        }
    }

    @Override
    public Stream<ObjectInfo> list(String namePrefix) throws IOException {
        String full = key(namePrefix, true);
        if (asOf.isPresent()) {
            return VersionSelector.currentAt(versions(full), asOf.get()).values().stream()
                    .map(v -> new ObjectInfo(v.key().substring(prefix.length()), v.size(), v.lastModified()));
        }
        // Paged by hand rather than with the SDK's paginator: a page whose body breaks off (a connection reset in the
        // middle of the XML) fails to parse, which the SDK does not retry. A LIST changes nothing, so each page is
        // asked for again, up to maxAttempts times.
        ListObjectsV2Response first = listPage(full, null, namePrefix);
        Iterator<ObjectInfo> infos = new Iterator<>() {
            private Iterator<S3Object> page = first.contents().iterator();
            private String token = first.nextContinuationToken();
            private boolean last = !Boolean.TRUE.equals(first.isTruncated()) || token == null;

            @Override
            public boolean hasNext() {
                while (!page.hasNext() && !last) {
                    try {
                        ListObjectsV2Response response = listPage(full, token, namePrefix);
                        page = response.contents().iterator();
                        token = response.nextContinuationToken();
                        last = !Boolean.TRUE.equals(response.isTruncated()) || token == null;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return page.hasNext();
            }

            @Override
            public ObjectInfo next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                S3Object o = page.next();
                return new ObjectInfo(o.key().substring(prefix.length()), o.size(), o.lastModified());
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(infos, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /** One page of a listing; a page that broke off on the way is asked for again. */
    private ListObjectsV2Response listPage(String keyPrefix, String token, String namePrefix) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return s3.listObjectsV2(r -> r.bucket(bucket).prefix(keyPrefix).continuationToken(token));
            } catch (S3Exception e) {
                throw io("list", namePrefix + "*", e);
            } catch (SdkClientException e) {
                if (e.getCause() instanceof InterruptedException || attempt >= maxAttempts) {
                    throw io("list", namePrefix + "*", e);
                }
                LOG.debug("listing '{}*' in {} broke off ({}); asking again", namePrefix, describe(), e.getMessage());
                pause(attempt);
            } catch (SdkException e) {
                throw io("list", namePrefix + "*", e);
            }
        }
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
        String key = key(name);
        if (objectLock.isPresent()) {
            Optional<ObjectLockedException> locked = lockOf(name, key);
            if (locked.isPresent()) {
                throw locked.get();
            }
        }
        try {
            s3.deleteObject(r -> r.bucket(bucket).key(key));
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
                            + describe() + ": it is protected by Object Lock (" + message + "); it stays until its retention ends");
                }
            }
            throw io("delete", name, e);
        } catch (SdkException e) {
            throw io("delete", name, e);
        }
    }

    /**
     * The lock that protects the object now, as S3 stores it (GetObjectRetention, GetObjectLegalHold); empty when it is
     * not protected, is gone, or the store keeps no Object Lock.
     */
    private Optional<ObjectLockedException> lockOf(String name, String key) throws IOException {
        try {
            var retention = s3.getObjectRetention(r -> r.bucket(bucket).key(key)).retention();
            Instant until = retention == null ? null : retention.retainUntilDate();
            if (until != null && until.isAfter(clock.instant())) {
                return Optional.of(new ObjectLockedException(name, Optional.of(until), "'" + name + "' in " + describe()
                        + " is under Object Lock " + retention.modeAsString() + " retention until " + until
                        + ": it cannot be deleted before then; it is kept and a later prune removes it"));
            }
        } catch (S3Exception e) {
            if (!noLockConfiguration(e)) {
                throw io("read the retention of", name, e);
            }
        } catch (SdkException e) {
            throw io("read the retention of", name, e);
        }
        try {
            var hold = s3.getObjectLegalHold(r -> r.bucket(bucket).key(key)).legalHold();
            if (hold != null && hold.status() == ObjectLockLegalHoldStatus.ON) {
                return Optional.of(new ObjectLockedException(name, Optional.empty(), "'" + name + "' in " + describe()
                        + " is under an Object Lock legal hold: it cannot be deleted until the hold is removed"));
            }
        } catch (S3Exception e) {
            if (!noLockConfiguration(e)) {
                throw io("read the legal hold of", name, e);
            }
        } catch (SdkException e) {
            throw io("read the legal hold of", name, e);
        }
        return Optional.empty();
    }

    /**
     * Whether an error says there is no Object Lock here: no such object (404), no retention or no lock configuration
     * (AWS: 404 or 400 InvalidRequest), or a store that does not implement Object Lock (405, 501).
     */
    private static boolean noLockConfiguration(S3Exception e) {
        return e.statusCode() == 404 || e.statusCode() == 400 || e.statusCode() == 405 || e.statusCode() == 501;
    }

    // ---- versioning, lifecycle, Object Lock

    /** Reads the bucket's versioning and Object Lock state. */
    public S3BucketStatus bucketStatus() throws IOException {
        S3BucketStatus.Versioning versioning;
        try {
            BucketVersioningStatus status = s3.getBucketVersioning(r -> r.bucket(bucket)).status();
            versioning = status == BucketVersioningStatus.ENABLED ? S3BucketStatus.Versioning.ENABLED
                    : status == BucketVersioningStatus.SUSPENDED ? S3BucketStatus.Versioning.SUSPENDED
                    : S3BucketStatus.Versioning.UNVERSIONED;
        } catch (SdkException e) {
            throw io("read the versioning state of", "bucket " + bucket, e);
        }
        boolean lockEnabled = false;
        Optional<S3ObjectLock> retention = Optional.empty();
        try {
            ObjectLockConfiguration config = s3.getObjectLockConfiguration(r -> r.bucket(bucket)).objectLockConfiguration();
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
            if (!noLockConfiguration(e)) {
                throw io("read the Object Lock configuration of", "bucket " + bucket, e);
            }
        } catch (SdkException e) {
            throw io("read the Object Lock configuration of", "bucket " + bucket, e);
        }
        return new S3BucketStatus(versioning, lockEnabled, retention);
    }

    /** Turns versioning on for the bucket (needs {@code s3:PutBucketVersioning}). */
    public void enableVersioning() throws IOException {
        try {
            s3.putBucketVersioning(r -> r.bucket(bucket)
                    .versioningConfiguration(VersioningConfiguration.builder().status(BucketVersioningStatus.ENABLED).build()));
            capabilities = null;
        } catch (SdkException e) {
            throw io("enable versioning on", "bucket " + bucket, e);
        }
    }

    /**
     * Replaces the bucket's lifecycle configuration with rules for this repository's prefix (needs
     * {@code s3:PutLifecycleConfiguration}). The rules have ids starting with {@code mint-backup-}. S3 keeps one
     * lifecycle configuration per bucket: rules for other prefixes must be given to S3 together with these.
     *
     * @return the rules sent, for logs and tests
     */
    public List<LifecycleRule> applyLifecycle(S3Lifecycle lifecycle) throws IOException {
        List<LifecycleRule> rules = lifecycleRules(lifecycle);
        if (rules.isEmpty()) {
            throw new InvalidInputException("the lifecycle has no rule: give days to archive data, to expire noncurrent "
                    + "versions, or to abort incomplete uploads");
        }
        try {
            s3.putBucketLifecycleConfiguration(r -> r.bucket(bucket)
                    .lifecycleConfiguration(BucketLifecycleConfiguration.builder().rules(rules).build()));
        } catch (SdkException e) {
            throw io("set the lifecycle of", "bucket " + bucket, e);
        }
        return rules;
    }

    /** The lifecycle rules {@link #applyLifecycle} sends for this Sink's prefix. */
    public List<LifecycleRule> lifecycleRules(S3Lifecycle lifecycle) {
        List<LifecycleRule> rules = new ArrayList<>();
        if (lifecycle.archiveDataAfterDays().isPresent()) {
            TransitionStorageClass target = TransitionStorageClass.fromValue(lifecycle.archiveClass().orElseThrow());
            if (target == TransitionStorageClass.UNKNOWN_TO_SDK_VERSION) {
                throw new InvalidInputException("'" + lifecycle.archiveClass().get() + "' is not an S3 storage class to "
                        + "transition to: use GLACIER_IR, GLACIER, DEEP_ARCHIVE, STANDARD_IA, ONEZONE_IA or INTELLIGENT_TIERING");
            }
            rules.add(LifecycleRule.builder()
                    .id("mint-backup-archive-data")
                    .filter(LifecycleRuleFilter.builder().prefix(prefix + "data/").build())
                    .status(ExpirationStatus.ENABLED)
                    .transitions(Transition.builder().days(lifecycle.archiveDataAfterDays().getAsInt())
                            .storageClass(target).build())
                    .build());
        }
        if (lifecycle.expireNoncurrentAfterDays().isPresent() || lifecycle.abortIncompleteUploadsAfterDays().isPresent()) {
            LifecycleRule.Builder rule = LifecycleRule.builder()
                    .id("mint-backup-cleanup")
                    .filter(LifecycleRuleFilter.builder().prefix(prefix).build())
                    .status(ExpirationStatus.ENABLED);
            lifecycle.expireNoncurrentAfterDays().ifPresent(days -> rule.noncurrentVersionExpiration(
                    NoncurrentVersionExpiration.builder().noncurrentDays(days).build()));
            lifecycle.abortIncompleteUploadsAfterDays().ifPresent(days -> rule.abortIncompleteMultipartUpload(
                    AbortIncompleteMultipartUpload.builder().daysAfterInitiation(days).build()));
            rules.add(rule.build());
        }
        return rules;
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
     * alone: nothing is deleted.
     *
     * @return the names of the objects put back
     */
    public List<String> restoreVersions(Instant time, String namePrefix) throws IOException {
        checkWritable(namePrefix);
        String full = key(namePrefix, true);
        List<VersionSelector.Version> all = versions(full);
        Map<String, VersionSelector.Version> then = VersionSelector.currentAt(all, time);
        Map<String, VersionSelector.Version> now = VersionSelector.currentAt(all, Instant.MAX);
        List<String> restored = new ArrayList<>();
        for (VersionSelector.Version old : then.values()) {
            VersionSelector.Version current = now.get(old.key());
            if (current != null && (current.versionId().equals(old.versionId())
                    || !old.etag().isEmpty() && current.etag().equals(old.etag()))) {
                continue;   // still current, or already put back with the same content
            }
            String name = old.key().substring(prefix.length());
            try (InputStream in = s3.getObject(r -> r.bucket(bucket).key(old.key()).versionId(old.versionId()))) {
                put(name, in, old.size(), kindOf(name));
            } catch (SdkException e) {
                throw io("read version " + old.versionId() + " of", name, e);
            }
            restored.add(name);
        }
        LOG.info("restored {} objects of {} as of {}", restored.size(), describe(), time);
        return restored;
    }

    private Optional<VersionSelector.Version> versionAsOf(String name) throws IOException {
        Optional<VersionSelector.Version> cached = asOfVersions.get(name);
        if (cached != null) {
            return cached;
        }
        String key = key(name);
        List<VersionSelector.Version> ofKey = new ArrayList<>();
        for (VersionSelector.Version v : versions(key)) {
            if (v.key().equals(key)) {
                ofKey.add(v);
            }
        }
        Optional<VersionSelector.Version> found = VersionSelector.currentOfKeyAt(ofKey, asOf.orElseThrow());
        asOfVersions.put(name, found);
        return found;
    }

    private List<VersionSelector.Version> versions(String keyPrefix) throws IOException {
        List<VersionSelector.Version> out = new ArrayList<>();
        try {
            for (ListObjectVersionsResponse page : s3.listObjectVersionsPaginator(r -> r.bucket(bucket).prefix(keyPrefix))) {
                page.versions().forEach(v -> out.add(new VersionSelector.Version(v.key(), v.versionId(), v.lastModified(),
                        false, v.size() == null ? 0 : v.size(), Boolean.TRUE.equals(v.isLatest()),
                        v.eTag() == null ? "" : v.eTag())));
                page.deleteMarkers().forEach(d -> out.add(new VersionSelector.Version(d.key(), d.versionId(), d.lastModified(),
                        true, 0, Boolean.TRUE.equals(d.isLatest()), "")));
            }
        } catch (SdkException e) {
            throw io("list the versions of", keyPrefix + "*", e);
        }
        return out;
    }

    private static ObjectKind kindOf(String name) {
        if (name.equals("config")) {
            return ObjectKind.CONFIG;
        }
        if (name.startsWith("keys/")) {
            return ObjectKind.KEY;
        }
        if (name.startsWith("snapshots/")) {
            return ObjectKind.SNAPSHOT;
        }
        if (name.startsWith("index/")) {
            return ObjectKind.INDEX;
        }
        if (name.startsWith("locks/")) {
            return ObjectKind.LOCK;
        }
        return ObjectKind.DATA;
    }

    // ---- the rest

    @Override
    public String describe() {
        String where = "s3://" + bucket + "/" + prefix;
        if (where.endsWith("/") && !prefix.isEmpty()) {
            where = where.substring(0, where.length() - 1);
        }
        return where + endpointDescription + asOf.map(t -> " as of " + t).orElse("");
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
        if (asOf.isPresent()) {
            throw new IOException(describe() + " is a read-only view of the past: cannot change '" + name + "'");
        }
    }

    private Optional<StorageClass> storageClass(ObjectKind kind) {
        return Optional.ofNullable(storageClasses.get(kind));
    }

    private void applyEncryption(java.util.function.Consumer<ServerSideEncryption> sse,
                                 java.util.function.Consumer<String> kmsKey) {
        switch (encryption.type()) {
            case S3_MANAGED -> sse.accept(ServerSideEncryption.AES256);
            case KMS -> {
                sse.accept(ServerSideEncryption.AWS_KMS);
                encryption.kmsKeyId().ifPresent(kmsKey);
            }
            default -> {
            }
        }
    }

    /** The retain-until date for a new object of {@code kind}, when this Sink writes with Object Lock. */
    private Optional<Instant> lockFor(ObjectKind kind) {
        if (objectLock.isEmpty() || kind == ObjectKind.LOCK) {
            return Optional.empty();
        }
        return Optional.of(clock.instant().plus(objectLock.get().retention()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    private ObjectLockMode lockMode() {
        return ObjectLockMode.fromValue(objectLock.orElseThrow().mode().name());
    }

    private String key(String name) {
        return key(name, false);
    }

    private String key(String name, boolean isPrefix) {
        return prefix + ObjectNames.check(name, isPrefix);
    }

    private NoSuchObjectException notFound(String name) {
        return new NoSuchObjectException(name, "no object '" + name + "' in " + describe());
    }

    private IOException io(String action, String name, SdkException e) {
        String what = "cannot " + action + " '" + name + "' in " + describe() + ": ";
        if (e instanceof S3Exception s3e) {
            String code = s3e.awsErrorDetails() != null ? s3e.awsErrorDetails().errorCode() : null;
            String message = s3e.awsErrorDetails() != null ? s3e.awsErrorDetails().errorMessage() : s3e.getMessage();
            String hint = switch (s3e.statusCode()) {
                case 403 -> " (access denied: check that the credentials of the default chain may use this bucket and key)";
                case 404 -> " (check that the bucket exists and the region is right)";
                case 301, 400 -> code != null && code.contains("Region") || code != null && code.contains("Redirect")
                        ? " (the bucket is in another region: set region=...)" : "";
                case 501 -> " (the store does not implement this request: this is not a failure to retry, the store lacks a"
                        + " feature mint-backup uses here" + (action.equals("store") && atomicCreate
                        ? "; conditional writes (If-None-Match): set atomicCreate=false in the repository URI" : "")
                        + ")";
                default -> s3e.statusCode() >= 500 ? " (the store kept failing after retries; try again later)" : "";
            };
            return new IOException(what + "HTTP " + s3e.statusCode() + (code != null ? " " + code : "")
                    + (message != null ? ": " + message : "") + hint, e);
        }
        if (e instanceof SdkClientException && e.getCause() instanceof InterruptedException) {
            InterruptedIOException interrupted = new InterruptedIOException(what + "interrupted");
            interrupted.initCause(e);
            return interrupted;
        }
        return new IOException(what + e.getMessage(), e);
    }

    private static void pause(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep((long) (50L * attempt * (0.5 + Math.random())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
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
        private S3Encryption encryption = S3Encryption.none();
        private S3ObjectLock objectLock;
        private int partSize = DEFAULT_PART_SIZE;
        private int parallelUploads = DEFAULT_PARALLEL_UPLOADS;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
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
        public Builder encryption(S3Encryption encryption) {
            this.encryption = Objects.requireNonNull(encryption, "encryption");
            return this;
        }

        /** Writes every object but locks with this Object Lock retention (the bucket must have Object Lock). */
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

        /** How many times a request is tried in all (the first try included); default 5. */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
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
            if (maxAttempts < 1) {
                throw new InvalidInputException("S3Sink maxAttempts must be at least 1: " + maxAttempts);
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
                        o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts).build());
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
