package com.mintreplica.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where a restore goes and what it does to what is there; the directory format; roles and tablespaces. */
class PostgresRestoreModesIT {
    private static PostgresCluster pg;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    private static void createShop(String name) {
        pg.createDatabase(name);
        pg.sql(name, """
                create table customers (id serial primary key, name text not null);
                create table orders (id bigserial primary key, customer_id int references customers(id),
                                     total numeric(10,2), placed_at timestamptz);
                insert into customers(name) select 'customer ' || i from generate_series(1, 100) i;
                insert into orders(customer_id, total, placed_at)
                  select 1 + i % 100, (i * 37 % 10000) / 100.0, timestamptz '2026-01-01' + i * interval '1 minute'
                  from generate_series(1, 3000) i;
                """);
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>(pg.environment("postgres"));
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", "/nonexistent");
        return env;
    }

    private static PostgresSource.Builder source(String database) {
        return PostgresSource.builder().url(pg.uri(database)).password(pg.password()).environment(env());
    }

    @Test
    void restore_into_the_original_database_replaces_it_and_terminates_other_sessions_only_when_asked()
            throws Exception {
        createShop("shop_replace");
        Map<String, String> atBackup = TableChecksums.of(pg, "shop_replace");
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline().source(source("shop_replace").build()).to(repo).build().run();
            pg.sql("shop_replace", "delete from orders where id % 2 = 0; drop table customers cascade;");
            Map<String, String> changed = TableChecksums.of(pg, "shop_replace");

            try (Connection other = DriverManager.getConnection(pg.jdbcUrl("shop_replace"), pg.user(),
                    pg.password().reveal())) {
                // No location: the restore goes back to the server and database the snapshot came from.
                PostgresTarget polite = PostgresTarget.builder().environment(env()).build();
                assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(backup.snapshotId())).to(polite).run())
                        .isInstanceOf(ConflictException.class)
                        .hasMessageContaining("shop_replace")
                        .hasMessageContaining("1 other session")
                        .hasMessageContaining("terminate-sessions");
                assertThat(TableChecksums.of(pg, "shop_replace")).as("nothing changed").isEqualTo(changed);
                assertThat(pg.databaseExists("shop_replace_mint_restore")).isFalse();
                assertThat(other.isValid(2)).isTrue();

