package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `mint-backup backup postgresql://...`, `restore --target postgresql://... --target-database`, `verify`, on a real cluster. */
class CliPostgresIT {
    static PostgresCluster pg;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        pg.createDatabase("ledger");
        pg.sql("ledger", """
                create table accounts (id serial primary key, owner text not null, balance numeric(12,2) not null);
                insert into accounts (owner, balance) select 'owner-' || g, g * 1.25 from generate_series(1, 5000) g;
                """);
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    void back_up_a_database_verify_it_and_restore_it_under_another_name() throws Exception {
        Path repo = temp.resolve("repo");
        // The password reaches the CLI only through the environment, never an argument.
        Map<String, String> env = Map.of("PGPASSWORD", pg.password().reveal());
        String location = "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/ledger";
        assertThat(Cli.run(env, "init", "--repo", repo.toString()).code()).isZero();

        Cli.Result backup = Cli.run(env, "backup", "--repo", repo.toString(), location, "--tag", "daily");
        assertThat(backup.code()).as(backup.toString()).isZero();
        assertThat(backup.out()).doesNotContain(pg.password().reveal());

        Cli.Result list = Cli.run(env, "list", "--repo", repo.toString(), "--json");
        assertThat(list.out()).contains("\"kind\" : \"postgresql\"").contains("postgresql.rows.public.accounts").contains("5000");

        Cli.Result verify = Cli.run(env, "verify", "--repo", repo.toString(), "--read-data");
        assertThat(verify.code()).as(verify.toString()).isZero();

        Cli.Result restore = Cli.run(env, "restore", "--repo", repo.toString(), "latest",
                "--target", "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/postgres",
                "--target-database", "ledger_copy");
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(pg.query("ledger_copy", "select count(*) || ' ' || sum(balance) from accounts"))
                .isEqualTo(pg.query("ledger", "select count(*) || ' ' || sum(balance) from accounts"));

        Cli.Result toDirectory = Cli.run(env, "restore", "--repo", repo.toString(), "latest", "--target", temp.resolve("dir").toString());
        assertThat(toDirectory.code()).as("a database snapshot cannot be restored into a directory").isEqualTo(2);
        assertThat(toDirectory.err()).contains("postgresql");
        assertThat(Files.exists(temp.resolve("dir"))).isFalse();
    }

    @Test
    void a_wrong_password_is_a_clear_error_that_does_not_show_the_password() {
        Path repo = temp.resolve("repo");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        Cli.Result backup = Cli.run(Map.of("PGPASSWORD", "wrong-secret-123"), "backup", "--repo", repo.toString(),
                "postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/ledger");
        assertThat(backup.code()).as(backup.toString()).isEqualTo(2);
        assertThat(backup.err()).containsIgnoringCase("password").doesNotContain("wrong-secret-123").doesNotContain("\tat ");
        assertThat(Cli.run("list", "--repo", repo.toString()).out()).contains("no snapshots");
    }
}
