package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code s3://} repositories through the CLI, against s3proxy in the test JVM; credentials from the SDK's chain. */
class CliS3Test {
    @TempDir
    Path temp;
    private S3Proxy server;
    private String repo;

    @BeforeEach
    void start() throws Exception {
        server = S3Proxy.builder().blobStore(new TransientNio2BlobStore())
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "cli-access", "cli-secret-not-real")
                .endpoint(URI.create("http://127.0.0.1:0")).build();
        server.start();
        while (!"STARTED".equals(server.getState())) {
            Thread.sleep(10);
        }
        URI endpoint = URI.create("http://127.0.0.1:" + server.getPort());
        try (S3Client client = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("cli-access", "cli-secret-not-real")))
                .build()) {
            client.createBucket(r -> r.bucket("backups"));
        }
        // the AWS default chain reads these, as it reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
        System.setProperty("aws.accessKeyId", "cli-access");
        System.setProperty("aws.secretAccessKey", "cli-secret-not-real");
        repo = "s3://backups/mint/prod?region=us-east-1&endpoint=" + endpoint + "&pathStyle=true";
    }

    @AfterEach
    void stop() throws Exception {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        server.stop();
    }

    private static Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void an_s3_repository_is_initialised_backed_up_listed_copied_and_restored_through_the_cli() throws Exception {
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        byte[] ledger = new byte[1_500_000];
        new Random(3).nextBytes(ledger);
        Files.write(data.resolve("ledger.bin"), ledger);

        ok("init", "--repo", repo);
        String id = ok("backup", "--repo", repo, data.toString()).out().split(" ")[1];
        assertThat(ok("list", "--repo", repo).out()).contains(id);
        assertThat(ok("verify", "--repo", repo, "--read-data").out()).contains("no problems found");

        String local = temp.resolve("local").toString();
        ok("init", "--repo", local);
        assertThat(ok("copy", "--from", repo, "--to", local).out()).contains("copied snapshot " + id);
        Path target = temp.resolve("restored");
        ok("restore", "--repo", local, id, "--target", target.toString());
        assertThat(target.resolve(data.toString().substring(1)).resolve("ledger.bin")).hasBinaryContent(ledger);
    }

    @Test
    void credentials_in_an_s3_uri_are_refused_and_not_printed() {
        Cli.Result r = Cli.run("list", "--repo", "s3://AKIAEXAMPLE:verysecret@backups/p?region=us-east-1");
        assertThat(r.code()).isEqualTo(MintBackup.USAGE);
        assertThat(r.err()).contains("default chain").doesNotContain("verysecret");
    }
}
