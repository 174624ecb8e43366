package com.mintreplica.backup.cli;

import static com.mintreplica.backup.cli.LauncherPostgres.LAUNCHER;
import static com.mintreplica.backup.cli.LauncherPostgres.deleteTree;
import static com.mintreplica.backup.cli.LauncherPostgres.java;
import static com.mintreplica.backup.cli.LauncherPostgres.workDir;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import com.mintreplica.backup.testkit.postgres.RecoveredCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 16's immediate-shutdown acceptance through the real launcher ({@code bin/mint-backup}, the packaged jar) and a
 * real PostgreSQL 15: a table receives a committed row with {@code clock_timestamp()} every 100 ms; the server is
 * stopped with {@code pg_ctl stop -m immediate}; a base backup taken with {@code pg_basebackup -X none} is recovered
 * with {@code restore_command = 'mint-backup wal-fetch ...'}, to the end of the archived WAL.
 * <ul>
 *   <li>with {@code mint-backup wal-receive} running (stopped by SIGTERM afterwards, within a bound), no row committed
 *   more than 1 s before the shutdown is missing, and wal-fetch serves the last segment from its {@code .partial};</li>
 *   <li>with {@code archive_command = 'mint-backup wal-push ...'} and {@code archive_timeout}, none older than the
 *   timeout plus the time one wal-push takes. The timeout is 10 s here instead of the 60 s, so the test
 *   waits 25 s rather than 2 minutes; the promise scales with it.</li>
 * </ul>
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WalReceiveCommandIT {
    private Path work;
    private PostgresCluster pg;

    @AfterEach
    void stop() throws IOException {
        if (pg != null) {
            pg.close();
        }
        deleteTree(work);
    }

    @Test
    void walReceiveLosesNothingOlderThanOneSecondAndStopsOnSigterm() throws Exception {
        pg = PostgresCluster.builder().allowReplication().setting("synchronous_commit", "on").start();
        Path repo = repository();
        pg.sql("postgres", "create table ticks(id bigint primary key, at timestamptz not null)");
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "wal-receive", "--repo", repo.toString(),
                "--cluster", "db1", "--no-cache", "--connection", pg.uri("postgres"), "--slot", "mint_cli",
                "--create-slot"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("receive.log").toFile());
        pb.environment().put("JAVA", java());
        pb.environment().put("PGPASSWORD", pg.password().reveal()); // never in an argument
        Process receiver = pb.start();
        // The slot holds WAL from its creation: the base backup comes after it, so the archive has all it needs.
        awaitLog("streaming from", 60);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!pg.query("postgres", "select count(*) from pg_replication_slots where slot_name = 'mint_cli'"
                + " and restart_lsn is not null").strip().equals("1")) {
            assertThat(System.nanoTime()).as("the slot is created within 60 s: " + log()).isLessThan(deadline);
            Thread.sleep(100);
        }
        try (RecoveredCluster restored = RecoveredCluster.baseBackup(pg)) {
            Map<Long, Instant> committed = new ConcurrentSkipListMap<>();
            Instant shutdown = tick(committed, 8);
            pg.stopImmediately();
            Thread.sleep(1000);
            long t0 = System.nanoTime();
            receiver.destroy(); // SIGTERM
            assertThat(receiver.waitFor(40, TimeUnit.SECONDS)).as("wal-receive ends on SIGTERM: " + log()).isTrue();
            long stopMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(log()).contains("mint-backup wal-receive: stopped");
            System.out.println("wal-receive: ended " + stopMillis + " ms after SIGTERM");

            WalArchive archive = WalArchive.open(Repository.open(new LocalDirectorySink(repo)), "db1");
            assertThat(archive.list()).as("the segment being filled is archived as .partial")
                    .anyMatch(f -> f.type() == WalFile.Type.PARTIAL);
            restored.recover(fetchCommand(repo));
            assertThat(restored.log()).contains("restored log file");
            assertRecovered(restored, committed, shutdown, Duration.ofSeconds(1), "wal-receive");
        } finally {
            receiver.destroyForcibly();
        }
    }

    @Test
    void archiveCommandLosesNothingOlderThanTheArchiveTimeout() throws Exception {
        int timeout = 10;
        pg = PostgresCluster.builder().allowReplication().setting("synchronous_commit", "on")
                .setting("archive_mode", "on") // archive_command from postgresql.auto.conf: a -c setting would win
                .setting("archive_timeout", Integer.toString(timeout)).start();
        Path repo = repository();
        pg.archiveCommand("JAVA=" + java() + " " + LAUNCHER + " wal-push --repo " + repo + " --cluster db1 --no-cache %p");
        pg.sql("postgres", "create table ticks(id bigint primary key, at timestamptz not null)");
        try (RecoveredCluster restored = RecoveredCluster.baseBackup(pg)) {
            Map<Long, Instant> committed = new ConcurrentSkipListMap<>();
            Instant shutdown = tick(committed, 25);
            pg.stopImmediately();
            restored.recover(fetchCommand(repo));
            // archive_timeout forces a segment switch; archive_command then takes one wal-push (a JVM start) to store
            // it: 5 s is ample for that on this machine.
            assertRecovered(restored, committed, shutdown, Duration.ofSeconds(timeout + 5), "archive_command");
        }
    }

    private Path repository() throws Exception {
        work = workDir("mint-walrecv-");
        return LauncherPostgres.repository(pg, work.resolve("repo")); // wal-push and wal-fetch run as the server's user
    }

    private static String fetchCommand(Path repo) {
        return "JAVA=" + java() + " " + LAUNCHER + " wal-fetch --repo " + repo + " --cluster db1 --no-cache %f %p";
    }

    /** Inserts a committed row every 100 ms for {@code seconds}; returns the moment just before the shutdown. */
    private Instant tick(Map<Long, Instant> committed, int seconds) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", pg.user());
        props.setProperty("password", pg.password().reveal());
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), props); Statement st = c.createStatement()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (long id = 1; System.nanoTime() < deadline; id++) {
                try (ResultSet rs = st.executeQuery("insert into ticks values (" + id + ", clock_timestamp()) returning at")) {
                    rs.next();
                    committed.put(id, rs.getTimestamp(1).toInstant());
                }
                Thread.sleep(100);
            }
        }
        return Instant.now();
    }

    private static void assertRecovered(RecoveredCluster restored, Map<Long, Instant> committed, Instant shutdown,
                                        Duration allowed, String how) throws Exception {
        Map<Long, Instant> recovered = new TreeMap<>();
        for (String line : restored.query("select id, extract(epoch from at) from ticks").split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.split("\\|");
                recovered.put(Long.parseLong(f[0]), Instant.ofEpochMilli(Math.round(Double.parseDouble(f[1]) * 1000)));
            }
        }
        Instant cutoff = shutdown.minus(allowed);
        List<Long> lost = committed.entrySet().stream().filter(e -> e.getValue().isBefore(cutoff))
                .map(Map.Entry::getKey).filter(id -> !recovered.containsKey(id)).toList();
        Instant newest = recovered.values().stream().max(Instant::compareTo).orElse(Instant.EPOCH);
        System.out.printf("%s: %d of %d rows recovered; the newest committed %d ms before the shutdown%n", how,
                recovered.size(), committed.size(), Duration.between(newest, shutdown).toMillis());
        assertThat(committed).hasSizeGreaterThan(40);
        assertThat(lost).as("%s: rows committed more than %s before the shutdown that recovery lost", how, allowed)
                .isEmpty();
        assertThat(recovered.keySet()).isSubsetOf(committed.keySet());
    }

    private void awaitLog(String text, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!log().contains(text)) {
            assertThat(System.nanoTime()).as("'%s' in the receiver's output within %d s: %s", text, seconds, log())
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private String log() throws IOException {
        Path log = work.resolve("receive.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
}
