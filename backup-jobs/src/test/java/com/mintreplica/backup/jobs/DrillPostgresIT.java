package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.jobs.DrillReport.Status;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.config.AuditConfig;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.postgres.PostgresSource;
import com.mintreplica.backup.testkit.FactsRewritingSource;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of drills on a real PostgreSQL server (PostgresCluster) with the real pg_dump and pg_restore: a
 * PostgreSQL job and a directory job are drilled into scratch targets and pass; a row-count mismatch fails the drill
 * and names the table; no scratch database or directory is ever left behind.
 */
class DrillPostgresIT {
    private static PostgresCluster pg;

    @TempDir
    Path temp;
    Path data;
    Path scratch;
    Path audit;
    Map<String, String> env;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        pg.createDatabase("shop");
        pg.sql("shop", """
                create table customers (id serial primary key, name text not null);
                create table orders (id bigserial primary key, customer_id int references customers(id), total numeric(10,2));
                insert into customers(name) select 'customer ' || i from generate_series(1, 100) i;
                insert into orders(customer_id, total) select 1 + i % 100, i / 100.0 from generate_series(1, 5000) i;
                """);
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @BeforeEach
    void setUp() throws IOException {
        data = temp.resolve("data");
        Files.createDirectories(data.resolve("etc"));
        Files.writeString(data.resolve("etc/app.yaml"), "db: shop\n");
        scratch = Files.createDirectories(temp.resolve("scratch"));
        audit = temp.resolve("audit.jsonl");
        env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", "/nonexistent");
        env.put("SHOP_PASSWORD", pg.password().reveal());
    }

    private JobsConfig config(DrillConfig... drills) {
        JobsConfig.Builder b = JobsConfig.builder()
                .audit(AuditConfig.file(audit))
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                .job(JobConfig.builder("shop").repository("primary")
                        .source(SourceConfig.location(pg.uri("shop")).password(SecretRef.env("SHOP_PASSWORD")).build()).build())
                .job(JobConfig.builder("etc").repository("primary").source(SourceConfig.paths(data).build()).build());
        Arrays.stream(drills).forEach(b::drill);
        return b.build();
    }

    private void backUp(JobsConfig config, String job) {
        JobResult r = JobRunner.builder(config).environment(env).host("h").build().run(config.job(job), java.time.Instant.now());
        assertThat(r.succeeded()).as(r.toString()).isTrue();
    }

    private DrillRunner drills(JobsConfig config) {
        return DrillRunner.builder(config).environment(env).host("h").tempDir(scratch).build();
    }

    private static List<String> drillDatabases() {
        return pg.query("postgres", "select datname from pg_database order by 1").lines()
                .filter(n -> n.contains("_drill_") || n.contains("_mint_")).toList();
    }

    private List<Path> scratchContents() throws IOException {
        try (Stream<Path> s = Files.list(scratch)) {
            return s.toList();
        }
    }

    @Test
    void a_drill_of_every_job_restores_a_postgresql_job_and_a_directory_job_reports_pass_and_leaves_nothing_behind()
            throws Exception {
        JobsConfig config = config(DrillConfig.builder("shop-monthly", "shop")
                .smoke("select count(*) = 100 from customers").checks("row-counts", "verify", "smoke").build());
        backUp(config, "shop");
        backUp(config, "etc");
        String[] seenDatabase = new String[1];
        DrillRunner runner = DrillRunner.builder(config).environment(env).tempDir(scratch)
                .smokeCheck("shop", s -> {
                    seenDatabase[0] = s.database().orElseThrow();
                    try (Connection c = s.connect(); ResultSet rs = c.createStatement()
                            .executeQuery("select sum(total) from orders")) {
                        rs.next();
                        if (rs.getBigDecimal(1).signum() <= 0) {
                            throw new IllegalStateException("no revenue");
                        }
                    }
                }).build();

        List<DrillReport> reports = runner.runAll();

        assertThat(reports).extracting(DrillReport::drill).containsExactly("shop-monthly", "etc");
        DrillReport shop = reports.get(0);
        assertThat(shop.passed()).as(shop.summary()).isTrue();
        assertThat(shop.checks()).extracting(DrillReport.Check::name)
                .containsExactly("restore", "vacuum-analyze", "row-counts", "verify", "smoke", "cleanup");
        assertThat(shop.check("row-counts").orElseThrow().detail()).contains("all 2 tables");
        assertThat(shop.check("smoke").orElseThrow().detail()).contains("application's smoke check passed")
                .contains("smoke query returned a true value");
        assertThat(seenDatabase[0]).startsWith("shop_drill_");
        assertThat(shop.scratch()).isEqualTo("127.0.0.1:" + pg.port() + "/" + seenDatabase[0]);
        assertThat(shop.check("cleanup").orElseThrow().detail()).contains("dropped database " + seenDatabase[0]);
        assertThat(shop.restoreTime()).isPresent();
        assertThat(shop.snapshotAge()).isPresent();

        DrillReport etc = reports.get(1);
        assertThat(etc.passed()).as(etc.summary()).isTrue();
        assertThat(etc.checks()).extracting(DrillReport.Check::name).containsExactly("restore", "file-hashes", "cleanup");

        assertThat(drillDatabases()).as("no scratch database is left").isEmpty();
        assertThat(scratchContents()).as("no scratch directory is left").isEmpty();
        assertThat(pg.query("shop", "select count(*) from orders").strip()).as("the original is untouched").isEqualTo("5000");
        assertThat(AuditLog.at(audit).read()).filteredOn(l -> l.get("operation").equals("drill"))
                .extracting(l -> l.get("result")).containsExactly("ok", "ok");
    }

