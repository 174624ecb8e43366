package com.mintreplica.backup.jobs.archfixture;

import com.mintreplica.backup.storage.s3.S3Sink;

/** Deliberately breaks "jobs imports no adapter": a jobs package naming the S3 Sink. */
public final class ImportsS3Sink {
    private ImportsS3Sink() {
    }

    public static S3Sink.Builder s3() {
        return S3Sink.builder().bucket("b");
    }
}
