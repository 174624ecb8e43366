package com.mintreplica.backup.postgres.physical;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Entry;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unlogged relations in a base backup, as pg_basebackup and pgBackRest do it: only the init fork ({@code _init}) is
 * stored, the main fork (and its further segments, free space map and visibility map) is not, because PostgreSQL
 * replaces it by the init fork when recovery ends. A real PostgreSQL 15: an unlogged table with 2 MB of rows (and an
 * index, also unlogged) is backed up; the stored entries have its init forks and none of its other forks, while a
 * logged table's files are all there; the restored cluster starts, the unlogged table exists and is empty, the logged
 * one has its rows.
 */
@Timeout(600)
class UnloggedRelationsIT {
    static PitrFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new PitrFixture();
    }

    @AfterAll
    static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void onlyTheInitForkOfAnUnloggedRelationIsStoredAndTheRestoredTableIsEmpty() throws Exception {
        f.pg.sql("postgres", "create unlogged table scratch_u(id int primary key, body text);"
                + " insert into scratch_u select i, repeat('u', 200) from generate_series(1, 10000) i;"
                + " vacuum scratch_u;"
                + " create table kept_l(id int primary key, body text);"
                + " insert into kept_l select i, repeat('l', 200) from generate_series(1, 1000) i;"
                + " vacuum kept_l; checkpoint;");
        String unlogged = f.pg.query("postgres", "select pg_relation_filepath('scratch_u')").strip();
        String unloggedIndex = f.pg.query("postgres", "select pg_relation_filepath('scratch_u_pkey')").strip();
        String logged = f.pg.query("postgres", "select pg_relation_filepath('kept_l')").strip();
        // the source has the forks a backup must leave out
        assertThat(f.pg.dataDir().resolve(unlogged)).isNotEmptyFile();
        assertThat(f.pg.dataDir().resolve(unlogged + "_fsm")).exists();
        assertThat(f.pg.dataDir().resolve(unlogged + "_init")).exists();

        BackupResult backup = f.baseBackup();
        Snapshot s = f.repository.snapshot(SnapshotSelector.id(backup.snapshotId()));
        Map<String, Entry> entries = f.repository.entries(s).stream()
                .collect(Collectors.toMap(Entry::path, e -> e, (a, b) -> a));
        for (String rel : List.of(unlogged, unloggedIndex)) {
            assertThat(entries).containsKey("pgdata/" + rel + "_init");
            assertThat(entries.keySet()).as("forks of unlogged " + rel + " other than _init")
                    .noneMatch(p -> p.equals("pgdata/" + rel) || p.startsWith("pgdata/" + rel + ".")
                            || p.equals("pgdata/" + rel + "_fsm") || p.equals("pgdata/" + rel + "_vm"));
        }
        assertThat(entries).containsKeys("pgdata/" + logged, "pgdata/" + logged + "_fsm", "pgdata/" + logged + "_vm");
        f.archiveCurrentWal();

        java.nio.file.Path data = f.postgresDir("unlogged-restored");
        PointInTimeRestore.Result r = f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .target(RecoveryTarget.latest()).start(true).timeout(Duration.ofMinutes(5)).binDir(f.pg.binDir()), data);
        assertThat(r.server().orElseThrow().state()).isIn("promoted", "paused");
        try (Connection c = f.connectCopy(r.server().get().port())) {
            assertThat(PitrFixture.one(c, "select relpersistence from pg_class where relname = 'scratch_u'")).isEqualTo("u");
            assertThat(PitrFixture.one(c, "select count(*) from scratch_u")).isEqualTo("0");
            assertThat(PitrFixture.one(c, "select count(*) from kept_l")).isEqualTo("1000");
            // usable: the reset table takes rows again
            PitrFixture.one(c, "insert into scratch_u values (1, 'x') returning id");
            assertThat(PitrFixture.one(c, "select count(*) from scratch_u")).isEqualTo("1");
        }
        f.stopCopy(data);
    }
}
