package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Write-only backup hosts through the CLI, with keys made by the real gpg: the host holds a writer key file and a
 * GNUPGHOME with the recipient's public key only; the operator holds the secret key.
 */
@Timeout(600)
class CliWriterTest {
    static final String NAME = "zanzibar-payroll-7731.csv";
    static final String CONTENT = "IBAN DE44 5001 0517 5407 3249 31;salary;9231.77\n";

    static GnuPG operator;
    static GnuPG.Key rsa;
    static GnuPG.Key ed;
    static GnuPG.Key intruder;
    /** The backup host's GNUPGHOME: the recipients' public keys, no secret key at all. */
    static GnuPG host;

    @TempDir
    Path temp;

    @BeforeAll
    static void keys() {
        operator = GnuPG.start();
        rsa = operator.generate("Ops RSA <ops-rsa@mint.example>", "default");
        ed = operator.generate("Ops Ed <ops-ed@mint.example>", "future-default");
        intruder = operator.generate("Intruder <intruder@evil.example>", "future-default");
        host = GnuPG.start();
        for (GnuPG.Key k : List.of(rsa, ed)) {
            host.run(null, "--import", k.publicFile().toString()).check("import " + k.userId());
        }
    }

    @AfterAll
    static void stop() {
        operator.close();
        host.close();
    }

    private Path data() throws Exception {
        Path data = temp.resolve("srv/app");
        Files.createDirectories(data.resolve("ledgers"));
        Files.writeString(data.resolve("ledgers").resolve(NAME), CONTENT.repeat(3000));
        Files.write(data.resolve("blob.bin"), new java.util.Random(5).ints(3 << 20).collect(java.io.ByteArrayOutputStream::new,
                (o, i) -> o.write(i), (a, b) -> a.writeBytes(b.toByteArray())).toByteArray());
        Files.writeString(data.resolve("readme.txt"), "mint replica app server\n");
        return data;
    }

    /** The recipient's public key as the backup host has it: exported from its public-only GNUPGHOME. */
    private Path publicKeyOnHost(GnuPG.Key key) throws Exception {
        Path file = temp.resolve(key.fingerprint() + "-from-host.asc");
        Files.write(file, host.run(null, "--armor", "--export", key.fingerprint()).check("export").stdout());
        return file;
    }

    private static String[] reader(GnuPG.Key key, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--key", key.secretFile().toString(), "--passphrase-file", operator.passphraseFile.toString()));
        return all.toArray(String[]::new);
    }

    /** What the backup host's environment holds: its writer key, its cache, its public-only GNUPGHOME; no secret key. */
    private Map<String, String> hostEnv(Path writerKey) {
        Map<String, String> env = new HashMap<>();
        env.put("MINT_BACKUP_WRITER_KEY_FILE", writerKey.toString());
        env.put("XDG_CACHE_HOME", temp.resolve("host-cache").toString());
        env.put("GNUPGHOME", host.home.toString());
        return env;
    }

    private Path init(Path repo, GnuPG.Key key, String layout) throws Exception {
        Cli.Result init = Cli.run("init", "--repo", repo.toString(), "--layout", layout, "--encrypt-to", publicKeyOnHost(key).toString());
        assertThat(init.code()).as(init.toString()).isZero();
        Path writerKey = temp.resolve("app1.key");
        Cli.Result export = Cli.run(reader(key, "key", "writer", "export", "--repo", repo.toString(), "--name", "app1",
                "--out", writerKey.toString()));
        assertThat(export.code()).as(export.toString()).isZero();
        assertThat(export.out()).contains("exported writer key 'app1'").contains(key.fingerprint());
        return writerKey;
    }

