package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/disaster-recovery.md, section 6 "Without mint-backup", run as written: the shell block is taken from the
 * document itself and run with {@code sh}, only its first lines (bucket, key, passphrase file, new server) set to this
 * test's. The repository is an encrypted single-object repository on an S3-protocol server (s3proxy in the test JVM,
 * reached by the real {@code aws} CLI, given {@code --endpoint-url} by a wrapper); two jobs share it, and the config-files job
 * wrote after the database job's latest snapshot, which is where "the last one listed is the latest" used to pick the
 * wrong snapshot. gpg reads the passphrase from a file ({@code --pinentry-mode loopback --passphrase-file}), in a fresh
 * home: the new machine.
 */
@Timeout(600)
class DisasterRecoveryRunbookIT {
    private static final Path RUNBOOK = Path.of("..", "docs", "disaster-recovery.md");

    @TempDir
    Path temp;
    private S3TestServer s3;
    private PostgresCluster pg;
    private GnuPG gpg;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(onPath("aws"), "the aws CLI is not installed (.ci/run installs awscli): the runbook's S3 commands"
                + " cannot run here");
        s3 = S3TestServer.start().exportCredentials();
        s3.createBucket("offsite");
        pg = PostgresCluster.start();
        gpg = GnuPG.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (gpg != null) {
            gpg.close();
        }
        if (pg != null) {
            pg.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static boolean onPath(String tool) {
        return which(tool) != null;
    }

    private static Path which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool);
            }
        }
        return null;
    }

    private Cli.Result ok(Map<String, String> env, String... args) {
        Cli.Result r = Cli.run(env, args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    /** The first sh block of the section, with the lines that set {@code variables} replaced (each must be there). */
    static String runbookBlock(String section, Map<String, String> variables) throws Exception {
        String doc = Files.readString(RUNBOOK);
        int at = doc.indexOf(section);
        assertThat(at).as("docs/disaster-recovery.md has a section %s", section).isNotNegative();
        Matcher block = Pattern.compile("```sh\n(.*?)\n```", Pattern.DOTALL).matcher(doc);
        assertThat(block.find(at)).as("section %s has a sh block", section).isTrue();
        String script = block.group(1);
        for (Map.Entry<String, String> v : variables.entrySet()) {
            Pattern line = Pattern.compile("^" + Pattern.quote(v.getKey()) + ".*$", Pattern.MULTILINE);
            assertThat(line.matcher(script).results().count()).as("the runbook's block sets %s once", v.getKey()).isEqualTo(1);
            script = line.matcher(script).replaceFirst(Matcher.quoteReplacement(v.getValue()));
        }
        return script;
    }

    @Test
    void the_runbooks_commands_restore_the_database_jobs_latest_snapshot_when_another_job_wrote_last() throws Exception {
        GnuPG.Key ops = gpg.generate("Ops <ops@mint.example>", "future-default");
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("PGPASSWORD", pg.password().reveal());
        String repo = s3.repositoryUri("offsite", "primary");
        String[] key = {"--key", ops.secretFile().toString(), "--passphrase-file", gpg.passphraseFile.toString()};
        ok(env, "init", "--repo", repo, "--layout", "single", "--encrypt-to", ops.publicFile().toString());

        pg.createDatabase("mint_replica");
        pg.sql("mint_replica", """
                create table ledger (id serial primary key, account text not null, amount numeric(12,2) not null);
                insert into ledger (account, amount) select 'acct-' || (g % 97), g * 0.37 from generate_series(1, 2000) g;
                """);
        ok(env, concat(new String[] {"backup", "--repo", repo, "--job", "postgres-daily", "--time", "2026-11-23T01:00:00Z"},
                key, pg.uri("mint_replica")));
        pg.sql("mint_replica", "insert into ledger (account, amount) select 'late-' || g, g from generate_series(1, 500) g;");
        String expected = pg.query("mint_replica", "select count(*) || ' ' || sum(amount) from ledger");
        String latest = ok(env, concat(new String[] {"backup", "--repo", repo, "--job", "postgres-daily", "--time",
                "2026-11-24T01:00:00Z"}, key, pg.uri("mint_replica"))).out().split(" ")[1];
        Path etc = Files.createDirectories(temp.resolve("etc/mint"));
        Files.writeString(etc.resolve("app.yaml"), "db: mint_replica\n");
        String configFiles = ok(env, concat(new String[] {"backup", "--repo", repo, "--job", "config-files", "--time",
                "2026-11-24T06:00:00Z"}, key, etc.toString())).out().split(" ")[1];
        assertThat(configFiles).as("the config-files job wrote last").isGreaterThan(latest);
        pg.sql("mint_replica", "delete from ledger where id > 100;"); // the primary is damaged; the new server is this one

        // the new machine: an empty gpg home, an empty working directory, AWS settings from the environment only
        Path gnupg = Files.createDirectories(temp.resolve("gnupg"));
        Files.setPosixFilePermissions(gnupg, PosixFilePermissions.fromString("rwx------"));
        Path awsConfig = Files.writeString(temp.resolve("aws-config"), "[default]\ns3 =\n    addressing_style = path\n");
        Path work = Files.createDirectories(temp.resolve("work"));
        // The bucket is on the test's S3 server: an aws that adds --endpoint-url to the runbook's commands (the global
        // option every version of the aws CLI has, where AWS_ENDPOINT_URL needs 1.29 / 2.13 or later).
        Path bin = Files.createDirectories(temp.resolve("bin"));
        Path aws = Files.writeString(bin.resolve("aws"), "#!/bin/sh\nexec '" + which("aws") + "' --endpoint-url '"
                + s3.endpoint() + "' \"$@\"\n");
        Files.setPosixFilePermissions(aws, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> shell = new HashMap<>();
        shell.put("PATH", bin + ":" + pg.binDir() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        shell.put("GNUPGHOME", gnupg.toString());
        shell.put("AWS_SHARED_CREDENTIALS_FILE", temp.resolve("no-aws-credentials").toString());
        shell.putAll(s3.credentialsEnvironment());
        shell.put("AWS_CONFIG_FILE", awsConfig.toString());
        shell.put("PGPASSWORD", pg.password().reveal());
        String script = runbookBlock("## 6. Without mint-backup", Map.of(
                "B=", "B=s3://offsite/primary",
                "KEY=", "KEY=" + ops.secretFile(),
                "PASS=", "PASS=" + gpg.passphraseFile,
                "export PGHOST=", "export PGHOST=127.0.0.1 PGPORT=" + pg.port() + " PGUSER=postgres DB=mint_recovered"));

        String output;
        try {
            output = Shells.run("set -eu\n" + script, shell, work, 300);
        } finally {
            ProcessBuilder kill = new ProcessBuilder("gpgconf", "--kill", "gpg-agent").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            kill.environment().put("GNUPGHOME", gnupg.toString());
            kill.start().waitFor();
        }

        assertThat(output).contains("PRE config-files/").contains("PRE postgres-daily/")
                .contains("latest snapshot of postgres-daily: " + latest);
        assertThat(pg.query("mint_recovered", "select count(*) || ' ' || sum(amount) from ledger")).isEqualTo(expected);
    }

    private static String[] concat(String[] a, String[] b, String... c) {
        return java.util.stream.Stream.of(List.of(a), List.of(b), List.of(c)).flatMap(List::stream).toArray(String[]::new);
    }
}
