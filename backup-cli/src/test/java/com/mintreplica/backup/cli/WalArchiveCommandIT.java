package com.mintreplica.backup.cli;

import static com.mintreplica.backup.cli.LauncherPostgres.LAUNCHER;
import static com.mintreplica.backup.cli.LauncherPostgres.deleteTree;
import static com.mintreplica.backup.cli.LauncherPostgres.java;
import static com.mintreplica.backup.cli.LauncherPostgres.repository;
import static com.mintreplica.backup.cli.LauncherPostgres.serverOwned;
import static com.mintreplica.backup.cli.LauncherPostgres.workDir;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import com.mintreplica.backup.postgres.wal.WalVerifyReport;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real PostgreSQL 15 with {@code archive_mode=on} and an {@code archive_command} that calls the launcher
 * ({@code bin/mint-backup wal-push --spool ...}, the packaged jar) archives under pgbench load with no failure and
 * no gap; the launcher's {@code wal-fetch} fast path moves a prefetched segment into place; {@code verify} of the
 * repository checks the WAL chain and names a deleted segment. Prints the sustained archive throughput.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WalArchiveCommandIT {
    private Path work;
    private PostgresCluster pg;

    @AfterEach
    void stop() throws IOException {
        if (pg != null) {
            pg.close();
        }
        deleteTree(work);
    }

    private record Run(int code, String out, long millis) {
    }

    private static Run exec(List<String> command, Map<String, String> env) throws Exception {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish in 5 minutes: " + command);
        }
        return new Run(p.exitValue(), out.join(), (System.nanoTime() - t0) / 1_000_000);
    }

    private String pgbench(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(pg.binDir().resolve("pgbench").toString()));
        cmd.addAll(List.of(args));
        Run r = exec(cmd, pg.environment("postgres"));
        assertThat(r.code()).as(r.out()).isZero();
        return r.out();
    }

    @Test
    void archive_command_through_the_launcher_archives_every_segment_under_pgbench_and_verify_names_a_deleted_one()
            throws Exception {
        work = workDir("mint-wal-");
        // archive_command is set below with ALTER SYSTEM (a -c option would override it); until then WAL accumulates
        pg = PostgresCluster.builder().setting("archive_mode", "on").setting("max_wal_size", "256MB").start();
        Path repo = repository(pg, work.resolve("repo"));
        Path spool = serverOwned(pg, work.resolve("spool"));
        pg.archiveCommand("JAVA=" + java() + " " + LAUNCHER + " wal-push --repo " + repo + " --cluster db1 --no-cache"
                + " --spool " + spool + " --batch 64 --parallel 2 %p");

        pgbench("-i", "-s", "5", "-q");
        long t0 = System.nanoTime();
        String first = pg.lastArchivedWal();
        String bench = pgbench("-c", "4", "-j", "2", "-T", "20", "-n");
        String last = pg.switchWal();
        pg.awaitArchived(last, Duration.ofMinutes(5));
        double seconds = (System.nanoTime() - t0) / 1e9;
        String stats = pg.query("postgres", "select archived_count || ' ' || failed_count from pg_stat_archiver").strip();
        long failed = Long.parseLong(stats.split(" ")[1]);
        assertThat(failed).as("pg_stat_archiver.failed_count (%s)", stats).isZero();

        List<WalFile> files;
        try (Repository r = Repository.open(new LocalDirectorySink(repo))) {
            WalArchive archive = WalArchive.open(r, "db1");
            files = archive.list();
            WalVerifyReport report = archive.verify(true);
            assertThat(report.ok()).as(report.toString()).isTrue();
        }
        List<String> names = files.stream().map(WalFile::name).toList();
        // every segment from the first one to the one switched away from last, and PostgreSQL counted each once
        assertThat(names.get(0)).isEqualTo("000000010000000000000001");
        assertThat(names.get(names.size() - 1)).isEqualTo(last);
        assertThat(files).allMatch(f -> f.type() == WalFile.Type.SEGMENT);
        assertThat(Long.parseLong(stats.split(" ")[0])).isEqualTo(names.size());
        long during = names.stream().filter(n -> n.compareTo(first) > 0).count();
        System.out.printf("WAL archive throughput: %d segments (%d MiB) archived in %.1f s = %.2f segments/s sustained"
                        + " (pgbench -c 4 -T 20 at scale 5; %s)%n", during, during * 16, seconds, during / seconds,
                bench.lines().filter(l -> l.startsWith("tps")).findFirst().orElse(""));

        // restore_command: the first fetch runs Java and prefetches, the next is a move in the launcher
        Path fetchSpool = Files.createDirectories(work.resolve("fetch-spool"));
        Path dest = work.resolve("RECOVERYXLOG");
        List<String> fetch = List.of(LAUNCHER.toString(), "wal-fetch", "--repo", repo.toString(), "--cluster", "db1",
                "--no-cache", "--spool", fetchSpool.toString(), "--prefetch", "2");
        Map<String, String> env = Map.of("JAVA", java());
        Run one = exec(concat(fetch, names.get(0), dest.toString()), env);
        assertThat(one.code()).as(one.out()).isZero();
        assertThat(fetchSpool.resolve("fetch").resolve(names.get(1))).exists();
        Run two = exec(concat(fetch, names.get(1), dest.toString()), Map.of("JAVA", "/bin/false")); // no Java: fast path
        assertThat(two.code()).as(two.out()).isZero();
        assertThat(fetchSpool.resolve("fetch").resolve(names.get(1))).doesNotExist();
        try (Repository r = Repository.open(new LocalDirectorySink(repo))) {
            Path check = work.resolve("check");
            WalArchive.open(r, "db1").fetch(names.get(1), check);
            assertThat(Files.mismatch(check, dest)).isEqualTo(-1);
        }
        Run absent = exec(concat(fetch, "0000000100000000000000FF", dest.toString()), env);
        assertThat(absent.code()).as(absent.out()).isEqualTo(1);
        Run bad = exec(concat(fetch, "../../etc/passwd", dest.toString()), env);
        assertThat(bad.code()).as(bad.out()).isEqualTo(2);
        assertThat(bad.out()).contains("not the name of a WAL file").doesNotContain("Exception");

        // verify of the repository includes the WAL chain; a deleted segment is named with the range it breaks
        Cli.Result ok = Cli.run("verify", "--repo", repo.toString(), "--no-cache");
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(ok.out()).contains("no problems found in 1 WAL archive");
        WalFile gone = files.get(files.size() / 2);
        Files.delete(repo.resolve(gone.object()));
        Cli.Result broken = Cli.run("verify", "--repo", repo.toString(), "--no-cache");
        assertThat(broken.code()).as(broken.toString()).isEqualTo(1);
        assertThat(broken.err()).contains("WAL archive 'db1'").contains(gone.name()).contains(gone.startLsnText());
        Cli.Result walVerify = Cli.run("wal", "verify", "--repo", repo.toString(), "--cluster", "db1", "--no-cache");
        assertThat(walVerify.code()).isEqualTo(1);
        assertThat(walVerify.err()).contains(gone.name());
        Cli.Result list = Cli.run("wal", "list", "--repo", repo.toString(), "--cluster", "db1", "--no-cache");
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).contains("TIMELINE").contains(WalArchive.lsnText(files.get(0).startLsn()));
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }
}
