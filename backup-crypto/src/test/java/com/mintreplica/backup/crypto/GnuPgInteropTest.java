package com.mintreplica.backup.crypto;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.crypto.internal.KeyObject;
import com.mintreplica.backup.crypto.internal.Pgp;
import com.mintreplica.backup.testkit.InMemorySink;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Interoperability with the real gpg 2.2 binary, in a throwaway GNUPGHOME holding the recipients' secret keys. */
class GnuPgInteropTest {
    private final TestKeys keys = TestKeys.get();

    @Test
    void every_single_layout_object_is_an_openpgp_message_that_gpg_decrypts_and_zstd_unpacks_to_the_entry() throws Exception {
        InMemorySink sink = new InMemorySink();
        Map<String, byte[]> files = Fixtures.data();
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults().withLayout(Layout.SINGLE),
                OpenPgpEncryption.to(keys.rsaPublic(), keys.edPublic()))) {
            Backup.pipeline().source(Fixtures.mapSource(files)).to(repo).build().run();
            List<Entry> entries = repo.entries(repo.snapshot(SnapshotSelector.latest()));
            assertThat(entries).hasSize(files.size());
        }
        List<String> objects = sink.objects().keySet().stream().filter(n -> n.startsWith("files/")).toList();
        assertThat(objects).hasSize(files.size()).allMatch(n -> n.endsWith(".zst.gpg"));
        List<byte[]> restored = new java.util.ArrayList<>();
        for (String name : objects) {
            GnuPG.Result decrypted = keys.gpg.run(sink.objects().get(name), "--decrypt");
            assertThat(decrypted.exit()).as("gpg --decrypt %s: %s", name, decrypted.stderr()).isZero();
            restored.add(GnuPG.pipe(decrypted.stdout(), "/usr/bin/zstd", "-d", "-c"));
        }
        // object names hide entry paths, so match by content
        assertThat(restored).usingElementComparator(java.util.Arrays::compare)
                .containsExactlyInAnyOrderElementsOf(files.values());
    }

    @Test
    void a_writers_single_layout_objects_open_with_gpg_and_zstd_and_readers_restore_them(@org.junit.jupiter.api.io.TempDir Path temp)
            throws Exception {
        InMemorySink sink = new InMemorySink();
        Map<String, byte[]> files = Fixtures.data();
        try (Repository ignored = Repository.init(sink, RepositorySettings.defaults().withLayout(Layout.SINGLE),
                OpenPgpEncryption.to(keys.rsaPublic(), keys.edPublic()))) {
            // created empty
        }
        Path file = temp.resolve("writer.key");
        try (KeyManager manager = KeyManager.open(sink, keys.rsaSecret())) {
            manager.exportWriter("app1").write(file);
        }
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.writeWith(WriterKey.load(file).withoutCache()))) {
            Backup.pipeline().source(Fixtures.mapSource(files)).to(repo).build().run();
        }
        List<String> objects = sink.objects().keySet().stream().filter(n -> n.startsWith("files/")).toList();
        assertThat(objects).hasSize(files.size()).allMatch(n -> n.endsWith(".zst.gpg"));
        List<byte[]> restored = new java.util.ArrayList<>();
        for (String name : objects) {
            GnuPG.Result decrypted = keys.gpg.run(sink.objects().get(name), "--decrypt");
            assertThat(decrypted.exit()).as("gpg --decrypt %s: %s", name, decrypted.stderr()).isZero();
            restored.add(GnuPG.pipe(decrypted.stdout(), "/usr/bin/zstd", "-d", "-c"));
        }
        assertThat(restored).usingElementComparator(java.util.Arrays::compare)
                .containsExactlyInAnyOrderElementsOf(files.values());
        // and readers restore what the writer wrote
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            com.mintreplica.backup.testkit.MemoryTarget target = new com.mintreplica.backup.testkit.MemoryTarget();
            repo.restore(SnapshotSelector.latest()).to(target).run();
            files.forEach((path, content) -> assertThat(target.files().get(path)).as(path).isEqualTo(content));
        }
    }

    @Test
    void the_library_decrypts_what_gpg_encrypt_made_for_rsa_and_ed25519_keys() throws Exception {
        byte[] plain = Fixtures.ledger(200_000);
        Path in = keys.gpg.home.resolve("ledger.csv");
        Files.write(in, plain);
        for (GnuPG.Key key : List.of(keys.rsa, keys.ed)) {
            for (List<String> options : List.of(List.<String>of(), List.of("--armor"), List.of("--compress-algo", "none"),
                    List.of("--throw-keyids"))) {
                java.util.List<String> args = new java.util.ArrayList<>(options);
                args.addAll(List.of("--recipient", key.fingerprint(), "--output", "-", "--encrypt", in.toString()));
                byte[] message = keys.gpg.run(null, args.toArray(String[]::new)).check("gpg --encrypt").stdout();
                OpenPgpSecretKey secret = OpenPgpKeys.secretKey(key.secretFile(), TestKeys.passphrase());
                OpenPgpTransformer t = OpenPgpTransformer.builder().decryptWith(secret).build();
                try (InputStream decoded = t.decoder(new ByteArrayInputStream(message))) {
                    assertThat(decoded.readAllBytes()).as("%s %s", key.userId(), options).isEqualTo(plain);
                }
            }
        }
    }

    @Test
    void the_library_writes_seipd_v1_with_mdc_that_gpg_reads_and_v6_aead_only_when_asked() throws Exception {
        byte[] plain = "a payment file".getBytes(StandardCharsets.UTF_8);
        OpenPgpTransformer byDefault = OpenPgpTransformer.builder().encryptTo(keys.edPublic()).encryptTo(keys.rsaPublic()).build();
        byte[] message = byDefault.encode(plain);
        String packets = keys.gpg.run(message, "--list-packets").stderr()
                + new String(keys.gpg.run(message, "--list-packets").stdout(), StandardCharsets.UTF_8);
        assertThat(packets).contains(":pubkey enc packet: version 3");
        assertThat(packets).contains(":encrypted data packet:").contains("mdc_method: 2");
        assertThat(packets).doesNotContain("aead");
        GnuPG.Result decrypted = keys.gpg.run(message, "--decrypt");
        assertThat(decrypted.exit()).as(decrypted.stderr()).isZero();
        assertThat(decrypted.stdout()).isEqualTo(plain);

        OpenPgpTransformer aead = OpenPgpTransformer.builder().encryptTo(keys.edPublic()).decryptWith(keys.edSecret())
                .format(OpenPgpMessageFormat.SEIPD_V2_AEAD).build();
        byte[] v6 = aead.encode(plain);
        assertThat(aead.decode(v6, plain.length)).isEqualTo(plain);
        assertThat(v6).isNotEqualTo(message);
        assertThat(aead.parameters()).containsEntry("format", "seipd2");
        assertThat(byDefault.parameters()).containsEntry("format", "seipd1");
        // gpg 2.2 does not read RFC 9580 SEIPD v2: that is why it is opt-in
        assertThat(keys.gpg.run(v6, "--decrypt").exit()).isNotZero();
    }

    @Test
    void a_recipient_opens_its_wrapped_repository_keys_with_gpg_alone() throws Exception {
        InMemorySink sink = new InMemorySink();
        Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(keys.edPublic())).close();
        String name = sink.objects().keySet().stream().filter(n -> n.startsWith("keys/")).findFirst().orElseThrow();
        KeyObject object = KeyObject.parse(name, sink.objects().get(name));
        GnuPG.Result decrypted = keys.gpg.run(object.wrapped().getBytes(StandardCharsets.US_ASCII), "--decrypt");
        assertThat(decrypted.exit()).as(decrypted.stderr()).isZero();
        assertThat(new String(decrypted.stdout(), StandardCharsets.UTF_8)).contains("\"dataKeys\"");
        assertThat(Pgp.recipients(object.wrappedMessage())).containsExactly(keys.edPublic().encryptionKey().getKeyID());
    }
}
