package com.mintreplica.backup.jobs.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mintreplica.backup.jobs.Doctor;
import com.mintreplica.backup.jobs.DoctorReport;
import com.mintreplica.backup.jobs.DoctorReport.Finding;
import com.mintreplica.backup.jobs.DoctorReport.Severity;
import com.mintreplica.backup.jobs.DrillReport;
import com.mintreplica.backup.jobs.DrillRunner;
import com.mintreplica.backup.jobs.DrillScratch;
import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import com.mintreplica.backup.testkit.toy.NotesSourceProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test kit's toy source kind ({@code notes}, registered through {@code META-INF/services}) runs as a job, a drill
 * with its own check, and a doctor check, its password passed through the variable the kind names: backup-jobs knows
 * nothing of it.
 */
@Timeout(120)
class ToyKindJobsTest {
    private static final String PASSWORD = "n0tes-secret-passw0rd";

    @TempDir
    Path temp;
    Path notes;
    FakeClock clock;

    @BeforeEach
    void setUp() throws Exception {
        notes = Files.createDirectories(temp.resolve("notes"));
        Files.writeString(notes.resolve("monday.note"), "call the bank\n");
        Files.writeString(notes.resolve("tuesday.note"), "renew the certificate\n");
        Files.writeString(notes.resolve("wednesday.note"), "drill the restore\n");
        Files.writeString(notes.resolve(".password"), PASSWORD + "\n");
        clock = new FakeClock(Instant.parse("2026-12-05T01:00:00Z"));
    }

    private JobsConfig config(DrillConfig.Builder... drills) {
        JobsConfig.Builder b = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                .job(JobConfig.builder("notes").source(SourceConfig.location("notes://" + notes)
                        .password(SecretRef.parse("env:NOTES_PASSWORD")).build()).repository("primary").build());
        for (DrillConfig.Builder d : drills) {
            b.drill(d.build());
        }
        return b.build();
    }

    @Test
    void a_toy_kind_runs_as_a_job_a_drill_and_a_doctor_check_without_jobs_knowing_it() throws Exception {
        JobsConfig config = config(DrillConfig.builder("notes-daily", "notes"));
        assertThat(JobsConfig.kindOf(config.job("notes"))).contains(NotesSourceProvider.KIND);
        Map<String, String> env = Map.of("NOTES_PASSWORD", PASSWORD);

        JobResult run = JobRunner.builder(config).clock(clock).environment(env).build().run(config.job("notes"),
                clock.instant());
        assertThat(run.succeeded()).as(run.toString()).isTrue();

        List<String> seen = new ArrayList<>();
        DrillReport drill = DrillRunner.builder(config).clock(clock).environment(env).tempDir(temp)
                .smokeCheck("notes", (DrillScratch scratch) -> {
                    seen.add(scratch.kind());
                    try (Stream<Path> s = Files.list(scratch.directory().orElseThrow())) {
                        seen.add(Long.toString(s.count()));
                    }
                }).build().run("notes-daily");
        assertThat(drill.passed()).as(drill.summary()).isTrue();
        assertThat(drill.checks()).extracting(DrillReport.Check::name)
                .containsExactly("restore", NotesSourceProvider.NOTE_COUNT, DrillConfig.SMOKE, DrillConfig.CLEANUP);
        assertThat(drill.checks().get(1).detail()).isEqualTo("3 notes restored, 3 counted by the backup");
        assertThat(seen).containsExactly("notes", "3");
        try (Stream<Path> s = Files.list(temp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("_drill_"));
        }

        DoctorReport doctor = Doctor.builder(config).clock(clock).environment(env).tempDir(temp).build().run();
        assertThat(doctor.findings()).filteredOn(f -> f.check().equals("notes")).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.OK))
                .satisfies(f -> assertThat(f.subject()).isEqualTo("jobs.notes"))
                .satisfies(f -> assertThat(f.message()).isEqualTo("3 notes in " + notes + " can be read"));
    }

    @Test
    void the_doctor_reports_the_toy_kinds_wrong_password_without_showing_it() {
        JobsConfig config = config();
        DoctorReport doctor = Doctor.builder(config).clock(clock).environment(Map.of("NOTES_PASSWORD", "wrong-one"))
                .tempDir(temp).build().run();
        Finding notesCheck = doctor.findings().stream().filter(f -> f.check().equals("notes")).findFirst().orElseThrow();
        assertThat(notesCheck.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(notesCheck.message()).contains("password given is wrong").doesNotContain("wrong-one");
        assertThat(notesCheck.fix()).get().asString().contains("jobs.notes.source.password");
    }

    @Test
    void a_drill_of_the_toy_kind_takes_its_own_checks_and_refuses_another_kinds() {
        config(DrillConfig.builder("ok", "notes").checks(NotesSourceProvider.NOTE_COUNT, DrillConfig.VERIFY));
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> config(DrillConfig.builder("bad", "notes").checks(DrillConfig.FILE_HASHES)));
        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.message())
                .isEqualTo("check 'file-hashes' does not apply to job 'notes', a notes job: its checks are [note-count,"
                        + " smoke, verify]"));
    }
}
