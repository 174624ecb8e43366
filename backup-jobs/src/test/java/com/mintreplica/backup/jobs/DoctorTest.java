package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.DoctorReport.Finding;
import com.mintreplica.backup.jobs.DoctorReport.Severity;
import com.mintreplica.backup.jobs.config.AuditConfig;
import com.mintreplica.backup.jobs.config.EncryptionConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.KeyConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.ClosedPort;
import com.mintreplica.backup.testkit.FakeClock;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doctor without a database: keys (unreadable, wrong passphrase, expiring, expired), repositories (reachable and
 * writable, unreachable), the clock against the store's, temporary space and the audit log. Keys are made by the real
 * gpg.
 */
class DoctorTest {
    static GnuPG gpg;
    static GnuPG.Key ops;
    static Path expiringPublic;
    static Instant expiringCreated;

    @TempDir
    Path temp;
    Path data;
    Path repo;

    @BeforeAll
    static void keys() throws Exception {
        gpg = GnuPG.start();
        ops = gpg.generate("Ops <ops@mint.example>", "future-default");
        expiringCreated = Instant.now();
        gpg.run(null, "--quick-gen-key", "Temp <temp@mint.example>", "future-default", "default", "10d").check("gen");
        expiringPublic = gpg.home.resolve("expiring.asc");
        Files.write(expiringPublic, gpg.run(null, "--armor", "--export", "temp@mint.example").check("export").stdout());
    }

