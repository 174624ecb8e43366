package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.jobs.BackupReport.Copies;
import com.mintreplica.backup.jobs.BackupReport.Drill;
import com.mintreplica.backup.jobs.BackupReport.Job;
import com.mintreplica.backup.jobs.BackupReport.SnapshotPoint;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import com.mintreplica.backup.jobs.audit.AuditRecord;
import com.mintreplica.backup.jobs.config.AuditConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.RetentionConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's model from real backups: jobs run through {@link JobRunner} into local repositories (with a copy), a
 * real drill, and the audit log they write; retention decisions are the core's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackupReportTest {
    private static final Instant T0 = Instant.parse("2026-11-20T01:00:00Z");

    @TempDir
    Path temp;
    Path data;
    Path audit;
    FakeClock clock;
    final List<Instant> taken = new ArrayList<>();
    final List<DrillReport> drills = new ArrayList<>();

    @BeforeEach
    void backUpFiveDaysAndDrillTwice() throws IOException {
        data = temp.resolve("data");
        Files.createDirectories(data);
        for (int i = 0; i < 8; i++) {
            byte[] ledger = new byte[200_000];
            new Random(i).nextBytes(ledger);
            Files.write(data.resolve("ledger-" + i + ".bin"), ledger);
        }
        audit = temp.resolve("audit.jsonl");
        clock = new FakeClock(T0);
        JobsConfig config = config(Optional.empty());
        for (int day = 0; day < 5; day++) {
            clock.set(T0.plus(Duration.ofDays(day)));
            byte[] more = new byte[20_000];
            new Random(100 + day).nextBytes(more);
            Files.write(data.resolve("ledger-" + day + ".bin"), more, StandardOpenOption.APPEND);
            JobResult r = JobRunner.builder(config).clock(clock).host("h").build().run(config.job("files"), clock.instant());
            assertThat(r.succeeded()).as(r.toString()).isTrue();
            taken.add(clock.instant());
            if (day >= 3) {
                clock.set(clock.instant().plus(Duration.ofHours(2)));
                Path scratch = Files.createDirectories(temp.resolve("scratch" + day));
                drills.addAll(DrillRunner.builder(config).clock(clock).host("h").tempDir(scratch).build().runForJob("files"));
            }
        }
        assertThat(drills).hasSize(2).allMatch(DrillReport::passed);
        AuditLog.at(audit).append(AuditRecord.builder(AuditOperation.VERIFY, T0.plus(Duration.ofDays(5)))
                .repository(temp.resolve("primary").toString()).host("h").user("u").detail("5 snapshots checked, data read").build());
    }

    private JobsConfig config(Optional<RetentionConfig> retention) {
        JobConfig.Builder job = JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("primary");
        retention.ifPresent(job::retention);
        return JobsConfig.builder().audit(AuditConfig.file(audit))
                .repository(RepositoryConfig.of("primary", temp.resolve("primary").toString()).withCopies("offsite"))
                .repository(RepositoryConfig.of("offsite", temp.resolve("offsite").toString()))
                .job(job.build()).build();
    }

    private BackupReport collect(JobsConfig config, Optional<Path> auditLog) {
        return BackupReport.collect(JobRunner.builder(config).clock(clock).host("h").build(), T0.plus(Duration.ofDays(6)),
                auditLog, BackupReport.KeyReader.none());
    }

    @Test
    void every_snapshot_is_a_point_with_the_bytes_read_and_stored_oldest_first() {
        Job job = collect(config(Optional.empty()), Optional.of(audit)).jobs().get(0);
        assertThat(job.name()).isEqualTo("files");
        assertThat(job.snapshots()).extracting(SnapshotPoint::time).containsExactlyElementsOf(taken);
        SnapshotPoint first = job.snapshots().get(0);
        assertThat(first.bytesRead()).isEqualTo(1_620_000);
        assertThat(first.bytesStored()).isGreaterThan(1_600_000);
        // each later run appended 20 kB to one 200 kB file of eight: it reads that one, and stores little (deduplication)
        for (int day = 1; day < 5; day++) {
            SnapshotPoint later = job.snapshots().get(day);
            assertThat(later.totalBytes()).isEqualTo(1_620_000 + 20_000L * day);
            assertThat(later.bytesRead()).isEqualTo(220_000);
            assertThat(later.bytesStored()).isLessThan(first.bytesStored() / 4);
        }
        assertThat(job.snapshots()).allSatisfy(s -> {
            assertThat(s.kept()).isTrue();
            assertThat(s.reasons()).containsExactly("no retention policy: everything is kept");
        });
        assertThat(job.retention()).isEmpty();
    }

    @Test
    void retention_shows_the_cores_decision_for_each_snapshot_and_why() {
        RetentionConfig keep = RetentionConfig.builder().keepLast(2).keepWeekly(1).build();
        Job job = collect(config(Optional.of(keep)), Optional.of(audit)).jobs().get(0);
        List<Snapshot> snapshots;
        try (Repository repo = Repository.open(temp.resolve("primary").toString())) {
            snapshots = repo.snapshots();
        }
        RetentionDecision core = Retention.builder().keepLast(2).keepWeekly(1).zone(ZoneOffset.UTC).build().apply(snapshots);
        assertThat(core.removed()).isNotEmpty();
        for (RetentionDecision.Kept k : core.kept()) {
            SnapshotPoint p = job.snapshots().stream().filter(s -> s.id().equals(k.snapshot().id())).findFirst().orElseThrow();
            assertThat(p.kept()).isTrue();
            assertThat(p.reasons()).isEqualTo(k.reasons());
        }
        for (Snapshot removed : core.removed()) {
            SnapshotPoint p = job.snapshots().stream().filter(s -> s.id().equals(removed.id())).findFirst().orElseThrow();
            assertThat(p.kept()).isFalse();
            assertThat(p.reasons()).containsExactly("no rule keeps it: the next run forgets it");
        }
        assertThat(job.retention()).contains("keep 2 last, 1 weekly");
        // the report forgets nothing
        try (Repository repo = Repository.open(temp.resolve("primary").toString())) {
            assertThat(repo.snapshots()).hasSize(5);
        }
    }

    @Test
    void drills_come_from_the_audit_log_with_their_rto_and_exact_rpo() {
        Job job = collect(config(Optional.empty()), Optional.of(audit)).jobs().get(0);
        assertThat(job.drills()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            Drill d = job.drills().get(i);
            DrillReport real = drills.get(i);
            assertThat(d.passed()).isTrue();
            assertThat(d.time()).isEqualTo(real.started());
            assertThat(d.snapshot()).isEqualTo(real.snapshot());
            assertThat(d.snapshotAge()).contains(Duration.ofHours(2));
            // the audit line has the restore time in words (12.3 s, 850 ms): read back to their precision
            long ms = real.restoreTime().orElseThrow().toMillis();
            assertThat(d.restoreTime()).hasValueSatisfying(t -> assertThat(Math.abs(t.toMillis() - ms)).isLessThanOrEqualTo(ms < 1000 ? 0 : 50));
            assertThat(d.detail()).contains("restore passed");
        }
        assertThat(collect(config(Optional.empty()), Optional.empty()).jobs().get(0).drills()).isEmpty();
    }

    @Test
    void copies_are_counted_per_repository_and_the_last_verify_per_repository() {
        BackupReport report = collect(config(Optional.empty()), Optional.of(audit));
        assertThat(report.jobs().get(0).copies()).extracting(Copies::repository, Copies::primary, Copies::snapshots,
                Copies::newest).containsExactly(
                org.assertj.core.groups.Tuple.tuple("primary", true, Optional.of(5), Optional.of(taken.get(4))),
                org.assertj.core.groups.Tuple.tuple("offsite", false, Optional.of(5), Optional.of(taken.get(4))));
        BackupReport.RepositoryInfo primary = report.repositories().get(0);
        assertThat(primary.name()).isEqualTo("primary");
        assertThat(primary.lastVerify()).hasValueSatisfying(v -> {
            assertThat(v.ok()).isTrue();
            assertThat(v.time()).isEqualTo(T0.plus(Duration.ofDays(5)));
            assertThat(v.detail()).isEqualTo("5 snapshots checked, data read");
        });
        assertThat(report.repositories().get(1).lastVerify()).isEmpty();
        assertThat(primary.encrypted()).isFalse();
        assertThat(primary.keys()).isEmpty();
    }

    @Test
    void a_repository_that_cannot_be_read_is_a_problem_of_its_row_not_an_exception() throws IOException {
        Path notARepo = Files.writeString(temp.resolve("offsite-file"), "not a directory");
        JobsConfig config = JobsConfig.builder().audit(AuditConfig.file(audit))
                .repository(RepositoryConfig.of("primary", temp.resolve("primary").toString()).withCopies("offsite"))
                .repository(RepositoryConfig.of("offsite", notARepo.resolve("sub").toString()))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("primary").build()).build();
        Job job = collect(config, Optional.of(audit)).jobs().get(0);
        assertThat(job.snapshots()).hasSize(5);
        Copies offsite = job.copies().get(1);
        assertThat(offsite.snapshots()).isEmpty();
        assertThat(offsite.problem()).hasValueSatisfying(p -> assertThat(p).contains("offsite-file"));
    }

    @Test
    void drill_durations_in_words_read_back() {
        for (Duration d : List.of(Duration.ofMillis(850), Duration.ofMillis(12_340), Duration.ofSeconds(245),
                Duration.ofMinutes(182), Duration.ofHours(52))) {
            Duration back = BackupReport.duration(DrillReport.words(d)).orElseThrow();
            assertThat(Math.abs(back.toMillis() - d.toMillis())).as(DrillReport.words(d)).isLessThanOrEqualTo(d.toMillis() / 100);
        }
        assertThat(BackupReport.duration("-")).isEmpty();
    }
}
