package com.mintreplica.backup.postgres.physical;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL 15 cluster with WAL archiving on (archive_command copying into a directory until the tests use
 * mint-backup's wal-push), full_page_writes on (a base backup taken during writes needs it), a repository in a
 * temporary directory, and helpers: pgbench, queries on a restored copy, directories the postgres user owns.
 */
final class PitrFixture implements AutoCloseable {
    final PostgresCluster pg;
    final Path root;
    final Path archive;
    final Repository repository;
    private final List<Path> started = new ArrayList<>();

    PitrFixture() throws IOException {
        root = Files.createTempDirectory("mint-pitr-");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        archive = postgresDir(root.resolve("archive"));
        pg = PostgresCluster.builder()
                .setting("archive_mode", "on")
                .setting("full_page_writes", "on")
                .setting("wal_level", "replica")
                .setting("max_wal_senders", "4")
                .start();
        pg.sql("postgres", "alter system set archive_command = 'cp %p " + archive + "/%f'; select pg_reload_conf();");
        repository = Repository.init(new LocalDirectorySink(root.resolve("repo")));
    }

    /** The restore_command reading the same archive. */
    String restoreCommand() {
        return "cp " + archive + "/%f %p";
    }

    PhysicalBackupSource source() {
        return PhysicalBackupSource.builder().url(pg.uri("postgres")).password(pg.password())
                .environment(Map.of()).name("mint-test").build();
    }

    BackupResult baseBackup() {
        return Backup.pipeline().source(source()).to(repository).job("base").build().run();
    }

    /** A new directory below the fixture's root owned by postgres (root runs the tests; the server cannot). */
    Path postgresDir(String name) throws IOException {
        return postgresDir(root.resolve(name));
    }

    static Path postgresDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        if ("root".equals(System.getProperty("user.name"))) {
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            PosixFileAttributeView v = Files.getFileAttributeView(dir, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            v.setOwner(users.lookupPrincipalByName("postgres"));
            v.setGroup(users.lookupPrincipalByGroupName("postgres"));
        }
        return dir;
    }

    /** Runs pgbench with {@code args}, waiting at most {@code timeout}. */
    Process pgbench(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(pg.binDir().resolve("pgbench").toString(), "-h", pg.host(), "-p",
                Integer.toString(pg.port()), "-U", pg.user()));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(root.resolve("pgbench-" + System.nanoTime() + ".log").toFile());
        b.environment().put("PGPASSWORD", pg.password().reveal());
        return b.start();
    }

    void pgbenchAndWait(Duration timeout, String... args) throws IOException, InterruptedException {
        Process p = pgbench(args);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pgbench " + String.join(" ", args) + " did not finish in " + timeout);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("pgbench " + String.join(" ", args) + " failed with exit " + p.exitValue());
        }
    }

    /** Switches to a new WAL segment and waits (bounded) until the finished one is archived. */
    void archiveCurrentWal() throws InterruptedException {
        String segment = pg.query("postgres", "select pg_walfile_name(pg_switch_wal())").strip();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(archive.resolve(segment))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("WAL segment " + segment + " was not archived within 60 s: "
                + pg.query("postgres", "select * from pg_stat_archiver"));
    }

    /** A JDBC connection to a restored copy's server on {@code port}. */
    Connection connectCopy(int port) {
        return PostgresConnection.builder().host("127.0.0.1").port(port).database("postgres").user(pg.user())
                .password(pg.password()).environment(Map.of()).build().connect();
    }

    static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Restores with {@code builder}'s settings and remembers the directory, so close stops its server. */
    PointInTimeRestore.Result restore(PointInTimeRestore.Builder builder, Path dataDir) {
        started.add(dataDir);
        return builder.repository(repository).dataDir(dataDir).build().run();
    }

    /** Stops the server of a restored copy. */
    void stopCopy(Path dataDir) {
        PointInTimeRestore.stopServer(dataDir, version(), java.util.Optional.of(pg.binDir()));
    }

    /** A JDBC connection to the source cluster. */
    Connection connectSource() {
        return PostgresConnection.builder().url(pg.uri("postgres")).password(pg.password()).environment(Map.of())
                .build().connect();
    }

    /** The server's clock, as an ISO instant. */
    static String now(Connection c) throws SQLException {
        return one(c, "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    }

    String version() {
        return pg.query("postgres", "show server_version").strip();
    }

    @Override
    public void close() throws IOException {
        for (Path dir : started) {
            if (Files.exists(dir.resolve("postmaster.pid"))) {
                try {
                    PointInTimeRestore.stopServer(dir, version(), java.util.Optional.of(pg.binDir()));
                } catch (RuntimeException e) {
                    // the copy's server is already gone
                }
            }
        }
        pg.close();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
