package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook of docs/disaster-recovery.md against a real PostgreSQL server: the database is gone, and recover brings
 * it back from the repository alone, row counts checked; and the single-object layout opens without mint-backup,
 * with exactly the runbook's gpg | zstd | pg_restore pipeline.
 */
class RecoverPostgresIT {
    static PostgresCluster pg;
    static GnuPG gpg;
    static GnuPG.Key ops;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        gpg = GnuPG.start();
        ops = gpg.generate("Ops <ops@mint.example>", "future-default");
    }

    @AfterAll
    static void stop() {
        pg.close();
        gpg.close();
    }

    private static void createLedger(String name) {
        pg.createDatabase(name);
        pg.sql(name, """
                create table accounts (id serial primary key, owner text not null, balance numeric(12,2) not null);
                insert into accounts (owner, balance) select 'owner-' || g, g * 1.25 from generate_series(1, 3000) g;
                """);
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", "/nonexistent");
        env.put("PGPASSWORD", pg.password().reveal());
        return env;
    }

    private static Cli.Result ok(Map<String, String> env, String... args) {
        Cli.Result r = Cli.run(env, args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void after_the_database_is_gone_recover_restores_it_and_the_files_from_the_repository_alone() throws Exception {
        createLedger("ledger");
        String before = pg.query("ledger", "select count(*) || ' ' || sum(balance) from accounts");
        Path etc = Files.createDirectories(temp.resolve("etc"));
        Files.writeString(etc.resolve("app.yaml"), "db: ledger\n");
        Path repo = temp.resolve("repo");
        Path config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                keys:
                  ops: {secret: %s, passphrase: "file:%s"}
                repositories:
                  primary:
                    location: %s
                    encryption: {recipients: [ops], unlock: [ops]}
                jobs:
                  ledger:
                    source:
                      location: %s
                      password: env:PGPASSWORD
                    repository: primary
                  etc:
                    source: {paths: [%s]}
                    repository: primary
                """.formatted(ops.secretFile(), gpg.passphraseFile, repo, pg.uri("ledger"), etc));
        ok(env(), "run", "--config", config.toString());
        pg.dropDatabase("ledger"); // the primary is gone
        Files.delete(config);

        Path restoreRoot = temp.resolve("restore");
        Cli.Result r = ok(env(), "recover", "--repo", repo.toString(), "--key", ops.secretFile().toString(),
                "--passphrase-file", gpg.passphraseFile.toString(), "--all", "--target-dir", restoreRoot.toString(),
                "--target", "postgresql://postgres@127.0.0.1:" + pg.port() + "/", "--option", "postgresql.no-owner=true");

        assertThat(r.out()).contains("restore ledger: snapshot").contains("database ledger")
                .contains("row counts of every table match the backup's").contains("all 2 restores done");
        assertThat(r.out() + r.err()).doesNotContain(pg.password().reveal());
        assertThat(pg.query("ledger", "select count(*) || ' ' || sum(balance) from accounts")).isEqualTo(before);
        assertThat(restoreRoot.resolve("etc").resolve(etc.toString().substring(1)).resolve("app.yaml")).hasContent("db: ledger\n");
    }

    @Test
    void the_single_object_layout_opens_without_mint_backup_with_the_runbooks_gpg_zstd_pg_restore_pipeline() throws Exception {
        createLedger("books");
        String before = pg.query("books", "select count(*) || ' ' || sum(balance) from accounts");
        Path repo = temp.resolve("single");
        ok(env(), "init", "--repo", repo.toString(), "--layout", "single", "--encrypt-to", ops.publicFile().toString());
        ok(env(), "backup", "--repo", repo.toString(), "--key", ops.secretFile().toString(), "--passphrase-file",
                gpg.passphraseFile.toString(), pg.uri("books"));
        List<Path> objects;
        try (Stream<Path> s = Files.walk(repo.resolve("files"))) {
            objects = s.filter(Files::isRegularFile).toList();
        }
        // encrypted: the object is named by a keyed hash of the entry path, the snapshot's only object
        assertThat(objects).singleElement().satisfies(p -> assertThat(p.getFileName().toString()).matches("[0-9a-f]{32}\\.zst\\.gpg"));

        // docs/disaster-recovery.md, "Without mint-backup": createdb, then gpg --decrypt | zstd -d | pg_restore.
        // (gpg gets --batch and the passphrase file here because no one is at a terminal to type it.)
        String gpgCommand = "gpg --homedir " + gpg.home + " --batch --pinentry-mode loopback --passphrase-file "
                + gpg.passphraseFile;
        String script = "set -o pipefail\n"
                + "test \"$(" + gpgCommand + " --decrypt " + objects.get(0) + " | zstd -d | head -c 5)\" = PGDMP\n"
                + "createdb -h 127.0.0.1 -p " + pg.port() + " -U postgres books_manual\n"
                + gpgCommand + " --decrypt " + objects.get(0) + " | zstd -d | pg_restore --no-owner -h 127.0.0.1 -p "
                + pg.port() + " -U postgres -d books_manual\n";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", pg.password().reveal());
        pb.environment().put("PATH", pg.binDir() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(output).isZero();
        assertThat(pg.query("books_manual", "select count(*) || ' ' || sum(balance) from accounts")).isEqualTo(before);
    }
}
