package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.config.AuditConfig;
import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.RetentionConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each job's retention after each run; a repository's scheduled prune; retention errors found before any run. */
class RetentionAndPruneTest {
    @TempDir
    Path temp;

    @Test
    void each_job_keeps_what_its_retention_says_and_the_scheduled_prune_frees_the_rest() throws Exception {
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        Path audit = temp.resolve("audit.jsonl");
        FakeClock clock = new FakeClock(Instant.parse("2026-11-24T00:30:00Z"));
        JobsConfig config = JobsConfig.builder()
                .audit(AuditConfig.file(audit))
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString())
                        .withPrune(CronSchedule.parse("30 6 * * *")))
                .job(JobConfig.builder("ledger").source(SourceConfig.paths(data).build()).repository("primary")
                        .schedule(CronSchedule.parse("0 * * * *"))
                        .retention(RetentionConfig.builder().keepLast(2).build()).build())
                .job(JobConfig.builder("ledger-daily").source(SourceConfig.paths(data).build()).repository("primary")
                        .schedule(CronSchedule.parse("0 1 * * *")).build())
                .build();
        try (JobScheduler scheduler = JobScheduler.builder(config).clock(clock).random(new Random(1)).host("h").build()) {
            assertThat(scheduler.names()).containsExactly("ledger", "ledger-daily", "_prune-primary");
            for (int hour = 1; hour <= 7; hour++) {
                byte[] content = new byte[600_000];
                new Random(hour).nextBytes(content); // new data every hour: old snapshots hold data nobody else needs
                Files.write(data.resolve("ledger.bin"), content);
                clock.set(Instant.parse("2026-11-24T00:00:00Z").plusSeconds(3600L * hour));
                for (Future<JobResult> f : scheduler.tick()) {
                    assertThat(f.get().succeeded()).as(f.get().toString()).isTrue();
                }
                if (hour == 6) {
                    clock.set(Instant.parse("2026-11-24T06:30:00Z"));
                    for (Future<JobResult> f : scheduler.tick()) {
                        JobResult prune = f.get();
                        assertThat(prune.job()).isEqualTo("_prune-primary");
                        assertThat(prune.succeeded()).as(prune.toString()).isTrue();
                        assertThat(prune.bytes()).as("bytes freed").isPositive();
                    }
                }
            }
        }
        try (Repository repo = Repository.open(temp.resolve("repo").toString())) {
            List<Snapshot> snapshots = repo.snapshots();
            assertThat(snapshots.stream().filter(s -> s.job().orElse("").equals("ledger")).map(s -> s.time().toString()))
                    .containsExactly("2026-11-24T06:00:00Z", "2026-11-24T07:00:00Z");
            assertThat(snapshots.stream().filter(s -> s.job().orElse("").equals("ledger-daily")))
                    .as("the other job's snapshots are not its retention's business").hasSize(1);
            assertThat(repo.verify(true).ok()).isTrue();
        }
        List<Map<String, String>> lines = AuditLog.at(audit).read();
        assertThat(lines.stream().filter(l -> l.get("operation").equals("forget")).count()).isEqualTo(5);
        assertThat(lines).filteredOn(l -> l.get("operation").equals("prune")).singleElement()
                .satisfies(l -> assertThat(l.get("result")).isEqualTo("ok"));
    }

    @Test
    void a_retention_that_is_not_a_valid_policy_is_a_config_error_with_its_line() throws Exception {
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, """
                repositories:
                  primary: {location: /srv/backup}
                jobs:
                  etc:
                    source: {paths: [/etc/mint]}
                    repository: primary
                    retention:
                      keepDaily: 7
                      keepWithin: 30x
                """);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> JobsConfig.load(file));
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.line()).isEqualTo(9);
            assertThat(p.field()).isEqualTo("jobs.etc.retention.keepWithin");
            assertThat(p.message()).contains("30x");
        });
        assertThat(e.problems()).extracting(ConfigProblem::file).allSatisfy(f -> assertThat(f).contains(file.toString()));
    }
}
