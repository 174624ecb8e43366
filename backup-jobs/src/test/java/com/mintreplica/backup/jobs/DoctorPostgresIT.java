package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.DoctorReport.Finding;
import com.mintreplica.backup.jobs.DoctorReport.Severity;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doctor against a real PostgreSQL server: pg_dump and pg_restore found and new enough (backup-postgres' own
 * preflight), missing, or older than the server; a login the server refuses.
 */
class DoctorPostgresIT {
    private static PostgresCluster pg;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        pg.createDatabase("shop");
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", "/nonexistent");
        env.put("SHOP_PASSWORD", pg.password().reveal());
        env.put("WRONG_PASSWORD", "not-the-password-4711");
        return env;
    }

    private JobConfig job(String name, String passwordVariable, Map<String, String> options) {
        SourceConfig.Builder source = SourceConfig.location(pg.uri("shop")).password(SecretRef.env(passwordVariable));
        options.forEach(source::option);
        return JobConfig.builder(name).repository("primary").source(source.build()).build();
    }

    private DoctorReport doctor(JobConfig... jobs) {
        JobsConfig.Builder b = JobsConfig.builder().repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()));
        for (JobConfig j : jobs) {
            b.job(j);
        }
        return Doctor.builder(b.build()).environment(env()).tempDir(temp).build().run();
    }

    private static Finding only(DoctorReport report, String check, String subject) {
        List<Finding> found = report.findings().stream().filter(f -> f.check().equals(check) && f.subject().equals(subject)).toList();
        assertThat(found).as(report.summary()).hasSize(1);
        return found.get(0);
    }

    @Test
    void the_tools_of_a_postgresql_job_are_found_and_new_enough_for_its_server() {
        DoctorReport report = doctor(job("shop", "SHOP_PASSWORD", Map.of()));

        assertThat(report.ok()).as(report.summary()).isTrue();
        String version = pg.query("postgres", "show server_version").strip();
        assertThat(only(report, "database", "jobs.shop").message()).contains("logged in to 127.0.0.1:" + pg.port() + "/shop")
                .contains("PostgreSQL " + version);
        assertThat(only(report, "pg_dump", "jobs.shop").severity()).isEqualTo(Severity.OK);
        assertThat(only(report, "pg_restore", "jobs.shop").severity()).isEqualTo(Severity.OK);
    }

    @Test
    void a_missing_pg_dump_is_a_problem_naming_where_it_was_looked_for() throws Exception {
        Path empty = Files.createDirectory(temp.resolve("empty-bin"));

        DoctorReport report = doctor(job("shop", "SHOP_PASSWORD", Map.of("pg-bin-dir", empty.toString())));

        assertThat(report.ok()).isFalse();
        Finding dump = only(report, "pg_dump", "jobs.shop");
        assertThat(dump.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(dump.message()).contains("pg_dump not found in the configured PostgreSQL binary directory " + empty);
        assertThat(dump.fix()).hasValueSatisfying(f -> assertThat(f).contains("jobs.shop.source.options.pg-bin-dir"));
        assertThat(only(report, "pg_restore", "jobs.shop").severity()).isEqualTo(Severity.PROBLEM);
    }

    @Test
    void a_pg_dump_older_than_the_server_is_a_problem_naming_both_versions() throws Exception {
        // This machine has one PostgreSQL version, so an older pg_dump is faked as backup-postgres' PostgresErrorsIT
        // fakes it: a wrapper script that reports version 12.3 and otherwise runs the real pg_dump. pg_restore beside
        // it is the real one.
        Path bin = Files.createDirectory(temp.resolve("old-bin"));
        Path wrapper = bin.resolve("pg_dump");
        Files.writeString(wrapper, "#!/bin/sh\nif [ \"$1\" = \"--version\" ]; then echo 'pg_dump (PostgreSQL) 12.3';"
                + " exit 0; fi\nexec " + pg.binDir().resolve("pg_dump") + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(bin.resolve("pg_restore"), pg.binDir().resolve("pg_restore"));
        String version = pg.query("postgres", "show server_version").strip();

        DoctorReport report = doctor(job("shop", "SHOP_PASSWORD", Map.of("pg-bin-dir", bin.toString())));

        assertThat(report.ok()).isFalse();
        Finding dump = only(report, "pg_dump", "jobs.shop");
        assertThat(dump.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(dump.message()).contains("pg_dump 12.3 at " + wrapper).contains("older than")
                .contains("PostgreSQL " + version).contains("at least major version " + pg.majorVersion());
        assertThat(only(report, "pg_restore", "jobs.shop").severity()).isEqualTo(Severity.OK);
    }

    @Test
    void a_refused_login_is_a_problem_that_names_the_user_and_never_the_password() {
        DoctorReport report = doctor(job("shop", "WRONG_PASSWORD", Map.of()));

        Finding login = only(report, "database", "jobs.shop");
        assertThat(login.severity()).isEqualTo(Severity.PROBLEM);
        assertThat(login.message()).contains("refused the password of user 'postgres'");
        assertThat(login.fix()).hasValueSatisfying(f -> assertThat(f).contains("jobs.shop.source.password"));
        assertThat(report.summary()).doesNotContain("not-the-password-4711");
        assertThat(report.toJson()).doesNotContain("not-the-password-4711");
    }

    @Test
    void a_drill_server_is_checked_for_its_login_and_pg_restore() {
        JobsConfig config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                .job(job("shop", "SHOP_PASSWORD", Map.of()))
                .drill(DrillConfig.builder("monthly", "shop").target("postgresql://postgres@127.0.0.1:" + pg.port() + "/postgres")
                        .password(SecretRef.env("SHOP_PASSWORD")).build())
                .build();

        DoctorReport report = Doctor.builder(config).environment(env()).tempDir(temp).build().run();

        assertThat(only(report, "database", "drills.monthly").message()).contains("/postgres");
        assertThat(only(report, "pg_restore", "drills.monthly").severity()).isEqualTo(Severity.OK);
        assertThat(report.findings()).noneMatch(f -> f.check().equals("pg_dump") && f.subject().equals("drills.monthly"));
    }
}
