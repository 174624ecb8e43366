package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mintreplica.backup.testkit.gpg.GnuPGExtension;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disaster recovery: jobs back up into an encrypted S3 repository (s3proxy in the test JVM); then the machine, its
 * config and its data are gone, and {@code recover} on an empty working directory, given only the bucket's address
 * and the key, lists the jobs and restores their latest snapshots.
 */
class RecoverS3Test {
    @RegisterExtension
    static final GnuPGExtension OPS = GnuPGExtension.withKey("Ops <ops@mint.example>", "future-default");

    @TempDir
    Path temp;
    private S3TestServer s3;
    private String repo;
    private Path site;

    @BeforeEach
    void start() throws Exception {
        s3 = S3TestServer.start().exportCredentials();
        s3.createBucket("offsite");
        repo = s3.repositoryUri("offsite", "mint");

        // The lost machine: its data, its config and its keys' copies.
        site = temp.resolve("site");
        Files.createDirectories(site.resolve("etc/mint"));
        Files.createDirectories(site.resolve("www"));
        Files.writeString(site.resolve("etc/mint/app.yaml"), "db: postgresql://db/mint\nversion: 1\n");
        Files.writeString(site.resolve("www/index.html"), "<h1>Mint</h1>\n");
        Files.writeString(site.resolve("jobs.yaml"), """
                keys:
                  ops:
                    secret: %s
                    passphrase: file:%s
                repositories:
                  offsite:
                    location: "%s"
                    encryption: {recipients: [ops], unlock: [ops]}
                jobs:
                  etc:
                    source: {paths: [%s]}
                    repository: offsite
                  www:
                    source: {paths: [%s]}
                    repository: offsite
                """.formatted(OPS.key().secretFile(), OPS.gpg().passphraseFile, repo, site.resolve("etc"), site.resolve("www")));
    }

    @AfterEach
    void stop() throws Exception {
        s3.close();
    }

    private static Cli.Result run(int expected, String... args) {
        Cli.Result r = Cli.run(Map.of(), args);
        assertThat(r.code()).as(r.toString()).isEqualTo(expected);
        return r;
    }

