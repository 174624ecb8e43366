package com.mintreplica.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.RepositoryObjects;
import com.mintreplica.backup.crypto.KeyManager;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpPublicKey;
import com.mintreplica.backup.crypto.OpenPgpSecretKey;
import com.mintreplica.backup.crypto.WriterKey;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The WAL archive through the Java API, on real segments of a real PostgreSQL 15 (see {@link WalSegments}), into
 * local-directory repositories, plain and encrypted (keys made by the real gpg), and read back by the real
 * {@code gpg --decrypt | zstd -d} as the runbook says.
 */
class WalArchiveIT {
    private static WalSegments.Fixture fixture;
    private static PostgresCluster pg;
    private static GnuPG gpg;
    private static GnuPG.Key key;
    private static Path data;
    private static List<Path> segments;

    @BeforeAll
    static void segments(@TempDir Path temp) throws Exception {
        fixture = WalSegments.Fixture.start(temp, 5);
        pg = fixture.pg();
        gpg = fixture.gpg();
        key = fixture.key();
        data = fixture.data();
        segments = fixture.segments();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static OpenPgpPublicKey publicKey() {
        return OpenPgpKeys.publicKey(key.publicFile());
    }

    private static OpenPgpSecretKey secretKey() {
        return OpenPgpKeys.secretKey(key.secretFile(), Secret.of(GnuPG.PASSPHRASE));
    }

    /** "plain", "encrypted" (chunked layout: its objects are AES-GCM, WAL objects still OpenPGP) or "single" (encrypted). */
    private static Repository repository(Path dir, String kind) {
        LocalDirectorySink sink = new LocalDirectorySink(dir);
        switch (kind) {
            case "plain" -> Repository.init(sink).close();
            case "encrypted" -> Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(publicKey())).close();
            case "single" -> Repository.init(sink, RepositorySettings.defaults().withLayout(Layout.SINGLE),
                    OpenPgpEncryption.to(publicKey())).close();
            default -> throw new IllegalArgumentException(kind);
        }
        return kind.equals("plain") ? Repository.open(sink) : Repository.open(sink, OpenPgpEncryption.unlockWith(secretKey()));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "encrypted", "single"})
    void real_segments_go_in_and_come_back_byte_identical_listed_with_their_lsn(String kind, @TempDir Path temp) throws Exception {
        try (Repository repo = repository(temp.resolve("repo"), kind)) {
            WalArchive archive = WalArchive.open(repo, "db1");
            for (Path s : segments) {
                WalArchive.Pushed pushed = archive.push(s);
                assertThat(pushed.stored()).isTrue();
                assertThat(pushed.file().sha256()).isEqualTo(sha256(s));
                assertThat(pushed.file().object()).startsWith("wal/db1/").contains("/" + s.getFileName().toString().substring(0, 16) + "/")
                        .contains(sha256(s)).endsWith(kind.equals("plain") ? ".zst" : ".zst.gpg");
            }
            // again: a no-op success
            assertThat(archive.push(segments.get(0)).stored()).isFalse();
            for (Path s : segments) {
                Path back = temp.resolve("RECOVERYXLOG");
                assertThat(archive.fetch(s.getFileName().toString(), back)).isTrue();
                assertThat(Files.mismatch(back, s)).isEqualTo(-1);
            }
            assertThat(archive.fetch("0000000100000000000000FF", temp.resolve("absent"))).isFalse();
            assertThat(temp.resolve("absent")).doesNotExist();
            List<WalFile> listed = archive.list();
            assertThat(listed).extracting(WalFile::name)
                    .containsExactlyElementsOf(segments.stream().map(p -> p.getFileName().toString()).toList());
            for (WalFile f : listed) {
                // PostgreSQL's own mapping from LSN to segment agrees with the listing (it maps a segment's exact
                // start to the previous segment, hence the byte after it)
                String lsn = pg.query("postgres", "select file_name || ' ' || file_offset from pg_walfile_name_offset('"
                        + WalArchive.lsnText(f.startLsn() + 1) + "')").strip();
                assertThat(lsn).isEqualTo(f.name() + " 1");
                assertThat(f.endLsn() - f.startLsn()).isEqualTo(16L * 1024 * 1024);
                assertThat(f.time()).isEqualTo(Files.getLastModifiedTime(data.resolve("pg_wal").resolve(f.name())).toInstant()
                        .truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            }
            WalVerifyReport report = archive.verify(true);
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.filesChecked()).isEqualTo(segments.size());
            assertThat(report.timelines()).singleElement().satisfies(t -> {
                assertThat(t.timeline()).isEqualTo(1);
                assertThat(t.segments()).isEqualTo(segments.size());
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "encrypted"})
    void a_flipped_byte_in_the_stored_object_is_detected_and_named_on_fetch(String kind, @TempDir Path temp) throws Exception {
        Path root = temp.resolve("repo");
        try (Repository repo = repository(root, kind)) {
            WalArchive archive = WalArchive.open(repo, "db1");
            WalFile f = archive.push(segments.get(1)).file();
            Path stored = root.resolve(f.object());
            byte[] bytes = Files.readAllBytes(stored);
            bytes[bytes.length / 2] ^= 0x10;
            Files.write(stored, bytes);
            Path back = temp.resolve("RECOVERYXLOG");
            assertThatThrownBy(() -> archive.fetch(f.name(), back)).isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(f.object()).hasMessageContaining(f.name());
            assertThat(back).doesNotExist();
            assertThat(archive.verify(true).problems()).singleElement().asString().contains(f.object());
        }
    }

    @Test
    void other_content_under_an_archived_name_is_refused_naming_both_hashes_and_nothing_is_overwritten(@TempDir Path temp)
            throws Exception {
        try (Repository repo = repository(temp.resolve("repo"), "plain")) {
            WalArchive archive = WalArchive.open(repo, "db1");
            Path original = segments.get(2);
            WalFile f = archive.push(original).file();
            Path other = Files.createDirectories(temp.resolve("other/pg_wal")).resolve(original.getFileName());
            byte[] bytes = Files.readAllBytes(original);
            bytes[100_000] ^= 0x01; // past the page header: still a segment of this name
            Files.write(other, bytes);
            assertThatThrownBy(() -> archive.push(other)).isInstanceOf(ConflictException.class)
                    .hasMessageContaining(f.sha256()).hasMessageContaining(sha256(other))
                    .hasMessageContaining("Nothing was overwritten");
            Path back = temp.resolve("back");
            assertThat(archive.fetch(f.name(), back)).isTrue();
            assertThat(Files.mismatch(back, original)).isEqualTo(-1);
            assertThat(archive.list()).hasSize(1);
        }
    }

    @Test
    void a_file_that_is_not_the_segment_its_name_says_is_refused(@TempDir Path temp) throws Exception {
        try (Repository repo = repository(temp.resolve("repo"), "plain")) {
            WalArchive archive = WalArchive.open(repo, "db1");
            String next = segments.get(1).getFileName().toString();
            Path renamed = Files.createDirectories(temp.resolve("x/pg_wal")).resolve(next);
            Files.copy(segments.get(0), renamed); // a recycled segment: the header says the old address
            assertThatThrownBy(() -> archive.push(renamed)).hasMessageContaining("does not hold WAL segment " + next);
            Path junk = temp.resolve("x/pg_wal/000000010000000000000042");
            Files.writeString(junk, "not wal");
            assertThatThrownBy(() -> archive.push(junk)).hasMessageContaining("is not a WAL segment");
            assertThatThrownBy(() -> archive.push(temp.resolve("x/pg_wal/RECOVERYXLOG"))).hasMessageContaining("not the name of a WAL file");
            assertThat(archive.list()).isEmpty();
        }
    }

    @Test
    void a_deleted_object_makes_verify_report_the_gap_naming_the_missing_segment(@TempDir Path temp) throws Exception {
        Path root = temp.resolve("repo");
        try (Repository repo = repository(root, "plain")) {
            WalArchive archive = WalArchive.open(repo, "db1");
            segments.forEach(archive::push);
            WalFile missing = archive.list().get(2);
            Files.delete(root.resolve(missing.object()));
            WalVerifyReport report = archive.verify(false);
            assertThat(report.ok()).isFalse();
            assertThat(report.gaps()).singleElement().satisfies(g -> {
                assertThat(g.firstMissing()).isEqualTo(missing.name());
                assertThat(g.count()).isEqualTo(1);
                assertThat(g.fromLsn()).isEqualTo(missing.startLsn());
                assertThat(g.toLsn()).isEqualTo(missing.endLsn());
                assertThat(g.toString()).contains(missing.name()).contains(missing.startLsnText());
            });
        }
    }

    @Test
    void expire_removes_only_what_recovery_from_an_lsn_does_not_need(@TempDir Path temp) throws Exception {
        try (Repository repo = repository(temp.resolve("repo"), "plain")) {
            WalArchive archive = WalArchive.open(repo, "db1");
            segments.forEach(archive::push);
            List<WalFile> before = archive.list();
            long keepFrom = before.get(2).startLsn() + 100; // inside the third segment
            List<WalFile> dry = archive.expire(1, keepFrom, true);
            assertThat(dry).extracting(WalFile::name).containsExactly(before.get(0).name(), before.get(1).name());
            assertThat(archive.list()).hasSize(before.size());
            archive.expire(1, keepFrom, false);
            assertThat(archive.list()).extracting(WalFile::name)
                    .containsExactlyElementsOf(before.subList(2, before.size()).stream().map(WalFile::name).toList());
            assertThat(archive.verify(false).ok()).isTrue();
        }
    }

    @Test
    void history_files_give_timelines_their_parent_and_switch_point(@TempDir Path temp) throws Exception {
        try (Repository repo = repository(temp.resolve("repo"), "plain")) {
            WalArchive archive = WalArchive.open(repo, "db1");
            segments.forEach(archive::push);
            // a promotion writes the history file into pg_wal; it carries no system id: pg_control beside pg_wal gives it
            Path history = data.resolve("pg_wal/00000002.history");
            String switchLsn = segments.get(3).getFileName().toString().substring(16).replaceFirst("^0{0,7}", "");
            Files.writeString(history, "1\t0/" + switchLsn + "000000\tno recovery target specified\n");
            try {
                archive.push(history);
            } finally {
                Files.delete(history);
            }
            WalVerifyReport report = archive.verify(true);
            assertThat(report.timelines()).extracting(WalTimeline::timeline).containsExactly(1, 2);
            WalTimeline two = report.timelines().get(1);
            assertThat(two.parent()).isEqualTo(1);
            assertThat(WalArchive.lsnText(two.switchLsn())).isEqualTo("0/" + switchLsn + "000000");
            assertThat(report.ok()).isTrue();
            Path back = temp.resolve("00000002.history");
            assertThat(archive.fetch("00000002.history", back)).isTrue();
            assertThat(Files.readString(back)).startsWith("1\t");
            // expire on timeline 2 also clears its ancestor's old segments
            assertThat(archive.expire(2, segments.size() > 1 ? archive.list().get(1).endLsn() : 0, true)).hasSize(2);
        }
    }

    @Test
    void a_write_only_host_pushes_with_public_material_and_gpg_then_zstd_open_the_object(@TempDir Path temp) throws Exception {
        Path root = temp.resolve("repo");
        repository(root, "encrypted").close();
        Path writerFile = temp.resolve("db-host.key");
        try (KeyManager manager = KeyManager.open(new LocalDirectorySink(root), secretKey())) {
            manager.exportWriter("db-host").write(writerFile);
        }
        WriterKey writer = WriterKey.load(writerFile).withCacheDirectory(temp.resolve("cache"));
        WalFile f;
        try (Repository repo = Repository.open(new LocalDirectorySink(root), OpenPgpEncryption.writeWith(writer))) {
            assertThat(repo.canRead()).isFalse();
            WalArchive archive = WalArchive.open(repo, "db1");
            f = archive.push(segments.get(0)).file();
            assertThat(archive.push(segments.get(0)).stored()).isFalse(); // names are enough to know it is there
            assertThatThrownBy(() -> archive.fetch(f.name(), temp.resolve("x"))).hasMessageContaining("reader's key");
        }
        assertThat(f.object()).endsWith(".zst.gpg");
        byte[] stored = Files.readAllBytes(root.resolve(f.object()));
        byte[] decrypted = gpg.run(stored, "--decrypt").check("gpg --decrypt").stdout();
        byte[] plain = GnuPG.pipe(decrypted, "zstd", "-d", "-c");
        assertThat(plain).isEqualTo(Files.readAllBytes(segments.get(0)));
        // and a reader fetches it
        try (Repository repo = Repository.open(new LocalDirectorySink(root), OpenPgpEncryption.unlockWith(secretKey()))) {
            Path back = temp.resolve("back");
            assertThat(WalArchive.open(repo, "db1").fetch(f.name(), back)).isTrue();
            assertThat(Files.mismatch(back, segments.get(0))).isEqualTo(-1);
        }
    }

    /**
     * Someone who can only write to the bucket (a leaked access key) reads the recipient's public key from keys/,
     * and plants the next segment, made as the runbook reads objects back: {@code zstd | gpg --encrypt}. Its name
     * carries the SHA-256 of what it holds, so that check passes; a recovery used to replay it. Objects mint-backup
     * stores are also encrypted to the repository key, which is not in the bucket: fetch refuses the planted one as
     * corrupt, naming it, and writes nothing.
     */
    @ParameterizedTest
    @ValueSource(strings = {"encrypted", "single"})
    void a_segment_planted_with_the_recipients_public_key_is_refused_on_fetch(String kind, @TempDir Path temp) throws Exception {
        Path root = temp.resolve("repo");
        try (Repository repo = repository(root, kind)) {
            WalArchive archive = WalArchive.open(repo, "db1");
            WalFile first = archive.push(segments.get(0)).file();
            Path next = segments.get(1);
            String name = next.getFileName().toString();
            byte[] forged = Files.readAllBytes(next);
            forged[forged.length / 2] ^= 0x10; // the attacker's change to the database
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(forged));
            String object = first.object().replace(first.name() + "-" + first.sha256(), name + "-" + sha);
            byte[] planted = gpg.run(GnuPG.pipe(forged, "zstd", "-q", "-c"), "--encrypt", "--trust-model", "always",
                    "--recipient", key.fingerprint()).check("gpg --encrypt").stdout();
            Files.write(root.resolve(object), planted);
            assertThat(archive.list()).extracting(WalFile::name).contains(name); // a listing cannot tell

            Path back = temp.resolve("RECOVERYXLOG");
            assertThatThrownBy(() -> archive.fetch(name, back)).isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(object).hasMessageContaining("not encrypted to any key of this repository");
            assertThat(back).doesNotExist();
            assertThat(archive.verify(true).problems()).singleElement().asString().contains(object);
            assertThat(archive.fetch(first.name(), back)).isTrue(); // what mint-backup stored still comes back
            assertThat(Files.mismatch(back, segments.get(0))).isEqualTo(-1);
        }
    }

    @Test
    void a_growing_partial_segment_supersedes_the_archived_one(@TempDir Path temp) throws Exception {
        try (Repository repo = repository(temp.resolve("repo"), "plain")) {
            WalArchive archive = WalArchive.open(repo, "db1");
            byte[] whole = Files.readAllBytes(segments.get(0));
            Path partial = Files.createDirectories(temp.resolve("recv")).resolve(segments.get(0).getFileName() + ".partial");
            byte[] half = whole.clone();
            java.util.Arrays.fill(half, 65_536, half.length, (byte) 0); // what had been streamed earlier
            Files.write(partial, half);
            assertThat(archive.push(partial).stored()).isTrue();
            Files.write(partial, whole);
            Files.setLastModifiedTime(partial, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(1)));
            assertThat(archive.push(partial).stored()).isTrue();
            assertThat(archive.list()).singleElement().satisfies(f -> {
                assertThat(f.type()).isEqualTo(WalFile.Type.PARTIAL);
                assertThat(f.sha256()).isEqualTo(sha256(partial));
            });
            Path back = temp.resolve("back");
            assertThat(archive.fetch(partial.getFileName().toString(), back)).isTrue();
            assertThat(Files.readAllBytes(back)).isEqualTo(whole);
        }
    }

    @Test
    void copy_to_a_second_repository_keeps_names_hashes_and_times_and_re_encodes_for_its_keys(@TempDir Path temp) throws Exception {
        try (Repository plain = repository(temp.resolve("plain"), "plain");
             Repository encrypted = repository(temp.resolve("encrypted"), "encrypted")) {
            WalArchive archive = WalArchive.open(plain, "db1");
            segments.forEach(archive::push);
            assertThat(archive.copyTo(encrypted)).hasSize(segments.size());
            assertThat(archive.copyTo(encrypted)).isEmpty(); // again: nothing to send
            WalArchive copy = WalArchive.open(encrypted, "db1");
            List<WalFile> there = copy.list();
            assertThat(there).extracting(WalFile::name, WalFile::sha256, WalFile::time, WalFile::startLsn)
                    .containsExactlyElementsOf(archive.list().stream().map(f -> org.assertj.core.groups.Tuple.tuple(
                            f.name(), f.sha256(), f.time(), f.startLsn())).toList());
            assertThat(there).allMatch(f -> f.object().endsWith(".zst.gpg"));
            assertThat(copy.verify(true).ok()).isTrue();
            Path back = temp.resolve("back");
            assertThat(copy.fetch(segments.get(1).getFileName().toString(), back)).isTrue();
            assertThat(Files.mismatch(back, segments.get(1))).isEqualTo(-1);
        }
    }

    @Test
    void wal_objects_have_their_own_kind_and_prefix() throws Exception {
        assertThat(RepositoryObjects.kindOf("wal/db1/7312/0000000100000000/000000010000000000000003-ab-20261205T000000000Z.zst"))
                .contains(ObjectKind.WAL);
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.DATA)).noneMatch(p -> p.startsWith("wal"));
    }
}
