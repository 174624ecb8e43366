package com.mintreplica.backup.storage.s3.internal;

import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.storage.s3.S3ObjectLock;
import com.mintreplica.backup.storage.s3.S3ServerSideEncryption;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * The S3 Sink's writes: one PUT for content smaller than a part, a multipart upload otherwise (parts read while the
 * previous ones upload, within the Sink's part buffers), each with the storage class of its kind, the server-side
 * encryption and the Object Lock retention the Sink was built with; {@code If-None-Match: *} for a create-if-absent.
 */
public final class S3Uploads {
    private static final Logger LOG = LoggerFactory.getLogger(S3Uploads.class);
    private static final int CONFLICT_RETRIES = 5;
    private static final int COMPARE_READS = 3;
    private static final int COMPLETE_ATTEMPTS = 4;

    private final S3Place place;
    private final Map<ObjectKind, StorageClass> storageClasses;
    private final S3ServerSideEncryption encryption;
    private final Optional<S3ObjectLock> objectLock;
    private final int partSize;
    private final Semaphore inFlight;
    private final Executor executor;
    private final Clock clock;
    private final S3Reads reads;

    /**
     * @param inFlight one permit per part buffer of the whole Sink
     * @param reads to compare what a lost-race create finds with what it sent
     */
    public S3Uploads(S3Place place, Map<ObjectKind, StorageClass> storageClasses, S3ServerSideEncryption encryption,
                     Optional<S3ObjectLock> objectLock, int partSize, Semaphore inFlight, Executor executor, Clock clock,
                     S3Reads reads) {
        this.place = place;
        this.storageClasses = storageClasses;
        this.encryption = encryption;
        this.objectLock = objectLock;
        this.partSize = partSize;
        this.inFlight = inFlight;
        this.executor = executor;
        this.clock = clock;
        this.reads = reads;
    }

