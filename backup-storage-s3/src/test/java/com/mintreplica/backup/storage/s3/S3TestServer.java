package com.mintreplica.backup.storage.s3;

import java.net.URI;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-protocol server in the test JVM: s3proxy on its in-memory (transient) blob store, on a free loopback port,
 * with SigV4 authentication. Started once per JVM and shared; every test works in a bucket of its own.
 */
final class S3TestServer {
    static final String ACCESS_KEY = "test-access-key";
    static final String SECRET_KEY = "test-secret-key-not-real";
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3TestServer instance;

    private final S3Proxy proxy;
    private final URI endpoint;

    private S3TestServer() throws Exception {
        proxy = S3Proxy.builder()
                .blobStore(new TransientNio2BlobStore())
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    static synchronized S3TestServer get() throws Exception {
        if (instance == null) {
            instance = new S3TestServer();
        }
        return instance;
    }

    URI endpoint() {
        return endpoint;
    }

    static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    S3Client client() {
        return client(endpoint);
    }

    static S3Client client(URI endpoint) {
        return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(credentials()).build();
    }

    /** Creates a new, empty bucket and returns its name. */
    String newBucket() {
        String name = "test-" + BUCKETS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (S3Client c = client()) {
            c.createBucket(r -> r.bucket(name));
        }
        return name;
    }

    /** A builder for a Sink on a new bucket of this server. */
    S3Sink.Builder sinkOnNewBucket() {
        return sink(newBucket());
    }

    S3Sink.Builder sink(String bucket) {
        return S3Sink.builder().bucket(bucket).prefix("repo").endpoint(endpoint).pathStyle(true).region("us-east-1")
                .credentials(credentials()).partSize(S3Sink.MIN_PART_SIZE);
    }
}
