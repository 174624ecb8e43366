package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.config.AuditConfig;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scheduled job whose repository stops answering (its pack uploads hang, see {@link HangingSinkProvider}) fails after
 * the config's stall timeout instead of running forever, and the scheduler records it like any other failure: a run
 * record in the repository, an audit line, the failure metrics and listeners.
 */
@Timeout(120)
class StalledJobTest {
    @TempDir
    Path temp;
    JobScheduler scheduler;

    @AfterEach
    void tearDown() throws InterruptedException {
        HangingSinkProvider.releaseAll();
        if (scheduler != null) {
            scheduler.close();
        }
        // The released upload finishes on the abandoned run's worker thread: wait for it, or it may write into the
        // temporary directory while JUnit deletes it.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().startsWith("mint-backup-worker"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the abandoned run's workers are still alive 30 s after the store answered");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void a_job_whose_store_hangs_fails_after_the_stall_timeout_and_is_recorded_as_a_failed_run() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.write(data.resolve("ledger.bin"), new byte[300_000]);
        Path repo = temp.resolve("repo");
        Path audit = temp.resolve("audit.jsonl");
        JobsConfig config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", "hanging://" + repo))
                .job(JobConfig.builder("hourly").source(SourceConfig.paths(data).build()).repository("primary")
                        .schedule(CronSchedule.parse("0 * * * *")).build())
                .audit(AuditConfig.file(audit))
                .stallTimeout(Duration.ofSeconds(1))
                .build();
        FakeClock clock = new FakeClock(Instant.parse("2026-11-24T00:30:00Z"));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<JobResult> failures = new CopyOnWriteArrayList<>();
        scheduler = JobScheduler.builder(config).clock(clock).host("app-1").listener(new JobMetrics(registry))
                .listener(new JobListener() {
                    @Override
                    public void failed(JobResult result) {
                        failures.add(result);
                    }
                }).build();
        HangingSinkProvider.hangPacks();

        clock.set(Instant.parse("2026-11-24T01:00:00Z"));
        List<Future<JobResult>> runs = scheduler.tick();
        assertThat(runs).hasSize(1);
        JobResult result = runs.get(0).get(60, TimeUnit.SECONDS);

        assertThat(HangingSinkProvider.hanging()).as("the pack upload is still stuck: the run did not wait for it")
                .isPositive();
        assertThat(result.outcome()).isEqualTo(JobResult.Outcome.FAILED);
        assertThat(result.error()).hasValueSatisfying(e -> assertThat(e)
                .contains("made no progress for 1.0 s", "no snapshot was committed", "Sink.put of 'data/"));
        assertThat(failures).singleElement().satisfies(r -> assertThat(r.job()).isEqualTo("hourly"));
        assertThat(registry.get("mint.backup.job.failures").tag("job", "hourly").counter().count()).isEqualTo(1);
        assertThat(registry.get("mint.backup.job.duration").tag("job", "hourly").tag("outcome", "failed").timer().count())
                .isEqualTo(1);

        List<Map<String, String>> lines = AuditLog.at(audit).read();
        assertThat(lines).filteredOn(l -> "backup".equals(l.get("operation"))).singleElement().satisfies(l -> {
            assertThat(l.get("result")).isEqualTo("failed");
            assertThat(l.get("error")).contains("made no progress", "Sink.put of 'data/");
        });

        // The run record in the repository says so too: status shows the failed run of the 01:00 slot.
        JobStatus status = JobStatus.check(JobRunner.builder(config).host("status-host").build(), config.job("hourly"),
                clock.instant());
        assertThat(status.lastRun()).hasValueSatisfying(r -> {
            assertThat(r.slot()).isEqualTo(Instant.parse("2026-11-24T01:00:00Z"));
            assertThat(r.succeeded()).isFalse();
            assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains("made no progress"));
        });
        try (Repository repository = Repository.open(new LocalDirectorySink(repo))) {
            assertThat(repository.snapshots()).as("nothing committed").isEmpty();
        }
        assertThat(repo.resolve("locks")).isEmptyDirectory();
    }
}
