package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusAndMetricsTest {
    @TempDir
    Path temp;
    FakeClock clock;
    Path data;
    JobsConfig config;
    JobScheduler scheduler;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<JobResult> failures = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        clock = new FakeClock(Instant.parse("2026-11-24T00:30:00Z"));
        data = temp.resolve("data");
        Files.createDirectories(data);
        Files.write(data.resolve("ledger.bin"), new byte[10_000]);
        config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                .job(JobConfig.builder("hourly").source(SourceConfig.paths(data).build()).repository("primary")
                        .schedule(CronSchedule.parse("0 * * * *")).build())
                .job(JobConfig.builder("nightly").source(SourceConfig.paths(data).build()).repository("primary")
                        .schedule(CronSchedule.parse("0 1 * * *")).build())
                .build();
        scheduler = JobScheduler.builder(config).clock(clock).host("app-1").listener(new JobMetrics(registry))
                .listener(new JobListener() {
                    @Override
                    public void failed(JobResult result) {
                        failures.add(result);
                    }
                }).build();
    }

    @AfterEach
    void tearDown() {
        scheduler.close();
    }

    private void at(String time) throws Exception {
        clock.set(Instant.parse(time));
        for (Future<JobResult> f : scheduler.tick()) {
            f.get();
        }
    }

    private JobStatus status(String job) {
        return JobStatus.check(JobRunner.builder(config).host("status-host").build(), config.job(job), clock.instant());
    }

    @Test
    void status_shows_last_run_next_run_and_age_and_warns_when_a_snapshot_is_late() throws Exception {
        at("2026-11-24T01:00:00Z");
        at("2026-11-24T02:00:00Z");
        clock.set(Instant.parse("2026-11-24T02:20:00Z"));
        JobStatus hourly = status("hourly");
        assertThat(hourly.ok()).as(hourly.warnings().toString()).isTrue();
        assertThat(hourly.lastRun()).hasValueSatisfying(r -> {
            assertThat(r.slot()).isEqualTo(Instant.parse("2026-11-24T02:00:00Z"));
            assertThat(r.succeeded()).isTrue();
            assertThat(r.host()).isEqualTo("app-1");
        });
        assertThat(hourly.nextRun()).contains(Instant.parse("2026-11-24T03:00:00Z"));
        assertThat(hourly.age(clock.instant())).contains(Duration.ofMinutes(20));

        // The scheduler stops silently; at 03:29 the 03:00 snapshot may still come, at 03:31 it is late.
        clock.set(Instant.parse("2026-11-24T03:29:00Z"));
        assertThat(status("hourly").ok()).isTrue();
        clock.set(Instant.parse("2026-11-24T03:31:00Z"));
        JobStatus late = status("hourly");
        assertThat(late.warnings()).singleElement().satisfies(w -> assertThat(w)
                .contains("1h 31m old").contains("run of 2026-11-24T03:00:00Z").contains("by 2026-11-24T03:30:00Z"));
    }

    @Test
    void a_nightly_job_warns_the_same_night_not_a_day_later() throws Exception {
        at("2026-11-24T01:00:00Z");
        clock.set(Instant.parse("2026-11-25T02:59:00Z"));
        assertThat(status("nightly").ok()).as("within the grace of the 01:00 run (two hours)").isTrue();
        clock.set(Instant.parse("2026-11-25T03:01:00Z"));
        assertThat(status("nightly").warnings()).singleElement().satisfies(w -> assertThat(w).contains("1d 2h old"));
    }

    @Test
    void a_job_without_any_snapshot_warns() {
        clock.set(Instant.parse("2026-11-24T02:00:00Z"));
        assertThat(status("hourly").warnings()).singleElement().satisfies(w -> assertThat(w).contains("no snapshot yet"));
    }

    @Test
    void a_failed_run_calls_the_failure_hook_counts_in_metrics_and_shows_in_status() throws Exception {
        at("2026-11-24T01:00:00Z");
        double lastSuccess = registry.get("mint.backup.job.last.success").tag("job", "hourly").gauge().value();
        assertThat(lastSuccess).isEqualTo(Instant.parse("2026-11-24T01:00:00Z").getEpochSecond());
        assertThat(registry.get("mint.backup.job.bytes").tag("job", "hourly").summary().totalAmount()).isEqualTo(10_000);
        assertThat(registry.get("mint.backup.job.duration").tag("job", "hourly").tag("outcome", "succeeded").timer().count()).isEqualTo(1);

        Files.delete(data.resolve("ledger.bin"));
        Files.delete(data); // the next run cannot read its source
        at("2026-11-24T02:00:00Z");
        assertThat(failures).singleElement().satisfies(r -> {
            assertThat(r.job()).isEqualTo("hourly");
            assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains(data.toString()));
        });
        assertThat(registry.get("mint.backup.job.failures").tag("job", "hourly").counter().count()).isEqualTo(1);
        assertThat(registry.get("mint.backup.job.last.success").tag("job", "hourly").gauge().value()).isEqualTo(lastSuccess);
        assertThat(status("hourly").warnings()).anySatisfy(w -> assertThat(w).contains("last run").contains("failed"));
    }
}
