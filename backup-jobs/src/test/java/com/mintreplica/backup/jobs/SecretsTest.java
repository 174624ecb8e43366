package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.jobs.config.AuditConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.jobs.internal.Redactor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No secret reaches a log line, an audit line, a run record or a result. */
class SecretsTest {
    static final String PASSWORD = "pg-secret-value-4711";

    @TempDir
    Path temp;

    @Test
    void the_redactor_replaces_tracked_secrets_and_uri_credentials() {
        Redactor redactor = new Redactor();
        redactor.track(Secret.of(PASSWORD));
        String message = redactor.message(new IllegalStateException("login with " + PASSWORD
                + " to postgresql://backup:" + PASSWORD + "@db/mint and s3://AKIA:wJalr@bucket/p?token=t0k3n failed"));
        assertThat(message).doesNotContain(PASSWORD).doesNotContain("wJalr").doesNotContain("t0k3n")
                .contains("login with ***").contains("s3://***@bucket/p?token=***");
    }

    @Test
    void a_failing_database_job_leaves_no_password_in_result_audit_run_record_or_log() throws Exception {
        Path audit = temp.resolve("audit.jsonl");
        Path repo = temp.resolve("repo");
        JobsConfig config = JobsConfig.builder()
                .audit(new AuditConfig(java.util.Optional.of(audit), true))
                .repository(RepositoryConfig.of("primary", repo.toString()))
                .job(JobConfig.builder("db").repository("primary")
                        .source(SourceConfig.location("postgresql://backup@127.0.0.1:1/mint") // nothing listens there
                                .password(SecretRef.env("PG_PW")).environment("PGCONNECT_TIMEOUT", SecretRef.literal("2"))
                                .build())
                        .build())
                .build();
        try (JobScheduler scheduler = JobScheduler.builder(config).environment(Map.of("PG_PW", PASSWORD)).host("h").build()) {
            JobResult result = scheduler.runNow("db", false);
            assertThat(result.outcome()).isEqualTo(JobResult.Outcome.FAILED);
            assertThat(result.error()).hasValueSatisfying(e -> assertThat(e).isNotBlank().doesNotContain(PASSWORD));
            assertThat(result.toString()).doesNotContain(PASSWORD);
        }
        assertThat(Files.readString(audit)).contains("\"result\":\"failed\"").doesNotContain(PASSWORD);
        try (var files = Files.walk(repo)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1)).as(p.toString()).doesNotContain(PASSWORD);
            }
        }
        Path log = Path.of("target/test-logs.txt");
        assertThat(Files.readString(log)).contains("job db failed").doesNotContain(PASSWORD);
    }
}
