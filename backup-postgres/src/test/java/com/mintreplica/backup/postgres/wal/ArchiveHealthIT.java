package com.mintreplica.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.drill.Preflight.Continuity;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.PostgresSourceProvider;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The continuity check behind {@code status}, {@code doctor} and the daemon's {@code mint_backup_wal_*} meters, on real
 * PostgreSQL 15 clusters: an {@code archive_command} that fails ({@code false}), one that hangs (stalled: segments wait
 * longer than {@code wal-stall-after}), and the repository side (no WAL yet, fresh WAL, WAL older than the threshold).
 */
class ArchiveHealthIT {

    @TempDir
    Path temp;

    @Test
    void aFailingArchiveCommandIsAProblem() throws Exception {
        try (PostgresCluster pg = PostgresCluster.builder().setting("archive_mode", "on")
                .setting("archive_command", "false").start()) {
            switchSegment(pg);
            await(() -> !pg.query("postgres", "select failed_count from pg_stat_archiver").strip().equals("0"),
                    "archive_command fails once");
            Continuity c = check(pg, repository(), "1h", Instant.now());
            assertThat(c.failing()).isTrue();
            assertThat(c.failures()).isPositive();
            assertThat(c.lastFailed()).isPresent();
            assertThat(c.lastArchived()).isEmpty();
            assertThat(c.findings()).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Preflight.Severity.PROBLEM);
                assertThat(f.message()).contains("archive_command is failing").contains("the last success: never");
            });
            assertThat(c.ok()).isFalse();
        }
    }

    @Test
    void segmentsWaitingLongerThanTheThresholdAreAStall() throws Exception {
        // archive_command from postgresql.auto.conf (a -c setting on the server's command line would win over it).
        try (PostgresCluster pg = PostgresCluster.builder().setting("archive_mode", "on").start()) {
            pg.sql("postgres", "alter system set archive_command = 'sleep 600'"); // hangs: nothing fails, nothing moves
            pg.sql("postgres", "select pg_reload_conf()");
            Thread.sleep(500);
            switchSegment(pg);
            switchSegment(pg);
            await(() -> !pg.query("postgres", "select count(*) from pg_ls_archive_statusdir() where name like '%.ready'")
                    .strip().equals("0"), "a segment waits for archiving");
            Repository repo = repository();
            Continuity fresh = check(pg, repo, "1h", Instant.now());
            assertThat(fresh.findings()).noneMatch(f -> f.message().contains("has stalled"));
            assertThat(fresh.stalled()).as("the repository holds no WAL: stalled from its side").isTrue();

            Thread.sleep(2500);
            Continuity c = check(pg, repo, "2s", Instant.now());
            assertThat(c.failing()).isFalse();
            assertThat(c.stalled()).isTrue();
            assertThat(c.findings()).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Preflight.Severity.PROBLEM);
                assertThat(f.message()).contains("WAL archiving has stalled").contains("wal-stall-after 2s");
            });
        }
    }

    @Test
    void theRepositorySideShowsTheNewestArchivedWal() throws Exception {
        try (PostgresCluster pg = PostgresCluster.builder().start()) {
            Repository repo = repository();
            Continuity empty = check(pg, repo, "10m", Instant.now());
            assertThat(empty.newestInRepository()).isEmpty();
            assertThat(empty.findings()).anySatisfy(f -> assertThat(f.message()).contains("holds no WAL for 'db'"));

            // A real segment of the cluster, pushed as archive_command would.
            switchSegment(pg);
            Path segment;
            Path pgWal = pg.dataDir().resolve("pg_wal");
            try (Stream<Path> files = Files.list(pgWal)) {
                segment = files.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")).sorted().findFirst()
                        .orElseThrow();
            }
            Path copy = Files.copy(segment, temp.resolve(segment.getFileName()));
            WalArchive.open(repo, "db").push(copy);
            Instant now = Instant.now();
            Continuity fresh = check(pg, repo, "10m", now);
            assertThat(fresh.newestInRepository()).isPresent();
            assertThat(fresh.stalled()).isFalse();
            assertThat(fresh.ok()).as(fresh.findings().toString()).isTrue();

            Continuity later = check(pg, repo, "10m", now.plus(Duration.ofMinutes(11)));
            assertThat(later.stalled()).isTrue();
            assertThat(later.findings()).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Preflight.Severity.WARNING);
                assertThat(f.message()).contains("the newest WAL in the repository for 'db'")
                        .contains("more than wal-stall-after 10m");
            });
            // The physical kind checks the archive its cluster option names.
            Map<String, String> env = pg.environment("postgres");
            Continuity physical = new com.mintreplica.backup.postgres.physical.PhysicalSourceProvider(env).preflight()
                    .orElseThrow().continuity(URI.create("postgresql-physical://postgres@" + pg.host() + ":" + pg.port()
                            + "/postgres"), Map.of("cluster", "db", "wal-stall-after", "10m"), env, repo, "nightly",
                            now).orElseThrow();
            assertThat(physical.newestInRepository()).isEqualTo(fresh.newestInRepository());
            assertThat(physical.ok()).as(physical.findings().toString()).isTrue();
            // Without wal-stall-after, nothing is checked.
            assertThat(new PostgresSourceProvider(pg.environment("postgres")).preflight().orElseThrow()
                    .continuity(URI.create(pg.uri("postgres")), Map.of(), pg.environment("postgres"), repo, "db",
                            now)).isEmpty();
        }
    }

    private Repository repository() {
        return Repository.init(new LocalDirectorySink(temp.resolve("repo-" + System.nanoTime())));
    }

    private static Continuity check(PostgresCluster pg, Repository repo, String stallAfter, Instant now)
            throws Exception {
        Map<String, String> env = pg.environment("postgres");
        return new PostgresSourceProvider(env).preflight().orElseThrow()
                .continuity(URI.create(pg.uri("postgres")), Map.of("wal-stall-after", stallAfter), env, repo, "db", now)
                .orElseThrow();
    }

    private static void switchSegment(PostgresCluster pg) {
        pg.sql("postgres", "create table if not exists t(x int); insert into t values (1); select pg_switch_wal();");
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 30 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
