package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * What the CLI's ITs with a real PostgreSQL and the packaged launcher share: the launcher ({@code bin/mint-backup},
 * which runs {@code backup-cli/target/mint-backup.jar}: the package phase), directories and repositories that the
 * server's user ({@code postgres}, since the tests run as root) may use, as archive_command and restore_command run
 * as that user, servers started from restored data directories, and a JDBC query or two.
 */
final class LauncherPostgres {
    /** {@code bin/mint-backup} of this checkout. */
    static final Path LAUNCHER = Path.of("..", "bin", "mint-backup").toAbsolutePath().normalize();

    private LauncherPostgres() {
    }

    /** {@link #LAUNCHER}, once the jar it runs is there (built by the package phase). */
    static Path launcher() {
        assertThat(LAUNCHER.getParent().getParent().resolve("backup-cli/target/mint-backup.jar"))
                .as("the CLI jar the launcher runs (package phase)").exists();
        return LAUNCHER;
    }

    /** This JVM's java, for the launcher's {@code JAVA} variable. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A new directory under /tmp that every user may enter ({@code rwxr-xr-x}), for what the server's user reads. */
    static Path workDir(String prefix) throws IOException {
        Path work = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        return work;
    }

    /** Deletes {@code dir} and everything under it, if it is there. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Initializes a repository in {@code dir} and hands it to the server's user (wal-push writes into it). */
    static Path repository(PostgresCluster pg, Path dir) throws Exception {
        Repository.init(new LocalDirectorySink(dir)).close();
        return serverOwned(pg, dir);
    }

    /** Creates {@code dir} if needed and hands it, with all below it, to the server's user (when that is postgres). */
    static Path serverOwned(PostgresCluster pg, Path dir) throws Exception {
        Files.createDirectories(dir);
        if (pg.runsAsPostgresUser()) {
            Process p = new ProcessBuilder("chown", "-R", "postgres:", dir.toString()).inheritIO().start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("chown -R postgres: " + dir).isTrue();
        }
        return dir;
    }

    /** Creates {@code dir} as a data directory to restore into: owned by postgres, {@code rwx------}. */
    static Path postgresDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        postgresOwned(dir, "rwx------");
        return dir;
    }

    /** Gives {@code p} to the postgres user and group with {@code mode}. */
    static void postgresOwned(Path p, String mode) throws IOException {
        var users = p.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        v.setOwner(users.lookupPrincipalByName("postgres"));
        v.setGroup(users.lookupPrincipalByGroupName("postgres"));
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    /** Lets every user write everything under {@code root} (a repository that archive_command writes into). */
    static void chmodTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxrwxrwx"
                        : "rw-rw-rw-"));
            }
        }
    }

    /** Stops the servers a test started from restored data directories (immediate mode, as postgres), if they run. */
    static void stopServers(PostgresCluster pg, List<Path> dataDirs) {
        for (Path dir : dataDirs) {
            try {
                new ProcessBuilder("runuser", "-u", "postgres", "--", pg.binDir().resolve("pg_ctl").toString(), "-D",
                        dir.toString(), "-m", "immediate", "stop").start().waitFor(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // gone already
            }
        }
    }

    /** A JDBC connection to {@code pg}'s {@code postgres} database as the superuser. */
    static Connection connect(PostgresCluster pg) {
        return PostgresConnection.builder().url(pg.uri("postgres")).password(pg.password()).environment(Map.of())
                .build().connect();
    }

    /** A JDBC connection to a server restored from {@code pg} (same superuser and password) on {@code port}. */
    static Connection connect(PostgresCluster pg, int port) {
        return PostgresConnection.builder().host("127.0.0.1").port(port).database("postgres")
                .user("postgres").password(pg.password()).environment(Map.of()).build().connect();
    }

    /** The first column of the first row {@code sql} returns. */
    static String one(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The server's clock now, in UTC, as {@code --to-time} takes it ({@code 2026-12-05T09:30:00.123456Z}). */
    static String serverTime(PostgresCluster pg) throws Exception {
        try (Connection c = connect(pg)) {
            return one(c, "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        }
    }

    /**
     * Inserts {@code clock_timestamp()} into the table {@code ticks(at timestamptz)} every 100 ms, from a connection of
     * its own, until {@link #stop()}: a restore to a time T is right when the newest tick is at most 1 s before T.
     */
    static final class Ticker {
        private final AtomicBoolean ticking = new AtomicBoolean(true);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        private Ticker(PostgresCluster pg) {
            thread = new Thread(() -> {
                try (Connection c = connect(pg); Statement st = c.createStatement()) {
                    while (ticking.get()) {
                        st.execute("insert into ticks values (clock_timestamp())");
                        Thread.sleep(100);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
        }

        static Ticker start(PostgresCluster pg) {
            Ticker ticker = new Ticker(pg);
            ticker.thread.start();
            return ticker;
        }

        /** Stops ticking and waits (at most 10 s) for the last insert. */
        void stop() throws InterruptedException {
            ticking.set(false);
            thread.join(10_000);
        }

        /** What ended the ticking early, if anything did. */
        Throwable failure() {
            return failure.get();
        }
    }
}
