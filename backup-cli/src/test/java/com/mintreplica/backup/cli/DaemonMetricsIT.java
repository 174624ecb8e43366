package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mint-backup daemon --metrics-address}: a real daemon serves its jobs' meters for Prometheus, and every metric
 * name that docs/monitoring's Grafana dashboard and alert rules use is one it really exports. Slow (an IT): the jobs
 * run on a every-minute schedule, so the test waits for the next minute.
 */
@Timeout(180)
class DaemonMetricsIT {
    private static final Path DOCS = Path.of("..", "docs", "monitoring");
    private static final Pattern METRIC = Pattern.compile("\\bmint_backup_[a-z_]+");

    @TempDir
    Path temp;

    @Test
    void the_daemon_serves_its_jobs_meters_and_the_dashboard_and_alert_rules_use_only_names_it_exports() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("app.yaml"), "currency: EUR\n");
        Path config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                repositories:
                  primary:
                    location: %s
                jobs:
                  files:
                    source:
                      paths: [%s]
                    repository: primary
                    schedule: "* * * * *"
                  yearly:
                    source:
                      paths: [%s]
                    repository: primary
                    schedule: "0 0 1 1 *"
                  broken:
                    source:
                      paths: [%s]
                    repository: primary
                    schedule: "* * * * *"
                drills:
                  files-check:
                    job: files
                    schedule: "* * * * *"
                    checks: [file-hashes, verify]
                """.formatted(temp.resolve("repo"), data, data, temp.resolve("does-not-exist")));
        // A snapshot before the daemon starts, of a job that does not run during the test: its time is the job's
        // last success from the first scrape on.
        Cli.Result first = Cli.run("run", "--config", config.toString(), "--job", "yearly", "--force");
        assertThat(first.code()).as(first.toString()).isZero();
        Instant before = Instant.now();

        long startMinute = Instant.now().getEpochSecond() / 60;
        InProcessDaemon daemon = InProcessDaemon.start(Map.of(), "--config", config.toString(),
                "--metrics-address", "127.0.0.1:0");
        try {
            String url = daemon.awaitMetricsUrl();
            String scrape = get(url);
            // each minute slot since the start runs once (the current minute's slot counts as coming): a start just
            // before a minute's end sees two slots before the first scrape
            double slotsSoFar = 1 + Instant.now().getEpochSecond() / 60 - startMinute;
            double lastSuccess = value(scrape, "mint_backup_job_last_success_seconds", "yearly");
            assertThat(lastSuccess).as("seeded from the repository's newest snapshot")
                    .isBetween((double) before.getEpochSecond() - 120, (double) before.getEpochSecond() + 1);
            // registered before any run (at 0; the runs of the slots since the start may have counted already)
            assertThat(value(scrape, "mint_backup_job_failures_total", "broken")).isBetween(0.0, slotsSoFar);
            assertThat(value(scrape, "mint_backup_job_failures_total", "_drill-files-check")).isBetween(0.0, slotsSoFar);

            // the next minute's slot: files succeeds, broken fails, the drill passes
            long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
            while (!(has(scrape, "mint_backup_job_failures_total", "broken", 1)
                    && scrape.contains("mint_backup_job_duration_seconds_count{backup_job=\"files\",outcome=\"succeeded\"")
                    && scrape.contains("mint_backup_job_duration_seconds_count{backup_job=\"_drill-files-check\",outcome=\"succeeded\"")
                    && scrape.contains("mint_backup_job_bytes_count{backup_job=\"files\""))) {
                assertThat(System.nanoTime()).as("the scheduled runs are seen in:\n%s\n%s", scrape, daemon.output())
                        .isLessThan(deadline);
                Thread.sleep(500);
                scrape = get(url);
            }
            assertThat(value(scrape, "mint_backup_job_last_success_seconds", "files")).isGreaterThanOrEqualTo(lastSuccess);
            assertThat(value(scrape, "mint_backup_job_last_success_seconds", "yearly")).isEqualTo(lastSuccess);
            assertThat(scrape).doesNotContain("exported_job").doesNotContain("{job=");

            Set<String> exported = new TreeSet<>();
            for (String line : scrape.split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    exported.add(line.split("[{ ]", 2)[0]);
                }
            }
            Set<String> used = new TreeSet<>();
            for (String file : new String[] {"grafana-dashboard.json", "prometheus-alerts.yaml"}) {
                Matcher m = METRIC.matcher(Files.readString(DOCS.resolve(file)));
                while (m.find()) {
                    used.add(m.group());
                }
            }
            assertThat(used).as("the dashboard and the rules use the meters").contains(
                    "mint_backup_job_last_success_seconds", "mint_backup_job_failures_total",
                    "mint_backup_job_duration_seconds_count", "mint_backup_job_bytes_sum");
            // The WAL archiving meters exist for PostgreSQL jobs with wal-stall-after only: WalHealthCliIT checks them.
            used.removeIf(name -> name.startsWith("mint_backup_wal_"));
            assertThat(exported).as("every name the dashboard and the alert rules use is exported").containsAll(used);
            assertThat(Files.readString(DOCS.resolve("grafana-dashboard.json"))).contains("backup_job");
        } finally {
            daemon.stop(Duration.ofSeconds(60));
        }
        assertThat(daemon.isAlive()).isFalse();
        assertThat(daemon.exitCode()).isZero();
    }

    @Test
    void a_bad_metrics_address_is_a_usage_error_that_says_what_to_write() throws Exception {
        Path config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                repositories:
                  primary:
                    location: %s
                jobs:
                  files:
                    source:
                      paths: [%s]
                    repository: primary
                """.formatted(temp.resolve("repo"), temp));
        Cli.Result r = Cli.run("daemon", "--config", config.toString(), "--metrics-address", "localhost");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--metrics-address 'localhost' is not HOST:PORT").doesNotContain("\tat ");
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        return r.body();
    }

    private static boolean has(String scrape, String metric, String job, double atLeast) {
        try {
            return value(scrape, metric, job) >= atLeast;
        } catch (AssertionError e) {
            return false;
        }
    }

    private static double value(String scrape, String metric, String job) {
        Pattern p = Pattern.compile("^" + Pattern.quote(metric) + "\\{[^}]*backup_job=\"" + Pattern.quote(job)
                + "\"[^}]*} (\\S+)$", Pattern.MULTILINE);
        Matcher m = p.matcher(scrape);
        if (!m.find()) {
            throw new AssertionError("no " + metric + " of " + job + " in:\n" + scrape);
        }
        return Double.parseDouble(m.group(1));
    }
}
