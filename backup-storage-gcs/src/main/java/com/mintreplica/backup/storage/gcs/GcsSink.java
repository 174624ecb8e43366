package com.mintreplica.backup.storage.gcs;

import com.google.api.gax.paging.Page;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageClass;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectNames;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.RepositoryObjects;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.storage.gcs.internal.GcsPreconditions;
import com.mintreplica.backup.storage.gcs.internal.RetryWarnings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Sink} on Google Cloud Storage, on the google-cloud-storage client (JSON API over HTTP).
 *
 * <pre>{@code
 * try (GcsSink sink = GcsSink.builder()
 *         .bucket("acme-backups-eu").prefix("mint/prod")
 *         .storageClass(ObjectKind.DATA, "NEARLINE")
 *         .build();
 *      Repository repo = Repository.open(sink)) {
 *     ...
 * }
 * }</pre>
 *
 * <h2>How it stores</h2>
 * <ul>
 *   <li>Objects are {@code <prefix>/<name>} in one bucket.</li>
 *   <li>Content up to one chunk ({@link Builder#chunkSize}, default 8 MiB) is sent in one request. Longer content, or
 *       content of unknown length, goes through a resumable upload, chunk by chunk, with about two chunks in memory;
 *       the object appears only when the upload is finalized, and a failed upload is abandoned, never finalized, so no
 *       partial object is ever visible. Uploads of different objects run in parallel (the repository uploads several
 *       packs at once).</li>
 *   <li>{@link #putIfAbsent} sends {@code ifGenerationMatch=0} (doesNotExist): atomic, declared as
 *       {@link SinkCapability#ATOMIC_CREATE}.</li>
 *   <li>Ranged reads name the object's generation, so all bytes come from one version.</li>
 *   <li>Listing pages lazily through the bucket.</li>
 * </ul>
 *
 * <h2>Retries</h2>
 * The client's retry settings, bounded by time: a failing request is retried for up to {@link Builder#retryFor}
 * (default 15 minutes, as restic does) after its first try, with exponential backoff from 1 s to 32 s with jitter, as
 * the client library does it ({@link Builder#maxAttempts} also caps the tries when it is set), with the uniform retry
 * strategy: responses 408, 429, 500, 502, 503, 504 and I/O errors (reset or refused connections) are retried for
 * every operation. That is safe here because every write is idempotent: packs are named by their content, other
 * objects are written once, and a create-if-absent that was retried after it succeeded is recognised by its content.
 * A resumable upload resumes from the last chunk GCS confirmed. Requests still failing 10 seconds after the first
 * failure are reported (a warning, then one a minute), as the S3 Sink does, so that a command waiting on a store that
 * is down says why.
 *
 * <h2>Protection of earlier data</h2>
 * Storage class per {@link ObjectKind}; {@link #applyLifecycle} sets SetStorageClass and Delete rules; bucket
 * retention policies, object retention and holds are respected: {@link #delete} of a protected object throws
 * {@link ObjectLockedException}, so a prune can leave it and go on.
 *
 * <p>Credentials come from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, the
 * metadata server) unless an application passes its own {@link Storage}. The Sink is safe for concurrent use; closing
 * it closes the client it created, never one it was given.
 */
public final class GcsSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(GcsSink.class);

    /** The smallest chunk of a resumable upload GCS accepts (256 KiB); chunk sizes are multiples of it. */
    public static final int CHUNK_UNIT = 256 * 1024;
    public static final int DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
    /** How long a failing request is retried after its first try, unless the builder says otherwise: 15 minutes. */
    public static final Duration DEFAULT_RETRY_FOR = Duration.ofMinutes(15);
    /** Creates-if-absent no larger than this are compared with the stored object when GCS answers 412. */
    private static final int SMALL_CREATE = 1024 * 1024;

    private final Storage storage;
    private final boolean ownsStorage;
    private final String bucket;
    private final String prefix;
    private final Map<ObjectKind, StorageClass> storageClasses;
    private final int chunkSize;
    private final Clock clock;
    private final String host;
    /** The client's retry strategy when this Sink made the client (null otherwise): told when the store answered. */
    private final RetryWarnings retries;

    private GcsSink(Builder b, Storage storage, boolean ownsStorage) {
        this.host = b.host;
        this.retries = ownsStorage ? b.retries : null;
        this.storage = storage;
        this.ownsStorage = ownsStorage;
        this.bucket = b.bucket;
        this.prefix = ObjectNames.normalizePrefix(b.prefix);
        this.storageClasses = Collections.unmodifiableMap(new EnumMap<>(b.storageClasses));
        this.chunkSize = b.chunkSize;
        this.clock = b.clock;
    }

    /** A new builder; {@link Builder#bucket} is required. */
    public static Builder builder() {
        return new Builder();
    }

    public String bucket() {
        return bucket;
    }

    /** The name prefix of every object, empty or ending with {@code /}. */
    public String prefix() {
        return prefix;
    }

    /** The client, for operations this Sink does not offer. */
    public Storage storage() {
        return storage;
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.ATOMIC_CREATE, SinkCapability.STORAGE_CLASSES, SinkCapability.SERVER_SIDE_ENCRYPTION);
    }

    // ---- writing

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        write(name, content, length, kind, false);
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        return write(name, content, length, kind, true);
    }

    private boolean write(String name, InputStream content, long length, ObjectKind kind, boolean ifAbsent) throws IOException {
        Objects.requireNonNull(kind, "kind");
        BlobInfo info = blobInfo(name, kind);
        byte[] first = content.readNBytes(chunkSize);
        boolean whole = first.length < chunkSize;
        if (length >= 0 && whole && first.length != length) {
            throw new IOException("content of '" + name + "' has " + first.length + " bytes, not the " + length + " declared");
        }
        try {
            if (whole && !ifAbsent) {
                storage.create(info, first, GcsPreconditions.targetOptions(false, OptionalLong.empty()));
                answered();
                return true;
            }
            // Resumable upload: content longer than a chunk, and every create-if-absent (its precondition is checked
            // when the upload session starts, which is what makes it atomic).
            long total = upload(name, info, first, whole ? InputStream.nullInputStream() : content, ifAbsent);
            if (length >= 0 && total != length) {
                throw new IOException("content of '" + name + "' has " + total + " bytes, not the " + length
                        + " declared; the object was stored as read");
            }
            answered();
            return true;
        } catch (StorageException e) {
            if (ifAbsent && GcsPreconditions.classify(e) == GcsPreconditions.Outcome.PRECONDITION_FAILED) {
                return whole && first.length <= SMALL_CREATE && storedContentEquals(name, first);
            }
            throw io("store", name, e);
        }
    }

    private long upload(String name, BlobInfo info, byte[] first, InputStream rest, boolean ifAbsent) throws IOException {
        WriteChannel writer = storage.writer(info, GcsPreconditions.writeOptions(ifAbsent, OptionalLong.empty()));
        writer.setChunkSize(chunkSize);
        long total = 0;
        boolean ok = false;
        try {
            writeFully(writer, first, first.length);
            total += first.length;
            byte[] buffer = new byte[chunkSize];
            int n;
            while ((n = rest.readNBytes(buffer, 0, buffer.length)) > 0) {
                writeFully(writer, buffer, n);
                total += n;
            }
            ok = true;
        } finally {
            if (ok) {
                // Closing finalizes the upload: only now does the object appear.
                writer.close();
            } else {
                LOG.debug("abandoning the resumable upload of '{}' to {}: it is never finalized", name, describe());
            }
        }
        return total;
    }

    private static void writeFully(WriteChannel writer, byte[] data, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data, 0, length);
        while (buffer.hasRemaining()) {
            writer.write(buffer);
        }
    }

    /** Whether the object now holds exactly {@code content}: a create that GCS applied before a retry reported 412. */
    private boolean storedContentEquals(String name, byte[] content) throws IOException {
        try (InputStream in = get(name)) {
            byte[] stored = in.readNBytes(content.length + 1);
            return Arrays.equals(stored, content);
        } catch (NoSuchObjectException vanished) {
            return false;
        }
    }

    private BlobInfo blobInfo(String name, ObjectKind kind) {
        BlobInfo.Builder b = BlobInfo.newBuilder(BlobId.of(bucket, key(name))).setContentType("application/octet-stream");
        StorageClass storageClass = storageClasses.get(kind);
        if (storageClass != null) {
            b.setStorageClass(storageClass);
        }
        return b.build();
    }

    // ---- reading

    @Override
    public InputStream get(String name) throws IOException {
        Blob blob = blob(name).orElseThrow(() -> notFound(name));
        return open(name, blob, 0, -1);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0: " + offset + ", " + length);
        }
        Blob blob = blob(name).orElseThrow(() -> notFound(name));
        long size = blob.getSize() == null ? 0 : blob.getSize();
        if (length == 0 || offset >= size) {
            return InputStream.nullInputStream();
        }
        return open(name, blob, offset, Math.min(size, offset + length));
    }

    /** Reads {@code [from, end)} of the generation {@code blob} names ({@code end == -1}: to its end). */
    private InputStream open(String name, Blob blob, long from, long end) throws IOException {
        try {
            ReadChannel reader = storage.reader(BlobId.of(bucket, blob.getName(), blob.getGeneration()));
            reader.setChunkSize(Math.min(chunkSize, 2 * 1024 * 1024));
            if (from > 0) {
                reader.seek(from);
            }
            if (end >= 0) {
                reader.limit(end);
            }
            InputStream in = Channels.newInputStream(reader);
            return new java.io.FilterInputStream(in) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return super.read(b, off, len);
                    } catch (StorageException e) {
                        throw io("read", name, e);
                    }
                }

                @Override
                public int read() throws IOException {
                    try {
                        return super.read();
                    } catch (StorageException e) {
                        throw io("read", name, e);
                    }
                }
            };
        } catch (StorageException e) {
            if (GcsPreconditions.classify(e) == GcsPreconditions.Outcome.NOT_FOUND) {
                throw notFound(name);
            }
            throw io("read", name, e);
        }
    }

    private Optional<Blob> blob(String name) throws IOException {
        try {
            Blob blob = storage.get(BlobId.of(bucket, key(name)));
            answered();
            return blob == null || blob.getSize() == null && blob.getGeneration() == null ? Optional.empty() : Optional.of(blob);
        } catch (StorageException e) {
            if (GcsPreconditions.classify(e) == GcsPreconditions.Outcome.NOT_FOUND) {
                return Optional.empty();
            }
            throw io("stat", name, e);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        return blob(name).map(b -> new ObjectInfo(name, b.getSize() == null ? 0 : b.getSize(), updated(b)));
    }

    private static Instant updated(BlobInfo b) {
        if (b.getUpdateTimeOffsetDateTime() != null) {
            return b.getUpdateTimeOffsetDateTime().toInstant();
        }
        if (b.getCreateTimeOffsetDateTime() != null) {
            return b.getCreateTimeOffsetDateTime().toInstant();
        }
        return Instant.EPOCH;
    }

    @Override
    public Stream<ObjectInfo> list(String namePrefix) throws IOException {
        String full = key(namePrefix, true);
        Iterator<Blob> blobs;
        try {
            Page<Blob> page = storage.list(bucket, Storage.BlobListOption.prefix(full));
            answered();
            blobs = page.iterateAll().iterator();
        } catch (StorageException e) {
            throw io("list", namePrefix + "*", e);
        }
        Iterator<ObjectInfo> infos = new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return blobs.hasNext();
                } catch (StorageException e) {
                    throw new UncheckedIOException(io("list", namePrefix + "*", e));
                }
            }

            @Override
            public ObjectInfo next() {
                Blob b;
                try {
                    b = blobs.next();
                } catch (StorageException e) {
                    throw new UncheckedIOException(io("list", namePrefix + "*", e));
                }
                return new ObjectInfo(b.getName().substring(prefix.length()), b.getSize() == null ? 0 : b.getSize(), updated(b));
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(infos, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .filter(i -> !i.name().endsWith("/"));
    }

    // ---- deleting

    /**
     * Deletes the object.
     *
     * @throws ObjectLockedException when GCS refuses because the object is under a retention policy, its own retention
     *     or a hold
     */
    @Override
    public void delete(String name) throws IOException {
        try {
            storage.delete(BlobId.of(bucket, key(name)));
            answered();
        } catch (StorageException e) {
            if (GcsPreconditions.classify(e) == GcsPreconditions.Outcome.NOT_FOUND) {
                return;
            }
            if (GcsPreconditions.classify(e) == GcsPreconditions.Outcome.FORBIDDEN) {
                Optional<Blob> blob = blob(name);
                if (blob.isPresent()) {
                    Optional<ObjectLockedException> locked = GcsPreconditions.lockOf(name, blob.get(), clock.instant(), describe());
                    if (locked.isPresent()) {
                        throw locked.get();
                    }
                }
            }
            throw io("delete", name, e);
        }
    }

    // ---- lifecycle

    /**
     * Replaces the bucket's lifecycle rules with rules for this repository's prefix (needs
     * {@code storage.buckets.update}). GCS keeps one set of rules per bucket: rules for other prefixes must be sent
     * together with these.
     *
     * @return the rules sent
     */
    public List<BucketInfo.LifecycleRule> applyLifecycle(GcsLifecycle lifecycle) throws IOException {
        List<BucketInfo.LifecycleRule> rules = lifecycleRules(lifecycle);
        if (rules.isEmpty()) {
            throw new InvalidInputException("the lifecycle has no rule: give days to archive data or to delete objects");
        }
        try {
            storage.update(BucketInfo.newBuilder(bucket).setLifecycleRules(rules).build());
        } catch (StorageException e) {
            throw io("set the lifecycle rules of", "bucket " + bucket, e);
        }
        return rules;
    }

    /** The rules {@link #applyLifecycle} sends for this Sink's prefix. */
    public List<BucketInfo.LifecycleRule> lifecycleRules(GcsLifecycle lifecycle) {
        List<BucketInfo.LifecycleRule> rules = new ArrayList<>();
        if (lifecycle.archiveDataAfterDays().isPresent()) {
            StorageClass target = storageClass(lifecycle.archiveClass().orElseThrow());
            rules.add(new BucketInfo.LifecycleRule(
                    BucketInfo.LifecycleRule.LifecycleAction.newSetStorageClassAction(target),
                    BucketInfo.LifecycleRule.LifecycleCondition.newBuilder()
                            .setAge(lifecycle.archiveDataAfterDays().getAsInt())
                            // every prefix the core stores data objects under (packs, single-object entries)
                            .setMatchesPrefix(RepositoryObjects.namePrefixes(ObjectKind.DATA).stream()
                                    .map(p -> prefix + p).toList())
                            .build()));
        }
        if (lifecycle.deleteNoncurrentAfterDays().isPresent()) {
            rules.add(new BucketInfo.LifecycleRule(
                    BucketInfo.LifecycleRule.LifecycleAction.newDeleteAction(),
                    BucketInfo.LifecycleRule.LifecycleCondition.newBuilder()
                            .setIsLive(false)
                            .setDaysSinceNoncurrentTime(lifecycle.deleteNoncurrentAfterDays().getAsInt())
                            .setMatchesPrefix(List.of(prefix))
                            .build()));
        }
        if (lifecycle.deleteAfterDays().isPresent()) {
            rules.add(new BucketInfo.LifecycleRule(
                    BucketInfo.LifecycleRule.LifecycleAction.newDeleteAction(),
                    BucketInfo.LifecycleRule.LifecycleCondition.newBuilder()
                            .setAge(lifecycle.deleteAfterDays().getAsInt())
                            .setMatchesPrefix(List.of(prefix))
                            .build()));
        }
        return rules;
    }

    // ---- the rest

    @Override
    public String describe() {
        String p = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
        return "gs://" + bucket + "/" + p;
    }

    @Override
    public String toString() {
        return "GcsSink[" + describe() + "]";
    }

    @Override
    public void close() throws IOException {
        if (ownsStorage) {
            try {
                storage.close();
            } catch (Exception e) {
                throw new IOException("cannot close the GCS client: " + e.getMessage(), e);
            }
        }
    }

    private String key(String name) {
        return key(name, false);
    }

    private String key(String name, boolean isPrefix) {
        return prefix + ObjectNames.check(name, isPrefix);
    }

    private static StorageClass storageClass(String name) {
        try {
            return StorageClass.valueOfStrict(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("'" + name + "' is not a GCS storage class: use STANDARD, NEARLINE, COLDLINE or ARCHIVE");
        }
    }

    private NoSuchObjectException notFound(String name) {
        return new NoSuchObjectException(name, "no object '" + name + "' in " + describe());
    }

    /** The store answered a request: a request that cannot connect now gets the whole retry budget. */
    private void answered() {
        if (retries != null) {
            retries.answered();
        }
    }

    private IOException io(String action, String name, StorageException e) {
        String hint = switch (e.getCode()) {
            case 401, 403 -> " (access denied: check the Application Default Credentials and their roles on the bucket)";
            case 404 -> " (check that the bucket exists)";
            default -> e.getCode() >= 500 || e.getCode() == 429 ? " (GCS kept failing after retries; try again later)" : "";
        };
        if (e.getCode() <= 0 && RetryWarnings.cannotConnect(e)) {
            hint = " (the store was never reached or no longer is: check the host" + (host == null ? "" : " '" + host + "'")
                    + " and the network)";
        }
        return new IOException("cannot " + action + " '" + name + "' in " + describe() + ": "
                + (e.getCode() > 0 ? "HTTP " + e.getCode() + " " : "") + e.getMessage() + hint, e);
    }

    /** Builds a {@link GcsSink}. Only {@link #bucket} is required. */
    public static final class Builder {
        private String bucket;
        private String prefix = "";
        private String projectId;
        private String host;
        private Storage storage;
        private final Map<ObjectKind, StorageClass> storageClasses = new EnumMap<>(ObjectKind.class);
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private Clock clock = Clock.systemUTC();
        private com.google.auth.Credentials credentials;
        private int maxAttempts;
        private Duration retryFor = DEFAULT_RETRY_FOR;
        /** Requests still failing this long after the first failure are reported, then once a minute. */
        private Duration warnAfter = Duration.ofSeconds(10);
        private java.util.function.Consumer<String> warnings = LOG::warn;
        private Duration unreachedFor = RetryWarnings.UNREACHED_FOR;
        private RetryWarnings retries;

        private Builder() {
        }

        /** For tests: how long a store that never answered is tried (default: {@link RetryWarnings#UNREACHED_FOR}). */
        Builder unreachedFor(Duration value) {
            this.unreachedFor = Objects.requireNonNull(value, "value");
            return this;
        }

        /** For tests: when, and where, a request that keeps failing is reported (default: after 10 s, as a warning). */
        Builder retryWarnings(Duration after, java.util.function.Consumer<String> report) {
            this.warnAfter = Objects.requireNonNull(after, "after");
            this.warnings = Objects.requireNonNull(report, "report");
            return this;
        }

        /**
         * Credentials for the client this builder creates; default: Application Default Credentials. For emulators,
         * {@code com.google.cloud.NoCredentials.getInstance()}.
         */
        public Builder credentials(com.google.auth.Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        /**
         * At most how many times a request is tried in all (the first try included), within {@link #retryFor}; default:
         * no limit but the time.
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new InvalidInputException("GcsSink maxAttempts must be at least 1: " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * How long after its first try a failing request may still be tried again; default 15 minutes. Applies to the
         * client this builder creates, not to one given through {@link #storage}.
         */
        public Builder retryFor(Duration retryFor) {
            Objects.requireNonNull(retryFor, "retryFor");
            if (retryFor.isNegative()) {
                throw new InvalidInputException("GcsSink retryFor must not be negative: " + retryFor);
            }
            this.retryFor = retryFor;
            return this;
        }

        /** The bucket (required). */
        public Builder bucket(String bucket) {
            this.bucket = bucket;
            return this;
        }

        /** The name prefix under which the repository lives; default none. */
        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        /** The project to bill, when the credentials do not name one. */
        public Builder projectId(String projectId) {
            this.projectId = projectId;
            return this;
        }

        /** Another endpoint than {@code https://storage.googleapis.com}, e.g. an emulator. */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** A client to use instead of building one; the Sink does not close it. */
        public Builder storage(Storage storage) {
            this.storage = storage;
            return this;
        }

        /** The storage class for objects of {@code kind} (STANDARD, NEARLINE, COLDLINE, ARCHIVE); default: the bucket's. */
        public Builder storageClass(ObjectKind kind, String storageClass) {
            storageClasses.put(Objects.requireNonNull(kind, "kind"), GcsSink.storageClass(storageClass));
            return this;
        }

        /** The chunk of resumable uploads, a multiple of 256 KiB; default 8 MiB. */
        public Builder chunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        /** The clock retention dates are compared with; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the Sink.
         *
         * @throws InvalidInputException naming the field that is missing or wrong
         */
        public GcsSink build() {
            if (bucket == null || bucket.isBlank()) {
                throw new InvalidInputException("GcsSink needs a bucket");
            }
            if (chunkSize < CHUNK_UNIT || chunkSize % CHUNK_UNIT != 0) {
                throw new InvalidInputException("GcsSink chunkSize must be a multiple of 256 KiB: " + chunkSize);
            }
            if (storage != null) {
                return new GcsSink(this, storage, false);
            }
            retries = new RetryWarnings(StorageRetryStrategy.getUniformStorageRetryStrategy(), warnAfter,
                    Sinks.durationText(retryFor), System::nanoTime, warnings, unreachedFor);
            StorageOptions.Builder options = StorageOptions.http()
                    .setStorageRetryStrategy(retries)
                    .setRetrySettings(StorageOptions.getDefaultRetrySettings().toBuilder()
                            .setMaxAttempts(maxAttempts) // 0: no limit but the total timeout
                            .setTotalTimeoutDuration(retryFor).build());
            if (credentials != null) {
                options.setCredentials(credentials);
            }
            if (projectId != null) {
                options.setProjectId(projectId);
            }
            if (host != null) {
                options.setHost(host);
            }
            return new GcsSink(this, options.build().getService(), true);
        }
    }
}
