package com.mintreplica.backup.cli;

import static com.mintreplica.backup.cli.LauncherPostgres.chmodTree;
import static com.mintreplica.backup.cli.LauncherPostgres.connect;
import static com.mintreplica.backup.cli.LauncherPostgres.one;
import static com.mintreplica.backup.cli.LauncherPostgres.postgresDir;
import static com.mintreplica.backup.cli.LauncherPostgres.serverTime;
import static com.mintreplica.backup.cli.LauncherPostgres.stopServers;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.cli.LauncherPostgres.Ticker;
import com.mintreplica.backup.postgres.physical.internal.ServerStarter;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's headline test end to end through mint-backup: a real PostgreSQL 15 archives with
 * {@code archive_command = 'bin/mint-backup wal-push ...'}; a table gets a row with {@code clock_timestamp()} every
 * 100 ms while pgbench writes and {@code mint-backup backup postgresql-physical://...} takes a base backup; then
 * {@code mint-backup restore --target-dir D --to-time T --start} (restore_command: the launcher's wal-fetch) recovers
 * to T: the newest row at most 1 s before T and none after, pgbench's invariant holds. A time outside the window exits
 * 2 with the window named and the directory still empty.
 */
@Timeout(900)
class CliPitrIT {
    static PostgresCluster pg;
    @TempDir
    static Path temp;
    static Path repo;
    static Map<String, String> env;
    static Path launcher;
    static final List<Path> started = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        launcher = LauncherPostgres.launcher();
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        repo = temp.resolve("repo");
        env = Map.of("PGPASSWORD", "unset", "MINT_BACKUP_LAUNCHER", launcher.toString());
        assertThat(Cli.run(env, "init", "--repo", repo.toString()).code()).isZero();
        chmodTree(repo); // PostgreSQL's archive_command runs as postgres and writes wal/ into it
        pg = PostgresCluster.builder().setting("archive_mode", "on").setting("full_page_writes", "on").start();
        env = Map.of("PGPASSWORD", pg.password().reveal(), "MINT_BACKUP_LAUNCHER", launcher.toString());
        pg.archiveCommand(launcher + " wal-push --no-cache --repo " + repo + " --cluster mint %p");
        bench(Duration.ofMinutes(5), "-i", "-s", "2", "-q");
        pg.sql("postgres", "create table ticks(at timestamptz not null)");
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            stopServers(pg, started);
            pg.close();
        }
    }

    @Test
    void restoreToATimeInTheMiddleThroughWalPushAndWalFetch() throws Exception {
        Ticker ticker = Ticker.start(pg);
        Process bench = benchProcess("-c", "2", "-T", "16", "-n");
        Thread.sleep(3000);
        Cli.Result backup = Cli.run(env, "backup", "--repo", repo.toString(), "--no-cache",
                "postgresql-physical://postgres@127.0.0.1:" + pg.port() + "/postgres", "--option", "cluster=mint",
                "--job", "base");
        assertThat(backup.code()).as(backup.toString()).isZero();
        Thread.sleep(3000);
        String target = serverTime(pg);
        Thread.sleep(3000);
        ticker.stop();
        assertThat(bench.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(ticker.failure()).isNull();
        pg.awaitArchived(pg.switchWal(), Duration.ofSeconds(120)); // wal-push exited 0 for it

        // wal list shows the base backup and the window the restore below checks its target against
        Cli.Result walList = Cli.run(env, "wal", "list", "--repo", repo.toString(), "--no-cache", "--cluster", "mint");
        assertThat(walList.code()).as(walList.toString()).isZero();
        assertThat(walList.out()).contains("BASE BACKUP").containsPattern("recoverable window: 20\\S+ to 20\\S+ \\(1 base backup\\)");

        Path data = postgresDir(temp.resolve("restored"));
        Cli.Result early = Cli.run(env, "restore", "--repo", repo.toString(), "--no-cache", "latest", "--target-dir",
                data.toString(), "--to-time", "2001-01-01T00:00:00Z");
        assertThat(early.code()).as(early.toString()).isEqualTo(2);
        assertThat(early.err()).contains("the recoverable window is 20").contains("nothing was written")
                .doesNotContain("Exception");
        Cli.Result late = Cli.run(env, "restore", "--repo", repo.toString(), "--no-cache", "latest", "--target-dir",
                data.toString(), "--to-time", "2099-01-01T00:00:00Z");
        assertThat(late.code()).as(late.toString()).isEqualTo(2);
        assertThat(late.err()).contains("after the newest archived WAL");
        try (Stream<Path> s = Files.list(data)) {
            assertThat(s).isEmpty();
        }

        started.add(data);
        Cli.Result restore = Cli.run(env, "restore", "--repo", repo.toString(), "--no-cache", "latest", "--target-dir",
                data.toString(), "--to-time", target, "--start", "--start-timeout", "5m");
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(Files.readString(data.resolve("postgresql.auto.conf")))
                .contains("restore_command = '" + launcher + " wal-fetch --repo");
        Matcher m = Pattern.compile("server on port (\\d+) paused").matcher(restore.out());
        assertThat(m.find()).as(restore.out()).isTrue();
        int port = Integer.parseInt(m.group(1));
        try (Connection c = connect(pg, port)) {
            assertThat(one(c, "select count(*) from ticks where at > '" + target + "'")).isEqualTo("0");
            double gap = Double.parseDouble(one(c, "select extract(epoch from ('" + target + "'::timestamptz - max(at)))"
                    + " from ticks"));
            assertThat(gap).isBetween(0.0, 1.0);
            String accounts = one(c, "select sum(abalance) from pgbench_accounts");
            assertThat(one(c, "select sum(tbalance) from pgbench_tellers")).isEqualTo(accounts);
            assertThat(one(c, "select sum(bbalance) from pgbench_branches")).isEqualTo(accounts);
            assertThat(one(c, "select count(*) from pgbench_history")).isNotEqualTo("0");
        }
    }

    @Test
    void aDamagedSegmentStopsARecoveryToTheEndOfTheArchiveInsteadOfOpeningAnOlderDatabase() throws Exception {
        pg.sql("postgres", "create table marks(label text)");
        Cli.Result backup = Cli.run(env, "backup", "--repo", repo.toString(), "--no-cache",
                "postgresql-physical://postgres@127.0.0.1:" + pg.port() + "/postgres", "--option", "cluster=mint",
                "--job", "base");
        assertThat(backup.code()).as(backup.toString()).isZero();
        String snapshot = backup.out().split(" ")[1];
        // the segment to damage holds the insert and nothing of the base backup (else no recovery could begin)
        // (the insert position: the test cluster commits asynchronously, so the write position may lag behind)
        String backupEnd = pg.query("postgres", "select pg_walfile_name(pg_current_wal_insert_lsn())").strip();
        pg.sql("postgres", "insert into marks values ('filler')");
        pg.query("postgres", "select pg_switch_wal()");
        pg.sql("postgres", "insert into marks values ('after the base backup')");
        String damaged = pg.query("postgres", "select pg_walfile_name(pg_current_wal_insert_lsn())").strip();
        assertThat(damaged).isGreaterThan(backupEnd);
        pg.query("postgres", "select pg_switch_wal()");
        pg.awaitArchived(damaged, Duration.ofSeconds(120));
        Path object;
        try (Stream<Path> s = Files.walk(repo.resolve("wal"))) {
            object = s.filter(p -> p.getFileName().toString().startsWith(damaged + "-")).findFirst().orElseThrow();
        }
        byte[] good = Files.readAllBytes(object);
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x40;
        Files.write(object, bad);

        // Recovery to the end of the archive: "not archived" here would end it before the insert and open the
        // database on a new timeline without it. A damaged segment stops the server instead.
        Path data = postgresDir(temp.resolve("restored-past-damage"));
        started.add(data);
        int port = ServerStarter.freePort();
        Cli.Result restore = Cli.run(env, "restore", "--repo", repo.toString(), "--no-cache", snapshot, "--target-dir",
                data.toString(), "--start", "--port", Integer.toString(port), "--start-timeout", "3m");
        assertThat(restore.code()).as(restore.toString()).isNotZero();
        assertThat(restore.err()).as(restore.toString()).contains("stopped before recovery ended")
                .contains("could not restore file \"" + damaged + "\"").contains("exit code 255");

        // mended, the same data directory goes on from where recovery stopped
        Files.write(object, good);
        try (Connection c = startRecovered(data, port, "restart")) {
            assertThat(one(c, "select string_agg(label, ',' order by label) from marks")).isEqualTo("after the base backup,filler");
        }
    }

    @Test
    void recoverAllWritesTheNewestBaseBackupWithARestoreCommandThatReplaysTheWholeArchive() throws Exception {
        pg.sql("postgres", "create table dr(label text)");
        pg.sql("postgres", "insert into dr values ('before the base backup')");
        Cli.Result backup = Cli.run(env, "backup", "--repo", repo.toString(), "--no-cache",
                "postgresql-physical://postgres@127.0.0.1:" + pg.port() + "/postgres", "--option", "cluster=mint",
                "--job", "base");
        assertThat(backup.code()).as(backup.toString()).isZero();
        pg.sql("postgres", "insert into dr values ('after the base backup')");
        pg.awaitArchived(pg.switchWal(), Duration.ofSeconds(120));

        Path into = temp.resolve("recovered");
        Cli.Result hints = Cli.run(env, "recover", "--repo", repo.toString(), "--no-cache", "--target-dir", into.toString());
        assertThat(hints.code()).as(hints.toString()).isZero();
        assertThat(hints.out()).contains("--restore base=" + into.resolve("base"));
        Cli.Result recover = Cli.run(env, "recover", "--repo", repo.toString(), "--no-cache", "--all", "--target-dir",
                into.toString());
        assertThat(recover.code()).as(recover.toString()).isZero();
        assertThat(recover.out()).contains("restore base: snapshot").contains("all 1 restores done");
        Path data = into.resolve("base");
        assertThat(data.resolve("recovery.signal")).exists();
        assertThat(Files.readString(data.resolve("postgresql.auto.conf"))).contains(launcher + " wal-fetch --repo");

        // as the operator does: give it to postgres and start it
        started.add(data);
        new ProcessBuilder("chown", "-R", "postgres:postgres", into.toString()).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
        int port = ServerStarter.freePort();
        try (Connection c = startRecovered(data, port, "recovered")) {
            assertThat(one(c, "select string_agg(label, ',' order by label) from dr"))
                    .isEqualTo("after the base backup,before the base backup");
        }
    }

    /**
     * Starts the server in {@code data} as postgres with pg_ctl, as an operator does, and connects once its recovery
     * ended (a hot standby answers while it still replays).
     */
    private static Connection startRecovered(Path data, int port, String name) throws Exception {
        Process start = new ProcessBuilder("runuser", "-u", "postgres", "--", pg.binDir().resolve("pg_ctl").toString(),
                "-D", data.toString(), "-l", data.resolve(name + ".log").toString(), "-o", "-p " + port
                        + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", "-w", "-t", "120", "start")
                .redirectErrorStream(true).redirectOutput(temp.resolve(name + "-pg_ctl.log").toFile()).start();
        assertThat(start.waitFor(150, TimeUnit.SECONDS)).isTrue();
        assertThat(start.exitValue()).as(Files.readString(data.resolve(name + ".log"))).isZero();
        Connection c = connect(pg, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (one(c, "select pg_is_in_recovery()").equals("t")) {
            assertThat(System.nanoTime()).as("recovery ended within 120 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        return c;
    }

    private static Process benchProcess(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(pg.binDir().resolve("pgbench").toString(), "-h", pg.host(), "-p",
                Integer.toString(pg.port()), "-U", pg.user()));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(temp.resolve("pgbench-" + System.nanoTime() + ".log").toFile());
        b.environment().put("PGPASSWORD", pg.password().reveal());
        return b.start();
    }

    private static void bench(Duration timeout, String... args) throws Exception {
        Process p = benchProcess(args);
        assertThat(p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

}
