package com.mintreplica.backup.storage.s3;

import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.testkit.http.FaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The set-up of the S3 Sink's fault tests: each test gets a new bucket on the shared test server and a
 * {@link FaultProxy} in front of the server, a Sink that goes through the proxy and one that goes straight to the
 * store (to see what it really holds).
 */
abstract class FaultProxyBucketTest {
    protected FaultProxy proxy;
    protected String bucket;

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new FaultProxy(S3TestSinks.server().endpoint());
        bucket = S3TestSinks.server().newBucket();
    }

    @AfterEach
    void stopProxy() throws Exception {
        proxy.close();
    }

    /** A Sink on the test's bucket whose every request goes through the proxy. */
    S3Sink.Builder throughProxy() {
        return S3TestSinks.sink(bucket).endpoint(proxy.endpoint());
    }

    /** A Sink on the test's bucket that reaches the store without the proxy. */
    S3Sink direct() {
        return S3TestSinks.sink(bucket).build();
    }

    /** Small chunks and packs: a few MiB make many objects, so faults hit some of them. */
    static RepositorySettings small() {
        return RepositorySettings.defaults().withChunkSizes(64 * 1024, 128 * 1024, 256 * 1024).withPackSize(1024 * 1024);
    }
}
