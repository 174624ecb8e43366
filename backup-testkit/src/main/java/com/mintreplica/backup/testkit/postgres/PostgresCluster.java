package com.mintreplica.backup.testkit.postgres;

import com.mintreplica.backup.core.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for tests: {@code initdb} and {@code pg_ctl} from the machine's PostgreSQL binaries,
 * in a temporary directory, listening on a free port of 127.0.0.1 only, with password authentication (SCRAM) for
 * every connection so that a wrong password really fails. Start one per test class and close it afterwards:
 *
 * <pre>{@code
 * static PostgresCluster pg;
 * @BeforeAll static void start() { pg = PostgresCluster.start(); }
 * @AfterAll static void stop() { pg.close(); }
 * ...
 * pg.createDatabase("ledger");
 * pg.sql("ledger", "create table t(id int)");
 * String uri = pg.uri("ledger");            // postgresql://postgres@127.0.0.1:PORT/ledger, without the password
 * }</pre>
 *
 * <p>initdb and the server refuse to run as root: when the JVM runs as root, they run as the {@code postgres} user
 * through {@code runuser} (the user exists where Debian's PostgreSQL packages are installed), and the temporary
 * directory is handed to that user. Binaries are taken from {@link Builder#binDir}, else from the newest
 * {@code /usr/lib/postgresql/<major>/bin}. SQL runs through {@code psql}, so this class needs no JDBC driver. The
 * server is stopped (immediate mode) and its directory deleted by {@link #close()}; a JVM shutdown hook does the same
 * if a test forgets.
 */
public final class PostgresCluster implements AutoCloseable {
    private static final String SUPERUSER = "postgres";

    private final Path binDir;
    private final Path root;
    private final Path dataDir;
    private final int port;
    private final Secret password;
    private final boolean asPostgresUser;
    private final Thread shutdownHook;
    private volatile boolean stopped;

    private PostgresCluster(Builder b) throws IOException, InterruptedException {
        this.binDir = b.binDir != null ? b.binDir : defaultBinDir();
        this.password = b.password;
        this.asPostgresUser = isRoot();
        this.root = Files.createTempDirectory("mint-pg-");
        this.dataDir = root.resolve("data");
        Path pwFile = root.resolve("pwfile");
        Files.writeString(pwFile, password.reveal() + "\n", StandardCharsets.UTF_8);
        if (asPostgresUser) {
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            run(List.of("chown", "-R", SUPERUSER + ":", root.toString()), Map.of(), false);
        }
        run(List.of(binDir.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", SUPERUSER,
                "--auth=scram-sha-256", "--pwfile=" + pwFile, "-E", "UTF8", "--locale=C", "--no-sync"), Map.of(), true);
        Files.delete(pwFile);
        // Only TCP on 127.0.0.1, with a password, as a remote server is reached.
        Files.writeString(dataDir.resolve("pg_hba.conf"),
                "host all all 127.0.0.1/32 scram-sha-256\n", StandardCharsets.UTF_8);
        if (b.replication) {
            // Replication connections (pg_basebackup, pg_receivewal, the WAL receiver) too, with a password.
            Files.writeString(dataDir.resolve("pg_hba.conf"), "host replication all 127.0.0.1/32 scram-sha-256\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        }
        int chosen = -1;
        IOException lastFailure = null;
        for (int attempt = 0; attempt < 3 && chosen < 0; attempt++) {
            int candidate = freePort();
            List<String> options = new ArrayList<>(List.of("-p " + candidate, "-c listen_addresses=127.0.0.1",
                    "-c unix_socket_directories=''", "-c fsync=off", "-c synchronous_commit=off",
                    "-c full_page_writes=off", "-c max_connections=40", "-c shared_buffers=64MB"));
            options.addAll(b.settings);
            try {
                run(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l",
                        root.resolve("server.log").toString(), "-w", "-t", "60", "-o", String.join(" ", options),
                        "start"), Map.of(), true);
                chosen = candidate;
            } catch (IOException e) {
                lastFailure = e; // most likely the port was taken in between: try another
            }
        }
        if (chosen < 0) {
            deleteTree(root);
            throw lastFailure;
        }
        this.port = chosen;
        this.shutdownHook = new Thread(this::stopQuietly, "postgres-cluster-stop-" + port);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * The cluster's data directory (PGDATA): its {@code pg_wal/} for WAL tests. Owned by the {@code postgres} user when
     * the tests run as root.
     */
    public Path dataDir() {
        return dataDir;
    }

    /** Whether the server runs as the {@code postgres} user (the tests run as root), so files it must read are shared. */
    public boolean runsAsPostgresUser() {
        return asPostgresUser;
    }

    /** Starts a cluster with the default settings. */
    public static PostgresCluster start() {
        return builder().start();
    }

    /** A builder for a cluster with other binaries, password or server settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code 127.0.0.1}. */
    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** The superuser's name, {@code postgres}. */
    public String user() {
        return SUPERUSER;
    }

    /** The superuser's password. */
    public Secret password() {
        return password;
    }

    /** The directory of the binaries the cluster runs (initdb, pg_ctl, psql, pg_dump, ...). */
    public Path binDir() {
        return binDir;
    }

    /** The server's major version, e.g. 15. */
    public int majorVersion() {
        String v = query("postgres", "show server_version_num").trim();
        return Integer.parseInt(v) / 10000;
    }

    /** {@code postgresql://postgres@127.0.0.1:PORT/DB}: a libpq URI without the password. */
    public String uri(String database) {
        return "postgresql://" + SUPERUSER + "@" + host() + ":" + port + "/" + database;
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/DB}: a JDBC URL without user or password. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
    }

    /**
     * The libpq environment that reaches this cluster as the superuser ({@code PGHOST}, {@code PGPORT},
     * {@code PGUSER}, {@code PGPASSWORD}, {@code PGDATABASE}), for code that takes an explicit environment.
     */
    public Map<String, String> environment(String database) {
        Map<String, String> env = new TreeMap<>();
        env.put("PGHOST", host());
        env.put("PGPORT", Integer.toString(port));
        env.put("PGUSER", SUPERUSER);
        env.put("PGPASSWORD", password.reveal());
        env.put("PGDATABASE", database);
        return env;
    }

    /** Creates a database owned by the superuser. */
    public void createDatabase(String name) {
        psql("postgres", "create database :\"name\"", false, Map.of("name", name));
    }

    /** Drops a database if it exists, terminating its sessions. */
    public void dropDatabase(String name) {
        psql("postgres", "drop database if exists :\"name\" with (force)", false, Map.of("name", name));
    }

    /** Whether the database exists. */
    public boolean databaseExists(String name) {
        return !psql("postgres", "select 1 from pg_database where datname = :'name'", true, Map.of("name", name))
                .isBlank();
    }

    /** Runs an SQL script in {@code database} with psql, stopping at the first error. */
    public void sql(String database, String script) {
        psql(database, script, false, Map.of());
    }

    /** Runs a query and returns psql's unaligned, tuples-only output ({@code |} between columns, a row a line). */
    public String query(String database, String sql) {
        return psql(database, sql, true, Map.of());
    }

    /**
     * Sets {@code archive_command} with {@code ALTER SYSTEM} and reloads the configuration (start the cluster with
     * {@code setting("archive_mode", "on")}; a {@code -c archive_command} setting would win over this one). Quotes in
     * {@code command} are escaped.
     */
    public void archiveCommand(String command) {
        sql("postgres", "alter system set archive_command = '" + command.replace("'", "''") + "';"
                + " select pg_reload_conf();");
    }

    /** Switches to a new WAL segment ({@code pg_switch_wal()}) and returns the name of the one it ended. */
    public String switchWal() {
        return query("postgres", "select pg_walfile_name(pg_switch_wal())").strip();
    }

    /** The segment the archiver archived last ({@code pg_stat_archiver.last_archived_wal}), empty before the first. */
    public String lastArchivedWal() {
        return query("postgres", "select coalesce(last_archived_wal, '') from pg_stat_archiver").strip();
    }

    /**
     * Waits until the archiver has archived {@code segment} or a later one (its archive_command exited 0), at most
     * {@code within}; fails with an {@link AssertionError} showing {@code pg_stat_archiver} when it has not.
     */
    public void awaitArchived(String segment, java.time.Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (lastArchivedWal().compareTo(segment) < 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("segment " + segment + " was not archived within " + within.toSeconds()
                        + " s: pg_stat_archiver says " + query("postgres", "select * from pg_stat_archiver").strip());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + segment + " to be archived", e);
            }
        }
    }

    /**
     * Runs {@code script} with psql variables: psql quotes {@code :"v"} as an identifier and {@code :'v'} as a
     * literal (libpq's escaping), so no name is quoted by hand here.
     */
    private String psql(String database, String script, boolean tuplesOnly, Map<String, String> variables) {
        List<String> cmd = new ArrayList<>(List.of(binDir.resolve("psql").toString(), "-X", "-q",
                "-v", "ON_ERROR_STOP=1", "-d", database));
        variables.forEach((k, v) -> cmd.addAll(List.of("-v", k + "=" + v)));
        if (tuplesOnly) {
            cmd.add("-At");
        }
        cmd.addAll(List.of("-f", "-"));
        try {
            return exec(cmd, environment(database), script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running psql", e);
        }
    }

    /**
     * Stops the server as a crash would ({@code pg_ctl stop -m immediate}: no checkpoint, no final WAL flush by
     * background processes), keeping its directory until {@link #close()}.
     */
    public void stopImmediately() {
        try {
            run(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w",
                    "stop"), Map.of(), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the PostgreSQL test cluster", e);
        }
    }

    /** Stops the server and deletes its directory. */
    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // the JVM is shutting down already
        }
    }

    private synchronized void stopQuietly() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            run(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w",
                    "stop"), Map.of(), true);
        } catch (IOException | InterruptedException e) {
            // already gone; still delete what is left
        }
        try {
            deleteTree(root);
        } catch (IOException ignored) {
            // a temp dir left behind is not worth failing a test for
        }
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + host() + ":" + port + ", " + binDir + "]";
    }

    // ---- helpers

    private void run(List<String> command, Map<String, String> env, boolean postgresUser)
            throws IOException, InterruptedException {
        List<String> cmd = command;
        if (postgresUser && asPostgresUser) {
            cmd = new ArrayList<>(List.of("runuser", "-u", SUPERUSER, "--"));
            cmd.addAll(command);
        }
        exec(cmd, env, null);
    }

    private String exec(List<String> cmd, Map<String, String> env, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().putAll(env);
        pb.directory(root.toFile());
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd.get(0) + " did not finish in 120 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd.subList(0, Math.min(cmd.size(), 4))) + " ... failed with exit code "
                    + p.exitValue() + ": " + out.strip());
        }
        return out;
    }

    private static Path defaultBinDir() {
        Path base = Path.of("/usr/lib/postgresql");
        try (Stream<Path> versions = Files.list(base)) {
            return versions
                    .filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())))
                    .map(p -> p.resolve("bin"))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries under " + base
                            + ": install the Debian package postgresql (initdb, pg_ctl, pg_dump) or pass binDir(...)"));
        } catch (IOException e) {
            throw new IllegalStateException("no PostgreSQL server binaries under " + base
                    + ": install the Debian package postgresql (initdb, pg_ctl, pg_dump) or pass binDir(...)", e);
        }
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Builds and starts a {@link PostgresCluster}. */
    public static final class Builder {
        private Path binDir;
        private Secret password = Secret.of("pg-test-" + Long.toHexString(new java.security.SecureRandom().nextLong()));
        private final List<String> settings = new ArrayList<>();
        private boolean replication;

        private Builder() {
        }

        /** The directory holding initdb, pg_ctl and psql (default: the newest /usr/lib/postgresql/N/bin). */
        public Builder binDir(Path value) {
            this.binDir = Objects.requireNonNull(value, "binDir");
            return this;
        }

        /** The superuser's password (default: a random one). */
        public Builder password(Secret value) {
            this.password = Objects.requireNonNull(value, "password");
            return this;
        }

        /** A server setting, e.g. {@code setting("max_wal_size", "1GB")}. */
        public Builder setting(String name, String value) {
            settings.add("-c " + name + "=" + value);
            return this;
        }

        /**
         * Lets replication connections in (a {@code host replication all 127.0.0.1/32 scram-sha-256} line in
         * pg_hba.conf), for pg_basebackup and WAL streaming as the superuser.
         */
        public Builder allowReplication() {
            this.replication = true;
            return this;
        }

        /** Runs initdb and starts the server; fails with the tools' output when they fail. */
        public PostgresCluster start() {
            try {
                return new PostgresCluster(this);
            } catch (IOException e) {
                throw new IllegalStateException("could not start a PostgreSQL test cluster: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting a PostgreSQL test cluster", e);
            }
        }
    }
}
