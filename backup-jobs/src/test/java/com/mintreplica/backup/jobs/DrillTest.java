package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.DrillReport.Status;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.config.AuditConfig;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drills of a directory job: restore into a scratch directory, check every file, always remove the scratch. */
class DrillTest {
    @TempDir
    Path temp;
    Path data;
    Path repo;
    Path scratch;
    Path audit;
    FakeClock clock;

    @BeforeEach
    void setUp() throws IOException {
        data = temp.resolve("data");
        Files.createDirectories(data.resolve("etc/mint"));
        byte[] ledger = new byte[900_000];
        new Random(7).nextBytes(ledger);
        Files.write(data.resolve("ledger.bin"), ledger);
        Files.writeString(data.resolve("etc/mint/app.yaml"), "db: postgresql://db/mint\n");
        Files.createSymbolicLink(data.resolve("etc/current"), Path.of("mint"));
        // a read-only directory: the scratch directory must still go
        Files.createDirectories(data.resolve("readonly"));
        Files.writeString(data.resolve("readonly/frozen.txt"), "frozen\n");
        Files.setPosixFilePermissions(data.resolve("readonly"), PosixFilePermissions.fromString("r-xr-xr-x"));
        repo = temp.resolve("repo");
        scratch = temp.resolve("scratch");
        Files.createDirectories(scratch);
        audit = temp.resolve("audit.jsonl");
        clock = new FakeClock(Instant.parse("2026-11-24T01:00:00Z"));
    }

    private JobsConfig config(DrillConfig... drills) {
        JobsConfig.Builder b = JobsConfig.builder()
                .audit(AuditConfig.file(audit))
                .repository(RepositoryConfig.of("primary", repo.toString()))
                .job(JobConfig.builder("etc").source(SourceConfig.paths(data).build()).repository("primary").build());
        for (DrillConfig d : drills) {
            b.drill(d);
        }
        return b.build();
    }

    private String backup(JobsConfig config) {
        JobResult r = JobRunner.builder(config).clock(clock).host("h").build().run(config.job("etc"), clock.instant());
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        return r.snapshot().orElseThrow();
    }

    private DrillRunner drills(JobsConfig config) {
        return DrillRunner.builder(config).clock(clock).host("h").tempDir(scratch).build();
    }

