package com.mintreplica.backup.storage.s3.internal;

import com.mintreplica.backup.core.sink.ObjectInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 Sink's reads of current objects (or of one given version): ranged GETs resumed where a connection broke,
 * pinned to the object's ETag; HEAD for stat; ListObjectsV2 paged lazily, a page that broke off asked for again.
 */
public final class S3Reads {
    private static final Logger LOG = LoggerFactory.getLogger(S3Reads.class);
    /**
     * Resumes in a row, each after a connection that broke with little read (ResumingInputStream.PROGRESS). A reset
     * discards what the socket had received, so a connection cut after 64 KiB may deliver half of it.
     */
    private static final int MAX_RESUMES = 5;

    /**
     * Tries of one page of a listing whose answer broke off after the client's own retries (which already retry broken
     * answers for the whole retry budget): a few more, then the listing fails.
     */
    private static final int PAGE_ATTEMPTS = 3;

    private final S3Place place;

    public S3Reads(S3Place place) {
        this.place = place;
    }

    /**
     * Opens {@code [from, end)} of the object ({@code end == -1}: to its end), of {@code versionId} when given, resuming
     * broken connections.
     */
    public InputStream open(String name, long from, long end, Optional<String> versionId) throws IOException {
        String key = place.key(name);
        InputStream first;
        GetObjectResponse response;
        try {
            var stream = place.s3().getObject(rangeRequest(key, versionId, from, end, null));
            for (int attempt = 1; stream.response().contentLength() == null; attempt++) {
                // An answer whose head arrived damaged (a plain-HTTP endpoint behind a faulty proxy): without its
                // length a short body could not be told from a whole one. Asked for again, like a broken listing.
                stream.abort();
                if (attempt >= PAGE_ATTEMPTS) {
                    throw new IOException("cannot read '" + name + "' in " + place.where() + ": the store's answer had no"
                            + " Content-Length " + attempt + " times in a row");
                }
                LOG.debug("the answer to a read of '{}' in {} had no Content-Length; asking again", name, place.where());
                stream = place.s3().getObject(rangeRequest(key, versionId, from, end, null));
            }
            first = stream;
            response = stream.response();
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                // a range past the end: an empty read of an object that exists (a version that was found exists)
                if (versionId.isEmpty() && stat(name).isEmpty()) {
                    throw S3Errors.notFound(name, place.where());
                }
                return InputStream.nullInputStream();
            }
            if (S3Errors.noSuchBucket(e)) {
                throw S3Errors.missingBucket(place.bucket(), place.where());
            }
            if (e.statusCode() == 404) {
                throw S3Errors.notFound(name, place.where());
            }
            throw place.io("read", name, e);
        } catch (SdkException e) {
            throw place.io("read", name, e);
        }
        String etag = response.eTag();
        long actualEnd = from + response.contentLength();
        return new ResumingInputStream(first, from, actualEnd, (resumeFrom, resumeEnd) -> {
            LOG.debug("resuming the read of '{}' in {} at byte {}", name, place.where(), resumeFrom);
            if (resumeFrom >= resumeEnd) {
                return InputStream.nullInputStream();
            }
            try {
                return place.s3().getObject(rangeRequest(key, versionId, resumeFrom, resumeEnd, etag));
            } catch (SdkException e) {
                throw place.io("resume reading", name, e);
            }
        }, MAX_RESUMES);
    }

    private GetObjectRequest rangeRequest(String key, Optional<String> versionId, long from, long end, String ifMatch) {
        GetObjectRequest.Builder b = GetObjectRequest.builder().bucket(place.bucket()).key(key);
        versionId.ifPresent(b::versionId);
        if (from > 0 || end >= 0) {
            b.range("bytes=" + from + "-" + (end >= 0 ? String.valueOf(end - 1) : ""));
        }
        if (ifMatch != null) {
            b.ifMatch(ifMatch);
        }
        return b.build();
    }

    /** The current object's size and time, or empty when there is none. */
    public Optional<ObjectInfo> stat(String name) throws IOException {
        try {
            HeadObjectResponse head = place.s3().headObject(r -> r.bucket(place.bucket()).key(place.key(name)));
            for (int attempt = 1; head.contentLength() == null || head.lastModified() == null; attempt++) {
                // A head that arrived damaged (a plain-HTTP endpoint behind a faulty proxy) lacks its length or time:
                // asked for again, as a read's is. A backup's last lock check failed on one with a Java NPE's text.
                String missing = head.contentLength() == null ? "Content-Length" : "Last-Modified";
                if (attempt >= PAGE_ATTEMPTS) {
                    throw new IOException("cannot stat '" + name + "' in " + place.where() + ": the store's answer had"
                            + " no " + missing + " " + attempt + " times in a row");
                }
                LOG.debug("the answer to a stat of '{}' in {} had no {}; asking again", name, place.where(), missing);
                head = place.s3().headObject(r -> r.bucket(place.bucket()).key(place.key(name)));
            }
            return Optional.of(new ObjectInfo(name, head.contentLength(), head.lastModified()));
        } catch (S3Exception e) {
            if (S3Errors.noSuchBucket(e)) {
                throw S3Errors.missingBucket(place.bucket(), place.where());
            }
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw place.io("stat", name, e);
        } catch (SdkException e) {
            throw place.io("stat", name, e);
        }
    }

    /** The current objects whose names start with {@code namePrefix}, a page at a time. */
    public Stream<ObjectInfo> list(String namePrefix) throws IOException {
        String full = place.keyPrefix(namePrefix);
        // Paged by hand rather than with the SDK's paginator: a page whose body breaks off (a connection reset in the
        // middle of the XML) fails to parse. The client's retry strategy retries that (S3Errors.brokenAnswer) for its
        // whole budget; a LIST changes nothing, so a page is then asked for again, up to PAGE_ATTEMPTS times in all, on
        // a client an application built with a strategy of its own.
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
                    throw new NoSuchElementException();
                }
                S3Object o = page.next();
                return new ObjectInfo(place.nameOf(o.key()), o.size(), o.lastModified());
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(infos, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /** One page of a listing; a page that broke off on the way is asked for again. */
    private ListObjectsV2Response listPage(String keyPrefix, String token, String namePrefix) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return place.s3().listObjectsV2(r -> r.bucket(place.bucket()).prefix(keyPrefix).continuationToken(token));
            } catch (S3Exception e) {
                if (S3Errors.noSuchBucket(e)) {
                    throw S3Errors.missingBucket(place.bucket(), place.where());
                }
                throw place.io("list", namePrefix + "*", e);
            } catch (SdkClientException e) {
                if (e.getCause() instanceof InterruptedException || attempt >= PAGE_ATTEMPTS) {
                    throw place.io("list", namePrefix + "*", e);
                }
                LOG.debug("listing '{}*' in {} broke off ({}); asking again", namePrefix, place.where(), e.getMessage());
                S3Errors.pause(attempt);
            } catch (SdkException e) {
                throw place.io("list", namePrefix + "*", e);
            }
        }
    }
}
