package com.mintreplica.backup.cli;

import static com.mintreplica.backup.cli.LauncherPostgres.chmodTree;
import static com.mintreplica.backup.cli.LauncherPostgres.connect;
import static com.mintreplica.backup.cli.LauncherPostgres.one;
import static com.mintreplica.backup.cli.LauncherPostgres.postgresDir;
import static com.mintreplica.backup.cli.LauncherPostgres.serverTime;
import static com.mintreplica.backup.cli.LauncherPostgres.postgresOwned;
import static com.mintreplica.backup.cli.LauncherPostgres.stopServers;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.cli.LauncherPostgres.Ticker;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Point-in-time recovery of an encrypted repository end to end through mint-backup, with keys made by the real gpg
 * ({@code gpg --quick-gen-key}, a passphrase on the secret key). The database server is a write-only host: as the
 * {@code postgres} user it holds the writer key file only (no secret key, no passphrase); archive_command is the
 * launcher's {@code wal-push --writer-key}, and the base backup is taken by the launcher as that user with the same
 * writer key. The operator restores to a time T with the secret key and a passphrase file: the default restore_command
 * names both files (never the passphrase), the restored server's wal-fetch opens the archive with them, and the rows
 * are as the headline test wants them (newest at most 1 s before T, none after). No stored object holds a row's bytes.
 */
