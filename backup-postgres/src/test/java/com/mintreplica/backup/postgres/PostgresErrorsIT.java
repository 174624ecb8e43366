package com.mintreplica.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.testkit.ClosedPort;
import com.mintreplica.backup.testkit.FactsRewritingSource;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clear errors, damaged dumps, row-count mismatches, and where the password may and may not appear. */
class PostgresErrorsIT {
    private static PostgresCluster pg;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        pg.createDatabase("shop");
        pg.sql("shop", """
                create table customers (id serial primary key, name text not null);
                create table orders (id bigserial primary key, customer_id int references customers(id),
                                     total numeric(10,2), placed_at timestamptz, note text);
                create table notes (id serial primary key, body text);
                insert into customers(name) select 'customer ' || i from generate_series(1, 100) i;
                insert into orders(customer_id, total, placed_at, note)
                  select 1 + i % 100, (i * 37 % 10000) / 100.0, timestamptz '2026-01-01' + i * interval '1 minute',
                         md5(i::text) || md5((i + 1)::text)
                  from generate_series(1, 20000) i;
                """);
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", "/nonexistent");
        return env;
    }

    private static PostgresSource.Builder source() {
        return PostgresSource.builder().url(pg.uri("shop")).password(pg.password()).environment(env());
    }

    private static BackupResult backup(Repository repo, Source source) {
        return Backup.pipeline().source(source).to(repo).build().run();
    }

    // ---- clear errors

    @Test
    void a_wrong_password_fails_with_access_denied_naming_user_and_database_but_not_the_password() {
        Source wrong = PostgresSource.builder().url(pg.uri("shop")).password(com.mintreplica.backup.core.Secret.of(
                "not-the-password-123")).environment(env()).build();
        try (Repository repo = Repository.init(new InMemorySink())) {
            assertThatThrownBy(() -> backup(repo, wrong))
                    .isInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining("refused the password of user 'postgres'")
                    .hasMessageContaining("127.0.0.1:" + pg.port() + "/shop")
                    .hasMessageContaining("PGPASSWORD")
                    .hasMessageNotContaining("not-the-password-123");
            assertThat(repo.snapshots()).isEmpty();
        }
    }

    @Test
    void an_unreachable_server_fails_saying_which_address_and_what_to_check() throws Exception {
        try (ClosedPort closed = ClosedPort.reserve(); // refuses connections; no other process can take it meanwhile
             Repository repo = Repository.init(new InMemorySink())) {
            int closedPort = closed.port();
            Source nowhere = PostgresSource.builder().url("postgresql://postgres@127.0.0.1:" + closedPort + "/shop")
                    .password(pg.password()).environment(env()).build();
            assertThatThrownBy(() -> backup(repo, nowhere))
                    .isInstanceOf(BackupException.class)
                    .hasMessageContaining("cannot reach the PostgreSQL server at 127.0.0.1:" + closedPort)
                    .hasMessageContaining("accepts TCP connections");
            assertThat(repo.snapshots()).isEmpty();
        }
    }

    @Test
    void a_missing_pg_dump_fails_naming_where_it_was_looked_for() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("bin"));
        try (Repository repo = Repository.init(new InMemorySink())) {
            assertThatThrownBy(() -> backup(repo, source().binDir(empty).build()))
                    .isInstanceOf(UnsupportedException.class)
                    .hasMessageContaining("pg_dump not found in the configured PostgreSQL binary directory " + empty)
                    .hasMessageContaining("pg-bin-dir");
            assertThat(repo.snapshots()).isEmpty();
        }
    }

    @Test
    void a_pg_dump_older_than_the_server_fails_naming_both_versions_and_the_binary() throws Exception {
        // This machine has one PostgreSQL version, so an older pg_dump is faked: a wrapper script that reports
        // version 12.3 and otherwise runs the real pg_dump. The check must refuse it before anything is dumped.
        Path bin = Files.createDirectory(tmp.resolve("old-bin"));
        Path wrapper = bin.resolve("pg_dump");
        Files.writeString(wrapper, "#!/bin/sh\nif [ \"$1\" = \"--version\" ]; then echo 'pg_dump (PostgreSQL) 12.3';"
                + " exit 0; fi\nexec " + pg.binDir().resolve("pg_dump") + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        String serverVersion = pg.query("postgres", "show server_version").strip();
        try (Repository repo = Repository.init(new InMemorySink())) {
            assertThatThrownBy(() -> backup(repo, source().binDir(bin).build()))
                    .isInstanceOf(UnsupportedException.class)
                    .hasMessageContaining("pg_dump 12.3 at " + wrapper)
                    .hasMessageContaining("PostgreSQL " + serverVersion)
                    .hasMessageContaining("at least major version " + pg.majorVersion());
            assertThat(repo.snapshots()).isEmpty();
        }
    }

    @Test
    void sslmode_is_honoured_a_server_without_ssl_is_refused_when_ssl_is_required() {
        Source requiring = PostgresSource.builder().url(pg.uri("shop") + "?sslmode=require").password(pg.password())
                .environment(env()).build();
        try (Repository repo = Repository.init(new InMemorySink())) {
            assertThatThrownBy(() -> backup(repo, requiring))
                    .isInstanceOf(BackupException.class)
                    .hasMessageContaining("SSL");
        }
    }

    // ---- the password file

    @Test
    void the_password_file_is_honoured_for_the_snapshot_connection_and_for_pg_dump_and_ignored_when_others_can_read_it()
            throws Exception {
        Path pgpass = tmp.resolve("pgpass");
        Files.writeString(pgpass, "# test cluster\n127.0.0.1:" + pg.port() + ":*:postgres:"
                + pg.password().reveal().replace(":", "\\:") + "\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = env();
        env.put("PGPASSFILE", pgpass.toString());
        Source fromFile = PostgresSource.builder().url(pg.uri("shop")).environment(env).build();
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult result = backup(repo, fromFile);
            assertThat(result.snapshot().facts()).containsEntry("postgresql.rows.public.orders", "20000");

            Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
            Source exposed = PostgresSource.builder().url(pg.uri("shop")).environment(env).build();
            assertThatThrownBy(() -> backup(repo, exposed))
                    .isInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining("none was found");
        }
    }

    // ---- damaged dumps and row counts

    @Test
    void a_dump_damaged_in_storage_is_caught_by_verify_naming_the_damaged_object() throws Exception {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = Repository.init(sink)) {
            BackupResult result = backup(repo, source().build());
            PostgresVerifier verifier = PostgresVerifier.builder().environment(env()).build();
            repo.restore(SnapshotSelector.id(result.snapshotId())).to(verifier).run();

            String pack = sink.objects().keySet().stream().filter(n -> n.startsWith("data/")).findFirst().orElseThrow();
            sink.corrupt(pack, 200);
            VerifyReport report = repo.verify(true);
            assertThat(report.ok()).isFalse();
            assertThat(report.problems()).anySatisfy(p -> assertThat(p.object()).isEqualTo(pack));
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(result.snapshotId()))
                    .to(PostgresVerifier.builder().environment(env()).build()).run())
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(pack);
        }
    }

    @Test
    void a_dump_that_was_broken_before_it_was_stored_is_caught_by_pg_restore_in_verify() throws Exception {
        byte[] dump;
        Map<String, String> facts;
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult result = backup(repo, source().build());
            facts = result.snapshot().facts();
            try (InputStream in = repo.openEntry(result.snapshot(), "shop.dump")) {
                dump = in.readAllBytes();
            }
        }
        // The repository's checksums match what it was given; only pg_restore can tell these are not whole dumps.
        byte[] truncated = Arrays.copyOf(dump, dump.length / 2);
        byte[] garbage = "this is not a pg_dump archive\n".repeat(100).getBytes(StandardCharsets.UTF_8);
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult cut = backup(repo, new BytesSource("shop.dump", truncated, facts));
            assertThat(repo.verify(true).ok()).isTrue();
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(cut.snapshotId()))
                    .to(PostgresVerifier.builder().environment(env()).build()).run())
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("entry 'shop.dump' of snapshot " + cut.snapshotId())
                    .hasMessageContaining("cannot be read to its end");

            BackupResult junk = backup(repo, new BytesSource("shop.dump", garbage, facts));
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(junk.snapshotId()))
                    .to(PostgresVerifier.builder().environment(env()).build()).run())
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("entry 'shop.dump' of snapshot " + junk.snapshotId())
                    .hasMessageContaining("not a readable pg_dump archive");
        }
    }

    @Test
    void a_row_count_mismatch_after_restore_fails_with_a_table_by_table_report() throws Exception {
        // A dump that lost rows is simulated by recording wrong counts for two tables: the real dump restores the
        // real rows, which then differ from what the snapshot says the backup saw.
        Source real = source().build();
        Source miscounted = FactsRewritingSource.replacing(real, Map.of(
                "postgresql.rows.public.orders", "20005", "postgresql.rows.public.customers", "99"));
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult result = backup(repo, miscounted);
            PostgresTarget target = PostgresTarget.builder().url(pg.uri("postgres")).password(pg.password())
                    .database("shop_checked").environment(env()).build();
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(result.snapshotId())).to(target).run())
                    // The target's own exception type reaches the caller, with the report as data.
                    .isInstanceOf(RowCountMismatchException.class)
                    .hasMessageContaining("2 of 3 tables")
                    .hasMessageContaining("public.orders: expected 20005 rows, found 20000")
                    .hasMessageContaining("public.customers: expected 99 rows, found 100")
                    .hasMessageNotContaining("public.notes")
                    .satisfies(e -> {
                        RowCountCheck check = ((RowCountMismatchException) e).check();
                        assertThat(check.ok()).isFalse();
                        assertThat(check.mismatches()).extracting(RowCountCheck.Table::table)
                                .containsExactly("public.customers", "public.orders");
                    });
            assertThat(target.lastCheck()).get().satisfies(c -> assertThat(c.tables()).hasSize(3));
            assertThat(pg.databaseExists("shop_checked")).as("the database made for the restore is dropped").isFalse();
        }
    }

    // ---- the password stays out of process arguments and logs

    @Test
    void the_password_appears_in_no_process_argument_list_while_the_dump_runs_nor_in_any_log_line() throws Exception {
        String password = pg.password().reveal();
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        List<String> commandLines = new ArrayList<>();
        Map<String, String> pgDumpEnvironment = new TreeMap<>();
        InMemorySink sink = new InMemorySink();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Source source = PostgresSource.builder().url(pg.uri("shop") + "?sslmode=disable").password(pg.password())
                    .environment(env()).build();
            try (SourceReader reader = source.open(context())) {
                SourceEntry entry = reader.next().orElseThrow();
                try (InputStream in = entry.openContent()) {
                    // pg_dump is now running, blocked on the full pipe until the rest is read.
                    assertThat(in.readNBytes(16)).hasSize(16);
                    scanProcesses(commandLines, pgDumpEnvironment);
                    in.transferTo(OutputStream.nullOutputStream());
                }
                assertThat(reader.next()).isEmpty();
            }
            try (Repository repo = Repository.init(sink, RepositorySettings.defaults().withTransformers(List.of()))) {
                BackupResult result = backup(repo, source);
                repo.restore(SnapshotSelector.id(result.snapshotId())).to(PostgresTarget.builder()
                        .url(pg.uri("postgres")).password(pg.password()).database("shop_logged").environment(env())
                        .build()).run();
                repo.restore(SnapshotSelector.id(result.snapshotId()))
                        .to(PostgresVerifier.builder().environment(env()).build()).run();
            }
        } finally {
            System.setErr(realErr);
        }
        assertThat(pgDumpEnvironment).as("this test's pg_dump was seen running").isNotEmpty();
        assertThat(commandLines).noneSatisfy(line -> assertThat(line).contains(password));
        assertThat(pgDumpEnvironment).containsEntry("PGHOST", "127.0.0.1").containsEntry("PGSSLMODE", "disable")
                .containsKey("PGPASSFILE").doesNotContainKey("PGPASSWORD");
        assertThat(pgDumpEnvironment.values()).noneSatisfy(v -> assertThat(v).contains(password));

        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("backing up 127.0.0.1:" + pg.port() + "/shop").contains("running ")
                .contains("restored snapshot");
        assertThat(log).doesNotContain(password);
        // The manifest (stored in clear here, without transformers) holds no password either.
        for (Map.Entry<String, byte[]> object : sink.objects().entrySet()) {
            assertThat(new String(object.getValue(), StandardCharsets.ISO_8859_1)).as(object.getKey())
                    .doesNotContain(password);
        }
    }

    /**
     * Every process's command line; and the environment of the pg_dump this JVM runs. Only a child of this JVM counts
     * as that pg_dump: another build on the machine may run a pg_dump of its own at the same time, with another
     * environment (seen here once: a concurrent build's pg_dump with PGSSLMODE=prefer failed this test).
     */
    private static void scanProcesses(List<String> commandLines, Map<String, String> pgDumpEnvironment)
            throws IOException {
        Set<String> ours = ProcessHandle.current().descendants().map(h -> Long.toString(h.pid()))
                .collect(Collectors.toSet());
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                } catch (IOException gone) {
                    continue;
                }
                commandLines.add(cmdline);
                if (ours.contains(proc.getFileName().toString()) && cmdline.contains("pg_dump")
                        && cmdline.contains("--snapshot=")) {
                    String environ = new String(Files.readAllBytes(proc.resolve("environ")), StandardCharsets.UTF_8);
                    for (String var : environ.split("\0")) {
                        int eq = var.indexOf('=');
                        if (eq > 0) {
                            pgDumpEnvironment.put(var.substring(0, eq), var.substring(eq + 1));
                        }
                    }
                }
            }
        }
    }

    private static BackupContext context() {
        return new BackupContext() {
            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }

            @Override
            public void warn(String path, String message) {
            }
        };
    }

    /** A PostgreSQL-kind source of one entry with given bytes and facts, standing in for a broken pg_dump. */
    private static final class BytesSource implements Source {
        private final String path;
        private final byte[] content;
        private final Map<String, String> facts;

        BytesSource(String path, byte[] content, Map<String, String> facts) {
            this.path = path;
            this.content = content;
            this.facts = facts;
        }

        @Override
        public SourceId id() {
            return new SourceId("postgresql", "127.0.0.1:" + pg.port() + "/shop");
        }

        @Override
        public SourceReader open(BackupContext context) {
            return new SourceReader() {
                private boolean done;

                @Override
                public Optional<SourceEntry> next() {
                    if (done) {
                        return Optional.empty();
                    }
                    done = true;
                    return Optional.of(SourceEntry.of(Entry.regular(path).build(),
                            () -> new ByteArrayInputStream(content)));
                }

                @Override
                public Map<String, String> facts() {
                    return facts;
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