    @AfterAll
    static void stop() {
        gpg.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("a.txt"), "a\n");
        repo = temp.resolve("repo");
    }

    private JobsConfig.Builder base() {
        return JobsConfig.builder()
                .audit(AuditConfig.file(temp.resolve("log/audit.jsonl")))
                .repository(RepositoryConfig.of("primary", repo.toString()))
                .job(JobConfig.builder("etc").source(SourceConfig.paths(data).build()).repository("primary").build());
    }

    private static Finding only(DoctorReport report, String check, String subject) {
        List<Finding> found = report.findings().stream().filter(f -> f.check().equals(check) && f.subject().equals(subject)).toList();
        assertThat(found).as(report.summary()).hasSize(1);
        return found.get(0);
    }

    @Test
    void a_sound_setup_passes_every_check_and_leaves_no_probe_object_behind() throws Exception {
        JobsConfig config = base().build();
        JobResult run = JobRunner.builder(config).build().run(config.job("etc"), Instant.now());
        assertThat(run.succeeded()).isTrue();

        DoctorReport report = Doctor.builder(config).tempDir(temp).build().run();

        assertThat(report.ok()).as(report.summary()).isTrue();
        assertThat(report.warnings()).as(report.summary()).isEmpty();
        assertThat(only(report, "repository", "repositories.primary").message()).contains("1 snapshots");
        assertThat(report.findings()).extracting(Finding::check)
                .contains("storage", "repository", "clock", "temp-space", "audit-log");
        assertThat(only(report, "storage", "repositories.primary").message())
                .contains("wrote, read, listed and deleted doctor/probe-");
        try (Stream<Path> probes = Files.walk(repo)) {
            assertThat(probes.filter(Files::isRegularFile).map(repo::relativize).map(Path::toString))
                    .noneMatch(p -> p.startsWith("doctor/"));
        }
        assertThat(report.toJson()).contains("\"ok\" : true");
    }

    @Test
    void a_repository_that_is_not_there_yet_is_a_warning_that_names_an_unmounted_disk() throws Exception {
        // It was "ok: the first job run creates it", for a location on a backup disk that was not mounted.
        JobsConfig config = base().build();

        DoctorReport report = Doctor.builder(config).tempDir(temp).build().run();

        Finding missing = only(report, "repository", "repositories.primary");
        assertThat(missing.toString()).contains("no repository at").contains("mounted").contains("mint-backup init");
        assertThat(report.warnings()).as(report.summary()).contains(missing);
    }

    /** The explorers' C-13: a job whose source path is not there failed every run, and the doctor said nothing. */
    @Test
    void a_source_path_that_is_not_there_is_a_problem() throws Exception {
        Path missingPath = temp.resolve("no-such-dir");
        JobsConfig config = base().job(JobConfig.builder("gone").source(SourceConfig.paths(missingPath).build())
                .repository("primary").build()).build();

        DoctorReport report = Doctor.builder(config).tempDir(temp).build().run();

        Finding missing = only(report, "source", "jobs.gone");
        assertThat(report.problems()).as(report.summary()).contains(missing);
        assertThat(missing.toString()).contains(missingPath + " does not exist").contains("jobs.gone.source.paths");
        assertThat(report.findings()).noneMatch(f -> f.check().equals("source") && f.subject().equals("jobs.etc"));
    }

    @Test
    void an_unreadable_key_a_missing_key_file_and_a_wrong_passphrase_are_problems_with_their_fixes() throws Exception {
        Path garbage = temp.resolve("ops.sec.asc");
        Files.writeString(garbage, "this is not an OpenPGP key\n");
        Path wrong = temp.resolve("wrong-passphrase");
        Files.writeString(wrong, "not the passphrase\n");
        JobsConfig config = base()
                .key(KeyConfig.secret("unreadable", garbage, Optional.empty()))
                .key(KeyConfig.publicOnly("missing", temp.resolve("nowhere.asc")))
                .key(KeyConfig.secret("locked", ops.secretFile(), Optional.of(SecretRef.file(wrong))))
                .key(KeyConfig.secret("ops", ops.secretFile(), Optional.of(SecretRef.file(gpg.passphraseFile))))
                .build();

        DoctorReport report = Doctor.builder(config).tempDir(temp).build().run();

        assertThat(report.ok()).isFalse();
        Finding unreadable = only(report, "key", "keys.unreadable");
        assertThat(unreadable.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(unreadable.message()).contains("cannot read the secret key file " + garbage);
        assertThat(unreadable.fix()).hasValueSatisfying(f -> assertThat(f).contains("gpg --export-secret-keys"));
        Finding missing = only(report, "key", "keys.missing");
        assertThat(missing.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(missing.message()).contains(temp.resolve("nowhere.asc").toString());
        Finding locked = only(report, "key", "keys.locked");
        assertThat(locked.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(locked.message()).contains("passphrase does not unlock");
        assertThat(locked.fix()).hasValueSatisfying(f -> assertThat(f).contains("file:" + wrong));
        Finding good = only(report, "key", "keys.ops");
        assertThat(good.severity()).isEqualTo(Severity.OK);
        assertThat(good.message()).contains(ops.fingerprint()).contains("unlocks").contains("never expires");
        assertThat(report.summary()).doesNotContain("not the passphrase").doesNotContain(GnuPG.PASSPHRASE);
    }

    @Test
    void a_key_is_a_warning_a_month_before_it_expires_and_a_problem_after() {
        JobsConfig config = base().key(KeyConfig.publicOnly("temp", expiringPublic)).build();

        DoctorReport soon = Doctor.builder(config).tempDir(temp).clock(new FakeClock(Instant.now())).build().run();
        Finding warning = only(soon, "key", "keys.temp");
        assertThat(warning.severity()).isEqualTo(Severity.WARNING);
        assertThat(warning.message()).contains("expires on");
        assertThat(warning.fix()).hasValueSatisfying(f -> assertThat(f).contains("gpg --quick-set-expire"));
        assertThat(soon.ok()).isTrue();

        DoctorReport later = Doctor.builder(config).tempDir(temp)
                .clock(new FakeClock(expiringCreated.plus(Duration.ofDays(11)))).build().run();
        Finding expired = only(later, "key", "keys.temp");
        assertThat(expired.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(expired.message()).contains("expired on");
        assertThat(later.ok()).isFalse();
    }

    @Test
    void an_unreachable_repository_is_a_problem_naming_it_and_what_to_check() throws Exception {
        ClosedPort closed = ClosedPort.reserve(); // refuses connections until closed; no other process can take it
        String location = "s3://backups/mint?region=us-east-1&endpoint=http://127.0.0.1:" + closed.port()
                + "&pathStyle=true"; // no retry settings: the doctor's own short budget ends the refused requests
        System.setProperty("aws.accessKeyId", "doctor-access");
        System.setProperty("aws.secretAccessKey", "doctor-secret-not-real");
        try (closed) {
            JobsConfig config = base().repository(RepositoryConfig.of("offsite", location)).build();

            long start = System.nanoTime();
            DoctorReport report = Doctor.builder(config).tempDir(temp).build().run();

            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).as("seconds, not a backup's 15 minutes")
                    .isLessThan(java.time.Duration.ofSeconds(60));
            assertThat(report.ok()).isFalse();
            Finding offsite = only(report, "storage", "repositories.offsite");
            assertThat(offsite.severity()).isEqualTo(Severity.PROBLEM);
            assertThat(offsite.message()).contains("cannot write a probe object in s3://backups/mint");
            assertThat(offsite.fix()).hasValueSatisfying(f -> assertThat(f).contains("reachable from this machine")
                    .contains("AWS_ACCESS_KEY_ID"));
            // (the primary is not made yet: a warning that it will be, nothing wrong with reaching it)
            assertThat(report.findings()).filteredOn(f -> f.subject().equals("repositories.primary"))
                    .allSatisfy(f -> assertThat(f.severity()).isNotEqualTo(Severity.PROBLEM));
            assertThat(report.toJson()).doesNotContain("doctor-secret-not-real");
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void a_clock_minutes_away_from_the_stores_is_a_problem_and_seconds_are_fine() {
        JobsConfig config = base().build();
        DoctorReport skewed = Doctor.builder(config).tempDir(temp)
                .clock(new FakeClock(Instant.now().plus(Duration.ofMinutes(10)))).build().run();
        Finding clock = only(skewed, "clock", "repositories.primary");
        assertThat(clock.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(clock.message()).contains("ahead of");
        assertThat(clock.fix()).hasValueSatisfying(f -> assertThat(f).contains("NTP"));

        DoctorReport fine = Doctor.builder(config).tempDir(temp).build().run();
        assertThat(only(fine, "clock", "repositories.primary").severity()).isEqualTo(Severity.OK);
    }

    @Test
    void an_encrypted_repository_that_the_unlock_keys_cannot_open_and_an_unwritable_temp_directory_are_problems()
            throws Exception {
        JobsConfig created = base().key(KeyConfig.secret("ops", ops.secretFile(), Optional.of(SecretRef.file(gpg.passphraseFile))))
                .repository(RepositoryConfig.of("sealed", temp.resolve("sealed").toString())
                        .withEncryption(new EncryptionConfig(List.of("ops"), List.of("ops"))))
                .job(JobConfig.builder("sealed-etc").source(SourceConfig.paths(data).build()).repository("sealed").build())
                .build();
        assertThat(JobRunner.builder(created).build().run(created.job("sealed-etc"), Instant.now()).succeeded()).isTrue();
        GnuPG.Key other = gpg.generate("Other <other@mint.example>", "future-default");
        Path notADirectory = Files.writeString(temp.resolve("file"), "x");
        JobsConfig config = base().key(KeyConfig.secret("other", other.secretFile(), Optional.of(SecretRef.file(gpg.passphraseFile))))
                .repository(RepositoryConfig.of("sealed", temp.resolve("sealed").toString())
                        .withEncryption(new EncryptionConfig(List.of("other"), List.of("other"))))
                .build();

        DoctorReport report = Doctor.builder(config).tempDir(notADirectory.resolve("tmp")).build().run();

        assertThat(report.findings()).filteredOn(f -> f.subject().equals("repositories.sealed")
                && f.severity() == Severity.PROBLEM).singleElement()
                .satisfies(f -> assertThat(f.fix()).hasValueSatisfying(fix -> assertThat(fix).contains("mint-backup key list")));
        Finding space = only(report, "temp-space", notADirectory.resolve("tmp").toString());
        assertThat(space.severity()).isEqualTo(Severity.PROBLEM);
    }

    @Test
    void the_report_reads_as_a_list_with_fixes() throws Exception {
        Path garbage = Files.writeString(temp.resolve("k.asc"), "garbage", StandardCharsets.UTF_8);
        DoctorReport report = Doctor.builder(base().key(KeyConfig.publicOnly("k", garbage)).build()).tempDir(temp).build().run();
        assertThat(report.summary()).contains("1 problem").contains("PROBLEM  key          keys.k: cannot read the public key file")
                .contains("fix: export the key again");
    }
}
