package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encrypted repositories through the CLI, with keys made by the real gpg. */
class CliEncryptionTest {
    static GnuPG gpg;
    static GnuPG.Key ops;
    static GnuPG.Key auditor;

    @TempDir
    Path temp;
    Path data;
    Path repo;
    Path passphrase;

    @BeforeAll
    static void keys() {
        gpg = GnuPG.start();
        ops = gpg.generate("Ops <ops@mint.example>", "future-default");
        auditor = gpg.generate("Auditor <audit@mint.example>", "default");
    }

    @AfterAll
    static void stop() throws Exception {
        gpg.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        data = temp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("salaries-2026.csv"), "alice,5200.00\nbob,4800.00\n");
        repo = temp.resolve("repo");
        passphrase = gpg.passphraseFile;
    }

    private Cli.Result run(String... args) {
        return Cli.run(args);
    }

    private String[] withKey(GnuPG.Key key, String... args) {
        return Stream.concat(Stream.of(args), Stream.of("--key", key.secretFile().toString(), "--passphrase-file", passphrase.toString()))
                .toArray(String[]::new);
    }

    private void init() {
        Cli.Result init = run("init", "--repo", repo.toString(), "--encrypt-to", ops.publicFile().toString());
        assertThat(init.code()).as(init.toString()).isZero();
        assertThat(init.out()).contains("created encrypted chunked repository");
        Cli.Result backup = run(withKey(ops, "backup", "--repo", repo.toString(), data.toString()));
        assertThat(backup.code()).as(backup.toString()).isZero();
    }

    private Path restoredFile(Path target) {
        return target.resolve(data.toString().substring(1)).resolve("salaries-2026.csv");
    }

    @Test
    void repair_index_rebuilds_an_encrypted_repositorys_index_from_its_pack_headers() throws Exception {
        init();
        Path index = repo.resolve("index");
        try (Stream<Path> files = Files.list(index)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Path broken = temp.resolve("broken");
        assertThat(run(withKey(ops, "restore", "--repo", repo.toString(), "latest", "--target", broken.toString())).code())
                .isNotZero();

        Cli.Result repair = run(withKey(ops, "repair", "index", "--repo", repo.toString()));

        assertThat(repair.code()).as(repair.toString()).isZero();
        // One data pack and one tree pack (the snapshot's directory listings): both indexed from their headers.
        assertThat(repair.out()).contains("2 packs in the new index (2 added").contains("index data/").contains("index tree/");
        assertThat(run(withKey(ops, "verify", "--repo", repo.toString(), "--read-data")).code()).isZero();
        Path target = temp.resolve("restore");
        assertThat(run(withKey(ops, "restore", "--repo", repo.toString(), "latest", "--target", target.toString())).code()).isZero();
        assertThat(restoredFile(target)).hasContent("alice,5200.00\nbob,4800.00");
        try (Stream<Path> files = Files.list(index)) {
            // keyed in an encrypted repository: the name is no plain hash of what it holds
            assertThat(files.map(f -> f.getFileName().toString()).toList()).hasSize(1).allMatch(n -> n.matches("[0-9a-f]{64}"));
        }
    }

    @Test
    void repair_snapshots_on_an_encrypted_repository_writes_an_encrypted_copy_without_the_lost_entry() throws Exception {
        init();
        java.util.Set<Path> packsBefore = files(repo.resolve("data"));
        Files.writeString(data.resolve("bonus-2026.csv"), "carol,1500.00\n");
        // an hour later, so that the second snapshot sorts after the first whatever the clock does
        String later = java.time.Instant.now().plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        Cli.Result second = run(withKey(ops, "backup", "--repo", repo.toString(), data.toString(), "--time", later));
        assertThat(second.code()).as(second.toString()).isZero();
        String damaged = second.out().split(" ")[1];
        java.util.Set<Path> newPacks = files(repo.resolve("data"));
        newPacks.removeAll(packsBefore);
        assertThat(newPacks).as("bonus-2026.csv is new data: it went into a new pack").isNotEmpty();
        for (Path pack : newPacks) {
            Files.delete(pack);
        }
        Cli.Result index = run(withKey(ops, "repair", "index", "--repo", repo.toString()));
        assertThat(index.code()).as(index.toString()).isZero();
        assertThat(index.out()).contains("drop ");

        Map<Path, String> before = sizes(repo);
        Cli.Result dry = run(withKey(ops, "repair", "snapshots", "--repo", repo.toString(), "--dry-run"));
        assertThat(dry.code()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("snapshot " + damaged + ": 1 entry lost").contains("bonus-2026.csv")
                .contains("would write a new snapshot");
        assertThat(sizes(repo)).as("a dry run changes nothing").isEqualTo(before);
        Cli.Result repair = run(withKey(ops, "repair", "snapshots", "--repo", repo.toString()));
        assertThat(repair.code()).as(repair.toString()).isZero();
        String copy = repair.out().replaceAll("(?s).*wrote snapshot (\\S+) .*", "$1");
        assertThat(copy).matches("\\S+").isNotEqualTo(damaged);

        // The new manifest is encrypted like every other: no name or content in the clear, and it needs the key.
        byte[] manifest = Files.readAllBytes(repo.resolve("snapshots").resolve(copy));
        String raw = new String(manifest, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(raw).doesNotContain("salaries-2026.csv").doesNotContain("bonus-2026.csv").doesNotContain("repair");
        Cli.Result noKey = run("restore", "--repo", repo.toString(), copy, "--target", temp.resolve("nokey").toString());
        assertThat(noKey.code()).as(noKey.toString()).isNotZero();
        assertThat(run(withKey(ops, "verify", "--repo", repo.toString(), copy, "--read-data")).code()).isZero();
        Path target = temp.resolve("restore");
        Cli.Result restore = run(withKey(ops, "restore", "--repo", repo.toString(), "latest", "--target", target.toString()));
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(restore.out()).as("latest is the repaired copy").contains(copy);
        assertThat(restoredFile(target)).hasContent("alice,5200.00\nbob,4800.00");
        assertThat(restoredFile(target).resolveSibling("bonus-2026.csv")).doesNotExist();
    }

    private static java.util.Set<Path> files(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
        }
    }

    /** Every file with its size and time: what a dry run must leave as it was. */
    private static Map<Path, String> sizes(Path dir) throws java.io.IOException {
        Map<Path, String> out = new java.util.TreeMap<>();
        for (Path f : files(dir)) {
            out.put(f, Files.size(f) + "@" + Files.getLastModifiedTime(f).toMillis());
        }
        return out;
    }

    @Test
    void an_encrypted_repository_round_trips_with_the_key_and_stores_no_plaintext() throws Exception {
        init();
        assertThat(run(withKey(ops, "verify", "--repo", repo.toString(), "--read-data")).code()).isZero();
        Path target = temp.resolve("restore");
        Cli.Result restore = run(withKey(ops, "restore", "--repo", repo.toString(), "latest", "--target", target.toString()));
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(restoredFile(target)).hasContent("alice,5200.00\nbob,4800.00");
        try (Stream<Path> files = Files.walk(repo)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String bytes = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(bytes).as(f.toString()).doesNotContain("salaries").doesNotContain("alice");
            }
        }
    }

    /**
     * A restore over an earlier one checks the file already there against the snapshot's keyed blob ids and keeps it;
     * a file changed since (same size) is written again.
     */
    @Test
    void a_restore_over_an_earlier_one_keeps_the_files_whose_content_matches_the_keyed_ids() throws Exception {
        Files.writeString(data.resolve("bonus-2026.csv"), "carol,900.00\n");
        init();
        Path target = temp.resolve("restore");
        Cli.Result first = run(withKey(ops, "restore", "--repo", repo.toString(), "latest", "--target", target.toString()));
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(first.out()).doesNotContain("there already");
        Files.writeString(restoredFile(target).resolveSibling("bonus-2026.csv"), "carol,999.99\n");

        Cli.Result again = run(withKey(ops, "restore", "--repo", repo.toString(), "latest", "--target", target.toString()));

        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.out()).contains("(1 file was there already, checked and kept)");
        assertThat(restoredFile(target)).hasContent("alice,5200.00\nbob,4800.00");
        assertThat(restoredFile(target).resolveSibling("bonus-2026.csv")).hasContent("carol,900.00");
    }

    @Test
    void the_passphrase_can_come_from_the_environment() {
        init();
        Cli.Result list = Cli.run(Map.of("MINT_BACKUP_PASSPHRASE", GnuPG.PASSPHRASE, "MINT_BACKUP_KEY_FILE", ops.secretFile().toString()),
                "list", "--repo", repo.toString());
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).contains("1 snapshot");
    }

    @Test
    void a_missing_key_a_wrong_key_and_a_wrong_passphrase_are_clear_errors_and_nothing_is_restored() throws Exception {
        init();
        Path target = temp.resolve("restore");

        Cli.Result noKey = run("restore", "--repo", repo.toString(), "latest", "--target", target.toString());
        assertThat(noKey.code()).as(noKey.toString()).isEqualTo(2);
        assertThat(noKey.err()).contains(ops.fingerprint().substring(ops.fingerprint().length() - 16)).doesNotContain("\tat ");

        Cli.Result wrongKey = run(withKey(auditor, "restore", "--repo", repo.toString(), "latest", "--target", target.toString()));
        assertThat(wrongKey.code()).as(wrongKey.toString()).isEqualTo(2);
        assertThat(wrongKey.err()).contains(ops.fingerprint().substring(ops.fingerprint().length() - 16));

        Path badPassphrase = temp.resolve("bad-passphrase");
        Files.writeString(badPassphrase, "not the passphrase\n");
        Cli.Result wrongPassphrase = run("restore", "--repo", repo.toString(), "latest", "--target", target.toString(),
                "--key", ops.secretFile().toString(), "--passphrase-file", badPassphrase.toString());
        assertThat(wrongPassphrase.code()).as(wrongPassphrase.toString()).isEqualTo(2);
        assertThat(wrongPassphrase.err()).containsIgnoringCase("passphrase").doesNotContain("not the passphrase");

        Cli.Result noPassphrase = run("restore", "--repo", repo.toString(), "latest", "--target", target.toString(),
                "--key", ops.secretFile().toString());
        assertThat(noPassphrase.code()).as(noPassphrase.toString()).isEqualTo(2);
        assertThat(noPassphrase.err()).contains("--passphrase-file");
        assertThat(noPassphrase.err().split("--passphrase-file", -1)).as("the hint once, not twice").hasSize(2);

        assertThat(target).doesNotExist();
    }

    @Test
    void after_key_remove_the_removed_key_opens_nothing_and_the_remaining_key_restores_everything() throws Exception {
        init();
        Cli.Result add = run(withKey(ops, "key", "add", "--repo", repo.toString(), auditor.publicFile().toString()));
        assertThat(add.code()).as(add.toString()).isZero();
        Cli.Result list = run("key", "list", "--repo", repo.toString());
        assertThat(list.out()).contains(ops.fingerprint()).contains(auditor.fingerprint());

        Cli.Result remove = run(withKey(auditor, "key", "remove", "--repo", repo.toString(), ops.fingerprint(), "--new-data-key"));
        assertThat(remove.code()).as(remove.toString()).isZero();
        assertThat(run("key", "list", "--repo", repo.toString()).out()).doesNotContain(ops.fingerprint()).contains(auditor.fingerprint());

        Path refused = temp.resolve("refused");
        Cli.Result removed = run(withKey(ops, "restore", "--repo", repo.toString(), "latest", "--target", refused.toString()));
        assertThat(removed.code()).as(removed.toString()).isEqualTo(2);
        assertThat(refused).doesNotExist();

        Path target = temp.resolve("restore");
        Cli.Result restore = run(withKey(auditor, "restore", "--repo", repo.toString(), "latest", "--target", target.toString()));
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(restoredFile(target)).hasContent("alice,5200.00\nbob,4800.00");
    }

    @Test
    void key_changes_append_audit_lines_that_hold_no_passphrase() throws Exception {
        init();
        Path log = temp.resolve("audit.jsonl");
        Cli.Result add = run(withKey(ops, "key", "add", "--repo", repo.toString(), auditor.publicFile().toString(),
                "--audit-log", log.toString()));
        assertThat(add.code()).as(add.toString()).isZero();
        Cli.Result rotate = run(withKey(ops, "key", "rotate", "--repo", repo.toString(), "--audit-log", log.toString()));
        assertThat(rotate.code()).as(rotate.toString()).isZero();
        Cli.Result remove = run(withKey(auditor, "key", "remove", "--repo", repo.toString(), ops.fingerprint(),
                "--audit-log", log.toString()));
        assertThat(remove.code()).as(remove.toString()).isZero();
        java.util.List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(3).allSatisfy(l -> assertThat(l).contains("\"operation\":\"key\"")
                .contains("\"result\":\"ok\"").doesNotContain(GnuPG.PASSPHRASE));
        assertThat(lines.get(0)).contains("added").contains(auditor.fingerprint());
        assertThat(lines.get(1)).contains("new data key");
        assertThat(lines.get(2)).contains("removed").contains(ops.fingerprint());
    }
}