                PostgresTarget forceful = PostgresTarget.builder().environment(env()).terminateSessions(true).build();
                repo.restore(SnapshotSelector.id(backup.snapshotId())).to(forceful).run();
                assertThat(other.isValid(2)).as("the other session was terminated").isFalse();
            }
            assertThat(TableChecksums.of(pg, "shop_replace")).isEqualTo(atBackup);
            assertThat(pg.databaseExists("shop_replace_mint_restore")).isFalse();
            assertThat(pg.databaseExists("shop_replace_mint_old")).isFalse();
        }
    }

    @Test
    void a_restore_that_fails_leaves_the_original_database_as_it_was() throws Exception {
        createShop("shop_keep");
        pg.sql("postgres", "create role shop_owner login password 'x'");
        pg.sql("shop_keep", "alter table orders owner to shop_owner");
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult owned = Backup.pipeline().source(source("shop_keep").build()).to(repo).build().run();
            // The owner's role is gone by the time of the restore, so pg_restore fails half-way.
            pg.sql("shop_keep", "alter table orders owner to postgres");
            pg.sql("postgres", "drop role shop_owner");
            pg.sql("shop_keep", "insert into customers(name) values ('after the backup')");
            Map<String, String> current = TableChecksums.of(pg, "shop_keep");

            assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(owned.snapshotId()))
                    .to(PostgresTarget.builder().environment(env()).build()).run())
                    .hasMessageContaining("pg_restore")
                    .hasMessageContaining("shop_owner");
            assertThat(TableChecksums.of(pg, "shop_keep")).isEqualTo(current);
            assertThat(pg.databaseExists("shop_keep_mint_restore")).as("the half-restored copy is dropped").isFalse();

            // Without owners, the same snapshot restores, and replaces what was there.
            repo.restore(SnapshotSelector.id(owned.snapshotId()))
                    .to(PostgresTarget.builder().environment(env()).noOwner(true).build()).run();
            assertThat(pg.query("shop_keep", "select count(*) from customers where name = 'after the backup'").strip())
                    .isEqualTo("0");
        }
    }

    @Test
    void restore_into_another_database_that_holds_tables_is_refused_unless_replacing_is_allowed() throws Exception {
        createShop("shop_src");
        createShop("shop_busy");
        pg.sql("shop_busy", "insert into customers(name) values ('precious')");
        Map<String, String> busy = TableChecksums.of(pg, "shop_busy");
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline().source(source("shop_src").build()).to(repo).build().run();
            PostgresTarget refused = PostgresTarget.builder().environment(env()).database("shop_busy").build();
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(backup.snapshotId())).to(refused).run())
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("'shop_busy'")
                    .hasMessageContaining("holds tables");
            assertThat(TableChecksums.of(pg, "shop_busy")).isEqualTo(busy);

            // An existing empty database is restored into.
            pg.createDatabase("shop_empty");
            repo.restore(SnapshotSelector.id(backup.snapshotId()))
                    .to(PostgresTarget.builder().environment(env()).database("shop_empty").build()).run();
            assertThat(TableChecksums.of(pg, "shop_empty")).isEqualTo(TableChecksums.of(pg, "shop_src"));

            PostgresTarget replacing = PostgresTarget.builder().environment(env()).database("shop_busy")
                    .replaceExisting(true).build();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(replacing).run();
            assertThat(TableChecksums.of(pg, "shop_busy")).isEqualTo(TableChecksums.of(pg, "shop_src"));
        }
    }

    @Test
    void the_directory_format_dumps_and_restores_with_parallel_jobs() throws Exception {
        createShop("shop_dir");
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline()
                    .source(source("shop_dir").format(DumpFormat.DIRECTORY).jobs(2).build()).to(repo).build().run();
            assertThat(repo.entries(backup.snapshot())).extracting(Entry::path)
                    .startsWith("shop_dir", "shop_dir/toc.dat")
                    .hasSizeGreaterThan(3);
            assertThat(backup.snapshot().facts()).containsEntry("postgresql.format", "directory")
                    .containsEntry("postgresql.rows.public.orders", "3000");

            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(PostgresVerifier.builder().environment(env())
                    .build()).run();
            PostgresTarget target = PostgresTarget.builder().environment(env()).database("shop_dir_copy").jobs(2)
                    .build();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target).run();
            assertThat(TableChecksums.of(pg, "shop_dir_copy")).isEqualTo(TableChecksums.of(pg, "shop_dir"));
            assertThat(target.lastCheck()).get().satisfies(c -> assertThat(c.ok()).isTrue());
        }
    }

    @Test
    void roles_are_backed_up_as_globals_and_applied_on_restore_when_asked() throws Exception {
        createShop("shop_roles");
        pg.sql("postgres", "create role auditor nologin");
        pg.sql("shop_roles", "grant select on orders to auditor");
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline().source(source("shop_roles").globals(true).build()).to(repo)
                    .build().run();
            assertThat(repo.entries(backup.snapshot())).extracting(Entry::path)
                    .containsExactly("globals.sql", "shop_roles.dump");
            try (InputStream in = repo.openEntry(backup.snapshot(), "globals.sql")) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("CREATE ROLE auditor");
            }
            pg.dropDatabase("shop_roles");
            pg.sql("postgres", "drop role auditor");

            repo.restore(SnapshotSelector.id(backup.snapshotId()))
                    .to(PostgresTarget.builder().environment(env()).globals(true).build()).run();
            assertThat(pg.query("postgres", "select count(*) from pg_roles where rolname = 'auditor'").strip())
                    .isEqualTo("1");
            assertThat(pg.query("shop_roles", "select has_table_privilege('auditor', 'orders', 'select')").strip())
                    .isEqualTo("t");
        }
    }

    @Test
    void the_single_object_layout_stores_a_plain_compressed_pg_dump_archive() throws Exception {
        createShop("shop_single");
        InMemorySink sink = new InMemorySink();
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults().withLayout(Layout.SINGLE)
                .withTransformers(java.util.List.of()))) {
            BackupResult backup = Backup.pipeline().source(source("shop_single").build()).to(repo).build().run();
            assertThat(backup.snapshot().facts()).containsEntry("postgresql.compression", "default");
            Optional<byte[]> stored = sink.objects().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("files/")).map(Map.Entry::getValue).findFirst();
            assertThat(stored).get().satisfies(bytes ->
                    assertThat(new String(bytes, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("PGDMP"));
        }
    }
}
