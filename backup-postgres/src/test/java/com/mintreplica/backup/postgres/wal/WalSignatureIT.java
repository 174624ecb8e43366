package com.mintreplica.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.crypto.KeyManager;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpSecretKey;
import com.mintreplica.backup.crypto.WriterKey;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Archived WAL carries a signature in its name once the repository has writers (readers sign with the repository's
 * authority key, writers with their own), and fetch, list and verify use only what the repository trusts: a writer key
 * file (revoked or not) cannot plant WAL that a recovery replays. Real segments of a real PostgreSQL 15, keys made by
 * the real gpg, objects opened by the real {@code gpg --decrypt | zstd -d}, local-directory repositories.
 */
class WalSignatureIT {
    /** {@code <segment>-<sha256>-<time>[-<signature>].zst.gpg}: group 1 the name without signature and suffix. */
    private static final Pattern NAME = Pattern.compile(
            "(wal/db1/[0-9]+/(?:[0-9A-F]{16}/)?[0-9A-F.a-z]+-[0-9a-f]{64}-[0-9]{8}T[0-9]{9}Z)(?:-([A-Za-z0-9_-]{112}))?\\.zst\\.gpg");

    private static WalSegments.Fixture fixture;
    private static PostgresCluster pg;
    private static GnuPG gpg;
    private static GnuPG.Key key;
    private static Path data;
    private static List<Path> segments;

