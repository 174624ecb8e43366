package com.mintreplica.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.internal.receive.Lsn;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import com.mintreplica.backup.testkit.postgres.RecoveredCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * wal-receive follows a timeline switch: it streams from a real standby (a cascading walsender), the standby is
 * promoted (timeline 2) while the receiver runs, and rows are written on both timelines. The archive then holds
 * {@code 00000002.history} and WAL of both timelines, and a base backup taken on timeline 1 and recovered to latest
 * from the archive alone has every row, including those written after the promotion.
 */
class WalReceiveTimelineIT {

    @Test
    void theReceiverFollowsAPromotionToTheNewTimeline() throws Exception {
        Path root = Files.createTempDirectory("mint-standby-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (PostgresCluster primary = PostgresCluster.builder().allowReplication()
                .setting("synchronous_commit", "on").start();
             Standby standby = Standby.of(primary, root)) {
            primary.sql("postgres", "create table rows(id int primary key)");
            Repository repository = Repository.init(new LocalDirectorySink(root.resolve("repo")));
            WalArchive archive = WalArchive.open(repository, "db");
            WalReceiver receiver = WalReceiver.builder().connection(standby.connection()).slot("from_standby")
                    .createSlot(true).archive(archive).build();
            Thread thread = new Thread(receiver::run, "receiver");
            thread.start();
            try (RecoveredCluster restored = RecoveredCluster.baseBackup(primary)) {
                WalReceiveIT.awaitDurable(receiver);
                primary.sql("postgres", "insert into rows select generate_series(1, 100)");
                long end = Lsn.parse(primary.query("postgres", "select pg_current_wal_flush_lsn()").strip());
                await(() -> durable(receiver) >= end, "the receiver has timeline 1's rows through the standby");

                primary.stopImmediately();
                standby.promote();
                standby.sql("insert into rows select generate_series(101, 200)");
                long end2 = Lsn.parse(standby.sql("select pg_current_wal_flush_lsn()"));
                await(() -> receiver.progress().timeline() == 2 && durable(receiver) >= end2,
                        "the receiver streams timeline 2 (at " + receiver.progress() + ")");

                receiver.stop();
                assertThat(receiver.awaitStopped(Duration.ofSeconds(20))).isTrue();
                assertThat(archive.list()).anyMatch(f -> f.name().equals("00000002.history"))
                        .anyMatch(f -> f.timeline() == 2 && f.type() != WalFile.Type.HISTORY)
                        .anyMatch(f -> f.timeline() == 1 && f.type() == WalFile.Type.PARTIAL);
                WalReceiveIT.fetchAll(archive, restored.walDirectory());
                restored.recover();
                assertThat(restored.query("select count(*), max(id) from rows").strip()).isEqualTo("200|200");
            } finally {
                receiver.stop();
                thread.join(20_000);
            }
        } finally {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long durable(WalReceiver r) {
        return r.progress().durable().map(Lsn::parse).orElse(-1L);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** A streaming standby of a test cluster: pg_basebackup -R, started on a free port, as the postgres user. */
    private static final class Standby implements AutoCloseable {
        private final Path binDir;
        private final Path data;
        private final Path log;
        private final int port;
        private final Secret password;
        private final boolean asPostgres = "root".equals(System.getProperty("user.name"));

        private Standby(PostgresCluster primary, Path root, int port) {
            this.binDir = primary.binDir();
            this.data = root.resolve("standby");
            this.log = root.resolve("standby.log");
            this.port = port;
            this.password = primary.password();
        }

        static Standby of(PostgresCluster primary, Path root) throws Exception {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            Standby s = new Standby(primary, root, port);
            s.run(List.of("chown", "-R", "postgres:", root.toString()), Map.of(), false);
            s.run(List.of(s.bin("pg_basebackup"), "-h", primary.host(), "-p", Integer.toString(primary.port()), "-U",
                    primary.user(), "-D", s.data.toString(), "-X", "stream", "-R", "-c", "fast", "--no-sync"),
                    Map.of("PGPASSWORD", primary.password().reveal()), true);
            s.run(List.of(s.bin("pg_ctl"), "-D", s.data.toString(), "-l", s.log.toString(), "-w", "-t", "120", "-o",
                    "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
                            + " -c hot_standby=on", "start"), Map.of(), true);
            return s;
        }

        PostgresConnection connection() {
            return PostgresConnection.builder().url("postgresql://postgres@127.0.0.1:" + port + "/postgres")
                    .password(password).build();
        }

        void promote() throws Exception {
            run(List.of(bin("pg_ctl"), "-D", data.toString(), "-w", "-t", "120", "promote"), Map.of(), true);
        }

        /** Runs {@code sql}; the first column of the first row, if any. */
        String sql(String sql) throws Exception {
            try (Connection c = connection().connect(); Statement st = c.createStatement()) {
                if (st.execute(sql)) {
                    try (ResultSet rs = st.getResultSet()) {
                        return rs.next() ? rs.getString(1) : "";
                    }
                }
                return "";
            }
        }

        @Override
        public void close() throws Exception {
            try {
                run(List.of(bin("pg_ctl"), "-D", data.toString(), "-m", "immediate", "-w", "stop"), Map.of(), true);
            } catch (IOException ignored) {
                // not running
            }
        }

        private String bin(String tool) {
            return binDir.resolve(tool).toString();
        }

        private void run(List<String> command, Map<String, String> env, boolean postgresUser) throws Exception {
            List<String> cmd = new ArrayList<>(command);
            if (postgresUser && asPostgres) {
                cmd.addAll(0, List.of("runuser", "-u", "postgres", "--"));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
            pb.environment().putAll(env);
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(150, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd + " did not finish in 150 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out
                        + (Files.exists(log) ? Files.readString(log) : ""));
            }
        }
    }
}
