package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code postgresql-physical} job runs from YAML on a real PostgreSQL 15 (archiving into a directory): a base backup
 * lands in the repository as a snapshot of that kind with its LSNs; a physical job without its cluster name is refused
 * when the config loads, saying what to add. The jobs layer names neither: the provider of the location's scheme does.
 */
class PhysicalJobIT {
    private static PostgresCluster pg;
    @TempDir
    static Path temp;

    @BeforeAll
    static void start() throws Exception {
        Path archive = Files.createDirectories(temp.resolve("archive"));
        Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(archive, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        pg = PostgresCluster.builder().setting("archive_mode", "on").setting("full_page_writes", "on").start();
        pg.archiveCommand("cp %p " + archive + "/%f");
        pg.sql("postgres", "create table t as select generate_series(1, 10000) i;");
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    /** The jobs' environment: the password their YAML names ({@code env:PG_TEST_PASSWORD}). */
    private static Map<String, String> env() {
        return Map.of("PG_TEST_PASSWORD", pg.password().reveal());
    }

    private static JobRunner runner(JobsConfig config) {
        return JobRunner.builder(config).environment(env()).host("db-host").build();
    }

    @Test
    void aPhysicalJobRunsFromYaml() throws Exception {
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, """
                repositories:
                  primary:
                    location: %s
                jobs:
                  base:
                    source:
                      location: postgresql-physical://postgres@127.0.0.1:%d/postgres
                      password: env:PG_TEST_PASSWORD
                      options:
                        cluster: mint-test
                        archive-wait: 2m
                    repository: primary
                    schedule: "30 2 * * *"
                    retention:
                      keepLast: 3
                """.formatted(temp.resolve("repo"), pg.port()));
        JobsConfig config = JobsConfig.load(file);
        JobResult r = runner(config).run(config.job("base"), Instant.now());
        assertThat(r.succeeded()).as(r.toString()).isTrue();
        try (Repository repo = Repository.open(new LocalDirectorySink(temp.resolve("repo")))) {
            Snapshot s = repo.snapshots().get(0);
            assertThat(s.source().kind()).isEqualTo("postgresql-physical");
            assertThat(s.source().name()).isEqualTo("mint-test");
            assertThat(s.facts()).containsKeys("postgresql.physical.startLsn", "postgresql.physical.stopLsn",
                    "postgresql.physical.stopTime", "postgresql.physical.systemIdentifier");
            assertThat(s.facts().toString()).doesNotContain(pg.password().reveal());
        }
    }

    /**
     * Retention of base backups drives the WAL archive's expiry: with {@code keepLast: 1}, the second run forgets the
     * first base backup and the job removes the archived WAL before the second one's start LSN, keeping what it needs.
     * The segments reach the repository's WAL archive through {@code WalArchive.push} from the directory PostgreSQL's
     * archive_command copied them into (the same objects wal-push stores).
     */
    @Test
    void retentionOfBaseBackupsExpiresTheWalNoRetainedBaseBackupNeeds() throws Exception {
        Path repoDir = temp.resolve("repo-expire");
        Path file = temp.resolve("expire.yaml");
        Path audit = temp.resolve("expire-audit.jsonl");
        Files.writeString(file, """
                audit:
                  file: %s
                repositories:
                  primary:
                    location: %s
                jobs:
                  base:
                    source:
                      location: postgresql-physical://postgres@127.0.0.1:%d/postgres
                      password: env:PG_TEST_PASSWORD
                      options:
                        cluster: ledger
                    repository: primary
                    retention:
                      keepLast: 1
                """.formatted(audit, repoDir, pg.port()));
        JobsConfig config = JobsConfig.load(file);
        JobRunner runner = runner(config);
        assertThat(runner.run(config.job("base"), Instant.now()).succeeded()).isTrue();
        for (int i = 0; i < 3; i++) {
            pg.sql("postgres", "insert into t select generate_series(1, 1000); select pg_switch_wal();");
        }
        pushArchived(repoDir);
        long before;
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            before = WalArchive.open(repo, "ledger").list().stream()
                    .filter(w -> w.type() == WalFile.Type.SEGMENT).count();
        }
        assertThat(before).isGreaterThanOrEqualTo(4);

        JobResult second = runner.run(config.job("base"), Instant.now());
        assertThat(second.succeeded()).as(second.toString()).isTrue();
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            List<Snapshot> kept = repo.snapshots();
            assertThat(kept).hasSize(1);
            long start = WalArchive.parseLsn(kept.get(0).facts().get("postgresql.physical.startLsn"));
            List<WalFile> left = WalArchive.open(repo, "ledger").list();
            assertThat(left).filteredOn(w -> w.type() == WalFile.Type.SEGMENT)
                    .allMatch(w -> Long.compareUnsigned(w.endLsn(), start) > 0);
            assertThat(left.stream().filter(w -> w.type() == WalFile.Type.SEGMENT).count()).isLessThan(before);
        }
        // the WAL deleted is audited as a deletion (prune), naming the archive and how much went
        assertThat(com.mintreplica.backup.jobs.audit.AuditLog.at(audit).read())
                .filteredOn(l -> "prune".equals(l.get("operation")) && "base".equals(l.get("job")))
                .singleElement().satisfies(l -> assertThat(l.get("detail")).contains("WAL archive 'ledger': removed ")
                        .contains("(the start of the oldest retained base backup)"));
        pushArchived(repoDir); // the segment the retained base backup starts in, archived during its pg_backup_stop
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            long start = WalArchive.parseLsn(repo.snapshots().get(0).facts().get("postgresql.physical.startLsn"));
            assertThat(WalArchive.open(repo, "ledger").list()).anyMatch(w -> w.type() == WalFile.Type.SEGMENT
                    && Long.compareUnsigned(w.startLsn(), start) <= 0 && Long.compareUnsigned(w.endLsn(), start) > 0);
        }
    }

    private static void pushArchived(Path repoDir) throws Exception {
        Path archive = temp.resolve("archive");
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir));
             java.util.stream.Stream<Path> files = Files.list(archive)) {
            WalArchive wal = WalArchive.open(repo, "ledger");
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                List<String> have = wal.list().stream().map(WalFile::name).toList();
                if (WalArchive.isWalFileName(name) && !have.contains(name) && !expiredBefore(wal, name)) {
                    wal.push(f);
                }
            }
        }
    }

    /** Segments older than what the archive holds were expired: pushing them again would undo the expiry. */
    private static boolean expiredBefore(WalArchive wal, String name) {
        return name.length() == 24 && wal.list().stream().filter(w -> w.type() == WalFile.Type.SEGMENT)
                .map(WalFile::name).min(String::compareTo).map(min -> name.compareTo(min) < 0).orElse(false);
    }

    /**
     * A point-in-time drill: the base backup is restored into a scratch data directory with a target drawn at random
     * between its end and the archive's end, started on a free port, recovered (paused at the target), smoke-queried
     * and removed; the report has the measured RTO (files, replay and start) and the achieved RPO.
     */
    @Test
    void aPointInTimeDrillRecoversToARandomMomentInsideTheWindowAndRemovesItsScratch() throws Exception {
        Path repoDir = temp.resolve("repo-drill");
        Path scratch = Files.createDirectories(temp.resolve("scratch"));
        Path file = temp.resolve("drill.yaml");
        Files.writeString(file, """
                repositories:
                  primary:
                    location: %s
                jobs:
                  base:
                    source:
                      location: postgresql-physical://postgres@127.0.0.1:%d/postgres
                      password: env:PG_TEST_PASSWORD
                      options:
                        cluster: ledger
                    repository: primary
                drills:
                  pitr:
                    job: base
                    options:
                      restore-command: cp %s/%%f %%p
                      timeout: 3m
                    checks: [recovery, smoke]
                    smoke: "select count(*) >= 10000 from t"
                """.formatted(repoDir, pg.port(), temp.resolve("archive")));
        JobsConfig config = JobsConfig.load(file);
        Map<String, String> env = env();
        assertThat(runner(config).run(config.job("base"), Instant.now()).succeeded()).isTrue();
        for (int i = 0; i < 4; i++) {
            Thread.sleep(700);
            pg.sql("postgres", "insert into t select generate_series(1, 100); select pg_switch_wal();");
        }
        Thread.sleep(500);
        pushArchived(repoDir);

        DrillReport report = DrillRunner.builder(config).environment(env).host("db-host").tempDir(scratch).build()
                .run(config.drills().get("pitr"));
        assertThat(report.passed()).as(report.summary()).isTrue();
        String recovery = report.check("recovery").orElseThrow().detail();
        assertThat(recovery).contains("recovered to 20").contains("drawn at random between the oldest base backup's end")
                .contains("server paused").contains("achieved RPO");
        assertThat(report.check("smoke").orElseThrow().detail()).contains("true");
        assertThat(report.restoreTime()).isPresent();
        try (java.util.stream.Stream<Path> left = Files.list(scratch)) {
            assertThat(left).isEmpty();
        }
    }

    /**
     * A drill's moment may lie anywhere in the retained window, also before the newest base backup: the drill restores
     * the base backup that ended before it (the older one here), recovers to it (the rows of that moment, not later
     * ones), and reports as RPO the age of the archive's newest WAL, not of the restored base backup.
     */
    @Test
    void aPointInTimeDrillBeforeTheNewestBaseBackupRestoresTheOneBeforeItsMoment() throws Exception {
        Path repoDir = temp.resolve("repo-window");
        Path scratch = Files.createDirectories(temp.resolve("scratch-window"));
        String jobs = """
                repositories:
                  primary:
                    location: %s
                jobs:
                  base:
                    source:
                      location: postgresql-physical://postgres@127.0.0.1:%d/postgres
                      password: env:PG_TEST_PASSWORD
                      options:
                        cluster: ledger
                    repository: primary
                """.formatted(repoDir, pg.port());
        Path file = temp.resolve("window.yaml");
        Files.writeString(file, jobs);
        JobsConfig config = JobsConfig.load(file);
        Map<String, String> env = env();
        JobRunner runner = runner(config);
        pg.sql("postgres", "create table w(v int)");
        assertThat(runner.run(config.job("base"), Instant.now()).succeeded()).isTrue();
        pg.sql("postgres", "insert into w values (1)");
        Thread.sleep(1500);
        String moment = pg.query("postgres", "select to_char(clock_timestamp() at time zone 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").strip();
        Thread.sleep(1500);
        pg.sql("postgres", "insert into w values (2); select pg_switch_wal();");
        Thread.sleep(1000);
        assertThat(runner.run(config.job("base"), Instant.now()).succeeded()).isTrue();
        pg.sql("postgres", "insert into w values (3); select pg_switch_wal();");
        Thread.sleep(1000);
        pushArchived(repoDir);
        String older;
        Instant archiveEnd;
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            List<Snapshot> bases = repo.snapshots().stream()
                    .sorted(java.util.Comparator.comparing(Snapshot::time)).toList();
            assertThat(bases).hasSize(2);
            older = bases.get(0).id();
            archiveEnd = WalArchive.open(repo, "ledger").list().stream().map(WalFile::time)
                    .max(Instant::compareTo).orElseThrow();
        }
        Files.writeString(file, jobs + """
                drills:
                  fixed:
                    job: base
                    options:
                      restore-command: cp %s/%%f %%p
                      target-time: "%s"
                      timeout: 3m
                    checks: [recovery, smoke]
                    smoke: "select count(*) = 1 and max(v) = 1 from w"
                  random:
                    job: base
                    options:
                      restore-command: cp %s/%%f %%p
                      timeout: 3m
                    checks: [recovery]
                """.formatted(temp.resolve("archive"), moment, temp.resolve("archive")));
        config = JobsConfig.load(file);
        DrillRunner drills = DrillRunner.builder(config).environment(env).host("db-host").tempDir(scratch).build();
        DrillReport report = drills.run(config.drills().get("fixed"));
        assertThat(report.passed()).as(report.summary()).isTrue();
        assertThat(report.snapshot()).contains(older);
        assertThat(report.check("recovery").orElseThrow().detail()).contains("recovered to " + Instant.parse(moment))
                .contains("from base backup " + older);
        assertThat(report.check("smoke").orElseThrow().detail()).contains("true");
        // the RPO is the archive's newest WAL's age when the drill started, not the restored base backup's
        assertThat(report.snapshotAge()).contains(Duration.between(archiveEnd, report.started()));

        Instant olderEnd;
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            olderEnd = com.mintreplica.backup.postgres.physical.PhysicalFacts.of(repo.snapshot(
                    com.mintreplica.backup.core.SnapshotSelector.id(older))).orElseThrow().stopTime();
        }
        DrillReport random = drills.run(config.drills().get("random"));
        assertThat(random.passed()).as(random.summary()).isTrue();
        assertThat(random.check("recovery").orElseThrow().detail())
                .contains("drawn at random between the oldest base backup's end " + olderEnd);
        try (java.util.stream.Stream<Path> left = Files.list(scratch)) {
            assertThat(left).isEmpty();
        }
    }

    /** A job's copy target gets the WAL archive along with the base backups (through the kind's afterCopy hook). */
    @Test
    void aCopyTargetOfAPhysicalJobGetsTheWalArchiveToo() throws Exception {
        Path repoDir = temp.resolve("repo-copied");
        Path offsite = temp.resolve("repo-offsite");
        Path audit = temp.resolve("copy-audit.jsonl");
        Path file = temp.resolve("copy.yaml");
        Files.writeString(file, """
                audit:
                  file: %s
                repositories:
                  primary:
                    location: %s
                    copies: [offsite]
                  offsite:
                    location: %s
                jobs:
                  base:
                    source:
                      location: postgresql-physical://postgres@127.0.0.1:%d/postgres
                      password: env:PG_TEST_PASSWORD
                      options:
                        cluster: ledger
                    repository: primary
                """.formatted(audit, repoDir, offsite, pg.port()));
        JobsConfig config = JobsConfig.load(file);
        JobRunner runner = runner(config);
        assertThat(runner.run(config.job("base"), Instant.now()).succeeded()).isTrue();
        pg.sql("postgres", "insert into t select generate_series(1, 100); select pg_switch_wal();");
        Thread.sleep(500);
        pushArchived(repoDir);
        List<String> archived;
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            archived = WalArchive.open(repo, "ledger").list().stream().map(WalFile::name).toList();
        }
        assertThat(archived).isNotEmpty();
        JobResult second = runner.run(config.job("base"), Instant.now());
        assertThat(second.succeeded()).as(second.toString()).isTrue();
        try (Repository repo = Repository.open(new LocalDirectorySink(offsite))) {
            assertThat(repo.snapshots()).hasSize(2);
            assertThat(WalArchive.open(repo, "ledger").list().stream().map(WalFile::name).toList())
                    .containsAll(archived);
        }
        assertThat(com.mintreplica.backup.jobs.audit.AuditLog.at(audit).read())
                .filteredOn(l -> "copy".equals(l.get("operation")) && l.get("detail") != null
                        && l.get("detail").startsWith("WAL archive 'ledger': copied "))
                .singleElement();
    }

    @Test
    void aPhysicalJobWithoutItsClusterNameIsRefusedWhenTheConfigLoads() throws Exception {
        Path file = temp.resolve("bad.yaml");
        Files.writeString(file, """
                repositories:
                  primary:
                    location: /srv/backup
                jobs:
                  base:
                    source:
                      location: postgresql-physical://postgres@db:5432/postgres
                      options:
                        pgdata: relative/dir
                    repository: primary
                """);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> JobsConfig.load(file));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("jobs.base.source").contains("needs options.cluster")
                .contains("options.pgdata 'relative/dir' is relative");
    }
}