    private String[] recover(String... more) {
        return Stream.concat(Stream.of("recover", "--repo", repo, "--key", OPS.key().secretFile().toString(), "--passphrase-file",
                OPS.gpg().passphraseFile.toString()), Stream.of(more)).toArray(String[]::new);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void recover_on_an_empty_machine_lists_the_jobs_from_the_bucket_alone_and_restores_their_latest_snapshots()
            throws Exception {
        String config = site.resolve("jobs.yaml").toString();
        run(0, "run", "--config", config);
        Files.writeString(site.resolve("etc/mint/app.yaml"), "db: postgresql://db/mint\nversion: 2\n");
        JsonNode second = new ObjectMapper().readTree(run(0, "run", "--config", config, "--json").out());
        String latestEtc = second.get(0).get("snapshot").asText();
        String latestWww = second.get(1).get("snapshot").asText();
        Path lostEtc = site.resolve("etc");
        Path lostWww = site.resolve("www");
        // The key survives in the safe; everything else of the machine is gone.
        deleteTree(site);
        Path fresh = Files.createDirectories(temp.resolve("fresh"));

        Cli.Result listing = run(0, recover());
        assertThat(listing.out()).contains("2 jobs and sources").contains("(encrypted, openpgp)")
                .contains(latestEtc).contains(latestWww)
                .contains("--restore etc=").contains("--all --target-dir");
        assertThat(listing.out().lines().filter(l -> l.startsWith("etc ")).findFirst().orElseThrow())
                .contains("fs").contains(latestEtc);
        JsonNode groups = new ObjectMapper().readTree(run(0, recover("--json")).out()).get("groups");
        assertThat(groups).extracting(g -> g.get("name").asText()).containsExactly("etc", "www");
        assertThat(groups.get(0).get("snapshots").asInt()).isEqualTo(2);
        assertThat(groups.get(0).get("latest").get("id").asText()).isEqualTo(latestEtc);

        Cli.Result restored = run(0, recover("--all", "--target-dir", fresh.toString()));
        assertThat(restored.out()).contains("restore etc: snapshot " + latestEtc).contains("all 2 restores done");
        assertThat(fresh.resolve("etc").resolve(lostEtc.toString().substring(1)).resolve("mint/app.yaml"))
                .hasContent("db: postgresql://db/mint\nversion: 2\n");
        assertThat(fresh.resolve("www").resolve(lostWww.toString().substring(1)).resolve("index.html"))
                .hasContent("<h1>Mint</h1>\n");

        // again: the directories are not empty now, so nothing is overwritten, and it says so
        Cli.Result again = run(2, recover("--all", "--target-dir", fresh.toString()));
        assertThat(again.err()).contains("nothing was restored").contains(fresh.resolve("etc") + " is not empty");

        Path one = temp.resolve("just-www");
        run(0, recover("--restore", "www=" + one));
        assertThat(one.resolve(lostWww.toString().substring(1)).resolve("index.html")).hasContent("<h1>Mint</h1>\n");
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void the_restore_commands_recover_prints_run_as_printed_in_a_shell() throws Exception {
        run(0, "run", "--config", site.resolve("jobs.yaml").toString());
        Path lostEtc = site.resolve("etc");
        Path restore = temp.resolve("restore here");   // a space, to be quoted too
        Path bin = temp.resolve("bin");
        Shells.mintBackupCommand(bin);

        Cli.Result listing = run(0, recover("--target-dir", restore.toString()));
        String command = listing.out().lines().map(String::strip)
                .filter(l -> l.startsWith("mint-backup recover") && l.contains(" --restore 'etc=")).findFirst()
                .orElseThrow(() -> new AssertionError(listing.out()));
        assertThat(command).as("the URI's & is quoted").contains("'" + repo + "'")
                .contains("--passphrase-file " + OPS.gpg().passphraseFile);

        Map<String, String> env = new HashMap<>(s3.credentialsEnvironment());
        env.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        String output = Shells.run(command, env, temp, 120);
        assertThat(output).contains("restore etc: snapshot");
        assertThat(restore.resolve("etc").resolve(lostEtc.toString().substring(1)).resolve("mint/app.yaml"))
                .hasContent("db: postgresql://db/mint\nversion: 1\n");
    }

    @Test
    void a_plan_with_mistakes_restores_nothing_and_names_each_mistake() throws Exception {
        run(0, "run", "--config", site.resolve("jobs.yaml").toString());
        Path fresh = temp.resolve("fresh");

        Cli.Result r = run(2, recover("--restore", "etcc=" + fresh, "--restore", "www=postgresql://postgres@db/"));
        assertThat(r.err()).contains("no job or source 'etcc'").contains("it holds [etc, www]")
                .contains("www holds fs snapshots").contains("cannot be restored to 'postgresql://***@db/'");
        assertThat(fresh).doesNotExist();

        Cli.Result noDir = run(2, recover("--all"));
        assertThat(noDir.err()).contains("etc holds files: give --target-dir DIR");

        Cli.Result withoutKey = run(2, "recover", "--repo", repo);
        assertThat(withoutKey.err()).containsIgnoringCase("key");
        Cli.Result asOfLocal = run(2, "recover", "--repo", temp.resolve("nowhere").toString(), "--as-of", "2026-11-20T00:00:00Z");
        assertThat(asOfLocal.err()).contains("--as-of reads the object versions of an S3 bucket");
        Cli.Result dryRun = run(0, recover("--dry-run", "--all", "--target-dir", fresh.toString()));
        assertThat(dryRun.out()).contains("would restore etc").contains("would restore www");
        assertThat(fresh).doesNotExist();
    }
}
