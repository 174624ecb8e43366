package com.mintreplica.backup.crypto;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.testkit.MemoryTarget;
import com.mintreplica.backup.crypto.internal.Pgp;
import com.mintreplica.backup.testkit.InMemorySink;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An encrypted chunked repository over the in-memory Sink, with keys made by the real gpg. */
class EncryptedRepositoryTest {
    private final TestKeys keys = TestKeys.get();

    private Repository init(InMemorySink sink, OpenPgpPublicKey... recipients) {
        return Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(recipients));
    }

    private static void assertRestoresEverything(Repository repo, Map<String, byte[]> files) {
        MemoryTarget target = new MemoryTarget();
        repo.restore(SnapshotSelector.latest()).to(target).run();
        assertThat(target.finished()).isTrue();
        assertThat(target.files().keySet()).containsExactlyElementsOf(files.keySet());
        files.forEach((k, v) -> assertThat(target.files().get(k)).as(k).isEqualTo(v));
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void an_encrypted_repository_round_trips_and_no_plaintext_name_content_or_hash_appears_in_any_stored_byte() throws Exception {
        InMemorySink sink = new InMemorySink();
        Map<String, byte[]> files = Fixtures.data();
        try (Repository repo = init(sink, keys.edPublic())) {
            Backup.pipeline().source(Fixtures.mapSource(files)).to(repo).build().run();
        }
        List<byte[]> needles = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            for (String part : f.getKey().split("/")) {
                needles.add(part.getBytes(StandardCharsets.UTF_8));
            }
            byte[] content = f.getValue();
            if (content.length >= 24) {
                needles.add(java.util.Arrays.copyOfRange(content, 0, 24));
                needles.add(java.util.Arrays.copyOfRange(content, content.length / 2, content.length / 2 + 24));
            }
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(content);
            needles.add(sha);
            needles.add(HexFormat.of().formatHex(sha).getBytes(StandardCharsets.US_ASCII));
        }
        needles.add("ACCT-SECRET".getBytes(StandardCharsets.UTF_8));
        needles.add("Acme".getBytes(StandardCharsets.UTF_8));
        needles.add("ledger".getBytes(StandardCharsets.UTF_8)); // the source's name, in every manifest
        assertThat(sink.objects()).isNotEmpty();
        sink.objects().forEach((name, bytes) -> {
            for (byte[] needle : needles) {
                String text = new String(needle, StandardCharsets.ISO_8859_1);
                assertThat(contains(bytes, needle)).as("'%s' holds plaintext %s", name, text).isFalse();
                assertThat(name).as("object name").doesNotContain(text);
            }
        });
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.encryption()).contains("openpgp");
            assertRestoresEverything(repo, files);
            assertThat(repo.verify(true).ok()).isTrue();
        }
    }

    @Test
    void deduplication_still_works_under_keyed_blob_ids() {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = init(sink, keys.edPublic())) {
            Backup.pipeline().source(Fixtures.mapSource(Fixtures.data())).to(repo).build().run();
            long before = sink.totalBytes();
            BackupResult second = Backup.pipeline().source(Fixtures.mapSource(Fixtures.data())).to(repo).noParent().build().run();
            assertThat(second.bytesNew()).isZero();
            assertThat(sink.totalBytes() - before).isLessThan(8192);
        }
    }

    @Test
    void one_flipped_byte_in_any_encrypted_object_fails_verify_and_restore_naming_it() {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = init(sink, keys.edPublic())) {
            Backup.pipeline().source(Fixtures.mapSource(Fixtures.data())).to(repo).build().run();
        }
        List<String> encrypted = sink.objects().keySet().stream()
                .filter(n -> n.startsWith("data/") || n.startsWith("index/") || n.startsWith("snapshots/"))
                .toList();
        assertThat(encrypted).anyMatch(n -> n.startsWith("data/")).anyMatch(n -> n.startsWith("index/"))
                .anyMatch(n -> n.startsWith("snapshots/"));
        for (String object : encrypted) {
            int size = sink.objects().get(object).length;
            for (int offset : new int[] {10, size / 2, size - 40}) { // header, body, a tag or the pack header
                sink.corrupt(object, offset);
                try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
                    VerifyReport report = repo.verify(true);
                    assertThat(report.ok()).as("verify with byte %d of %s flipped", offset, object).isFalse();
                    assertThat(report.problems()).as(object).anySatisfy(p -> assertThat(p.object() + p.message()).contains(object));
                    MemoryTarget target = new MemoryTarget();
                    boolean packHeader = object.startsWith("data/") && offset == size - 40;
                    if (packHeader) {
                        // a restore reads blobs by the index and never a pack's header: it must restore intact data
                        repo.restore(SnapshotSelector.latest()).to(target).run();
                        Fixtures.data().forEach((k, v) -> assertThat(target.files().get(k)).isEqualTo(v));
                        continue;
                    }
                    assertThatThrownBy(() -> repo.restore(SnapshotSelector.latest()).to(target).run())
                            .as("restore with byte %d of %s flipped", offset, object)
                            .isInstanceOf(CorruptDataException.class)
                            .hasMessageContaining(object);
                    assertThat(target.finished()).isFalse();
                } finally {
                    sink.corrupt(object, offset);
                }
            }
        }
    }

    /**
     * The recipients' public keys are in {@code keys/} in clear, so whoever can write to the bucket can encrypt a
     * message to the repository's own recipient: readers used to open it with the recipient's secret key and take it
     * as the object. Every object mint-backup stores is also encrypted to the repository key (derived from the data
     * key, never stored in the bucket); an object only a recipient's key opens is therefore planted, and corrupt.
     */
    @Test
    void an_object_replaced_by_a_message_to_the_repositorys_own_recipient_is_corrupt_not_restored() throws Exception {
        InMemorySink sink = new InMemorySink();
        String object = backedUpSingleLayout(sink);
        byte[] original;
        try (var in = OpenPgpTransformer.builder().decryptWith(keys.edSecret()).build()
                .decoder(new java.io.ByteArrayInputStream(sink.objects().get(object)))) {
            original = in.readAllBytes(); // as gpg --decrypt gives it to the recipient
        }
        // What the attacker has: the bucket, so the recipient's public key (keys/ holds it), and no secret.
        replace(sink, object, OpenPgpTransformer.builder().encryptTo(keys.edPublic()).build().encode(original));
        assertCorruptAndNamed(sink, object);
    }

    /**
     * In a repository, every object is encrypted to a key the unlocked repository holds: an object that none of them
     * opens was replaced (here by a valid OpenPGP message to another key) and is corrupt, named by verify and restore,
     * never "access denied" for a key that is right.
     */
    @Test
    void an_object_replaced_by_a_message_to_another_key_is_corrupt_and_named_not_a_wrong_key() throws Exception {
        InMemorySink sink = new InMemorySink();
        String object = backedUpSingleLayout(sink);
        OpenPgpPublicKey stranger;
        try (var in = EncryptedRepositoryTest.class.getResourceAsStream("/hidden-recipients/rsa4096.public.asc")) {
            stranger = OpenPgpKeys.publicKeys(in, "rsa4096.public.asc").get(0);
        }
        replace(sink, object, OpenPgpTransformer.builder().encryptTo(stranger).build().encode(sink.objects().get(object)));
        assertCorruptAndNamed(sink, object);
    }

    /** Backs the fixture files up into an encrypted single-layout repository; returns the name of one file object. */
    private String backedUpSingleLayout(InMemorySink sink) {
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults().withLayout(Layout.SINGLE),
                OpenPgpEncryption.to(keys.edPublic()))) {
            Backup.pipeline().source(Fixtures.mapSource(Fixtures.data())).to(repo).build().run();
        }
        return sink.objects().keySet().stream().filter(n -> n.startsWith("files/")).sorted().findFirst().orElseThrow();
    }

    private static void replace(InMemorySink sink, String object, byte[] bytes) throws java.io.IOException {
        sink.put(object, new java.io.ByteArrayInputStream(bytes), bytes.length, com.mintreplica.backup.core.sink.ObjectKind.DATA);
    }

    /** verify --read-data names the object as not encrypted to the repository's keys, and a restore refuses it. */
    private void assertCorruptAndNamed(InMemorySink sink, String object) {
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            VerifyReport report = repo.verify(true);
            assertThat(report.ok()).isFalse();
            assertThat(report.problems()).singleElement().satisfies(p -> assertThat(p.object() + " " + p.message())
                    .contains(object).contains("not encrypted to any key of this repository"));
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.latest()).to(new MemoryTarget()).run())
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(object);
        }
    }

    @Test
    void a_wrong_or_missing_passphrase_is_refused_naming_the_key() {
        GnuPG.Key ed = keys.ed;
        assertThatThrownBy(() -> OpenPgpKeys.secretKey(ed.secretFile(), com.mintreplica.backup.core.Secret.of("not it")))
                .isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining(ed.fingerprint())
                .hasMessageContaining("passphrase")
                .hasMessageNotContaining("not it");
        assertThatThrownBy(() -> OpenPgpKeys.secretKey(ed.secretFile(), PassphraseCallback.none()))
                .isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining(ed.fingerprint())
                .hasMessageContaining("MINT_BACKUP_PASSPHRASE");
        assertThat(OpenPgpKeys.secretKey(ed.secretFile(), OpenPgpKeys.passphraseFile(keys.gpg.passphraseFile)).fingerprint())
                .isEqualTo(ed.fingerprint());
        assertThat(OpenPgpKeys.secretKey(ed.secretFile(), OpenPgpKeys.passphraseFromEnvironment(
                Map.of("MINT_BACKUP_PASSPHRASE", GnuPG.PASSPHRASE), "MINT_BACKUP_PASSPHRASE")).fingerprint())
                .isEqualTo(ed.fingerprint());
    }

    @Test
    void after_removing_a_key_it_decrypts_nothing_and_the_remaining_key_restores_everything() throws Exception {
        InMemorySink sink = new InMemorySink();
        Map<String, byte[]> files = Fixtures.data();
        try (Repository repo = init(sink, keys.edPublic(), keys.rsaPublic())) {
            Backup.pipeline().source(Fixtures.mapSource(files)).to(repo).build().run();
        }
        assertThat(KeyManager.recipients(sink)).extracting(Recipient::fingerprint)
                .containsExactlyInAnyOrder(keys.ed.fingerprint(), keys.rsa.fingerprint());
        try (KeyManager manager = KeyManager.open(sink, keys.rsaSecret())) {
            Recipient removed = manager.remove(keys.ed.fingerprint(), true);
            assertThat(removed.fingerprint()).isEqualTo(keys.ed.fingerprint());
            assertThat(manager.list()).extracting(Recipient::fingerprint).containsExactly(keys.rsa.fingerprint());
        }
        // the removed key opens nothing: not the repository, and no stored object at all
        assertThatThrownBy(() -> Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret())))
                .isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining(keys.rsa.fingerprint());
        OpenPgpSecretKey removedKey = keys.edSecret();
        sink.objects().forEach((name, bytes) -> assertThatThrownBy(() -> Pgp.decrypt(bytes, removedKey.privateKeys()))
                .as("the removed key decrypts '%s'", name)
                .isInstanceOf(java.io.IOException.class));
        // the remaining key restores everything, including what was written before the rotation
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.rsaSecret()))) {
            assertRestoresEverything(repo, files);
            Map<String, byte[]> more = new java.util.LinkedHashMap<>(files);
            more.put("after-rotation.txt", Fixtures.ledger(5000));
            Backup.pipeline().source(Fixtures.mapSource(more)).to(repo).build().run();
            assertRestoresEverything(repo, more);
            assertThat(repo.verify(true).ok()).isTrue();
        }
    }

    @Test
    void data_written_after_a_new_data_key_is_under_that_key_and_older_data_stays_readable() {
        InMemorySink sink = new InMemorySink();
        Map<String, byte[]> files = Fixtures.data();
        try (Repository repo = init(sink, keys.edPublic())) {
            Backup.pipeline().source(Fixtures.mapSource(files)).to(repo).build().run();
        }
        java.util.Set<String> before = sink.objects().keySet();
        String newKey;
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            newKey = manager.rotateDataKey();
            assertThat(manager.list()).hasSize(1);
        }
        Map<String, byte[]> next = Map.of("later.bin", Fixtures.random(200_000, 99));
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            Backup.pipeline().source(Fixtures.mapSource(next)).to(repo).build().run();
            // every object written after the rotation names the new data key in its header
            sink.objects().forEach((name, bytes) -> {
                if (!before.contains(name) && !name.startsWith("keys/")) {
                    assertThat(HexFormat.of().withUpperCase().formatHex(bytes, 4, 12)).as(name).isEqualTo(newKey);
                }
            });
            assertThat(repo.snapshots()).hasSize(2);
            assertThat(repo.verify(true).ok()).isTrue();
            MemoryTarget old = new MemoryTarget();
            repo.restore(SnapshotSelector.id(repo.snapshots().get(0).id())).to(old).run();
            assertThat(old.files().get("payroll-secret.bin")).isEqualTo(files.get("payroll-secret.bin"));
        }
    }

    @Test
    void adding_a_key_lets_it_open_everything_written_before() {
        InMemorySink sink = new InMemorySink();
        Map<String, byte[]> files = Fixtures.data();
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults().withLayout(Layout.SINGLE),
                OpenPgpEncryption.to(keys.edPublic()))) {
            Backup.pipeline().source(Fixtures.mapSource(files)).to(repo).build().run();
        }
        assertThatThrownBy(() -> Repository.open(sink, OpenPgpEncryption.unlockWith(keys.rsaSecret())))
                .isInstanceOf(AccessDeniedException.class);
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            manager.add(keys.rsaPublic());
            assertThatThrownBy(() -> manager.add(keys.rsaPublic())).isInstanceOf(com.mintreplica.backup.core.ConflictException.class);
        }
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.rsaSecret()))) {
            assertRestoresEverything(repo, files);
        }
    }
}
