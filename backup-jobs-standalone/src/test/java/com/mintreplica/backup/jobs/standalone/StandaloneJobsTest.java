package com.mintreplica.backup.jobs.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.jobs.Doctor;
import com.mintreplica.backup.jobs.DoctorReport;
import com.mintreplica.backup.jobs.DoctorReport.Finding;
import com.mintreplica.backup.jobs.DoctorReport.Severity;
import com.mintreplica.backup.jobs.DrillReport;
import com.mintreplica.backup.jobs.DrillRunner;
import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.EncryptionConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.KeyConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * backup-jobs with backup-fs as its only adapter: no OpenPGP, no database, no cloud store on the class path (this
 * module depends on none of them). A directory job, its drill and the doctor run as they do with every adapter there.
 */
@Timeout(120)
class StandaloneJobsTest {
    @TempDir
    Path temp;
    Path data;
    Path repo;
    FakeClock clock;

    @BeforeEach
    void setUp() throws Exception {
        data = temp.resolve("data");
        Files.createDirectories(data.resolve("etc"));
        Files.writeString(data.resolve("etc/app.yaml"), "name: mint\n");
        Files.writeString(data.resolve("ledger.txt"), "1;2;3\n".repeat(1000));
        Files.writeString(data.resolve("cache.tmp"), "left out\n");
        repo = temp.resolve("repo");
        clock = new FakeClock(Instant.parse("2026-12-05T01:00:00Z"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"com.mintreplica.backup.crypto.OpenPgpEncryption",
            "com.mintreplica.backup.postgres.PostgresSourceProvider", "com.mintreplica.backup.mongo.MongoSourceProvider",
            "com.mintreplica.backup.storage.s3.S3SinkProvider", "com.mintreplica.backup.storage.gcs.GcsSinkProvider",
            "org.bouncycastle.openpgp.PGPPublicKey", "org.postgresql.Driver", "com.mongodb.client.MongoClient"})
    void no_other_adapter_nor_its_library_is_on_the_class_path(String type) {
        assertThatThrownBy(() -> Class.forName(type)).isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void backup_fs_is_the_one_adapter_here() throws Exception {
        assertThat(Class.forName("com.mintreplica.backup.fs.DirectorySource")).isNotNull();
    }

    @Test
    void a_directory_job_of_several_roots_with_excludes_a_drill_and_the_doctor_run_with_backup_fs_alone() throws Exception {
        Path more = Files.createDirectories(temp.resolve("more"));
        Files.writeString(more.resolve("notes.md"), "more\n");
        JobsConfig config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", repo.toString()))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data, more).exclude("*.tmp").build())
                        .repository("primary").build())
                .drill(DrillConfig.builder("files-weekly", "files").target(temp.resolve("drills").toString()).build())
                .build();

        JobResult run = JobRunner.builder(config).clock(clock).host("h").build().run(config.job("files"), clock.instant());
        assertThat(run.succeeded()).as(run.toString()).isTrue();

        DrillReport drill = DrillRunner.builder(config).clock(clock).host("h").tempDir(temp).build().run("files-weekly");
        assertThat(drill.passed()).as(drill.summary()).isTrue();
        assertThat(drill.checks()).extracting(DrillReport.Check::name)
                .containsExactly("restore", DrillConfig.FILE_HASHES, DrillConfig.CLEANUP);
        // 3 files kept of 4 (cache.tmp excluded), from both roots
        assertThat(drill.checks().get(1).detail()).startsWith("all 3 files");
        try (Stream<Path> left = Files.list(temp.resolve("drills"))) {
            assertThat(left).isEmpty();
        }

        // the doctor compares the store's clock with this machine's: the real clock
        DoctorReport doctor = Doctor.builder(config).tempDir(temp).host("h").build().run();
        assertThat(doctor.findings()).noneMatch(f -> f.severity() == Severity.PROBLEM);
        assertThat(doctor.findings()).filteredOn(f -> f.check().equals("repository")).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("opens: 1 snapshots"));
        assertThat(doctor.findings()).extracting(Finding::check).contains("storage", "clock", "temp-space");
    }

    @Test
    void keys_without_an_encryption_module_are_a_doctor_problem_naming_the_module_to_add() throws Exception {
        Path key = Files.writeString(temp.resolve("key.asc"), "not read: no module reads it\n");
        JobsConfig config = JobsConfig.builder()
                .key(KeyConfig.secret("ops", key, Optional.empty()))
                .repository(new RepositoryConfig("vault", repo.toString(), Optional.of(new EncryptionConfig(
                        List.of("ops"), List.of("ops"))), List.of(), Optional.empty(), true))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("vault").build())
                .build();
        DoctorReport doctor = Doctor.builder(config).tempDir(temp).build().run();
        assertThat(doctor.findings()).filteredOn(f -> f.check().equals("key")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.PROBLEM))
                .satisfies(f -> assertThat(f.message()).contains("openpgp").contains("backup-crypto"));

        JobResult run = JobRunner.builder(config).clock(clock).build().run(config.job("files"), clock.instant());
        assertThat(run.succeeded()).isFalse();
        assertThat(run.error()).get().asString().contains("backup-crypto");
    }
}
