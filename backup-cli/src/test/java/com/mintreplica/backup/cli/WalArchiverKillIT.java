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
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 16's kill test with PostgreSQL's own archiver: a real PostgreSQL 15 archives through {@code archive_command}
 * = the launcher's {@code wal-push --spool} while the test kills every running wal-push JVM with SIGKILL at random
 * moments, 20 times. After each kill, every acknowledgement left in the spool names a segment the archive holds and
 * that reads back with its recorded SHA-256 (nothing is acknowledged before it is stored); at the end PostgreSQL has
 * archived every segment it switched away from (it ran archive_command again for each one it did not get a 0 for),
 * and the archive has no gap and every object checks ({@code verify --read-data}).
 * (WalPushKillIT kills the batch push of the Java API in a child JVM; this one leaves the retries to PostgreSQL.)
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WalArchiverKillIT {
    private static final int TRIALS = 20;

    private Path work;
    private PostgresCluster pg;

    @AfterEach
    void stop() throws IOException {
        if (pg != null) {
            pg.close();
        }
        deleteTree(work);
    }

    /** Process ids of the JVMs running {@code wal-push} (read from /proc: they run as the postgres user). */
    private static List<Long> walPushJvms() {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmdline.contains("mint-backup.jar") && cmdline.contains(" wal-push ")) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException vanished) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc", e);
        }
        return pids;
    }

    private static int kill(List<Long> pids) throws Exception {
        if (pids.isEmpty()) {
            return 0;
        }
        List<String> command = new ArrayList<>(List.of("kill", "-9"));
        pids.forEach(p -> command.add(Long.toString(p)));
        new ProcessBuilder(command).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        return pids.size();
    }

    @Test
    void segments_survive_kill_minus_9_of_wal_push_at_random_moments_and_postgresql_retries_without_a_gap()
            throws Exception {
        work = workDir("mint-walkill-");
        pg = PostgresCluster.builder().setting("archive_mode", "on").setting("max_wal_size", "256MB").start();
        Path repo = repository(pg, work.resolve("repo"));
        Path spool = serverOwned(pg, work.resolve("spool"));
        // batches of 4, one at a time: a kill lands inside a batch more often
        pg.archiveCommand("JAVA=" + java() + " " + LAUNCHER + " wal-push --repo " + repo + " --cluster db1 --no-cache"
                + " --spool " + spool + " --batch 4 --parallel 1 %p");
        pg.sql("postgres", "create table filler (id serial primary key, payload text)");

        Random random = new Random(16);
        int killed = 0;
        String last = "";
        Path segments = pg.dataDir().resolve("pg_wal");
        for (int trial = 0; trial < TRIALS; trial++) {
            // a few segments become ready at once
            for (int i = 0; i < 5; i++) {
                pg.sql("postgres", "insert into filler (payload) select repeat(md5(g::text), 20) from generate_series(1, 2000) g");
                last = pg.switchWal();
            }
            // a random moment of a wal-push's life: its JVM starting, reading a segment, storing it, acknowledging
            long appear = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (walPushJvms().isEmpty() && System.nanoTime() < appear) {
                Thread.sleep(20);
            }
            Thread.sleep(random.nextInt(1200));
            killed += kill(walPushJvms());
            // what is acknowledged is stored, whole, and reads back with its hash
            try (Stream<Path> acks = Files.list(Files.createDirectories(spool.resolve("archive")));
                 Repository r = Repository.open(new LocalDirectorySink(repo))) {
                WalArchive archive = WalArchive.open(r, "db1");
                for (Path ack : (Iterable<Path>) acks::iterator) {
                    String name = ack.getFileName().toString();
                    if (!name.endsWith(".ok")) {
                        continue;
                    }
                    String segment = name.substring(0, name.length() - ".ok".length());
                    Path check = work.resolve("check");
                    Files.deleteIfExists(check);
                    assertThat(archive.fetch(segment, check))
                            .as("trial %d: %s was acknowledged, so the archive must hold it", trial, segment).isTrue();
                    Path original = segments.resolve(segment);
                    if (Files.exists(original)) { // (not recycled yet: it cannot be while unacknowledged to PostgreSQL)
                        assertThat(Files.mismatch(check, original)).as("trial %d: %s", trial, segment).isEqualTo(-1L);
                    }
                }
            }
        }
        assertThat(killed).as("wal-push JVMs killed in %d trials", TRIALS).isGreaterThanOrEqualTo(TRIALS / 4);

        pg.awaitArchived(last, Duration.ofMinutes(5));
        String failures = pg.query("postgres", "select failed_count from pg_stat_archiver").strip();
        try (Repository r = Repository.open(new LocalDirectorySink(repo))) {
            WalArchive archive = WalArchive.open(r, "db1");
            List<String> names = archive.list().stream().filter(f -> f.type() == WalFile.Type.SEGMENT)
                    .map(WalFile::name).toList();
            assertThat(names.get(0)).isEqualTo("000000010000000000000001");
            assertThat(names).contains(last);
            WalVerifyReport report = archive.verify(true);
            assertThat(report.ok()).as(report.toString()).isTrue();
            System.out.printf("wal-push killed %d times in %d trials; PostgreSQL counted %s failed archive_command runs"
                    + " and archived %d segments without a gap%n", killed, TRIALS, failures, names.size());
        }
    }
}
