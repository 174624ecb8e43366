package com.mintreplica.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance tests on a personal-finance ledger with one million transactions, on a real server: a full round
 * trip, a restore beside the original, and the size of an hourly backup after a ledger-like change.
 */
class PostgresFinanceIT {
    private static final int ROWS = 1_000_000;
    private static PostgresCluster pg;
    private static Repository repo;
    private static BackupResult backup;
    private static Map<String, String> originalChecksums;

    @BeforeAll
    static void prepare() {
        pg = PostgresCluster.builder().setting("max_wal_size", "2GB").setting("maintenance_work_mem", "128MB")
                .start();
        pg.createDatabase("finance");
        pg.sql("finance", resource("finance-schema.sql"));
        pg.sql("finance", resource("finance-data.sql").replace(":rows", Integer.toString(ROWS)));
        pg.sql("finance", "vacuum analyze");
        originalChecksums = TableChecksums.of(pg, "finance");
        repo = Repository.init(new InMemorySink());
        backup = Backup.pipeline().source(source("finance")).to(repo).build().run();
    }

    @AfterAll
    static void stop() {
        if (repo != null) {
            repo.close();
        }
        pg.close();
    }

    @Test
    void the_finance_ledger_round_trips_with_equal_table_contents_and_sequences_that_continue() {
        assertThat(backup.snapshot().facts())
                .containsEntry("postgresql.rows.public.transactions", Integer.toString(ROWS))
                .containsEntry("postgresql.rows.public.users", "2000")
                .containsEntry("postgresql.rows.public.accounts", "5000")
                .containsEntry("postgresql.format", "custom")
                .containsEntry("postgresql.compression", "0")
                .containsKeys("postgresql.serverVersion", "postgresql.databaseSize", "postgresql.pgDumpVersion");
        assertThat(Long.parseLong(backup.snapshot().facts().get("postgresql.databaseSize"))).isGreaterThan(50L << 20);

        repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target("finance_copy").build()).run();

        assertThat(TableChecksums.of(pg, "finance_copy")).isEqualTo(originalChecksums)
                .containsKeys("public.transactions", "public.budgets", "public.audit_log");
        // The view and the function came back and work.
        assertThat(pg.query("finance_copy", "select count(*) from monthly_spending").strip())
                .isEqualTo(pg.query("finance", "select count(*) from monthly_spending").strip());
        assertThat(pg.query("finance_copy", "select net_worth(7)")).isEqualTo(pg.query("finance", "select net_worth(7)"));
        // Sequences are where they were, and the next values follow on.
        String sequences = "select sequencename || '=' || coalesce(last_value::text, 'null') from pg_sequences"
                + " order by 1";
        assertThat(pg.query("finance_copy", sequences)).isEqualTo(pg.query("finance", sequences)).contains("invoice");
        assertThat(pg.query("finance_copy", "select nextval('invoice_number_seq')").strip()).isEqualTo("4244");
        assertThat(pg.query("finance_copy", "insert into transactions(account_id, amount, booked_at)"
                + " values (1, 1.00, now()) returning id").strip()).isEqualTo(Integer.toString(ROWS + 1));
        // The trigger came back and fires.
        String audits = pg.query("finance_copy", "select count(*) from audit_log").strip();
        pg.sql("finance_copy", "update accounts set balance = balance + 1 where id = 1");
        assertThat(Long.parseLong(pg.query("finance_copy", "select count(*) from audit_log").strip()))
                .isEqualTo(Long.parseLong(audits) + 1);
        assertThat(pg.query("finance_copy", "select count(*) from pg_indexes where schemaname = 'public'"))
                .isEqualTo(pg.query("finance", "select count(*) from pg_indexes where schemaname = 'public'"));
        assertThat(pg.query("finance_copy", "select count(*) from pg_constraint where contype = 'f'"))
                .isEqualTo(pg.query("finance", "select count(*) from pg_constraint where contype = 'f'"));
    }

    @Test
    void restore_into_another_database_name_leaves_the_original_untouched() {
        String oidBefore = pg.query("postgres", "select oid from pg_database where datname = 'finance'");
        String writesBefore = pg.query("postgres", "select tup_inserted + tup_updated + tup_deleted from"
                + " pg_stat_database where datname = 'finance'");

        // Parallel jobs also take the path through a temporary file that pg_restore can seek in.
        PostgresTarget target = target("finance_parallel").jobs(2).build();
        repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target).run();

        assertThat(TableChecksums.of(pg, "finance_parallel")).isEqualTo(originalChecksums);
        assertThat(target.lastCheck()).get().satisfies(check -> assertThat(check.ok()).isTrue());
        assertThat(pg.query("postgres", "select oid from pg_database where datname = 'finance'"))
                .as("the original database was not dropped and recreated").isEqualTo(oidBefore);
        assertThat(pg.query("postgres", "select tup_inserted + tup_updated + tup_deleted from"
                + " pg_stat_database where datname = 'finance'")).as("nothing was written to the original")
                .isEqualTo(writesBefore);
        assertThat(TableChecksums.of(pg, "finance")).isEqualTo(originalChecksums);
    }

    @Test
    void after_one_percent_of_the_ledger_changes_the_next_backup_stores_under_a_tenth_of_the_first() {
        pg.sql("postgres", "create database ledger template finance");
        Repository hourly = Repository.init(new InMemorySink());
        BackupResult first = Backup.pipeline().source(source("ledger")).to(hourly).build().run();

        // A ledger's hour: 0.5% new transactions appended, the most recent 0.5% updated (cleared, re-categorised).
        int changed = ROWS / 200;
        pg.sql("ledger", "insert into transactions(account_id, category_id, amount, booked_at, memo)"
                + " select 1 + (i * 31) % 5000, 1 + i % 40, (i % 9000) / 100.0,"
                + " timestamptz '2026-06-01 00:00:00+00' + i * interval '1 second', 'new payment ' || i"
                + " from generate_series(1, " + changed + ") i");
        pg.sql("ledger", "update transactions set amount = amount + 0.01, memo = memo || ' (cleared)',"
                + " category_id = 1 + (id % 7) where id > " + (ROWS - changed) + " and id <= " + ROWS);
        pg.sql("ledger", "update accounts set balance = balance + 1 where id % 100 = 0");

        BackupResult second = Backup.pipeline().source(source("ledger")).to(hourly).build().run();

        assertThat(second.snapshot().facts()).containsEntry("postgresql.rows.public.transactions",
                Integer.toString(ROWS + changed));
        assertThat(second.bytesStored())
                .as("stored by the hourly backup (%d) vs the first (%d)", second.bytesStored(), first.bytesStored())
                .isLessThan(first.bytesStored() / 10);
        assertThat(second.bytesRead()).as("the whole dump was read again").isGreaterThan(first.bytesRead());
        hourly.close();
    }

    // ---- helpers

    static PostgresSource source(String database) {
        return PostgresSource.builder().url(pg.uri(database)).password(pg.password()).environment(env()).build();
    }

    static PostgresTarget.Builder target(String database) {
        return PostgresTarget.builder().url(pg.uri("postgres")).password(pg.password()).database(database)
                .environment(env());
    }

    static Map<String, String> env() {
        return Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), "HOME", "/nonexistent");
    }

    static String resource(String name) {
        try (InputStream in = PostgresFinanceIT.class.getResourceAsStream("/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