    @BeforeAll
    static void segments(@TempDir Path temp) throws Exception {
        fixture = WalSegments.Fixture.start(temp, 4);
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

    private static OpenPgpSecretKey secretKey() {
        return OpenPgpKeys.secretKey(key.secretFile(), Secret.of(GnuPG.PASSPHRASE));
    }

    private static Path init(Path root) {
        return init(root, "chunked");
    }

    private static Path init(Path root, String layout) {
        Repository.init(new LocalDirectorySink(root), RepositorySettings.defaults().withLayout(
                        layout.equals("single") ? com.mintreplica.backup.core.Layout.SINGLE : com.mintreplica.backup.core.Layout.CHUNKED),
                OpenPgpEncryption.to(OpenPgpKeys.publicKey(key.publicFile()))).close();
        return root;
    }

    private static Repository reader(Path root) {
        return Repository.open(new LocalDirectorySink(root), OpenPgpEncryption.unlockWith(secretKey()));
    }

    private static Repository writer(Path root, Path writerFile, Path cache) {
        return Repository.open(new LocalDirectorySink(root),
                OpenPgpEncryption.writeWith(WriterKey.load(writerFile).withCacheDirectory(cache)));
    }

    private static Path exportWriter(Path root, String name, Path file) {
        try (KeyManager manager = KeyManager.open(new LocalDirectorySink(root), secretKey())) {
            manager.exportWriter(name).write(file);
        }
        return file;
    }

    /** The signer id (hex) of the signature an object's name carries, or empty when it carries none. */
    private static Optional<String> signer(String object) {
        Matcher m = NAME.matcher(object);
        assertThat(m.matches()).as(object).isTrue();
        if (m.group(2) == null) {
            return Optional.empty();
        }
        byte[] signed = Base64.getUrlDecoder().decode(m.group(2));
        assertThat(signed).hasSize(4 + 16 + 64);
        assertThat(Arrays.copyOf(signed, 4)).isEqualTo("MBW1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return Optional.of(HexFormat.of().formatHex(Arrays.copyOfRange(signed, 4, 20)));
    }

    private static String writerId(Path writerFile) throws Exception {
        String json = Files.readString(writerFile);
        Matcher m = Pattern.compile("\"writer\"\\s*:\\s*\\{\\s*\"id\"\\s*:\\s*\"([0-9a-f]{32})\"").matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return m.group(1);
    }

    private static void assertFetchedIdentical(Repository repo, Path original, Path temp) throws Exception {
        Path back = temp.resolve("back-" + original.getFileName());
        assertThat(WalArchive.open(repo, "db1").fetch(original.getFileName().toString(), back)).isTrue();
        assertThat(Files.mismatch(back, original)).isEqualTo(-1);
        Files.delete(back);
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked", "single"})
    void a_writer_signs_its_segments_in_their_names_a_reader_fetches_them_and_gpg_then_zstd_still_open_them(String layout,
            @TempDir Path temp) throws Exception {
        Path root = init(temp.resolve("repo"), layout);
        Path writerFile = exportWriter(root, "db-host", temp.resolve("db-host.key"));
        WalFile pushed;
        try (Repository repo = writer(root, writerFile, temp.resolve("cache"))) {
            pushed = WalArchive.open(repo, "db1").push(segments.get(0)).file();
            assertThat(WalArchive.open(repo, "db1").push(segments.get(0)).stored()).isFalse(); // its own object is trusted
        }
        assertThat(signer(pushed.object())).contains(writerId(writerFile));
        // the signature is in the name only: the object is the same OpenPGP message as before
        byte[] decrypted = gpg.run(Files.readAllBytes(root.resolve(pushed.object())), "--decrypt").check("gpg --decrypt").stdout();
        assertThat(GnuPG.pipe(decrypted, "zstd", "-d", "-c")).isEqualTo(Files.readAllBytes(segments.get(0)));
        try (Repository repo = reader(root)) {
            assertFetchedIdentical(repo, segments.get(0), temp);
            WalArchive archive = WalArchive.open(repo, "db1");
            assertThat(archive.list()).extracting(WalFile::object).containsExactly(pushed.object());
            WalVerifyReport report = archive.verify(true);
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.filesChecked()).isEqualTo(1);
        }
    }

    /**
     * Whoever holds a writer key file holds the repository key's public part (so that {@code gpg --decrypt} opens what
     * the writer stores): it encrypts a changed segment exactly as mint-backup does (here through mint-backup's own
     * {@code putObject} with the file's material), and names it as an unsigned object with the right SHA-256. The
     * object decrypts and its hash matches, so before WAL was signed a recovery replayed it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"chunked", "single"})
    void an_unsigned_segment_made_with_a_writer_key_files_material_is_refused_on_fetch_and_named_by_verify(String layout,
            @TempDir Path temp) throws Exception {
        Path root = init(temp.resolve("repo"), layout);
        Path writerFile = exportWriter(root, "db-host", temp.resolve("db-host.key"));
        WalFile first;
        String planted;
        try (Repository repo = writer(root, writerFile, temp.resolve("cache"))) {
            first = WalArchive.open(repo, "db1").push(segments.get(0)).file();
            Path next = segments.get(1);
            byte[] forged = Files.readAllBytes(next);
            forged[forged.length / 2] ^= 0x10; // the attacker's change to the database
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(forged));
            Matcher m = NAME.matcher(first.object());
            assertThat(m.matches()).isTrue();
            planted = m.group(1).replace(first.name() + "-" + first.sha256(), next.getFileName() + "-" + sha)
                    + repo.objectSuffix();
            assertThat(repo.putObject(planted, new ByteArrayInputStream(forged), ObjectKind.WAL)).isTrue();
        }
        String name = segments.get(1).getFileName().toString();
        try (Repository repo = reader(root)) {
            WalArchive archive = WalArchive.open(repo, "db1");
            Path back = temp.resolve("RECOVERYXLOG");
            assertThatThrownBy(() -> archive.fetch(name, back)).isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(planted).hasMessageContaining("not signed").hasMessageContaining("not trusted");
            assertThat(back).doesNotExist();
            assertThat(archive.list()).extracting(WalFile::name).containsExactly(first.name());
            WalVerifyReport report = archive.verify(true);
            assertThat(report.ok()).isFalse();
            assertThat(report.problems()).singleElement().asString().contains(planted).contains("not signed");
            assertFetchedIdentical(repo, segments.get(0), temp); // what the writer stored still comes back

            // the real segment archived later, beside the planted one: fetch takes the trusted one
            WalArchive.open(repo, "db1").push(segments.get(1));
            assertFetchedIdentical(repo, segments.get(1), temp);
        }
    }

    /**
     * Fetch serves a segment that is not archived whole from its newest {@code .partial}: a planted, newer partial
     * (unsigned, made with the writer key file's material) is passed over for the trusted one.
     */
    @Test
    void a_newer_planted_partial_is_passed_over_for_the_trusted_one(@TempDir Path temp) throws Exception {
        Path root = init(temp.resolve("repo"));
        Path writerFile = exportWriter(root, "receiver", temp.resolve("receiver.key"));
        byte[] whole = Files.readAllBytes(segments.get(2));
        String segment = segments.get(2).getFileName().toString();
        try (Repository repo = writer(root, writerFile, temp.resolve("cache"))) {
            Path partial = Files.createDirectories(temp.resolve("recv")).resolve(segment + ".partial");
            Files.write(partial, whole);
            WalFile real = WalArchive.open(repo, "db1").push(partial).file();
            byte[] forged = whole.clone();
            forged[forged.length / 2] ^= 0x10;
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(forged));
            Matcher m = NAME.matcher(real.object());
            assertThat(m.matches()).isTrue();
            String planted = m.group(1).replace(real.sha256(), sha).replaceFirst("-[0-9]{8}T[0-9]{9}Z$", "-29991231T000000000Z")
                    + repo.objectSuffix();
            assertThat(repo.putObject(planted, new ByteArrayInputStream(forged), ObjectKind.WAL)).isTrue();
        }
        try (Repository repo = reader(root)) {
            Path back = temp.resolve("RECOVERYXLOG");
            assertThat(WalArchive.open(repo, "db1").fetch(segment, back)).isTrue();
            assertThat(Files.readAllBytes(back)).isEqualTo(whole);
        }
    }

    @Test
    void wal_a_revoked_writer_signed_before_stays_fetchable_and_what_it_signs_after_is_refused(@TempDir Path temp)
            throws Exception {
        Path root = init(temp.resolve("repo"));
        Path writerFile = exportWriter(root, "db-host", temp.resolve("db-host.key"));
        try (Repository stolen = writer(root, writerFile, temp.resolve("cache"))) {
            WalArchive archive = WalArchive.open(stolen, "db1");
            WalFile before = archive.push(segments.get(0)).file();
            // What a thief holding the key signs whenever it likes (a signature carries no time): signed here, kept
            // out of the bucket while the writer is revoked, stored after.
            WalFile after = archive.push(segments.get(1)).file();
            assertThat(signer(after.object())).contains(writerId(writerFile));
            Path held = temp.resolve("held");
            Files.move(root.resolve(after.object()), held);
            try (KeyManager manager = KeyManager.open(new LocalDirectorySink(root), secretKey())) {
                assertThat(manager.revokeWriter("db-host", Optional.empty()).keptObjects()).isGreaterThanOrEqualTo(1);
            }
            Files.move(held, root.resolve(after.object()));
            // mint-backup itself stops: this handle was opened before the revocation (a long-running archiver), and
            // its next push is refused before anything is stored
            assertThatThrownBy(() -> archive.push(segments.get(2))).isInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining("revoked");
            String third = segments.get(2).getFileName().toString();
            try (var stored = Files.walk(root.resolve("wal"))) {
                assertThat(stored.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith(third));
            }
            try (Repository repo = reader(root)) {
                WalArchive read = WalArchive.open(repo, "db1");
                assertFetchedIdentical(repo, segments.get(0), temp);
                Path back = temp.resolve("RECOVERYXLOG");
                assertThatThrownBy(() -> read.fetch(after.name(), back)).isInstanceOf(CorruptDataException.class)
                        .hasMessageContaining(after.object()).hasMessageContaining("revoked");
                assertThat(back).doesNotExist();
                assertThat(read.list()).extracting(WalFile::object).containsExactly(before.object());
                assertThat(read.verify(false).problems()).singleElement().asString().contains(after.object())
                        .contains("revoked");
            }
        }
    }

    @Test
    void a_revocation_that_keeps_nothing_refuses_what_the_writer_signed_before(@TempDir Path temp) throws Exception {
        Path root = init(temp.resolve("repo"));
        Path writerFile = exportWriter(root, "db-host", temp.resolve("db-host.key"));
        WalFile before;
        try (Repository repo = writer(root, writerFile, temp.resolve("cache"))) {
            before = WalArchive.open(repo, "db1").push(segments.get(0)).file();
        }
        try (KeyManager manager = KeyManager.open(new LocalDirectorySink(root), secretKey())) {
            manager.revokeWriter("db-host", Optional.of(java.time.Instant.EPOCH)); // --reject-all
        }
        try (Repository repo = reader(root)) {
            assertThatThrownBy(() -> WalArchive.open(repo, "db1").fetch(before.name(), temp.resolve("x")))
                    .isInstanceOf(CorruptDataException.class).hasMessageContaining(before.object());
        }
    }

    @Test
    void wal_a_reader_pushed_before_the_first_writer_stays_fetchable_and_its_later_pushes_are_signed_by_the_authority(
            @TempDir Path temp) throws Exception {
        Path root = init(temp.resolve("repo"));
        // one reader handle for the whole test: a long-running archiver that sees the first writer appear
        try (Repository repo = reader(root)) {
            WalArchive archive = WalArchive.open(repo, "db1");
            WalFile unsigned = archive.push(segments.get(0)).file();
            assertThat(signer(unsigned.object())).isEmpty();
            Thread.sleep(20); // store dates (file times here) tell before from after
            exportWriter(root, "db-host", temp.resolve("db-host.key"));
            WalFile signed = archive.push(segments.get(1)).file();
            assertThat(signer(signed.object())).contains("00".repeat(16)); // the authority's signer id
            assertFetchedIdentical(repo, segments.get(0), temp);
            assertFetchedIdentical(repo, segments.get(1), temp);
        }
        try (Repository repo = reader(root)) {
            WalArchive archive = WalArchive.open(repo, "db1");
            assertFetchedIdentical(repo, segments.get(0), temp);
            assertFetchedIdentical(repo, segments.get(1), temp);
            WalVerifyReport report = archive.verify(true);
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.filesChecked()).isEqualTo(2);
        }
    }

