package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real PostgreSQL 15 whose {@code archive_command} fails ({@code false}), and a PostgreSQL job with
 * {@code wal-stall-after}: {@code status} warns and exits 1, {@code doctor} reports the problem, and the daemon's
 * scrape has {@code mint_backup_wal_archiving_stalled 1} for the job and every {@code mint_backup_wal_*} name the
 * alert rules use.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WalHealthCliIT {
    private static final Pattern METRIC = Pattern.compile("\\bmint_backup_wal_[a-z_]+");
    static PostgresCluster pg;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() throws Exception {
        // archive_command from postgresql.auto.conf: a -c setting on the command line would win over ALTER SYSTEM.
        pg = PostgresCluster.builder().setting("archive_mode", "on").start();
        pg.archiveCommand("false");
        Thread.sleep(300);
        pg.sql("postgres", "create table t(x int); insert into t values (1); select pg_switch_wal();");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (pg.query("postgres", "select failed_count from pg_stat_archiver").strip().equals("0")) {
            assertThat(System.nanoTime()).as("archive_command fails within 30 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    private Path config() throws Exception {
        Path config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                repositories:
                  primary:
                    location: %s
                jobs:
                  ledger:
                    source:
                      location: %s
                      password: env:LEDGER_PASSWORD
                      options:
                        wal-stall-after: 10m
                    repository: primary
                """.formatted(temp.resolve("repo"), pg.uri("postgres")));
        Cli.Result init = Cli.run("init", "--repo", temp.resolve("repo").toString());
        assertThat(init.code()).as(init.toString()).isZero();
        return config;
    }

    private static Map<String, String> env() {
        return Map.of("LEDGER_PASSWORD", pg.password().reveal());
    }

    @Test
    void statusAndDoctorSayArchiveCommandIsFailing() throws Exception {
        Path config = config();
        Cli.Result status = Cli.run(env(), "status", "--config", config.toString());
        assertThat(status.code()).as(status.toString()).isEqualTo(1);
        assertThat(status.err()).contains("warning: job ledger: wal-archiving: archive_command is failing on")
                .contains("wal-repository: the repository holds no WAL for 'ledger'")
                .doesNotContain(pg.password().reveal());

        Cli.Result doctor = Cli.run(env(), "doctor", "--config", config.toString());
        assertThat(doctor.code()).as(doctor.toString()).isNotZero();
        assertThat(doctor.out() + doctor.err()).contains("archive_command is failing")
                .doesNotContain(pg.password().reveal());
    }

    @Test
    void theDaemonExportsTheWalMetersTheAlertRuleUses() throws Exception {
        Path config = config();
        InProcessDaemon daemon = InProcessDaemon.start(env(), "--config", config.toString(),
                "--metrics-address", "127.0.0.1:0", "--wal-check-interval", "1");
        try {
            String url = daemon.awaitMetricsUrl();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String scrape = get(url);
            while (!scrape.contains("mint_backup_wal_archiving_stalled{backup_job=\"ledger\"")) {
                assertThat(System.nanoTime()).as("the WAL meters within 60 s: %s", scrape).isLessThan(deadline);
                Thread.sleep(200);
                scrape = get(url);
            }
            assertThat(value(scrape, "mint_backup_wal_archiving_stalled")).isEqualTo(1.0);
            assertThat(value(scrape, "mint_backup_wal_archive_failures")).isPositive();
            Set<String> exported = new TreeSet<>();
            for (String line : scrape.split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    exported.add(line.split("[{ ]", 2)[0]);
                }
            }
            Set<String> used = new TreeSet<>();
            Matcher m = METRIC.matcher(Files.readString(Path.of("..", "docs", "monitoring", "prometheus-alerts.yaml")));
            while (m.find()) {
                used.add(m.group());
            }
            assertThat(used).contains("mint_backup_wal_archiving_stalled");
            assertThat(exported).containsAll(used);
        } finally {
            daemon.stop(Duration.ofSeconds(60));
        }
        assertThat(daemon.isAlive()).isFalse();
        assertThat(daemon.exitCode()).isZero();
    }

    /** A job with {@code wal-receive: true}: the daemon streams its WAL into the job's archive while it runs. */
    @Test
    void theDaemonStreamsAJobsWal() throws Exception {
        try (PostgresCluster source = PostgresCluster.builder().allowReplication().start()) {
            Path repo = temp.resolve("stream-repo");
            Path config = temp.resolve("stream.yaml");
            Files.writeString(config, """
                    repositories:
                      primary:
                        location: %s
                    jobs:
                      books:
                        source:
                          location: %s
                          password: env:BOOKS_PASSWORD
                          options:
                            wal-receive: true
                            wal-slot: daemon_slot
                            wal-create-slot: true
                        repository: primary
                    """.formatted(repo, source.uri("postgres")));
            assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
            InProcessDaemon daemon = InProcessDaemon.start(Map.of("BOOKS_PASSWORD", source.password().reveal()),
                    "--config", config.toString());
            try {
                source.sql("postgres", "create table t(x int); insert into t select generate_series(1, 1000)");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!hasPartial(repo)) {
                    assertThat(System.nanoTime()).as("the daemon streams WAL within 60 s: %s", daemon.output())
                            .isLessThan(deadline);
                    Thread.sleep(200);
                }
                assertThat(daemon.output()).contains("job books: streaming WAL from")
                        .doesNotContain(source.password().reveal());
                assertThat(source.query("postgres", "select active from pg_replication_slots where slot_name ="
                        + " 'daemon_slot'").strip()).isEqualTo("t");
            } finally {
                daemon.stop(Duration.ofSeconds(60));
            }
            assertThat(daemon.isAlive()).isFalse();
            assertThat(daemon.exitCode()).isZero();
        }
    }

    private static boolean hasPartial(Path repo) throws Exception {
        Path wal = repo.resolve("wal");
        if (!Files.exists(wal)) {
            return false;
        }
        try (var files = Files.walk(wal)) {
            return files.anyMatch(p -> p.getFileName().toString().contains(".partial-"));
        }
    }

    private static double value(String scrape, String metric) {
        Matcher m = Pattern.compile("^" + Pattern.quote(metric) + "\\{[^}]*backup_job=\"ledger\"[^}]*} (\\S+)$",
                Pattern.MULTILINE).matcher(scrape);
        assertThat(m.find()).as("%s of ledger in %s", metric, scrape).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }
}
