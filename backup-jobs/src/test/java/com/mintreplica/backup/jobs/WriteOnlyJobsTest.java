package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.crypto.KeyManager;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpSecretKey;
import com.mintreplica.backup.jobs.DoctorReport.Severity;
import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.EncryptionConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.RetentionConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.testkit.gpg.GnuPGExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup host's jobs config with a writer key (write-only repository): backups and copies into it run; what needs a
 * reader's key (retention, prune, drills, copies out of it) is refused by config validation and reported by the doctor.
 */
@Timeout(300)
class WriteOnlyJobsTest {
    @RegisterExtension
    static final GnuPGExtension OPS = GnuPGExtension.withKey("Ops <ops@mint.example>", "future-default");

    @TempDir
    Path temp;
    Path data;
    Path offsite;
    Path writerKey;

    private OpenPgpSecretKey secret() {
        return OpenPgpKeys.secretKey(OPS.key().secretFile(), Secret.of(GnuPG.PASSPHRASE));
    }

    @BeforeEach
    void setUp() throws Exception {
        data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("app.yaml"), "db: mint\n");
        offsite = temp.resolve("offsite");
        writerKey = temp.resolve("app1.key");
        try (LocalDirectorySink sink = new LocalDirectorySink(offsite)) {
            Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(OpenPgpKeys.publicKey(OPS.key().publicFile()))).close();
            try (KeyManager keys = KeyManager.open(sink, secret())) {
                keys.exportWriter("app1").write(writerKey);
            }
        }
    }

    private String yaml(String offsiteExtra, String jobExtra, String more) {
        return """
                repositories:
                  local:
                    location: %s
                  offsite:
                    location: %s
                    encryption:
                      writer: %s
                      cache: %s
                %s
                jobs:
                  files:
                    source:
                      paths: [%s]
                    repository: offsite
                %s
                  mirrored:
                    source:
                      paths: [%s]
                    repository: local
                    copies: [offsite]
                %s
                """.formatted(temp.resolve("local"), offsite, writerKey, temp.resolve("cache"), offsiteExtra, data,
                jobExtra, data, more);
    }

    private JobsConfig load(String yaml) throws Exception {
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, yaml);
        return JobsConfig.load(file);
    }

    @Test
    void a_write_only_host_runs_its_backups_and_copies_and_a_reader_restores_them() throws Exception {
        JobsConfig config = load(yaml("", "", ""));
        assertThat(JobsConfig.writeOnly(config.repository("offsite"))).isTrue();
        JobRunner runner = JobRunner.builder(config).environment(Map.of()).build();
        JobResult files;
        try (JobScheduler scheduler = JobScheduler.builder(config).environment(Map.of()).build()) {
            files = scheduler.runNow("files", true); // as `mint-backup run` does: with a run record
        }
        assertThat(files.succeeded()).as(files.toString()).isTrue();
        JobResult mirrored = runner.run(config.job("mirrored"), Instant.now());
        assertThat(mirrored.succeeded()).as(mirrored.toString()).isTrue();
        assertThat(mirrored.copies()).containsExactly("offsite");

        // status on the write-only host reads its run records, not the snapshots it cannot read
        JobStatus status = JobStatus.check(runner, config.job("files"), Instant.now());
        assertThat(status.warnings()).isEmpty();
        assertThat(status.lastGood()).isEqualTo(files.snapshot());

        try (Repository repo = Repository.open(new LocalDirectorySink(offsite), OpenPgpEncryption.unlockWith(secret()))) {
            assertThat(repo.snapshots()).extracting(s -> s.job().orElse("")).containsExactlyInAnyOrder("files", "mirrored");
            assertThat(repo.verify(true).ok()).isTrue();
        }
        assertThat(temp.resolve("cache")).isDirectory();
    }

    @Test
    void config_validation_refuses_prune_retention_drills_and_copies_out_of_a_write_only_repository() throws Exception {
        String yaml = yaml("    prune:\n      schedule: \"30 4 * * 0\"",
                "    retention:\n      keepDaily: 7\n    copies: [local]",
                "drills:\n  files-weekly:\n    job: files\n    target: " + temp.resolve("drills"));
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml));
        assertThat(e).isNotNull();
        assertThat(e.problems()).extracting(ConfigProblem::field).contains("repositories.offsite.prune",
                "jobs.files.retention", "jobs.files.copies", "drills.files-weekly.job");
        assertThat(e.problems()).allSatisfy(p -> assertThat(p.message()).contains("reader's key"));

        ConfigException copyRetention = catchThrowableOfType(ConfigException.class, () -> load(yaml("", "",
                "    retention:\n      keepLast: 3")));
        assertThat(copyRetention.problems()).extracting(ConfigProblem::field).containsExactly("jobs.mirrored.copies");
    }

    @Test
    void the_doctor_checks_the_writer_key() throws Exception {
        // What a write-only host cannot run (retention, prune, drills, copies out) is refused when the config is built
        // (the test above): there is no unchecked config for the doctor to find it in.
        JobsConfig config = JobsConfig.builder()
                .repository(new RepositoryConfig("offsite", offsite.toString(),
                        java.util.Optional.of(EncryptionConfig.writer(writerKey)), List.of(), java.util.Optional.empty(),
                        false))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("offsite").build())
                .build();
        DoctorReport report = Doctor.builder(config).tempDir(temp).build().run();
        assertThat(report.findings()).filteredOn(f -> f.check().equals("repository")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.OK))
                .satisfies(f -> assertThat(f.message()).contains("writer key").contains("write-only"));
        assertThat(report.findings()).noneMatch(f -> f.check().equals("access"));

        // a revoked writer key is a problem the doctor names before a backup fails on it
        try (LocalDirectorySink sink = new LocalDirectorySink(offsite); KeyManager keys = KeyManager.open(sink, secret())) {
            keys.revokeWriter("app1", java.util.Optional.empty());
        }
        DoctorReport after = Doctor.builder(config).tempDir(temp).build().run();
        assertThat(after.findings()).filteredOn(f -> f.check().equals("repository")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.PROBLEM))
                .satisfies(f -> assertThat(f.message()).contains("revoked"));
    }
}
