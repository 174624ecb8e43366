package com.mintreplica.backup.postgres.physical;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Base backups of an unchanged cluster ({@code pgbench -i -s 10}, about 160 MB) deduplicate: the second stores less
 * than 5% of the first. The snapshot leaves out what PostgreSQL's docs say to leave out, holds backup_label, records
 * the LSNs, and restores to a server that starts and holds the same data.
 */
@Timeout(900)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PhysicalDedupIT {
    static PitrFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new PitrFixture();
        f.pgbenchAndWait(Duration.ofMinutes(5), "-i", "-s", "10", "-q");
        f.archiveCurrentWal();
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    @Test
    @Order(1)
    void aSecondBaseBackupOfAnUnchangedClusterStoresLessThanFivePercentOfTheFirst() throws Exception {
        BackupResult first = f.baseBackup();
        BackupResult second = f.baseBackup();
        System.out.printf("first base backup: %d bytes read, %d stored; second: %d read, %d stored (%.2f%%)%n",
                first.bytesRead(), first.bytesStored(), second.bytesRead(), second.bytesStored(),
                100.0 * second.bytesStored() / first.bytesStored());
        assertThat(first.bytesStored()).isGreaterThan(5_000_000L); // pgbench data compresses about 20 to 1
        assertThat(second.bytesRead()).isGreaterThan(100_000_000L); // it read everything again
        assertThat(second.bytesStored()).isLessThan(first.bytesStored() / 20);

        Snapshot s = f.repository.snapshot(SnapshotSelector.id(second.snapshotId()));
        PhysicalFacts facts = PhysicalFacts.of(s).orElseThrow();
        assertThat(facts.stopLsn()).isGreaterThan(facts.startLsn());
        assertThat(facts.timeline()).isEqualTo(1);
        assertThat(facts.systemIdentifier()).isEqualTo(f.pg.query("postgres",
                "select system_identifier from pg_control_system()").strip());
        assertThat(facts.version()).startsWith("15");
        List<String> paths = f.repository.entries(s).stream().map(Entry::path).toList();
        assertThat(paths).contains("pgdata/backup_label", "pgdata/PG_VERSION", "pgdata/global/pg_control",
                "pgdata/pg_wal", "pgdata/pg_wal/archive_status", "pgdata/pg_stat_tmp");
        assertThat(paths).noneMatch(p -> p.startsWith("pgdata/pg_wal/0"));
        assertThat(paths).doesNotContain("pgdata/postmaster.pid", "pgdata/postmaster.opts");
    }

    @Test
    @Order(2)
    void restoreLatestStartsAServerWithTheData() throws Exception {
        f.pg.sql("postgres", "create table after_backup(x int); ");
        f.baseBackup();
        f.pg.sql("postgres", "insert into after_backup select generate_series(1, 1000)");
        f.archiveCurrentWal();
        Path data = f.postgresDir("latest");
        PointInTimeRestore.Result r = f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .start(true).timeout(Duration.ofMinutes(3)).binDir(f.pg.binDir()), data);
        assertThat(r.server()).get().satisfies(sv -> assertThat(sv.state()).isEqualTo("promoted"));
        assertThat(Files.getPosixFilePermissions(data.resolve("PG_VERSION")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(Files.readString(data.resolve("postgresql.auto.conf"))).contains("restore_command = 'cp ");
        try (Connection c = f.connectCopy(r.server().get().port())) {
            assertThat(PitrFixture.one(c, "select count(*) from after_backup")).isEqualTo("1000");
            assertThat(PitrFixture.one(c, "select sum(abalance) from pgbench_accounts")).isEqualTo(
                    f.pg.query("postgres", "select sum(abalance) from pgbench_accounts").strip());
        }
    }
}
