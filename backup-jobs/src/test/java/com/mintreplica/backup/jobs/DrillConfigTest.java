package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A drill that cannot work is a config error with its line, before anything runs. */
class DrillConfigTest {
    @TempDir
    Path temp;

    @Test
    void checks_smoke_queries_targets_and_passwords_that_do_not_fit_the_job_are_config_errors_with_their_lines() throws Exception {
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, """
                repositories:
                  primary: {location: /srv/backup}
                jobs:
                  etc:
                    source: {paths: [/etc/mint]}
                    repository: primary
                  db:
                    source: {location: "postgresql://backup@db/mint"}
                    repository: primary
                drills:
                  etc-weekly:
                    job: etc
                    target: s3://bucket/drills
                    checks: [file-hashes, row-counts, speed]
                    smoke: "select 1"
                    password: env:X
                  db-monthly:
                    job: db
                    target: /var/tmp/drills
                  db-same-server:
                    job: db
                    password: env:X
                """);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> JobsConfig.load(file));

        assertThat(e.problems()).extracting(ConfigProblem::field).containsExactlyInAnyOrder(
                "drills.etc-weekly.target", "drills.etc-weekly.checks[1]", "drills.etc-weekly.checks[2]",
                "drills.etc-weekly.smoke", "drills.etc-weekly.password", "drills.db-monthly.target",
                "drills.db-same-server.password");
        assertThat(e.getMessage()).contains("check 'row-counts' does not apply to job 'etc', a fs job")
                .contains("unknown check 'speed'").contains("a smoke query is SQL, for PostgreSQL jobs")
                .contains("makes postgresql snapshots, which cannot be restored to a fs target")
                .contains("without one the drill uses the job's server and login");
        assertThat(e.problems()).filteredOn(p -> p.field().equals("drills.etc-weekly.checks[2]")).singleElement()
                .satisfies(p -> assertThat(p.line()).isEqualTo(14));
    }
}