    @Test
    void a_row_count_mismatch_fails_the_drill_naming_the_table_and_the_scratch_database_is_dropped() throws Exception {
        JobsConfig config = config();
        // A snapshot whose recorded counts say one order more than its dump holds (as if a row vanished between the
        // count and the dump): the real pg_dump stream with one fact changed, committed as job "shop".
        Source real = PostgresSource.builder().url(pg.uri("shop")).password(pg.password()).environment(env).build();
        try (Repository repo = Repository.init(new com.mintreplica.backup.core.sink.LocalDirectorySink(temp.resolve("repo")))) {
            Backup.pipeline().source(oneOrderMore(real)).to(repo).job("shop").host("h").build().run();
        }

        DrillReport r = drills(config).runForJob("shop").get(0);

        assertThat(r.passed()).isFalse();
        assertThat(r.check("row-counts").orElseThrow()).satisfies(c -> {
            assertThat(c.status()).isEqualTo(Status.FAILED);
            assertThat(c.detail()).contains("public.orders: expected 5001 rows, found 5000");
        });
        assertThat(r.check("restore").orElseThrow().status()).isEqualTo(Status.FAILED);
        assertThat(r.check("cleanup").orElseThrow().status()).isEqualTo(Status.PASSED);
        assertThat(r.failureSummary()).contains("public.orders: expected 5001 rows, found 5000");
        assertThat(drillDatabases()).as("no scratch database is left").isEmpty();
        assertThat(AuditLog.at(audit).read()).filteredOn(l -> l.get("operation").equals("drill")).singleElement()
                .satisfies(l -> assertThat(l.get("error")).contains("public.orders: expected 5001 rows, found 5000"));
    }

    @Test
    void a_drill_onto_a_drill_server_logs_in_with_its_own_password_and_never_restores_over_the_original() throws Exception {
        env.put("DRILL_PASSWORD", pg.password().reveal());
        String server = "postgresql://postgres@127.0.0.1:" + pg.port() + "/postgres";
        JobsConfig config = config(
                DrillConfig.builder("on-drill-server", "shop").target(server).password(SecretRef.env("DRILL_PASSWORD"))
                        .option("target-database", "shop_drill_fixed").build(),
                DrillConfig.builder("over-original", "shop").option("target-database", "shop").build());
        backUp(config, "shop");

        DrillReport onServer = drills(config).run("on-drill-server");
        assertThat(onServer.passed()).as(onServer.summary()).isTrue();
        assertThat(onServer.scratch()).endsWith("/shop_drill_fixed");

        DrillReport over = drills(config).run("over-original");
        assertThat(over.passed()).isFalse();
        assertThat(over.check("scratch").orElseThrow().detail()).contains("never over it");
        assertThat(pg.query("shop", "select count(*) from orders").strip()).isEqualTo("5000");
        assertThat(drillDatabases()).isEmpty();
        assertThat(over.toJson()).doesNotContain(pg.password().reveal());
        assertThat(onServer.toJson()).doesNotContain(pg.password().reveal());
    }

    /** The real source with one more order recorded than dumped (as if one vanished between count and read). */
    private static Source oneOrderMore(Source real) {
        return FactsRewritingSource.rewriting(real, facts -> {
            facts.computeIfPresent("postgresql.rows.public.orders", (k, v) -> Long.toString(Long.parseLong(v) + 1));
            return facts;
        });
    }
}