    private static JsonNode backup(Map<String, String> env, Path repo, Path data) throws Exception {
        Cli.Result backup = Cli.run(env, "backup", "--repo", repo.toString(), "--json", data.toString());
        assertThat(backup.code()).as(backup.toString()).isZero();
        return new ObjectMapper().readTree(backup.out());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"rsa3072", "ed25519"})
    void a_host_with_public_material_only_backs_up_and_the_recipient_restores_the_tree(String kind) throws Exception {
        GnuPG.Key key = kind.equals("rsa3072") ? rsa : ed;
        assertThat(new String(host.run(null, "--list-secret-keys").stdout(), StandardCharsets.UTF_8)).isBlank();
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, key, "chunked");
        Path data = data();
        JsonNode snapshot = backup(hostEnv(writerKey), repo, data);

        Path target = temp.resolve("restore");
        Cli.Result restore = Cli.run(reader(key, "restore", "--repo", repo.toString(), snapshot.get("id").asText(),
                "--target", target.toString()));
        assertThat(restore.code()).as(restore.toString()).isZero();
        Path restored = target.resolve(data.toString().substring(1));
        assertThat(restored.resolve("ledgers").resolve(NAME)).hasSameBinaryContentAs(data.resolve("ledgers").resolve(NAME));
        assertThat(restored.resolve("blob.bin")).hasSameBinaryContentAs(data.resolve("blob.bin"));
        Cli.Result verify = Cli.run(reader(key, "verify", "--repo", repo.toString(), "--read-data"));
        assertThat(verify.code()).as(verify.toString()).isZero();
    }

    @Test
    void writer_material_alone_reads_nothing_and_no_plaintext_name_or_content_is_stored_in_the_key_or_the_cache() throws Exception {
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, ed, "chunked");
        Path data = data();
        Map<String, String> env = hostEnv(writerKey);
        String id = backup(env, repo, data).get("id").asText();
        backup(env, repo, data);

        for (String[] command : List.of(
                new String[] {"restore", "--repo", repo.toString(), id, "--target", temp.resolve("nope").toString()},
                new String[] {"cat", "--repo", repo.toString(), id, data.resolve("readme.txt").toString().substring(1)},
                new String[] {"ls", "--repo", repo.toString(), id},
                new String[] {"verify", "--repo", repo.toString(), "--read-data"},
                new String[] {"list", "--repo", repo.toString()},
                new String[] {"prune", "--repo", repo.toString(), "--keep-last", "1"},
                new String[] {"key", "rotate", "--repo", repo.toString()},
                new String[] {"key", "writer", "export", "--repo", repo.toString(), "--name", "x", "--out", temp.resolve("x.key").toString()})) {
            Cli.Result result = Cli.run(env, command);
            assertThat(result.code()).as(String.join(" ", command) + "\n" + result).isEqualTo(2);
            assertThat(result.err()).as(String.join(" ", command)).contains("reader's key").doesNotContain("\tat ");
        }
        assertThat(temp.resolve("nope")).doesNotExist();

        Map<String, byte[]> stored = new TreeMap<>();
        for (Path root : List.of(repo, temp.resolve("host-cache"))) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    stored.put(f.toString(), Files.readAllBytes(f));
                }
            }
        }
        stored.put(writerKey.toString(), Files.readAllBytes(writerKey));
        assertThat(stored.keySet()).anyMatch(n -> n.contains("host-cache")).anyMatch(n -> n.contains("/sessions/"));
        for (String needle : List.of("zanzibar", "5407 3249", "ledgers", "srv/app", "mint replica app")) {
            byte[] bytes = needle.getBytes(StandardCharsets.UTF_8);
            stored.forEach((name, content) -> assertThat(indexOf(content, bytes)).as("'%s' in %s", needle, name).isNegative());
        }
    }

    @Test
    void an_unchanged_second_backup_on_a_writer_reads_no_file_and_stores_under_a_mebibyte() throws Exception {
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, ed, "chunked");
        Path data = data();
        Map<String, String> env = hostEnv(writerKey);
        JsonNode first = backup(env, repo, data);
        assertThat(first.get("bytesRead").asLong()).isGreaterThan(3 << 20);
        long before = size(repo);
        JsonNode second = backup(env, repo, data);
        assertThat(second.get("bytesRead").asLong()).as("bytes read from unchanged files").isZero();
        assertThat(second.get("bytesNew").asLong()).isZero();
        assertThat(size(repo) - before).isLessThan(1 << 20);
        assertThat(second.get("parent").asText()).isEqualTo(first.get("id").asText());
    }

    @Test
    void a_recipient_list_swapped_in_the_bucket_makes_the_next_backup_refuse_and_write_nothing() throws Exception {
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, ed, "chunked");
        Path data = data();
        backup(hostEnv(writerKey), repo, data);
        // someone who can write to the bucket swaps the recipient's key object for one of their own key
        Path scratch = temp.resolve("scratch");
        assertThat(Cli.run("init", "--repo", scratch.toString(), "--encrypt-to", intruder.publicFile().toString()).code()).isZero();
        Path ours;
        Path theirs;
        try (Stream<Path> k = Files.list(repo.resolve("keys")); Stream<Path> s = Files.list(scratch.resolve("keys"))) {
            ours = k.findFirst().orElseThrow();
            theirs = s.findFirst().orElseThrow();
        }
        String repoId = new ObjectMapper().readTree(Files.readString(ours)).get("repository").asText();
        String scratchId = new ObjectMapper().readTree(Files.readString(theirs)).get("repository").asText();
        Files.delete(ours);
        Files.writeString(repo.resolve("keys").resolve("0000intruder"), Files.readString(theirs).replace(scratchId, repoId));
        Map<String, Long> before = listing(repo);

        Cli.Result refused = Cli.run(hostEnv(writerKey), "backup", "--repo", repo.toString(), data.toString());
        assertThat(refused.code()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("added " + intruder.fingerprint()).contains("removed " + ed.fingerprint())
                .contains("nothing was written");
        assertThat(listing(repo)).isEqualTo(before);
    }

    @Test
    void a_single_layout_writers_objects_open_with_gpg_decrypt_and_zstd() throws Exception {
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, rsa, "single");
        Path data = data();
        backup(hostEnv(writerKey), repo, data);
        List<Path> objects;
        try (Stream<Path> files = Files.walk(repo.resolve("files"))) {
            objects = files.filter(Files::isRegularFile).toList();
        }
        assertThat(objects).hasSize(3);
        List<byte[]> opened = new ArrayList<>();
        for (Path object : objects) {
            GnuPG.Result decrypted = operator.run(Files.readAllBytes(object), "--decrypt");
            assertThat(decrypted.exit()).as("gpg --decrypt %s: %s", object, decrypted.stderr()).isZero();
            opened.add(GnuPG.pipe(decrypted.stdout(), "/usr/bin/zstd", "-d", "-c"));
        }
        assertThat(opened).usingElementComparator(java.util.Arrays::compare).containsExactlyInAnyOrder(
                Files.readAllBytes(data.resolve("ledgers").resolve(NAME)), Files.readAllBytes(data.resolve("blob.bin")),
                Files.readAllBytes(data.resolve("readme.txt")));
    }

    @Test
    void a_revoked_writer_key_refuses_to_back_up_and_readers_keep_what_it_wrote_before() throws Exception {
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, ed, "chunked");
        Path data = data();
        String before = backup(hostEnv(writerKey), repo, data).get("id").asText();
        Cli.Result list = Cli.run(reader(ed, "key", "writer", "list", "--repo", repo.toString()));
        assertThat(list.out()).contains("writer 'app1'").doesNotContain("revoked");
        Cli.Result revoke = Cli.run(reader(ed, "key", "writer", "revoke", "--repo", repo.toString(), "app1"));
        assertThat(revoke.code()).as(revoke.toString()).isZero();
        assertThat(Cli.run(reader(ed, "key", "writer", "list", "--repo", repo.toString())).out()).contains("revoked");

        Map<String, Long> listing = listing(repo);
        Cli.Result refused = Cli.run(hostEnv(writerKey), "backup", "--repo", repo.toString(), data.toString());
        assertThat(refused.code()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("was revoked");
        assertThat(listing(repo)).isEqualTo(listing);
        assertThat(Cli.run(reader(ed, "list", "--repo", repo.toString())).out()).contains(before).doesNotContain("NOT TRUSTED");
    }

    @Test
    void a_host_with_a_writer_key_only_copies_snapshots_into_the_encrypted_repository() throws Exception {
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, ed, "chunked");
        Path data = data();
        Path local = temp.resolve("local");
        assertThat(Cli.run("init", "--repo", local.toString()).code()).isZero();
        assertThat(Cli.run("backup", "--repo", local.toString(), data.toString()).code()).isZero();
        Map<String, String> env = hostEnv(writerKey);

        Cli.Result copy = Cli.run(env, "copy", "--from", local.toString(), "--to", repo.toString());
        assertThat(copy.code()).as(copy.toString()).isZero();
        assertThat(copy.out()).contains("copied 1 snapshot");
        Cli.Result again = Cli.run(env, "copy", "--from", local.toString(), "--to", repo.toString());
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.out()).contains("copied 0 snapshots").contains("1 already there");

        Path target = temp.resolve("restore");
        Cli.Result restore = Cli.run(reader(ed, "restore", "--repo", repo.toString(), "latest", "--target", target.toString()));
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(target.resolve(data.toString().substring(1)).resolve("ledgers").resolve(NAME))
                .hasSameBinaryContentAs(data.resolve("ledgers").resolve(NAME));
    }

    @Test
    void adding_a_recipient_names_the_writers_to_redeploy_and_revoking_one_leaves_the_others() throws Exception {
        Path repo = temp.resolve("repo");
        Path app1 = init(repo, ed, "chunked");
        Path app2 = temp.resolve("app2.key");
        assertThat(Cli.run(reader(ed, "key", "writer", "export", "--repo", repo.toString(), "--name", "app2", "--out",
                app2.toString())).code()).isZero();
        Path data = data();
        String beforeAdd = backup(hostEnv(app1), repo, data).get("id").asText();

        // a second recipient: the deployed writers keep encrypting to the old list only, so they refuse, and are named
        Cli.Result add = Cli.run(reader(ed, "key", "add", "--repo", repo.toString(), rsa.publicFile().toString()));
        assertThat(add.code()).as(add.toString()).isZero();
        assertThat(add.err()).contains("2 writer keys").contains("app1, app2").contains("refuse to back up")
                .contains("key writer export");
        Map<String, Long> before = listing(repo);
        Cli.Result refused = Cli.run(hostEnv(app1), "backup", "--repo", repo.toString(), data.toString());
        assertThat(refused.code()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("added " + rsa.fingerprint()).contains("nothing was written");
        assertThat(listing(repo)).isEqualTo(before);

        // redeployed: a new writer key for app1 encrypts to both, so the new recipient reads what it writes
        Path app1b = temp.resolve("app1-new.key");
        Cli.Result export = Cli.run(reader(ed, "key", "writer", "export", "--repo", repo.toString(), "--name", "app1-new",
                "--out", app1b.toString()));
        assertThat(export.code()).as(export.toString()).isZero();
        String id = backup(hostEnv(app1b), repo, data).get("id").asText();
        Path target = temp.resolve("restore");
        Cli.Result restore = Cli.run(reader(rsa, "restore", "--repo", repo.toString(), id, "--target", target.toString()));
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(target.resolve(data.toString().substring(1)).resolve("blob.bin")).hasSameBinaryContentAs(data.resolve("blob.bin"));
        // and what the writer stored before it was added, whose session key was not encrypted to it; also after the
        // first recipient rotated the data key (which rewrites every key object)
        assertThat(Cli.run(reader(ed, "key", "rotate", "--repo", repo.toString())).code()).isZero();
        Path old = temp.resolve("restore-old");
        Cli.Result restoreOld = Cli.run(reader(rsa, "restore", "--repo", repo.toString(), beforeAdd, "--target", old.toString()));
        assertThat(restoreOld.code()).as(restoreOld.toString()).isZero();
        assertThat(old.resolve(data.toString().substring(1)).resolve("blob.bin")).hasSameBinaryContentAs(data.resolve("blob.bin"));
        Cli.Result verify = Cli.run(reader(rsa, "verify", "--repo", repo.toString(), "--read-data"));
        assertThat(verify.code()).as(verify.toString()).isZero();

        // revoking the old app1 leaves app2 and app1-new as they were
        assertThat(Cli.run(reader(ed, "key", "writer", "revoke", "--repo", repo.toString(), "app1")).code()).isZero();
        String writers = Cli.run(reader(ed, "key", "writer", "list", "--repo", repo.toString())).out();
        List<String> lines = writers.lines().toList();
        assertThat(lines).filteredOn(l -> l.contains("'app1'")).singleElement().asString().contains("revoked");
        assertThat(lines).filteredOn(l -> l.contains("'app2'") || l.contains("'app1-new'")).hasSize(2)
                .allSatisfy(l -> assertThat(l).doesNotContain("revoked"));
        assertThat(Cli.run(hostEnv(app1b), "backup", "--repo", repo.toString(), data.toString()).code()).isZero();
    }

    private static Map<String, Long> listing(Path repo) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(repo)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(repo.relativize(f).toString(), Files.size(f));
            }
        }
        return out;
    }

    private static long size(Path dir) throws Exception {
        return listing(dir).values().stream().mapToLong(Long::longValue).sum();
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** DIR/pg_wal/NAME: segment {@code seg} of timeline 1 of a cluster of 1 MiB segments (a valid long page header). */
    private static Path walSegment(Path dataDir, int seg) throws Exception {
        int size = 1024 * 1024;
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, 16, b.length, (byte) (seg * 31 + 7));
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        h.putShort(0, (short) 0xD110).putShort(2, (short) 0x0002).putInt(4, 1).putLong(8, (long) seg * size)
                .putInt(16, 0).putInt(20, 0).putLong(24, 7_312_345_678_901_234_567L).putInt(32, size).putInt(36, 8192);
        Path pgWal = dataDir.resolve("pg_wal");
        Files.createDirectories(pgWal.resolve("archive_status"));
        long perLog = 0x1_0000_0000L / size;
        Path file = pgWal.resolve(String.format("%08X%08X%08X", 1, seg / perLog, seg % perLog));
        Files.write(file, b);
        return file;
    }

    /**
     * WAL a writer pushes is signed; a segment planted unsigned with the writer key file's material (the repository
     * key's public part, as the holder of a stolen file would) is refused by wal-fetch as a failure, like a damaged
     * object (255 in a recovery that would end on "not archived"), and named by wal verify.
     */
    @Test
    void wal_planted_with_a_writer_keys_material_fails_wal_fetch_and_wal_verify_names_it() throws Exception {
        Path repo = temp.resolve("repo");
        Path writerKey = init(repo, ed, "chunked");
        Path data = temp.resolve("pgdata");
        Path s1 = walSegment(data, 1);
        Cli.Result push = Cli.run(hostEnv(writerKey), "wal-push", "--repo", repo.toString(), "--cluster", "ledger", s1.toString());
        assertThat(push.code()).as(push.toString()).isZero();
        Path stored;
        try (Stream<Path> files = Files.walk(repo.resolve("wal"))) {
            stored = files.filter(f -> f.getFileName().toString().startsWith(s1.getFileName().toString())).findFirst().orElseThrow();
        }
        String storedName = repo.relativize(stored).toString();
        assertThat(storedName).matches(".*-[0-9]{8}T[0-9]{9}Z-[A-Za-z0-9_-]{112}\\.zst\\.gpg");

        Path s2 = walSegment(data, 2);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(s2)));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(.*/)[0-9A-F]{24}-[0-9a-f]{64}-([0-9]{8}T[0-9]{9}Z)-[A-Za-z0-9_-]{112}\\.zst\\.gpg").matcher(storedName);
        assertThat(m.matches()).as(storedName).isTrue();
        String planted = m.group(1) + s2.getFileName() + "-" + sha + "-" + m.group(2) + ".zst.gpg"; // unsigned
        try (com.mintreplica.backup.core.Repository attacker = com.mintreplica.backup.core.Repository.open(
                new com.mintreplica.backup.core.sink.LocalDirectorySink(repo),
                com.mintreplica.backup.crypto.OpenPgpEncryption.writeWith(com.mintreplica.backup.crypto.WriterKey.load(writerKey)
                        .withCacheDirectory(temp.resolve("attacker-cache"))))) {
            assertThat(attacker.putObject(planted, Files.newInputStream(s2), com.mintreplica.backup.core.sink.ObjectKind.WAL)).isTrue();
        }
        Path dest = data.resolve("pg_wal/RECOVERYXLOG");
        String name = s2.getFileName().toString();
        WalFetchCommand.firstPauseMillis = 1;
        try {
            Cli.Result plain = Cli.run(reader(ed, "wal-fetch", "--repo", repo.toString(), "--cluster", "ledger", name, dest.toString()));
            assertThat(plain.code()).as(plain.toString()).isEqualTo(1);
            assertThat(plain.err()).contains(planted).contains("not trusted").contains("not signed").doesNotContain("Exception");
            Files.writeString(data.resolve("recovery.signal"), "");
            Cli.Result recovery = Cli.run(reader(ed, "wal-fetch", "--repo", repo.toString(), "--cluster", "ledger", name, dest.toString()));
            assertThat(recovery.code()).as(recovery.toString()).isEqualTo(WalFetchCommand.STOP_RECOVERY);
            assertThat(recovery.err()).contains(planted);
            assertThat(dest).doesNotExist();
            Cli.Result fetched = Cli.run(reader(ed, "wal-fetch", "--repo", repo.toString(), "--cluster", "ledger",
                    s1.getFileName().toString(), dest.toString()));
            assertThat(fetched.code()).as(fetched.toString()).isZero();
            assertThat(Files.mismatch(dest, s1)).isEqualTo(-1L);
        } finally {
            WalFetchCommand.firstPauseMillis = 1000;
        }
        Cli.Result verify = Cli.run(reader(ed, "wal", "verify", "--repo", repo.toString(), "--cluster", "ledger"));
        assertThat(verify.code()).as(verify.toString()).isNotZero();
        assertThat(verify.out() + verify.err()).contains(planted).contains("not trusted");
    }
}