    private static List<Path> contents(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void a_drill_restores_the_latest_snapshot_into_a_scratch_directory_checks_every_file_and_removes_it() throws Exception {
        JobsConfig config = config();
        backup(config);
        Files.writeString(data.resolve("etc/mint/app.yaml"), "db: postgresql://db2/mint\n");
        clock.advance(Duration.ofHours(3));
        String latest = backup(config);
        clock.advance(Duration.ofMinutes(90));

        List<DrillReport> reports = drills(config).runForJob("etc");

        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.passed()).as(r.summary()).isTrue();
            assertThat(r.snapshot()).contains(latest);
            assertThat(r.snapshotAge()).contains(Duration.ofMinutes(90));
            assertThat(r.restoreTime()).hasValueSatisfying(d -> assertThat(d).isPositive());
            assertThat(r.restoredBytes()).isEqualTo(900_000 + "db: postgresql://db2/mint\n".length() + "frozen\n".length());
            assertThat(r.checks()).extracting(DrillReport.Check::name)
                    .containsExactly("restore", "file-hashes", "cleanup");
            assertThat(r.check("file-hashes").orElseThrow().detail()).contains("all 3 files");
            assertThat(r.scratch()).startsWith(scratch.resolve("mint-backup-drill-etc-").toString());
            assertThat(r.summary()).contains("drill etc: PASSED").contains("restore time (RTO)")
                    .contains("snapshot age (RPO) 1h 30m");
            assertThat(r.toJson()).contains("\"result\" : \"passed\"").contains("\"snapshotAgeMillis\" : 5400000");
        });
        assertThat(contents(scratch)).as("nothing is left in the scratch directory").isEmpty();

        List<Map<String, String>> lines = AuditLog.at(audit).read();
        assertThat(lines).filteredOn(l -> l.get("operation").equals("drill")).singleElement().satisfies(l -> {
            assertThat(l.get("result")).isEqualTo("ok");
            assertThat(l.get("snapshot")).isEqualTo(latest);
            assertThat(l.get("detail")).contains("drill etc").contains("file-hashes passed").contains("cleanup passed");
        });
    }

    @Test
    void a_damaged_blob_fails_the_drill_naming_the_object_and_the_scratch_directory_is_still_removed() throws Exception {
        JobsConfig config = config();
        backup(config);
        Path pack;
        try (Stream<Path> files = Files.walk(repo.resolve("data"))) {
            pack = files.filter(Files::isRegularFile).max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(pack);
        bytes[1000] ^= 0x5a; // inside the first blob of the pack
        Files.write(pack, bytes);

        DrillReport r = drills(config).runForJob("etc").get(0);

        assertThat(r.passed()).isFalse();
        DrillReport.Check restore = r.check("restore").orElseThrow();
        assertThat(restore.status()).isEqualTo(Status.FAILED);
        assertThat(restore.detail()).contains(pack.getFileName().toString());
        assertThat(r.check("file-hashes").orElseThrow().status()).isEqualTo(Status.SKIPPED);
        assertThat(r.check("cleanup").orElseThrow().status()).isEqualTo(Status.PASSED);
        assertThat(r.failureSummary()).startsWith("restore: ").contains(pack.getFileName().toString());
        assertThat(contents(scratch)).as("nothing is left even though the restore failed").isEmpty();
        assertThat(AuditLog.at(audit).read()).filteredOn(l -> l.get("operation").equals("drill")).singleElement()
                .satisfies(l -> {
                    assertThat(l.get("result")).isEqualTo("failed");
                    assertThat(l.get("error")).contains(pack.getFileName().toString());
                });
    }

    @Test
    void a_configured_drill_restores_under_its_own_directory_verifies_the_snapshot_and_runs_the_apps_smoke_check()
            throws Exception {
        Path base = temp.resolve("drill-base");
        JobsConfig config = config(DrillConfig.builder("weekly", "etc").target(base.toString())
                .checks("file-hashes", "verify", "smoke").build());
        backup(config);
        Path[] seen = new Path[1];
        DrillRunner runner = DrillRunner.builder(config).clock(clock).tempDir(scratch)
                .smokeCheck("etc", s -> {
                    seen[0] = s.directory().orElseThrow();
                    Path app = s.directory().orElseThrow().resolve(data.toString().substring(1)).resolve("etc/mint/app.yaml");
                    if (!Files.readString(app).startsWith("db: ")) {
                        throw new IllegalStateException("app.yaml names no database");
                    }
                })
                .build();

        DrillReport r = runner.run("weekly");

        assertThat(r.passed()).as(r.summary()).isTrue();
        assertThat(r.checks()).extracting(DrillReport.Check::name)
                .containsExactly("restore", "file-hashes", "verify", "smoke", "cleanup");
        assertThat(r.check("verify").orElseThrow().detail()).contains("every blob of the snapshot matches its id");
        assertThat(seen[0].getParent()).isEqualTo(base);
        assertThat(seen[0]).doesNotExist();
        assertThat(contents(base)).isEmpty();
        assertThat(contents(scratch)).isEmpty();
    }

    @Test
    void a_failing_smoke_check_fails_the_drill_with_its_message_and_still_removes_the_scratch() throws Exception {
        JobsConfig config = config();
        backup(config);
        DrillReport r = DrillRunner.builder(config).clock(clock).tempDir(scratch)
                .smokeCheck("etc", s -> {
                    throw new IllegalStateException("the ledger does not balance: off by 12.50");
                })
                .build().runForJob("etc").get(0);

        assertThat(r.passed()).isFalse();
        assertThat(r.check("restore").orElseThrow().status()).isEqualTo(Status.PASSED);
        assertThat(r.check("smoke").orElseThrow()).satisfies(c -> {
            assertThat(c.status()).isEqualTo(Status.FAILED);
            assertThat(c.detail()).contains("the ledger does not balance: off by 12.50");
        });
        assertThat(contents(scratch)).isEmpty();
    }

    @Test
    void a_job_without_snapshots_fails_its_drill_saying_to_run_it_first() throws Exception {
        JobsConfig config = config();
        // the repository exists (another job ran), but this job never did
        JobResult other = JobRunner.builder(JobsConfig.builder()
                        .repository(RepositoryConfig.of("primary", repo.toString()))
                        .job(JobConfig.builder("other").source(SourceConfig.paths(data).build()).repository("primary").build())
                        .build())
                .clock(clock).build().run(JobConfig.builder("other").source(SourceConfig.paths(data).build())
                        .repository("primary").build(), clock.instant());
        assertThat(other.succeeded()).isTrue();

        DrillReport r = drills(config).runForJob("etc").get(0);

        assertThat(r.passed()).isFalse();
        assertThat(r.check("snapshot").orElseThrow().detail()).contains("job etc has no snapshot").contains("run it first");
        assertThat(contents(scratch)).isEmpty();
    }

    @Test
    void a_scheduled_drill_runs_once_per_slot_through_the_scheduler_and_its_failure_reaches_the_listeners() throws Exception {
        JobsConfig config = config(DrillConfig.builder("quarterly", "etc")
                .schedule(CronSchedule.parse("0 7 1 3,6,9,12 *")).build());
        backup(config);
        clock.set(Instant.parse("2026-12-01T07:00:30Z"));
        List<JobResult> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (JobScheduler scheduler = JobScheduler.builder(config).clock(clock).random(new Random(1)).host("h")
                .listener(new JobListener() {
                    @Override
                    public void succeeded(JobResult r) {
                        heard.add(r);
                    }

                    @Override
                    public void failed(JobResult r) {
                        heard.add(r);
                    }
                }).build()) {
            assertThat(scheduler.names()).contains("_drill-quarterly");
            List<Future<JobResult>> started = scheduler.tick();
            assertThat(started).hasSize(1);
            JobResult result = started.get(0).get();
            assertThat(result.job()).isEqualTo("_drill-quarterly");
            assertThat(result.succeeded()).as(result.toString()).isTrue();
            assertThat(result.snapshot()).isPresent();
            assertThat(scheduler.tick()).as("the slot ran").isEmpty();

            // next quarter: the repository's only pack is damaged by then
            try (Stream<Path> files = Files.walk(repo.resolve("data"))) {
                for (Path p : files.filter(Files::isRegularFile).toList()) {
                    byte[] b = Files.readAllBytes(p);
                    b[100] ^= 1;
                    Files.write(p, b);
                }
            }
            clock.set(Instant.parse("2027-03-01T07:00:30Z"));
            JobResult second = scheduler.tick().get(0).get();
            assertThat(second.outcome()).isEqualTo(JobResult.Outcome.FAILED);
            assertThat(second.error()).hasValueSatisfying(e -> assertThat(e).startsWith("restore: "));
        }
        assertThat(heard).extracting(JobResult::job).containsExactly("_drill-quarterly", "_drill-quarterly");
        assertThat(heard.get(1).succeeded()).isFalse();
        assertThat(contents(scratch)).isEmpty();
        assertThat(repo.resolve("jobs/_drill-quarterly")).isDirectory();
    }
}
