package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.config.CopyConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** docs/config-example.yaml, the Mint Replica procedure, stays valid and means what its comments say. */
class ConfigExampleTest {
    private static final Path EXAMPLE = Path.of("..", "docs", "config-example.yaml");

    @Test
    void the_example_config_loads_and_mirrors_the_mint_replica_procedure() {
        JobsConfig config = JobsConfig.load(EXAMPLE);

        assertThat(config.host()).contains("mint-replica");
        assertThat(config.zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(config.lease()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.stallTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.audit().file()).contains(Path.of("/var/log/mint-backup/audit.jsonl"));
        assertThat(config.audit().repository()).isTrue();

        assertThat(config.keys()).containsOnlyKeys("ops", "escrow");
        assertThat(config.keys().get("ops").passphrase()).contains(SecretRef.file(Path.of("/run/secrets/mint-backup-ops-passphrase")));
        assertThat(config.repositories()).containsOnlyKeys("primary", "s3", "gcs");
        assertThat(config.repository("primary").copies()).containsExactly("s3", "gcs");
        assertThat(config.repository("s3").location()).startsWith("s3://");
        assertThat(config.repository("gcs").location()).startsWith("gs://");
        assertThat(config.repository("primary").encryption().orElseThrow().recipients()).containsExactly("ops", "escrow");
        assertThat(config.repository("primary").prune()).isPresent();

        assertThat(config.jobs()).containsOnlyKeys("postgres-daily", "postgres-hourly", "ledger", "mongodb-daily", "config-files",
                "logs");
        // point-in-time recovery: a nightly base backup, 30 days of window, WAL through wal-push --job ledger
        assertThat(config.job("ledger").source().location()).hasValueSatisfying(l -> assertThat(l)
                .startsWith("postgresql-physical://"));
        assertThat(config.job("ledger").source().options()).containsEntry("cluster", "ledger");
        assertThat(config.job("ledger").retention().orElseThrow().keepDaily()).isEqualTo(30);
        assertThat(JobsConfig.kindOf(config.job("ledger"))).contains("postgresql-physical");
        JobConfig daily = config.job("postgres-daily");
        JobConfig hourly = config.job("postgres-hourly");
        assertThat(daily.source().location()).hasValueSatisfying(l -> assertThat(l).startsWith("postgresql://"));
        assertThat(daily.source().password()).contains(SecretRef.env("MINT_BACKUP_PG_PASSWORD"));
        // Full daily at 01:00 Berlin time, hourly in between: never both in one hour.
        Instant day = Instant.parse("2026-11-24T00:30:00Z");
        assertThat(daily.schedule().orElseThrow().next(day)).isEqualTo(Instant.parse("2026-11-25T00:00:00Z"));
        assertThat(hourly.schedule().orElseThrow().next(Instant.parse("2026-11-24T23:30:00Z")))
                .isEqualTo(Instant.parse("2026-11-25T01:00:00Z"));
        assertThat(daily.retention().orElseThrow().keepDaily()).isEqualTo(14);
        assertThat(config.copiesOf(daily)).extracting(CopyConfig::repository).containsExactly("s3", "gcs");
        assertThat(config.copiesOf(daily).get(1).retention().orElseThrow().keepDaily()).isEqualTo(7);
        assertThat(config.copiesOf(hourly)).extracting(CopyConfig::repository).containsExactly("s3");
        assertThat(hourly.alertAfter()).contains(Duration.ofMinutes(30));

        assertThat(config.job("mongodb-daily").source().location()).hasValueSatisfying(l -> assertThat(l).startsWith("mongodb://"));
        assertThat(config.job("config-files").source().paths()).contains(Path.of("/etc/mint-replica"));
        assertThat(config.copiesOf(config.job("config-files"))).extracting(CopyConfig::repository).containsExactly("s3", "gcs");
        assertThat(config.job("logs").retention().orElseThrow().keepWithin()).isEqualTo(Optional.of("90d"));

        assertThat(config.drills()).containsOnlyKeys("postgres-monthly", "ledger-pitr", "config-weekly");
        assertThat(config.drills().get("ledger-pitr").checks()).containsExactly("recovery", "smoke");
        assertThat(config.drills().get("postgres-monthly").job()).isEqualTo("postgres-daily");
        assertThat(config.drills().get("postgres-monthly").options()).containsEntry("no-owner", "true");
        assertThat(config.drills().get("postgres-monthly").smoke()).hasValueSatisfying(q -> assertThat(q).startsWith("select"));
        assertThat(config.drills().get("config-weekly").checks()).containsExactly("file-hashes", "verify");
    }
}
