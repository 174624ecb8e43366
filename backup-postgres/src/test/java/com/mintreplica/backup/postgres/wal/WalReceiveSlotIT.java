package com.mintreplica.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.internal.receive.Lsn;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import com.mintreplica.backup.testkit.postgres.RecoveredCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slot's side of wal-receive on a real PostgreSQL 15: the slot is created only when asked; its position (what the
 * server may remove) never passes what the archive holds, even while the archive refuses every push; and a receiver
 * started after a crash resumes from the slot, leaving no gap in the archive and nothing a recovery misses.
 */
class WalReceiveSlotIT {
    static PostgresCluster pg;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.builder().allowReplication().setting("synchronous_commit", "on").start();
        pg.sql("postgres", "create table rows(id bigint primary key, pad text)");
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    void aMissingSlotIsCreatedOnlyWhenAsked() throws Exception {
        WalArchive archive = WalArchive.open(Repository.init(new LocalDirectorySink(temp.resolve("repo"))), "db");
        WalReceiver receiver = WalReceiver.builder().connection(WalReceiveIT.connection(pg)).slot("not_there")
                .archive(archive).build();
        assertThatThrownBy(receiver::run).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("replication slot 'not_there' does not exist")
                .hasMessageContaining("--create-slot");
        assertThat(pg.query("postgres", "select count(*) from pg_replication_slots where slot_name = 'not_there'").strip())
                .isEqualTo("0");
        assertThat(receiver.awaitStopped(Duration.ofSeconds(1))).isTrue();
    }

    @Test
    void theSlotKeepsWhatTheArchiveLacksAndARestartLeavesNoGap() throws Exception {
        Repository repository = Repository.init(new LocalDirectorySink(temp.resolve("repo")));
        WalArchive archive = WalArchive.open(repository, "db");
        LosableDestination first = new LosableDestination(archive);
        WalReceiver a = WalReceiver.builder().connection(WalReceiveIT.connection(pg)).slot("restart_test")
                .createSlot(true).destination(first)
                .statusInterval(Duration.ofMillis(100)) // it tells the server where it is ten times a second
                .build();
        Thread ta = new Thread(a::run, "receiver-a");
        ta.start();
        long lost;
        try (RecoveredCluster restored = RecoveredCluster.baseBackup(pg)) {
            try {
                WalReceiveIT.awaitDurable(a);
                // While rows arrive, the slot's position is never past what the archive confirmed.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                int samples = 0;
                for (int id = 1; System.nanoTime() < deadline; id += 20) {
                    insert(id, 20);
                    long slot = slotPosition();
                    long durable = Lsn.parse(a.progress().durable().orElseThrow());
                    assertThat(slot).as("slot position %s against the archived end %s", Lsn.format(slot),
                            Lsn.format(durable)).isLessThanOrEqualTo(durable);
                    samples++;
                }
                assertThat(samples).isGreaterThan(10);
                awaitDurable(a, currentFlush());
                // The archive goes away (a bucket that refuses writes): nothing the receiver gets is durable now.
                first.loseHost();
                lost = Lsn.parse(a.progress().durable().orElseThrow());
                for (int i = 0; i < 3; i++) {
                    insert(100_000 + i * 1000, 200);
                    pg.query("postgres", "select pg_switch_wal()");
                }
                Thread.sleep(1500); // the receiver gets all of it and tries to push it, in vain
                assertThat(a.progress().received()).isPresent();
                assertThat(Lsn.parse(a.progress().received().get())).as("it received WAL past the loss")
                        .isGreaterThan(lost);
                long slot = slotPosition();
                assertThat(slot).as("the slot's position (%s) against the end of the archived WAL (%s)",
                        Lsn.format(slot), Lsn.format(lost)).isLessThanOrEqualTo(lost);
            } finally {
                a.stop(); // the receiver "crashes": what it had not pushed is gone with it
                assertThat(a.awaitStopped(Duration.ofSeconds(20))).isTrue();
                ta.join(5000);
            }
            // A new receiver on the same slot and archive resumes from the slot.
            WalReceiver b = WalReceiver.builder().connection(WalReceiveIT.connection(pg)).slot("restart_test")
                    .archive(archive).build();
            Thread tb = new Thread(b::run, "receiver-b");
            tb.start();
            try {
                insert(200_000, 50);
                awaitDurable(b, currentFlush());
            } finally {
                b.stop();
                assertThat(b.awaitStopped(Duration.ofSeconds(20))).isTrue();
                tb.join(5000);
            }
            WalVerifyReport report = archive.verify(true);
            assertThat(report.gaps()).as("gaps in the archive").isEmpty();
            assertThat(report.problems()).isEmpty();
            WalReceiveIT.fetchAll(archive, restored.walDirectory());
            restored.recover();
            assertThat(restored.query("select count(*) from rows").strip()).isEqualTo(pg.query("postgres",
                    "select count(*) from rows").strip());
        }
    }

    private static void insert(long from, int n) {
        pg.sql("postgres", "insert into rows select g, repeat('x', 2000) from generate_series(" + from + ", "
                + (from + n - 1) + ") g");
    }

    private static long slotPosition() {
        return Lsn.parse(pg.query("postgres",
                "select restart_lsn from pg_replication_slots where slot_name = 'restart_test'").strip());
    }

    private static long currentFlush() {
        return Lsn.parse(pg.query("postgres", "select pg_current_wal_flush_lsn()").strip());
    }

    private static void awaitDurable(WalReceiver r, long lsn) throws InterruptedException {
        LongSupplier durable = () -> r.progress().durable().map(Lsn::parse).orElse(-1L);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (durable.getAsLong() < lsn) {
            assertThat(System.nanoTime()).as("WAL up to %s durable within 60 s (at %s)", Lsn.format(lsn),
                    r.progress().durable().orElse("-")).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
