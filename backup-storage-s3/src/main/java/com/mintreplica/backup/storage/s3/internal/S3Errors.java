package com.mintreplica.backup.storage.s3.internal;

import com.mintreplica.backup.core.sink.NoSuchObjectException;
import java.io.IOException;
import java.io.InterruptedIOException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What an S3 failure means to a caller of the Sink: an {@link IOException} whose message names the action, the object
 * and the store, the HTTP status and S3's error code, and what to do; an interrupted request as an
 * {@link InterruptedIOException}. Also the short pause between tries of a conflicting conditional write.
 */
public final class S3Errors {
    private S3Errors() {
    }

    /** The error of {@code action} on {@code name} in {@code where}; {@code atomicCreate} adds the hint for a 501 PUT. */
    public static IOException io(String action, String name, String where, boolean atomicCreate, SdkException e) {
        String what = "cannot " + action + " '" + name + "' in " + where + ": ";
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
        if (e instanceof SdkClientException && e.getMessage() != null
                && e.getMessage().startsWith("Unable to load credentials")) {
            // the SDK's message lists every provider of its chain, some 1,500 characters
            return new IOException(what + "no S3 credentials were found: set AWS_ACCESS_KEY_ID and"
                    + " AWS_SECRET_ACCESS_KEY, or a profile (AWS_PROFILE, ~/.aws/credentials), or run where a role"
                    + " gives them (run with --debug for the SDK's list of where it looked)", e);
        }
        if (TimedRetryStrategy.cannotConnect(e)) {
            return new IOException(what + e.getMessage() + " (the store cannot be reached: check the endpoint's host"
                    + " and port in the repository's address, and the network)", e);
        }
        return new IOException(what + e.getMessage(), e);
    }

    /**
     * Whether a request failed because its answer could not be read: the connection broke off in the middle of S3's
     * XML, or the XML arrived damaged. The SDK does not retry such a failure by itself; the S3 Sink's retry strategy
     * does (creating a multipart upload twice leaves an upload the lifecycle rule aborts; a completion applied twice
     * is checked by {@link S3Uploads}).
     */
    public static boolean brokenAnswer(Throwable e) {
        return e instanceof SdkClientException && e.getCause() instanceof javax.xml.stream.XMLStreamException;
    }

    /**
     * Whether S3 says an upload's body did not arrive whole ({@code 400 IncompleteBody}: it was cut on the way, by a
     * proxy or a load balancer, while the client's connection stayed open). Nothing was stored, so it is sent again;
     * the SDK does not retry a 400.
     */
    public static boolean cutUpload(Throwable e) {
        return e instanceof S3Exception s3e && s3e.statusCode() == 400 && s3e.awsErrorDetails() != null
                && "IncompleteBody".equals(s3e.awsErrorDetails().errorCode());
    }

    /**
     * The bucket itself is missing (404 NoSuchBucket): said as such, not as a missing object, which made {@code list}
     * on a mistyped bucket say "there is no repository: create one with init" (explorers' D-9).
     */
    public static boolean noSuchBucket(S3Exception e) {
        return e.statusCode() == 404 && e.awsErrorDetails() != null
                && "NoSuchBucket".equals(e.awsErrorDetails().errorCode());
    }

    /** What to say when {@link #noSuchBucket}. */
    public static com.mintreplica.backup.core.NotFoundException missingBucket(String bucket, String where) {
        return new com.mintreplica.backup.core.NotFoundException("the bucket '" + bucket + "' of " + where
                + " does not exist: check its name, the region and the endpoint, or create the bucket first");
    }

    public static NoSuchObjectException notFound(String name, String where) {
        return new NoSuchObjectException(name, "no object '" + name + "' in " + where);
    }

    /**
     * Whether an error says there is no Object Lock here: no such object (404), no retention or no lock configuration
     * (AWS: 404 or 400 InvalidRequest), or a store that does not implement Object Lock (405, 501).
     */
    public static boolean noLockConfiguration(S3Exception e) {
        return e.statusCode() == 404 || e.statusCode() == 400 || e.statusCode() == 405 || e.statusCode() == 501;
    }

    /** Waits a little, longer with each attempt, before a conditional write or a broken listing is tried again. */
    public static void pause(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep((long) (50L * attempt * (0.5 + Math.random())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }
}
