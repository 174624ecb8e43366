package com.mintreplica.backup.storage.s3;

import com.mintreplica.backup.testkit.s3.S3TestServer;

/**
 * This module's side of the test kit's {@link S3TestServer}: the JVM's shared server and S3 Sinks on it. Every test
 * works in a bucket of its own.
 */
final class S3TestSinks {
    private S3TestSinks() {
    }

    /** The S3-protocol server of this JVM (s3proxy in memory, shared by the tests). */
    static S3TestServer server() {
        return S3TestServer.shared();
    }

    /** A builder for a Sink on a new bucket of the shared server. */
    static S3Sink.Builder sinkOnNewBucket() {
        return sink(server().newBucket());
    }

    /** A builder for a Sink on {@code bucket} of the shared server, under the prefix {@code repo}, in parts of 5 MiB. */
    static S3Sink.Builder sink(String bucket) {
        S3TestServer server = server();
        return S3Sink.builder().bucket(bucket).prefix("repo").endpoint(server.endpoint()).pathStyle(true)
                .region(S3TestServer.REGION).credentials(server.credentials()).partSize(S3Sink.MIN_PART_SIZE);
    }
}
