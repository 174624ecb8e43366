package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of jobs: a config with a directory job and a PostgreSQL job (a real cluster), a local primary
 * and an S3 copy (s3proxy in the test JVM): `mint-backup run` makes the snapshots in both, applies each job's
 * retention in both, and writes the audit lines; no password reaches an output, a log line or an audit line.
 */
class CliJobsPostgresIT {
    static PostgresCluster pg;

    @TempDir
    Path temp;
    Path data;
    Path primary;
    Path audit;
    Path config;
    Map<String, String> env;
    S3TestServer s3;
    String s3Location;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        pg.createDatabase("mint_replica");
        pg.sql("mint_replica", """
                create table ledger (id serial primary key, account text not null, amount numeric(12,2) not null);
                insert into ledger (account, amount) select 'acct-' || (g % 100), g * 0.5 from generate_series(1, 20000) g;
                """);
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @BeforeEach
    void startS3() throws Exception {
        s3 = S3TestServer.start().exportCredentials(); // the keys reach the CLI as the AWS default chain reads them
        s3.createBucket("offsite");
        s3Location = s3.repositoryUri("offsite", "mint-replica");
    }

    @AfterEach
    void stopS3() throws Exception {
        s3.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        data = temp.resolve("etc-mint");
        Files.createDirectories(data);
        Files.writeString(data.resolve("app.yaml"), "db: postgresql://db/mint_replica\n");
        primary = temp.resolve("primary");
        audit = temp.resolve("audit.jsonl");
        config = temp.resolve("jobs.yaml");
        env = Map.of("MINT_TEST_PG_PASSWORD", pg.password().reveal());
        Files.writeString(config, """
                host: mint-replica
                audit:
                  file: %s
                  repository: true
                repositories:
                  primary:
                    location: %s
                    copies: [s3]
                  s3:
                    location: "%s"
                jobs:
                  config-files:
                    source:
                      paths: [%s]
                    repository: primary
                    schedule: "0 */6 * * *"
                    tags: [config]
                    retention:
                      keepLast: 2
                  postgres-daily:
                    source:
                      location: postgresql://%s@%s:%d/mint_replica
                      password: env:MINT_TEST_PG_PASSWORD
                    repository: primary
                    schedule: "0 1 * * *"
                    tags: [daily]
                    retention:
                      keepLast: 1
                """.formatted(audit, primary, s3Location, data, pg.user(), pg.host(), pg.port()));
    }

    private Cli.Result run(String... args) {
        Cli.Result r = Cli.run(env, args);
        assertThat(r.toString()).doesNotContain(pg.password().reveal());
        return r;
    }

    @Test
    void run_backs_up_a_directory_and_a_database_applies_retention_and_writes_audit_lines() throws Exception {
        for (int i = 0; i < 3; i++) {
            Files.writeString(data.resolve("app.yaml"), "db: postgresql://db/mint_replica\nrevision: " + i + "\n");
            Cli.Result r = run("run", "--config", config.toString(), "--force");
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("job config-files: snapshot").contains("job postgres-daily: snapshot")
                    .contains("copied to s3");
        }
        List<Snapshot> snapshots;
        try (Repository repo = Repository.open(primary.toString())) {
            snapshots = repo.snapshots();
        }
        try (Repository offsite = Repository.open(s3Location)) {
            assertThat(offsite.snapshots()).extracting(Snapshot::id).as("the S3 copy keeps the same snapshots")
                    .containsExactlyInAnyOrderElementsOf(snapshots.stream().map(Snapshot::id).toList());
            assertThat(offsite.verify(true).ok()).isTrue();
        }
        assertThat(snapshots.stream().filter(s -> s.job().orElse("").equals("config-files")).count())
                .as("keepLast 2").isEqualTo(2);
        assertThat(snapshots.stream().filter(s -> s.job().orElse("").equals("postgres-daily")).toList())
                .as("keepLast 1").singleElement().satisfies(s -> {
                    assertThat(s.source().kind()).isEqualTo("postgresql");
                    assertThat(s.host()).isEqualTo("mint-replica");
                    assertThat(s.facts()).containsEntry("postgresql.rows.public.ledger", "20000");
                });

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            assertThat(line).doesNotContain(pg.password().reveal());
            lines.add(new ObjectMapper().readTree(line));
        }
        assertThat(lines.stream().filter(l -> l.get("operation").asText().equals("backup")
                && l.get("result").asText().equals("ok")).count()).isEqualTo(6);
        assertThat(lines.stream().filter(l -> l.get("operation").asText().equals("copy")
                && l.get("result").asText().equals("ok") && l.get("repository").asText().startsWith("s3://offsite/")).count())
                .isEqualTo(6);
        // runs 2 and 3, in the primary then in the copy
        assertThat(lines.stream().filter(l -> l.get("operation").asText().equals("forget")).map(l -> l.get("job").asText()))
                .containsExactly("postgres-daily", "postgres-daily", "config-files", "config-files", "postgres-daily", "postgres-daily");
        assertThat(lines).allSatisfy(l -> {
            assertThat(l.get("host").asText()).isNotEmpty();
            assertThat(l.get("user").asText()).isNotEmpty();
        });
        assertThat(run("audit", "verify", "--config", config.toString()).code()).isZero();
        assertThat(run("status", "--config", config.toString()).code()).isZero();
    }

    @Test
    void a_wrong_password_fails_the_job_with_a_clear_error_and_no_secret_anywhere() throws Exception {
        String wrong = "wrong-secret-4711";
        Cli.Result r = Cli.run(Map.of("MINT_TEST_PG_PASSWORD", wrong), "run", "--config", config.toString(), "--job", "postgres-daily");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("job postgres-daily failed").containsIgnoringCase("password").doesNotContain(wrong);
        String auditText = Files.readString(audit);
        assertThat(auditText).contains("\"result\":\"failed\"").doesNotContain(wrong);
        Cli.Result status = Cli.run(Map.of("MINT_TEST_PG_PASSWORD", wrong), "status", "--config", config.toString(), "--json");
        assertThat(status.code()).isEqualTo(1);
        assertThat(status.toString()).doesNotContain(wrong).contains("failed");
        try (var objects = Files.walk(primary)) {
            for (Path p : objects.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1)).as(p.toString()).doesNotContain(wrong);
            }
        }
    }
}
