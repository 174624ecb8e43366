package com.mintreplica.backup.storage.s3;

import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.testkit.SinkContract;

/** The Sink conformance kit against a real S3-protocol server (s3proxy, in-memory store) in the test JVM. */
class S3SinkTest extends SinkContract {
    @Override
    protected Sink newSink() throws Exception {
        return S3TestSinks.sinkOnNewBucket().build();
    }
}
