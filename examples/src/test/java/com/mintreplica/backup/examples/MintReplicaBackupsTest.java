package com.mintreplica.backup.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.testkit.InMemorySink;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a host app tests its backup wiring without a disk repository: the testkit's in-memory Sink stands in for S3 or
 * a backup volume, and the test can look at (or damage) what was stored.
 */
class MintReplicaBackupsTest {
    @TempDir
    Path temp;

    @Test
    void the_nightly_file_job_backs_up_config_and_logs_but_not_rotated_archives() throws Exception {
        Path config = Files.createDirectories(temp.resolve("etc/mint"));
        Path logs = Files.createDirectories(temp.resolve("var/log/mint"));
        Files.writeString(config.resolve("app.yaml"), "currency: EUR\n");
        Files.writeString(logs.resolve("app.log"), "started\n");
        Files.writeString(logs.resolve("app.log.1.gz"), "old");

        InMemorySink sink = new InMemorySink();
        MintReplicaBackups backups = new MintReplicaBackups(sink, config, logs);
        BackupResult result = backups.backupFiles();

        assertThat(result.snapshot().job()).contains("files");
        assertThat(result.snapshot().tags()).containsExactly("daily");
        assertThat(backups.repository().entries(result.snapshot()))
                .extracting(e -> e.path())
                .anyMatch(p -> p.endsWith("etc/mint/app.yaml"))
                .anyMatch(p -> p.endsWith("var/log/mint/app.log"))
                .noneMatch(p -> p.endsWith(".gz"));
        assertThat(sink.objects().keySet()).anyMatch(n -> n.startsWith("snapshots/"));
        assertThat(backups.verifyLatest().ok()).isTrue();

        Path restored = temp.resolve("restored");
        backups.restoreLatestTo(restored);
        assertThat(restored.resolve(config.toString().substring(1)).resolve("app.yaml")).hasContent("currency: EUR");
    }

    @Test
    void a_damaged_store_is_caught_by_verification() {
        InMemorySink sink = new InMemorySink();
        MintReplicaBackups backups = new MintReplicaBackups(sink, temp, temp);
        try {
            Files.writeString(temp.resolve("ledger.csv"), "2026-11-24,42.00\n".repeat(1000));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        backups.backupFiles();
        sink.objects().keySet().stream().filter(n -> n.startsWith("data/")).forEach(n -> sink.corrupt(n, 5));
        assertThat(backups.verifyLatest().ok()).isFalse();
    }
}