    /** Stores {@code content} as {@code name}; with {@code ifAbsent}, only if no object has its key (false: lost). */
    public boolean write(String name, InputStream content, long length, ObjectKind kind, boolean ifAbsent) throws IOException {
        Objects.requireNonNull(kind, "kind");
        String key = place.key(name);
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
            return putMultipart(name, key, uploadId, first, content, length, ifAbsent);
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
            throw new InterruptedIOException("interrupted while waiting to upload to " + place.where());
        }
    }

    private boolean putSingle(String name, String key, byte[] data, ObjectKind kind, boolean ifAbsent) throws IOException {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(place.bucket()).key(key)
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
                place.s3().putObject(built, RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data), data.length,
                        "application/octet-stream"));
                return true;
            } catch (S3Exception e) {
                if (ifAbsent && e.statusCode() == 412) {
                    // The SDK may have retried a PUT that S3 had applied (the answer was lost): then the object holds
                    // exactly our bytes, and this call created it.
                    return storedContentEquals(name, data);
                }
                if (ifAbsent && e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
                    S3Errors.pause(attempt);
                    continue;
                }
                throw place.io("store", name, e);
            } catch (SdkException e) {
                throw place.io("store", name, e);
            }
        }
    }

    /**
     * Whether {@code name} holds exactly {@code content}. A read that differs is made again (up to
     * {@link #COMPARE_READS} reads): bytes damaged on the way differ from read to read, another writer's object the
     * same every time. One damaged read made a create the SDK had retried count as lost.
     */
    private boolean storedContentEquals(String name, byte[] content) throws IOException {
        for (int read = 1; read <= COMPARE_READS; read++) {
            try (InputStream in = reads.open(name, 0, -1, Optional.empty())) {
                // compared as it is read: a copy of the stored object beside the content ran a writer out of heap
                byte[] buffer = new byte[(int) Math.min(64 * 1024, content.length + 1L)];
                int at = 0;
                boolean same = true;
                int n;
                while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, content.length + 1L - at))) >= 0) {
                    if (at + n > content.length) {
                        return false; // longer: a length is not damaged by flipped bytes
                    }
                    same = same && Arrays.equals(buffer, 0, n, content, at, at + n);
                    at += n;
                }
                if (at != content.length) {
                    return false;
                }
                if (same) {
                    return true;
                }
            } catch (NoSuchObjectException vanished) {
                return false;
            }
        }
        return false;
    }

    private String startMultipart(String name, String key, ObjectKind kind) throws IOException {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder().bucket(place.bucket()).key(key)
                .contentType("application/octet-stream");
        storageClass(kind).ifPresent(create::storageClass);
        applyEncryption(create::serverSideEncryption, create::ssekmsKeyId);
        lockFor(kind).ifPresent(until -> create.objectLockMode(lockMode()).objectLockRetainUntilDate(until));
        try {
            return place.s3().createMultipartUpload(create.build()).uploadId();
        } catch (SdkException e) {
            throw place.io("start an upload of", name, e);
        }
    }

    /** Uploads {@code first} (holding a permit, which this takes over) and the rest of {@code content} as parts. */
    private boolean putMultipart(String name, String key, String uploadId, byte[] first, InputStream content, long length,
                                 boolean ifAbsent) throws IOException {
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
                    .bucket(place.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build());
            if (ifAbsent) {
                complete.ifNoneMatch("*");
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    place.s3().completeMultipartUpload(complete.build());
                    completed = true;
                    return true;
                } catch (S3Exception e) {
                    if (ifAbsent && e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
                        S3Errors.pause(attempt);
                        continue;
                    }
                    // The SDK may have retried a completion whose answer was lost, and S3 had applied it: AWS answers
                    // the retry 404 NoSuchUpload (or 412, with If-None-Match), s3proxy 400 InvalidRequest. The object
                    // is then there with exactly these parts, which a lost race or a failed upload never leaves.
                    if (storedAsCompleted(name, key, parts, total)) {
                        completed = true;
                        return true;
                    }
                    if (ifAbsent && e.statusCode() == 412) {
                        return false;
                    }
                    // A completion whose list of parts was cut on its way is answered 400 (S3: MalformedXML, s3proxy:
                    // InvalidRequest), which the SDK does not retry: the upload is still there, so it is sent again. A
                    // 400 for a reason that stays (a part too small) costs a few more tries before it fails the same.
                    if (e.statusCode() == 400 && attempt < COMPLETE_ATTEMPTS) {
                        S3Errors.pause(attempt);
                        continue;
                    }
                    throw place.io("complete the upload of", name, e);
                } catch (SdkException e) {
                    if (!(e.getCause() instanceof InterruptedException) && storedAsCompleted(name, key, parts, total)) {
                        completed = true;
                        return true;
                    }
                    throw place.io("complete the upload of", name, e);
                }
            }
        } finally {
            if (!completed) {
                abort(name, key, uploadId);
            }
        }
    }

    /**
     * Whether {@code key} holds the object that completing this upload makes: its ETag is the one S3 gives a multipart
     * object (the MD5 of the parts' MD5s, then the number of parts) and its length is {@code length}. Asked when the
     * answer to a completion was lost: S3 may have applied it. An ETag of another form (SSE-KMS) never matches, and
     * the completion stays a failure, as before this check.
     */
    private boolean storedAsCompleted(String name, String key, List<CompletedPart> parts, long length) {
        try {
            java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
            for (CompletedPart part : parts) {
                md5.update(java.util.HexFormat.of().parseHex(unquoted(part.eTag())));
            }
            String expected = java.util.HexFormat.of().formatHex(md5.digest()) + "-" + parts.size();
            var head = place.s3().headObject(r -> r.bucket(place.bucket()).key(key));
            boolean stored = expected.equalsIgnoreCase(unquoted(head.eTag())) && head.contentLength() == length;
            if (stored) {
                LOG.debug("the answer to completing the upload of '{}' in {} was lost; the object is stored as sent", name,
                        place.where());
            }
            return stored;
        } catch (SdkException | IllegalArgumentException | java.security.NoSuchAlgorithmException e) {
            LOG.debug("could not check whether the upload of '{}' in {} completed: {}", name, place.where(), e.getMessage());
            return false;
        }
    }

    private static String unquoted(String etag) {
        return etag == null ? "" : etag.replace("\"", "");
    }

    private CompletedPart uploadPart(String name, String key, String uploadId, int number, byte[] data) throws IOException {
        try {
            String etag = place.s3().uploadPart(r -> r.bucket(place.bucket()).key(key).uploadId(uploadId).partNumber(number)
                            .contentLength((long) data.length).contentMD5(PartBuffers.md5Base64(data)),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data), data.length,
                            "application/octet-stream")).eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        } catch (SdkException e) {
            throw place.io("upload part " + number + " of", name, e);
        }
    }

    private void abort(String name, String key, String uploadId) {
        try {
            place.s3().abortMultipartUpload(r -> r.bucket(place.bucket()).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            LOG.warn("could not abort the multipart upload of '{}' in {} ({}); a lifecycle rule that aborts incomplete "
                    + "uploads removes it", name, place.where(), e.getMessage());
        }
    }

    private Optional<StorageClass> storageClass(ObjectKind kind) {
        return Optional.ofNullable(storageClasses.get(kind));
    }

    private void applyEncryption(Consumer<ServerSideEncryption> sse, Consumer<String> kmsKey) {
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

    /**
     * The retain-until date for a new object of {@code kind}, when this Sink writes with Object Lock. Locks and run
     * records get none: they are deleted while the snapshots they concern are still protected.
     */
    private Optional<Instant> lockFor(ObjectKind kind) {
        if (objectLock.isEmpty() || kind == ObjectKind.LOCK || kind == ObjectKind.RECORD) {
            return Optional.empty();
        }
        return Optional.of(clock.instant().plus(objectLock.get().retention()).truncatedTo(ChronoUnit.SECONDS));
    }

    private ObjectLockMode lockMode() {
        return ObjectLockMode.fromValue(objectLock.orElseThrow().mode().name());
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends FilterInputStream {
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
}