@Timeout(900)
class CliPitrEncryptedIT {
    static PostgresCluster pg;
    static GnuPG operator;
    static GnuPG.Key key;
    @TempDir
    static Path temp;
    static Path repo;
    static Path launcher;
    static Path writerKey;
    static Path hostCache;
    static Path readerKey;
    static Path readerPassphrase;
    static final List<Path> started = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        launcher = LauncherPostgres.launcher();
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        operator = GnuPG.start();
        key = operator.generate("Ops Ledger <ops-ledger@mint.example>", "future-default");
        // what the operator's restore (and the restored server's wal-fetch, run as postgres) read: files, not secrets
        Path reader = postgresDir(temp.resolve("reader"));
        readerKey = Files.copy(key.secretFile(), reader.resolve("ops-secret.asc"));
        readerPassphrase = Files.copy(operator.passphraseFile, reader.resolve("passphrase"));
        for (Path p : List.of(readerKey, readerPassphrase)) {
            postgresOwned(p, "rw-------");
        }
        repo = temp.resolve("repo");
        Cli.Result init = Cli.run("init", "--repo", repo.toString(), "--encrypt-to", key.publicFile().toString());
        assertThat(init.code()).as(init.toString()).isZero();
        writerKey = temp.resolve("db1.key");
        Cli.Result export = Cli.run("key", "writer", "export", "--repo", repo.toString(), "--name", "db1", "--out",
                writerKey.toString(), "--key", key.secretFile().toString(), "--passphrase-file",
                operator.passphraseFile.toString());
        assertThat(export.code()).as(export.toString()).isZero();
        postgresOwned(writerKey, "rw-------");
        hostCache = postgresDir(temp.resolve("host-cache"));
        chmodTree(repo); // the write-only host (the postgres user) writes into it
        pg = PostgresCluster.builder().setting("archive_mode", "on").setting("full_page_writes", "on").start();
        pg.archiveCommand(launcher + " wal-push --repo " + repo + " --writer-key " + writerKey + " --cache-dir " + hostCache
                + " --cluster mint %p");
        pg.sql("postgres", "create table ticks(at timestamptz not null); create table notes(body bytea not null)");
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            stopServers(pg, started);
            pg.close();
        }
        if (operator != null) {
            operator.close();
        }
    }

    @Test
    void aWriteOnlyServerArchivesAndBacksUpAndTheReaderRestoresToATime() throws Exception {
        byte[] body = new byte[4000];
        new Random(16).nextBytes(body); // incompressible: stored as is unless encrypted
        try (Connection c = connect(pg); PreparedStatement st = c.prepareStatement("insert into notes values (?)")) {
            st.setBytes(1, body);
            st.executeUpdate();
        }
        Ticker ticker = Ticker.start(pg);
        Thread.sleep(2000);
        // the base backup on the write-only host: the launcher as postgres, the writer key only
        Path log = temp.resolve("host-backup.log");
        ProcessBuilder b = new ProcessBuilder("runuser", "-u", "postgres", "--", launcher.toString(), "backup", "--repo",
                repo.toString(), "--writer-key", writerKey.toString(), "--cache-dir", hostCache.toString(),
                "postgresql-physical://postgres@127.0.0.1:" + pg.port() + "/postgres", "--option", "cluster=mint")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().put("PGPASSWORD", pg.password().reveal());
        b.environment().remove("MINT_BACKUP_KEY_FILE");
        b.environment().remove("MINT_BACKUP_PASSPHRASE");
        Process backup = b.start();
        assertThat(backup.waitFor(300, TimeUnit.SECONDS)).as("base backup within 300 s").isTrue();
        assertThat(backup.exitValue()).as(Files.readString(log)).isZero();
        Thread.sleep(3000);
        String target = serverTime(pg);
        Thread.sleep(3000);
        ticker.stop();
        assertThat(ticker.failure()).isNull();
        pg.awaitArchived(pg.switchWal(), Duration.ofSeconds(180)); // wal-push exited 0 for it

        Path data = postgresDir(temp.resolve("restored"));
        started.add(data);
        Map<String, String> env = Map.of("MINT_BACKUP_LAUNCHER", launcher.toString(), "HOME", temp.toString());
        Path audit = temp.resolve("audit.jsonl");
        Cli.Result restore = Cli.run(env, "restore", "--audit-log", audit.toString(), "--repo", repo.toString(), "--no-cache", "--key",
                readerKey.toString(), "--passphrase-file", readerPassphrase.toString(), "latest", "--target-dir",
                data.toString(), "--to-time", target, "--start", "--start-timeout", "5m");
        assertThat(restore.code()).as(restore.toString()).isZero();
        String autoConf = Files.readString(data.resolve("postgresql.auto.conf"));
        assertThat(autoConf).contains("--key " + readerKey).contains("--passphrase-file " + readerPassphrase)
                .doesNotContain(GnuPG.PASSPHRASE);
        // the restore to a point is audited: the base backup it started from, the target, where replay stopped
        String base = restore.out().replaceAll("(?s).*restored base backup (\\S+) .*", "$1");
        assertThat(com.mintreplica.backup.jobs.audit.AuditLog.at(audit).read()).singleElement().satisfies(l -> {
            assertThat(l.get("operation")).isEqualTo("restore");
            assertThat(l.get("result")).isEqualTo("ok");
            assertThat(l.get("snapshot")).isEqualTo(base);
            assertThat(l.get("detail")).contains("to " + data).contains("recovery target").contains("cluster mint")
                    .contains("server paused");
        });
        Matcher m = Pattern.compile("server on port (\\d+) paused").matcher(restore.out());
        assertThat(m.find()).as(restore.out()).isTrue();
        int port = Integer.parseInt(m.group(1));
        try (Connection c = connect(pg, port)) {
            assertThat(one(c, "select count(*) from ticks where at > '" + target + "'")).isEqualTo("0");
            double gap = Double.parseDouble(one(c, "select extract(epoch from ('" + target + "'::timestamptz - max(at)))"
                    + " from ticks"));
            assertThat(gap).isBetween(0.0, 1.0);
            assertThat(one(c, "select encode(body, 'hex') from notes")).isEqualTo(HexFormat.of().formatHex(body));
        }

        // the row's bytes are in the source's files (the search finds plaintext), and in no stored object
        byte[] needle = java.util.Arrays.copyOfRange(body, 100, 164);
        pg.sql("postgres", "checkpoint");
        assertThat(filesHolding(pg.dataDir(), needle)).as("the source's data files hold the row").isNotEmpty();
        assertThat(filesHolding(repo, needle)).as("stored objects holding a row's plaintext").isEmpty();
    }

    private static List<Path> filesHolding(Path root, byte[] needle) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                outer:
                for (int i = 0; i + needle.length <= b.length; i++) {
                    if (b[i] != needle[0]) {
                        continue;
                    }
                    for (int j = 1; j < needle.length; j++) {
                        if (b[i + j] != needle[j]) {
                            continue outer;
                        }
                    }
                    out.add(p);
                    break;
                }
            }
        }
        return out;
    }

}
