package com.mintreplica.backup.postgres.physical;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A timeline switch: a restored copy is promoted (timeline 2) and keeps archiving into the same archive; a restore of
 * the timeline-1 base backup then follows the archive onto timeline 2 ({@code recovery_target_timeline}) to a restore
 * point made there.
 */
@Timeout(600)
class PhysicalTimelineIT {
    static PitrFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new PitrFixture();
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    @Test
    void aRestoreFollowsAPromotedCopyOntoItsNewTimeline() throws Exception {
        f.pg.sql("postgres", "create table marks(name text primary key); insert into marks values ('tl1-before')");
        f.baseBackup();
        f.pg.sql("postgres", "insert into marks values ('tl1-after')");
        f.archiveCurrentWal();

        Path copy = f.postgresDir("promoted");
        PointInTimeRestore.Result promoted = f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .setting("archive_mode", "on").start(true).timeout(Duration.ofMinutes(3)).binDir(f.pg.binDir()), copy);
        assertThat(promoted.server().orElseThrow().state()).isEqualTo("promoted");
        String segment;
        try (Connection c = f.connectCopy(promoted.server().get().port()); Statement st = c.createStatement()) {
            assertThat(PitrFixture.one(c, "select timeline_id from pg_control_checkpoint()")).isEqualTo("2");
            st.execute("insert into marks values ('tl2-row')");
            st.execute("select pg_create_restore_point('on-tl2')");
            st.execute("insert into marks values ('tl2-after')");
            segment = PitrFixture.one(c, "select pg_walfile_name(pg_switch_wal())");
        }
        assertThat(segment).startsWith("00000002");
        waitFor(f.archive.resolve(segment));
        assertThat(f.archive.resolve("00000002.history")).exists();
        f.stopCopy(copy);

        Path data = f.postgresDir("on-tl2");
        PointInTimeRestore.Result r = f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .target(RecoveryTarget.name("on-tl2").timeline("2")).start(true).timeout(Duration.ofMinutes(3))
                .binDir(f.pg.binDir()), data);
        assertThat(r.facts().timeline()).isEqualTo(1);
        assertThat(r.server().orElseThrow().state()).isEqualTo("paused");
        try (Connection c = f.connectCopy(r.server().get().port())) {
            assertThat(PitrFixture.one(c, "select string_agg(name, ',' order by name) from marks"))
                    .isEqualTo("tl1-after,tl1-before,tl2-row");
        }
        assertThat(Files.readString(data.resolve("postgresql.auto.conf"))).contains("recovery_target_timeline = '2'");
        f.stopCopy(data);
    }

    private static void waitFor(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " was not archived within 60 s");
            }
            Thread.sleep(100);
        }
    }
}
