package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.crypto.KeyManager;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpSecretKey;
import com.mintreplica.backup.crypto.WriterKey;
import com.mintreplica.backup.fs.DirectorySource;
import com.mintreplica.backup.storage.s3.S3Sink;
import com.mintreplica.backup.testkit.MemoryTarget;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.testkit.gpg.GnuPGExtension;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 policy for a writer in docs/writer-iam-policy.json is enough for everything a writer does, and no more: a
 * writer backs up (twice, deduplicating) and copies into the repository through a proxy that enforces exactly that
 * policy in front of s3proxy, with no request denied; through the same proxy, reading data or manifests, deleting
 * anything but a lease, and replacing an object are refused. (s3proxy has no IAM and no Object Lock: the proxy stands
 * in for IAM; Object Lock is configured on the bucket and is not exercised here.)
 */
@Timeout(300)
class WriterS3PolicyTest {
    static final String BUCKET = "backups";
    static final String PREFIX = "mint/prod";
    @RegisterExtension
    static final GnuPGExtension OPS = GnuPGExtension.withKey("Ops <ops@mint.example>", "future-default");

    @TempDir
    Path temp;
    S3TestServer s3;
    URI endpoint;
    IamPolicyProxy proxy;

    @BeforeEach
    void start() throws Exception {
        s3 = S3TestServer.start();
        endpoint = s3.endpoint();
        s3.createBucket(BUCKET);
        proxy = new IamPolicyProxy(endpoint, policyFile(), BUCKET, PREFIX);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        s3.close();
    }

    static Path policyFile() {
        Path here = Path.of("").toAbsolutePath();
        Path file = here.resolve("docs/writer-iam-policy.json");
        return Files.exists(file) ? file : here.getParent().resolve("docs/writer-iam-policy.json");
    }

    private S3Sink sink(URI endpoint) {
        return S3Sink.builder().bucket(BUCKET).prefix(PREFIX).region(S3TestServer.REGION).endpoint(endpoint).pathStyle(true)
                .credentials(s3.credentials()).partSize(S3Sink.MIN_PART_SIZE).build();
    }

    private static OpenPgpSecretKey secret() {
        return OpenPgpKeys.secretKey(OPS.key().secretFile(), Secret.of(GnuPG.PASSPHRASE));
    }

    @Test
    void the_documented_writer_policy_allows_everything_a_writer_does_and_nothing_that_reads_or_deletes_data() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        byte[] big = new byte[12 << 20]; // more than a part: a multipart upload
        new Random(1).nextBytes(big);
        Files.write(data.resolve("big.bin"), big);
        Files.writeString(data.resolve("small.txt"), "mint\n");

        Path writerFile = temp.resolve("app1.key");
        try (S3Sink admin = sink(endpoint)) {
            Repository.init(admin, RepositorySettings.defaults(), OpenPgpEncryption.to(OpenPgpKeys.publicKey(OPS.key().publicFile()))).close();
            try (KeyManager keys = KeyManager.open(admin, secret())) {
                keys.exportWriter("app1").write(writerFile);
            }
        }
        WriterKey writer = WriterKey.load(writerFile).withCacheDirectory(temp.resolve("cache"));

        // everything a writer does, through the policy: back up twice, and copy from a local repository
        Path local = temp.resolve("local");
        try (LocalDirectorySink localSink = new LocalDirectorySink(local); Repository source = Repository.init(localSink)) {
            Backup.pipeline().source(DirectorySource.builder().root(data).build()).to(source).build().run();
        }
        BackupResult second;
        try (S3Sink writerSink = sink(proxy.endpoint());
             Repository repo = Repository.open(writerSink, OpenPgpEncryption.writeWith(writer))) {
            Backup.pipeline().source(DirectorySource.builder().root(data).build()).to(repo).host("app1").build().run();
            second = Backup.pipeline().source(DirectorySource.builder().root(data).build()).to(repo).host("app1").build().run();
            try (LocalDirectorySink localSink = new LocalDirectorySink(local); Repository source = Repository.open(localSink)) {
                assertThat(source.copyTo(repo).copied()).hasSize(1);
            }
        }
        assertThat(second.snapshot().stats().bytesRead()).isZero();
        assertThat(proxy.denied()).as("requests the policy refused").isEmpty();
        assertThat(proxy.decisions()).extracting(IamPolicyProxy.Decision::action)
                .contains("s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject");
        assertThat(proxy.decisions()).filteredOn(d -> d.method().equals("POST") && d.target().contains("uploads")).isNotEmpty();

        // what a writer never gets: data, manifests, session keys, deleting or replacing what readers rely on
        String pack;
        String manifest;
        try (S3Client direct = s3.client()) {
            List<String> keys = direct.listObjectsV2(r -> r.bucket(BUCKET).prefix(PREFIX + "/")).contents().stream()
                    .map(o -> o.key()).toList();
            pack = keys.stream().filter(k -> k.startsWith(PREFIX + "/data/")).findFirst().orElseThrow();
            manifest = keys.stream().filter(k -> k.startsWith(PREFIX + "/snapshots/")).findFirst().orElseThrow();
        }
        try (S3Client asWriter = s3.client(proxy.endpoint())) {
            for (String key : List.of(pack, manifest, PREFIX + "/sessions/x")) {
                assertThatThrownBy(() -> asWriter.getObjectAsBytes(r -> r.bucket(BUCKET).key(key)))
                        .isInstanceOf(S3Exception.class).satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
            }
            for (String key : List.of(pack, manifest, PREFIX + "/index/x", PREFIX + "/keys/x", PREFIX + "/config")) {
                assertThatThrownBy(() -> asWriter.deleteObject(r -> r.bucket(BUCKET).key(key)))
                        .isInstanceOf(S3Exception.class).satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
            }
            assertThatThrownBy(() -> asWriter.putObject(r -> r.bucket(BUCKET).key(manifest), RequestBody.fromString("forged")))
                    .as("replacing a manifest").isInstanceOf(S3Exception.class);
            assertThatThrownBy(() -> asWriter.putObject(r -> r.bucket(BUCKET).key(PREFIX + "/keys/evil"), RequestBody.fromString("x")))
                    .as("adding a recipient").isInstanceOf(S3Exception.class);
            assertThatThrownBy(() -> asWriter.putObject(r -> r.bucket(BUCKET).key(PREFIX + "/writers/9999999999"),
                    RequestBody.fromString("x"))).as("adding a writer").isInstanceOf(S3Exception.class);
            assertThatThrownBy(() -> asWriter.listObjectsV2(r -> r.bucket(BUCKET).prefix("other/")))
                    .as("listing outside the repository").isInstanceOf(S3Exception.class);
        }

        // a reader, with full access, restores what the writer stored
        try (S3Sink admin = sink(endpoint);
             Repository repo = Repository.open(admin, OpenPgpEncryption.unlockWith(secret()))) {
            MemoryTarget target = new MemoryTarget();
            repo.restore(SnapshotSelector.parse(second.snapshot().id())).to(target).run();
            Map<String, byte[]> files = target.files();
            assertThat(files.values()).anySatisfy(b -> assertThat(b).isEqualTo(big));
            assertThat(repo.snapshots()).hasSize(3);
        }
    }
}
