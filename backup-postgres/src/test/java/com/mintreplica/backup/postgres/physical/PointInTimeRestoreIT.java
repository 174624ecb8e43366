package com.mintreplica.backup.postgres.physical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Restores to a point on a real PostgreSQL 15 with WAL archiving on: to a time in the middle of a pgbench run (the
 * issue's headline test), to an LSN, a named restore point and a transaction id; a tablespace round trip; a target
 * time outside the window refused with nothing written.
 */
@Timeout(900)
class PointInTimeRestoreIT {
    static PitrFixture f;
    static Path tablespace;

    @BeforeAll
    static void start() throws Exception {
        f = new PitrFixture();
        f.pgbenchAndWait(Duration.ofMinutes(5), "-i", "-s", "2", "-q");
        tablespace = f.postgresDir("tablespace-original");
        f.pg.sql("postgres", "create table ticks(at timestamptz not null);"
                + " create table marks(name text primary key);"
                + " create tablespace ts location '" + tablespace + "';"
                + " create table spaced(id int, note text) tablespace ts;"
                + " insert into spaced select i, 'row ' || i from generate_series(1, 5000) i;");
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    @Test
    void restoresToATimeInTheMiddleOfAPgbenchRunWithTheBaseBackupTakenDuringIt() throws Exception {
        AtomicBoolean ticking = new AtomicBoolean(true);
        AtomicReference<Throwable> tickFailure = new AtomicReference<>();
        Thread ticker = new Thread(() -> {
            try (Connection c = f.connectSource(); Statement st = c.createStatement()) {
                while (ticking.get()) {
                    st.execute("insert into ticks values (clock_timestamp())");
                    Thread.sleep(100);
                }
            } catch (Throwable e) {
                tickFailure.set(e);
            }
        }, "ticker");
        ticker.start();
        Process bench = f.pgbench("-c", "2", "-T", "14", "-n");
        Thread.sleep(3000);
        f.baseBackup(); // while pgbench and the ticker write
        Thread.sleep(2500);
        String target;
        try (Connection c = f.connectSource()) {
            target = PitrFixture.now(c);
        }
        Thread.sleep(3000);
        ticking.set(false);
        ticker.join(10_000);
        assertThat(bench.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(tickFailure.get()).isNull();
        f.archiveCurrentWal();

        Path data = f.postgresDir("to-time");
        PointInTimeRestore.Result r = f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .target(RecoveryTarget.time(Instant.parse(target))).start(true)
                .tablespace(tablespace.toString(), f.postgresDir("to-time-ts")).timeout(Duration.ofMinutes(5))
                .binDir(f.pg.binDir()), data);
        assertThat(r.server().orElseThrow().state()).isEqualTo("paused");
        assertThat(r.facts().stopTime()).isBefore(Instant.parse(target));
        try (Connection c = f.connectCopy(r.server().get().port())) {
            assertThat(PitrFixture.one(c, "select count(*) from ticks where at > '" + target + "'")).isEqualTo("0");
            double gap = Double.parseDouble(PitrFixture.one(c,
                    "select extract(epoch from ('" + target + "'::timestamptz - max(at))) from ticks"));
            assertThat(gap).isBetween(0.0, 1.0);
            String accounts = PitrFixture.one(c, "select sum(abalance) from pgbench_accounts");
            assertThat(PitrFixture.one(c, "select sum(tbalance) from pgbench_tellers")).isEqualTo(accounts);
            assertThat(PitrFixture.one(c, "select sum(bbalance) from pgbench_branches")).isEqualTo(accounts);
            // pgbench did write, before and after the target: the copy is not simply the base backup or the end
            assertThat(PitrFixture.one(c, "select count(*) from pgbench_history")).isNotEqualTo("0");
            assertThat(PitrFixture.one(c, "select count(*) from pgbench_history"))
                    .isNotEqualTo(f.pg.query("postgres", "select count(*) from pgbench_history").strip());
        }
        System.out.printf("restored to %s: %s, in %s%n", target, r.server().get().stoppedAt().orElse("?"),
                r.server().get().took());
        f.stopCopy(data);
    }

    @Test
    void restoresToAnLsnARestorePointAndATransactionId() throws Exception {
        f.baseBackup();
        String lsn;
        String xid;
        try (Connection c = f.connectSource(); Statement st = c.createStatement()) {
            st.execute("insert into marks values ('before-lsn')");
            lsn = PitrFixture.one(c, "select pg_current_wal_insert_lsn()::text");
            st.execute("insert into marks values ('after-lsn')");
            st.execute("select pg_create_restore_point('before-release')");
            st.execute("insert into marks values ('after-point')");
            c.setAutoCommit(false);
            st.execute("insert into marks values ('the-xid')");
            xid = PitrFixture.one(c, "select pg_current_xact_id()::text");
            c.commit();
            c.setAutoCommit(true);
            st.execute("insert into marks values ('after-xid')");
        }
        f.archiveCurrentWal();

        assertThat(marksAt(RecoveryTarget.lsn(Lsn.parse(lsn)), "to-lsn"))
                .contains("before-lsn").doesNotContain("after-lsn");
        assertThat(marksAt(RecoveryTarget.name("before-release"), "to-name"))
                .contains("before-lsn", "after-lsn").doesNotContain("after-point");
        assertThat(marksAt(RecoveryTarget.xid(xid), "to-xid"))
                .contains("after-point", "the-xid").doesNotContain("after-xid");
        assertThat(marksAt(RecoveryTarget.xid(xid).inclusive(false), "to-xid-exclusive"))
                .contains("after-point").doesNotContain("the-xid");
    }

    private String marksAt(RecoveryTarget target, String dir) throws Exception {
        Path data = f.postgresDir(dir);
        PointInTimeRestore.Result r = f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .target(target).tablespace(tablespace.toString(), f.postgresDir(dir + "-ts")).start(true).timeout(Duration.ofMinutes(5)).binDir(f.pg.binDir()), data);
        assertThat(r.server().orElseThrow().state()).isEqualTo("paused");
        try (Connection c = f.connectCopy(r.server().get().port())) {
            return PitrFixture.one(c, "select string_agg(name, ',' order by name) from marks");
        } finally {
            f.stopCopy(data);
        }
    }

    @Test
    void aServerThatEndsRecoveryShortOfItsTargetIsAFailedRestoreNotAShutdown() throws Exception {
        f.baseBackup();
        f.archiveCurrentWal();
        Path data = f.postgresDir("short-of-target");
        // No restore point of that name exists: PostgreSQL replays every archived segment, then stops with FATAL
        // "recovery ended before configured recovery target was reached" and the postmaster shuts down. That is a
        // restore that did not reach its target, never a "shut down at the target".
        assertThatThrownBy(() -> f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .target(RecoveryTarget.name("never-created")).tablespace(tablespace.toString(),
                        f.postgresDir("short-of-target-ts")).start(true).timeout(Duration.ofMinutes(5))
                .binDir(f.pg.binDir()), data))
                .isInstanceOf(BackupException.class)
                .hasMessageContaining("stopped before recovery ended")
                .hasMessageContaining("recovery ended before configured recovery target was reached");
    }

    @Test
    void aTargetTimeOutsideTheWindowIsRefusedBeforeAnythingIsWritten() throws Exception {
        f.baseBackup();
        Path data = f.postgresDir("outside");
        assertThatThrownBy(() -> f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .target(RecoveryTarget.time(Instant.parse("2001-01-01T00:00:00Z"))), data))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("before the oldest base backup ended")
                .hasMessageContaining("the recoverable window is 20");
        Instant end = Instant.now().minusSeconds(1);
        assertThatThrownBy(() -> f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .archiveEnd(end).target(RecoveryTarget.time(end.plusSeconds(3600))), data))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("after the newest archived WAL")
                .hasMessageContaining("to " + end);
        try (Stream<Path> s = Files.list(data)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void aTablespaceComesBackWhereItIsMapped() throws Exception {
        f.baseBackup();
        f.pg.sql("postgres", "insert into spaced select i, 'later ' || i from generate_series(5001, 6000) i");
        f.archiveCurrentWal();
        String oid = f.pg.query("postgres", "select oid from pg_tablespace where spcname = 'ts'").strip();
        Path data = f.postgresDir("with-tablespace");
        Path moved = f.postgresDir("tablespace-moved");
        PointInTimeRestore.Result r = f.restore(PointInTimeRestore.builder().restoreCommand(f.restoreCommand())
                .tablespace(tablespace.toString(), moved).start(true).timeout(Duration.ofMinutes(5))
                .binDir(f.pg.binDir()), data);
        assertThat(Files.readSymbolicLink(data.resolve("pg_tblspc").resolve(oid))).isEqualTo(moved);
        try (Connection c = f.connectCopy(r.server().orElseThrow().port())) {
            assertThat(PitrFixture.one(c, "select count(*) from spaced")).isEqualTo("6000");
            assertThat(PitrFixture.one(c, "select pg_tablespace_location(" + oid + ")")).isEqualTo(moved.toString());
        } finally {
            f.stopCopy(data);
        }
        try (Stream<Path> s = Files.list(moved)) {
            assertThat(s.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("PG_15_"));
        }
    }
}
