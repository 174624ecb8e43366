package com.mintreplica.backup.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.testkit.FakeClock;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The acceptance test of the starter in a real app: the example app's context starts on a random port against a
 * local-directory repository and a real PostgreSQL server (the test kit's PostgresCluster, real pg_dump), runs its
 * jobs, and health, metrics and the {@code mintbackup} endpoint are read over HTTP. The app's clock is a
 * {@link FakeClock} (a {@code Clock} bean, which the starter uses), so that "two days later" is exact; the scheduler
 * itself runs as in production.
 */
@SpringBootTest(classes = {MintReplicaApplication.class, MintReplicaSpringAppIT.Clocks.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class MintReplicaSpringAppIT {
    /** 2026-11-24 13:00 in Berlin: the 01:00 backups of today are due and their grace has passed. */
    static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    static final FakeClock CLOCK = new FakeClock(NOW);
    static PostgresCluster pg;
    static Path temp;

    @Autowired
    TestRestTemplate http;
    @Autowired
    JobScheduler scheduler;

    @TestConfiguration
    static class Clocks {
        @Bean
        FakeClock clock() {
            return CLOCK;
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        temp = Files.createTempDirectory("mint-spring-app");
        pg = PostgresCluster.start();
        pg.createDatabase("mint_replica");
        pg.sql("mint_replica", """
                create table ledger_entries (id bigserial primary key, amount numeric(12,2), booked_at timestamptz);
                insert into ledger_entries(amount, booked_at) select i / 7.0, now() from generate_series(1, 2000) i;
                """);
        Path password = temp.resolve("pg-password");
        Files.writeString(password, pg.password().reveal() + "\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        Path etc = Files.createDirectories(temp.resolve("etc/mint-replica"));
        Files.writeString(etc.resolve("app.yaml"), "currency: EUR\n");
        // What an operator overrides for this machine; the rest of the config is the app's application.yml.
        registry.add("mint.backup.repositories.primary.location", () -> temp.resolve("repo").toString());
        registry.add("mint.backup.jobs.postgres-daily.source.location", () -> pg.uri("mint_replica"));
        registry.add("mint.backup.jobs.postgres-daily.source.password", () -> "file:" + password);
        registry.add("mint.backup.jobs.config-files.source.paths[0]", etc::toString);
        // A drill whose smoke query fails: what a broken restore looks like to the health indicator.
        registry.add("mint.backup.drills.broken.job", () -> "postgres-daily");
        registry.add("mint.backup.drills.broken.schedule", () -> "0 6 * * *");
        registry.add("mint.backup.drills.broken.checks[0]", () -> "smoke");
        registry.add("mint.backup.drills.broken.smoke", () -> "select count(*) > 0 from ledger_entries where id < 0");
        registry.add("mint.backup.drills.broken.target", () -> pg.uri("postgres"));
        registry.add("mint.backup.drills.broken.password", () -> "file:" + password);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    @Order(1)
    void before_any_backup_the_health_is_down_and_names_the_jobs_without_a_snapshot() {
        ResponseEntity<Map> health = http.getForEntity("/actuator/health", Map.class);
        assertThat(health.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        Map<String, Object> mint = component(health.getBody());
        assertThat(mint.get("status")).isEqualTo("DOWN");
        assertThat(problems(mint)).anySatisfy(p -> assertThat(p).startsWith("postgres-daily: it has no snapshot yet"))
                .anySatisfy(p -> assertThat(p).startsWith("config-files: it has no snapshot yet"));
        // the jobs' meters exist before their first run: failures at 0
        Map<String, Object> failures = http.getForObject(
                "/actuator/metrics/mint.backup.job.failures?tag=job:postgres-daily", Map.class);
        assertThat(value(failures, "COUNT")).isZero();
    }

    @Test
    @Order(2)
    void after_the_jobs_ran_health_metrics_and_the_endpoint_show_their_snapshots() {
        JobResult db = scheduler.runNow("postgres-daily", true);
        JobResult files = scheduler.runNow("config-files", true);
        assertThat(db.outcome()).as(db.error().orElse("")).isEqualTo(JobResult.Outcome.SUCCEEDED);
        assertThat(files.outcome()).as(files.error().orElse("")).isEqualTo(JobResult.Outcome.SUCCEEDED);
        assertThat(db.bytes()).isPositive();

        ResponseEntity<Map> health = http.getForEntity("/actuator/health", Map.class);
        assertThat(health.getStatusCode()).as("%s", health.getBody()).isEqualTo(HttpStatus.OK);
        Map<String, Object> mint = component(health.getBody());
        assertThat(mint.get("status")).isEqualTo("UP");
        Map<String, Object> dbDetail = map(map(mint.get("details")).get("postgres-daily"));
        assertThat(map(dbDetail.get("latestSnapshot")).get("id")).isEqualTo(db.snapshot().orElseThrow());

        // backup-jobs' own meters (JobMetrics), on the app's registry
        Map<String, Object> lastSuccess = http.getForObject(
                "/actuator/metrics/mint.backup.job.last.success?tag=job:postgres-daily", Map.class);
        assertThat(value(lastSuccess, "VALUE")).isEqualTo((double) db.finished().getEpochSecond());
        Map<String, Object> bytes = http.getForObject("/actuator/metrics/mint.backup.job.bytes?tag=job:postgres-daily", Map.class);
        assertThat(value(bytes, "COUNT")).isEqualTo(1.0);
        assertThat(value(bytes, "TOTAL")).isEqualTo((double) db.bytes());
        Map<String, Object> duration = http.getForObject(
                "/actuator/metrics/mint.backup.job.duration?tag=job:config-files&tag=outcome:succeeded", Map.class);
        assertThat(value(duration, "COUNT")).isEqualTo(1.0);

        Map<String, Object> endpoint = http.getForObject("/actuator/mintbackup", Map.class);
        Map<String, Object> jobs = map(endpoint.get("jobs"));
        assertThat(jobs).containsKeys("postgres-daily", "config-files", "_drill-postgres-weekly", "_drill-broken");
        Map<String, Object> filesJob = map(jobs.get("config-files"));
        assertThat(filesJob.get("schedule")).isEqualTo("30 1 * * * (Europe/Berlin)");
        assertThat(filesJob.get("repository")).isEqualTo("primary");
        assertThat(map(filesJob.get("latestSnapshot")).get("id")).isEqualTo(files.snapshot().orElseThrow());
        assertThat(map(filesJob.get("lastRun")).get("outcome")).isEqualTo("SUCCEEDED");
        assertThat(filesJob.get("nextRun")).isEqualTo("2026-11-25T00:30:00Z");
        Map<String, Object> one = http.getForObject("/actuator/mintbackup/postgres-daily", Map.class);
        assertThat(map(one.get("latestSnapshot")).get("id")).isEqualTo(db.snapshot().orElseThrow());
        assertThat(http.getForEntity("/actuator/mintbackup/nope", Map.class).getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
    }

    @Test
    @Order(3)
    void a_failed_drill_turns_health_down_and_says_which_check_failed() {
        JobResult drill = scheduler.runNow("_drill-broken", false);
        assertThat(drill.outcome()).isEqualTo(JobResult.Outcome.FAILED);

        ResponseEntity<Map> health = http.getForEntity("/actuator/health", Map.class);
        assertThat(health.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        Map<String, Object> mint = component(health.getBody());
        assertThat(problems(mint)).singleElement().satisfies(p ->
                assertThat(p).startsWith("_drill-broken: its last drill").contains("failed").contains("smoke"));
        assertThat(map(map(map(mint.get("details")).get("_drill-broken")).get("lastRun")).get("outcome")).isEqualTo("FAILED");
    }

    @Test
    @Order(4)
    void two_days_without_a_backup_turn_health_down_for_the_stale_jobs() {
        CLOCK.advance(Duration.ofDays(2));

        ResponseEntity<Map> health = http.getForEntity("/actuator/health", Map.class);
        assertThat(health.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        Map<String, Object> mint = component(health.getBody());
        assertThat(mint.get("status")).isEqualTo("DOWN");
        assertThat(problems(mint))
                .anySatisfy(p -> assertThat(p).startsWith("postgres-daily: its newest snapshot is 2d 0h old"))
                .anySatisfy(p -> assertThat(p).startsWith("config-files: its newest snapshot is 2d 0h old"));
        Map<String, Object> endpoint = http.getForObject("/actuator/mintbackup", Map.class);
        assertThat(map(map(endpoint.get("jobs")).get("postgres-daily")).get("status")).isEqualTo("ATTENTION");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    private static Map<String, Object> component(Map<?, ?> health) {
        return map(map(map(health).get("components")).get("mintBackup"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> problems(Map<String, Object> component) {
        return (List<String>) map(component.get("details")).get("problems");
    }

    private static double value(Map<String, Object> metric, String statistic) {
        assertThat(metric).as("the meter exists").isNotNull();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> measurements = (List<Map<String, Object>>) metric.get("measurements");
        return measurements.stream().filter(m -> statistic.equals(m.get("statistic")))
                .map(m -> ((Number) m.get("value")).doubleValue()).findFirst()
                .orElseThrow(() -> new AssertionError("no " + statistic + " in " + metric));
    }

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (temp != null) {
                    try (var walk = Files.walk(temp)) {
                        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
    }
}
