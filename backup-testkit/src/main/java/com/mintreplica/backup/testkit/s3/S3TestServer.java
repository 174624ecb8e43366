package com.mintreplica.backup.testkit.s3;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-protocol server in the test JVM (s3proxy, SigV4 authentication) on a free loopback port, for tests of
 * anything that speaks S3: the S3 Sink, {@code s3://} repositories through the CLI or the jobs layer, copies across
 * stores. Put a {@link com.mintreplica.backup.testkit.http.FaultProxy} in front of {@link #endpoint()} to make chosen
 * requests fail.
 *
 * <p>Objects live in memory ({@link #start()}) or in a directory ({@link #onDisk(Path)}, for tests that store more than
 * a heap holds); {@link #shared()} is one in-memory server for the whole JVM, for tests that each work in a bucket of
 * their own ({@link #newBucket()}). The server has one key pair, {@link #accessKey()} and {@link #secretKey()}, that
 * tests hand to their client, to the SDK's default chain ({@link #exportCredentials()}) or to a child process
 * ({@link #credentialsEnvironment()}); {@link #credentials()} and {@link #client()} give them to the AWS SDK.
 *
 * <p>s3proxy is an optional dependency of the test kit (it brings Jetty and the AWS SDK, which an app's tests should
 * not get unasked): a module that uses this class declares {@code org.gaul:s3proxy} in its test scope.
 *
 * <pre>{@code
 * try (S3TestServer s3 = S3TestServer.start(); FaultProxy faults = new FaultProxy(s3.endpoint())) {
 *     s3.createBucket("backups");
 *     s3.exportCredentials();                       // until close(): aws.accessKeyId and aws.secretAccessKey
 *     String repo = s3.repositoryUri("backups", "mint/prod", faults.endpoint());
 *     // s3://backups/mint/prod?region=us-east-1&endpoint=http://127.0.0.1:<proxy port>&pathStyle=true
 * }
 * }</pre>
 */
public final class S3TestServer implements AutoCloseable {
    /** The region the server answers for (s3proxy takes any; clients must name one). */
    public static final String REGION = "us-east-1";
    private static final String ACCESS_KEY = "test-access-key";
    private static final String SECRET_KEY = "test-secret-key-not-real";
    private static final String ACCESS_PROPERTY = "aws.accessKeyId";
    private static final String SECRET_PROPERTY = "aws.secretAccessKey";
    private static final long START_TIMEOUT_NANOS = 10_000_000_000L;
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3TestServer shared;

    private final BlobStore store;
    private final S3Proxy proxy;
    private final URI endpoint;
    private boolean exported;

    private S3TestServer(BlobStore store) {
        this.store = store;
        this.proxy = S3Proxy.builder().blobStore(store)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .build();
        try {
            proxy.start();
            long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("s3proxy did not start within 10 s: its state is "
                            + proxy.getState());
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopQuietly();
            throw new IllegalStateException("interrupted while s3proxy was starting", e);
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        } catch (Exception e) {
            stopQuietly();
            throw new IllegalStateException("s3proxy did not start: " + e.getMessage(), e);
        }
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** Starts a server whose objects live in memory; {@link #close()} stops it and drops them. */
    public static S3TestServer start() {
        return new S3TestServer(new TransientNio2BlobStore());
    }

    /** Starts a server whose buckets are subdirectories of {@code directory} (which must exist). */
    public static S3TestServer onDisk(Path directory) {
        return new S3TestServer(new FilesystemNio2BlobStore(directory.toAbsolutePath().toString()));
    }

    /**
     * The in-memory server of this JVM, started on first use and stopped when the JVM exits; tests that use it create
     * their own buckets ({@link #newBucket()}) and do not close it.
     */
    public static synchronized S3TestServer shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /** Where the server listens: {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The access key id the server accepts. */
    public String accessKey() {
        return ACCESS_KEY;
    }

    /** The secret access key that goes with {@link #accessKey()} (a test value, not a secret). */
    public String secretKey() {
        return SECRET_KEY;
    }

    /** The server's key pair, for an S3 Sink's builder or an SDK client. */
    public AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** An SDK client of this server (path-style, {@link #REGION}); the caller closes it. */
    public S3Client client() {
        return client(endpoint);
    }

    /** An SDK client with this server's keys that reaches it through {@code via} (a proxy in front of it). */
    public S3Client client(URI via) {
        return S3Client.builder().endpointOverride(via).region(Region.of(REGION)).forcePathStyle(true)
                .credentialsProvider(credentials()).build();
    }

    /** Creates an empty bucket named {@code name} and returns the name. */
    public String createBucket(String name) {
        Objects.requireNonNull(name, "name");
        if (store.containerExists(name)) {
            throw new IllegalStateException("bucket " + name + " already exists on this test S3 server");
        }
        store.createContainer(name);
        return name;
    }

    /** Creates an empty bucket with a name no other test of this JVM uses, and returns the name. */
    public String newBucket() {
        return createBucket("test-" + BUCKETS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** The {@code s3://} repository location of {@code prefix} in {@code bucket} on this server. */
    public String repositoryUri(String bucket, String prefix) {
        return repositoryUri(bucket, prefix, endpoint);
    }

    /**
     * The {@code s3://} repository location of {@code prefix} in {@code bucket}, reached through {@code via} (a proxy in
     * front of this server, such as a {@link com.mintreplica.backup.testkit.http.FaultProxy}).
     */
    public String repositoryUri(String bucket, String prefix, URI via) {
        return "s3://" + bucket + "/" + prefix + "?region=" + REGION + "&endpoint=" + via + "&pathStyle=true";
    }

    /**
     * Sets the system properties the AWS SDK's default credentials chain reads ({@code aws.accessKeyId},
     * {@code aws.secretAccessKey}) to this server's keys, as an operator's {@code AWS_ACCESS_KEY_ID} and
     * {@code AWS_SECRET_ACCESS_KEY} would be; {@link #close()} clears them.
     */
    public S3TestServer exportCredentials() {
        System.setProperty(ACCESS_PROPERTY, ACCESS_KEY);
        System.setProperty(SECRET_PROPERTY, SECRET_KEY);
        exported = true;
        return this;
    }

    /** The environment variables that give a child process (the CLI, the aws CLI) this server's keys. */
    public Map<String, String> credentialsEnvironment() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    /**
     * Stops the server (its in-memory objects are gone) and clears the credentials {@link #exportCredentials()} set.
     * The {@link #shared()} server is not stopped: other tests of the JVM use it.
     */
    @Override
    public void close() {
        if (exported) {
            System.clearProperty(ACCESS_PROPERTY);
            System.clearProperty(SECRET_PROPERTY);
            exported = false;
        }
        synchronized (S3TestServer.class) {
            if (this == shared) {
                return;
            }
        }
        stopQuietly();
    }

    private void stopQuietly() {
        try {
            proxy.stop();
        } catch (Exception e) {
            // stopping a server that failed to start, or that stopped already: nothing left to do
        }
    }
}
