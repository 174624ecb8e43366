package com.mintreplica.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import com.mintreplica.backup.testkit.postgres.RecoveredCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16's acceptance with {@code wal-receive}: a real PostgreSQL 15 streams WAL through a physical slot into the
 * archive while a table receives a committed row every 100 ms; the server is killed ({@code pg_ctl stop -m
 * immediate}); a base backup ({@code pg_basebackup -X none}, so every byte of WAL comes from the archive) recovered by
 * a real server to the end of the archived WAL holds every row committed more than 1 s before the shutdown. The
 * receiver is lost with the host (nothing it pushes after the shutdown counts), so the test shows the promise of the
 * {@code .partial} pushes, not a receiver that survives and pushes what it had at the end.
 */
class WalReceiveIT {

    @TempDir
    Path temp;

    @Test
    void immediateShutdownLosesNothingOlderThanOneSecond() throws Exception {
        Repository repository = Repository.init(new LocalDirectorySink(temp.resolve("repo")));
        WalArchive walArchive = WalArchive.open(repository, "ledger");
        LosableDestination archive = new LosableDestination(walArchive);
        try (PostgresCluster pg = PostgresCluster.builder().allowReplication()
                .setting("synchronous_commit", "on").start()) {
            WalReceiver receiver = WalReceiver.builder()
                    .connection(connection(pg))
                    .slot("mint_test").createSlot(true)
                    .destination(archive)
                    .build();
            Thread thread = new Thread(receiver::run, "wal-receiver");
            thread.start();
            try {
                awaitDurable(receiver);
                pg.sql("postgres", "create table ticks(id bigint primary key, at timestamptz not null)");
                try (RecoveredCluster restored = RecoveredCluster.baseBackup(pg)) {
                    Map<Long, Instant> committed = new ConcurrentSkipListMap<>();
                    Instant shutdown;
                    try (Connection c = connection(pg).connect(); Statement st = c.createStatement()) {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
                        for (long id = 1; System.nanoTime() < deadline; id++) {
                            try (ResultSet rs = st.executeQuery("insert into ticks values (" + id
                                    + ", clock_timestamp()) returning at")) {
                                rs.next();
                                committed.put(id, rs.getTimestamp(1).toInstant()); // autocommit: committed now
                            }
                            Thread.sleep(100);
                        }
                        // The whole host goes: the database (immediate shutdown) and the receiver beside it, which
                        // pushes nothing more. Only what the archive held at that moment counts.
                        shutdown = Instant.now();
                        archive.loseHost();
                        pg.stopImmediately();
                    }
                    receiver.stop();
                    assertThat(receiver.awaitStopped(Duration.ofSeconds(15))).as("receiver stops in time").isTrue();
                    thread.join(5000);

                    fetchAll(walArchive, restored.walDirectory());
                    restored.recover();
                    Map<Long, Instant> recovered = new TreeMap<>();
                    for (String line : restored.query("select id, extract(epoch from at) from ticks").split("\n")) {
                        if (!line.isBlank()) {
                            String[] f = line.split("\\|");
                            recovered.put(Long.parseLong(f[0]), Instant.ofEpochMilli(
                                    Math.round(Double.parseDouble(f[1]) * 1000)));
                        }
                    }
                    Instant cutoff = shutdown.minusSeconds(1);
                    recovered.values().stream().max(Instant::compareTo).ifPresent(newest -> System.out.printf(
                            "wal-receive: %d of %d rows recovered; the newest committed %d ms before the shutdown%n",
                            recovered.size(), committed.size(), Duration.between(newest, shutdown).toMillis()));
                    List<Long> lost = committed.entrySet().stream().filter(e -> e.getValue().isBefore(cutoff))
                            .map(Map.Entry::getKey).filter(id -> !recovered.containsKey(id)).toList();
                    assertThat(committed).hasSizeGreaterThan(30);
                    assertThat(lost).as("rows committed more than 1 s before the shutdown at " + shutdown
                            + " that the archive lost (recovered up to id " + recovered.keySet().stream()
                            .max(Long::compare).orElse(0L) + " of " + committed.size() + "); pushes: "
                            + archive.pushes.size()).isEmpty();
                    assertThat(recovered.keySet()).isSubsetOf(committed.keySet());
                    // The archive was fed by .partial pushes: 6 s of ticks never fill a 16 MiB segment.
                    assertThat(archive.pushes).anyMatch(n -> n.endsWith(".partial"));
                }
            } finally {
                receiver.stop();
                thread.join(20_000);
            }
        }
    }

    static PostgresConnection connection(PostgresCluster pg) {
        return PostgresConnection.builder().url(pg.uri("postgres")).password(pg.password()).build();
    }

    static void awaitDurable(WalReceiver receiver) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (receiver.progress().durable().isEmpty()) {
            assertThat(System.nanoTime()).as("the receiver pushed something within 30 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /**
     * Fetches, through {@link WalArchive#fetch} as {@code wal-fetch} does, every WAL file recovery will ask for into
     * the directory the restored server's {@code restore_command} copies from (a restore_command running the CLI is
     * backup-cli's test; here the server runs as another user than the test's class path). A segment that only has
     * {@code .partial} copies is asked for by its own name, as recovery asks.
     */
    static void fetchAll(WalArchive archive, Path walDir) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (WalFile f : archive.list()) {
            names.add(f.type() == WalFile.Type.PARTIAL ? f.name().substring(0, 24) : f.name());
        }
        for (String name : names) {
            assertThat(archive.fetch(name, walDir.resolve(name))).as("fetch " + name).isTrue();
        }
    }
}