    @Test
    void without_writers_names_are_unchanged_and_the_longest_signed_name_fits_a_file_name(@TempDir Path temp) throws Exception {
        Path root = init(temp.resolve("repo"));
        Path backupFile = data.resolve("pg_wal").resolve(segments.get(1).getFileName() + ".00000028.backup");
        Files.writeString(backupFile, "START WAL LOCATION: 0/3000028 (file " + segments.get(1).getFileName() + ")\n");
        try (Repository repo = reader(root)) {
            WalFile f = WalArchive.open(repo, "db1").push(segments.get(0)).file();
            // pinned: wal/<cluster>/<system id>/<timeline+log>/<segment>-<sha256>-<time>.zst.gpg, as before signatures
            assertThat(f.object()).matches("wal/db1/[0-9]+/" + f.name().substring(0, 16) + "/" + f.name() + "-"
                    + sha256(segments.get(0)) + "-[0-9]{8}T[0-9]{9}Z\\.zst\\.gpg");
            WalFile b = WalArchive.open(repo, "db1").push(backupFile).file();
            assertThat(signer(b.object())).isEmpty();
        }
        exportWriter(root, "db-host", temp.resolve("db-host.key"));
        try (Repository repo = writer(root, temp.resolve("db-host.key"), temp.resolve("cache"))) {
            // the longest WAL file name (a backup history file), signed: one file name of a local directory
            Path second = data.resolve("pg_wal").resolve(segments.get(1).getFileName() + ".00000F28.backup");
            Files.writeString(second, "START WAL LOCATION: 0/3000F28 (file " + segments.get(1).getFileName() + ")\n");
            WalFile b;
            try {
                b = WalArchive.open(repo, "db1").push(second).file();
            } finally {
                Files.delete(second);
            }
            assertThat(signer(b.object())).isPresent();
            String component = b.object().substring(b.object().lastIndexOf('/') + 1);
            assertThat(component.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
            assertThat(Files.exists(root.resolve(b.object()))).isTrue();
        } finally {
            Files.delete(backupFile);
        }
        try (Repository repo = reader(root)) {
            // the unsigned names from before the writer still parse, list and fetch
            WalArchive archive = WalArchive.open(repo, "db1");
            assertThat(archive.list()).extracting(WalFile::type).containsExactly(WalFile.Type.SEGMENT, WalFile.Type.BACKUP,
                    WalFile.Type.BACKUP);
            assertFetchedIdentical(repo, segments.get(0), temp);
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
