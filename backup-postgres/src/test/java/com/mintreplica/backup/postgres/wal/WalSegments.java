package com.mintreplica.backup.postgres.wal;

import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real WAL segments for the tests: a PostgreSQL cluster whose archive_command fails (so PostgreSQL keeps every
 * completed segment, marked ready), made to write and switch segments, then its completed segments copied, with their
 * {@code archive_status/*.ready} markers and {@code global/pg_control}, into a directory laid out as a data directory.
 */
final class WalSegments {
    private WalSegments() {
    }

    /** Starts a cluster that keeps its WAL (archive_mode on, no archive_command yet: every segment stays ready). */
    static PostgresCluster keepingWal() {
        return PostgresCluster.builder().setting("archive_mode", "on").start();
    }

    /** Writes and switches {@code count} segments, waiting (bounded) until PostgreSQL has marked them ready. */
    static void write(PostgresCluster pg, int count) throws Exception {
        pg.sql("postgres", "create table if not exists w(id bigserial primary key, pad text)");
        for (int i = 0; i < count; i++) {
            pg.sql("postgres", "insert into w(pad) select repeat('x', 200) from generate_series(1, 2000); select pg_switch_wal()");
        }
    }

    /** The names of the completed segments PostgreSQL has marked ready, oldest first. */
    static List<String> ready(Path dataDir) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dataDir.resolve("pg_wal").resolve("archive_status"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ready"))
                    .map(n -> n.substring(0, n.length() - 6)).filter(n -> n.length() == 24).sorted().forEach(out::add);
        }
        return out;
    }

    /**
     * Copies the ready segments of {@code pg} into {@code target}/pg_wal (with archive_status markers) and its
     * pg_control into {@code target}/global: a stable copy that the server does not recycle under the test.
     */
    static List<Path> copy(PostgresCluster pg, Path target, int atLeast) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<String> names = ready(pg.dataDir());
        while (names.size() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("PostgreSQL marked only " + names + " ready in 30 s");
            }
            write(pg, 1);
            Thread.sleep(100);
            names = ready(pg.dataDir());
        }
        Path pgWal = Files.createDirectories(target.resolve("pg_wal").resolve("archive_status")).getParent();
        Files.createDirectories(target.resolve("global"));
        Files.copy(pg.dataDir().resolve("global/pg_control"), target.resolve("global/pg_control"));
        List<Path> out = new ArrayList<>();
        for (String n : names) {
            Path copy = pgWal.resolve(n);
            Files.copy(pg.dataDir().resolve("pg_wal").resolve(n), copy);
            Files.createFile(pgWal.resolve("archive_status").resolve(n + ".ready"));
            out.add(copy);
        }
        return out;
    }

    /**
     * What the WAL ITs start from: a cluster that keeps its WAL, {@code count} of its segments copied aside, and a key
     * made by the real gpg. {@link #close} stops both.
     */
    record Fixture(PostgresCluster pg, com.mintreplica.backup.testkit.gpg.GnuPG gpg,
                   com.mintreplica.backup.testkit.gpg.GnuPG.Key key, Path data, List<Path> segments) implements AutoCloseable {
        static Fixture start(Path temp, int count) throws Exception {
            PostgresCluster pg = keepingWal();
            com.mintreplica.backup.testkit.gpg.GnuPG gpg = null;
            try {
                write(pg, count);
                Path data = temp.resolve("data");
                List<Path> segments = copy(pg, data, count);
                gpg = com.mintreplica.backup.testkit.gpg.GnuPG.start();
                return new Fixture(pg, gpg, gpg.generate("WAL Operator <wal-ops@mint.example>", "future-default"), data,
                        segments);
            } catch (Exception | Error e) {
                pg.close();
                if (gpg != null) {
                    gpg.close();
                }
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                pg.close();
            } finally {
                gpg.close();
            }
        }
    }
}
