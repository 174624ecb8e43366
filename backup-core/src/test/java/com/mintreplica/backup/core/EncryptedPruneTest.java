package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneFixture.backup;
import static com.mintreplica.backup.core.PruneFixture.files;
import static com.mintreplica.backup.core.PruneFixture.objects;
import static com.mintreplica.backup.core.PruneFixture.restore;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.encryption.RepositoryKeys;
import com.mintreplica.backup.core.internal.Hex;
import com.mintreplica.backup.core.internal.RepositoryLock;
import com.mintreplica.backup.core.internal.Sha256;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.transform.Transformer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prune on an encrypted repository: the blobs it copies stay sealed and are checked under the keyed ids, its index
 * objects are named by the keyed hash (no plaintext hash in a name), and lock objects are sealed like all metadata.
 * The encryption is the JDK's AES-GCM with a random nonce per object, through the core's RepositoryEncryption SPI: the
 * OpenPGP-wrapped one lives in backup-crypto, which core cannot depend on.
 */
class EncryptedPruneTest {
    @TempDir
    Path dir;

    @Test
    void prune_on_an_encrypted_repository_keeps_names_keyed_and_data_sealed() throws Exception {
        LocalDirectorySink sink = new LocalDirectorySink(dir.resolve("repo"), false);
        AesGcmEncryption encryption = new AesGcmEncryption();
        List<Snapshot> taken = new ArrayList<>();
        try (Repository repo = Repository.init(sink, PruneFixture.smallSettings(), encryption)) {
            for (int i = 1; i <= 6; i++) {
                taken.add(backup(repo, i));
            }
        }
        String host = RepositoryLock.Identity.current().host();
        List<byte[]> locksSeen = new ArrayList<>();

        try (Repository repo = Repository.open(sink, encryption)) {
            PruneReport report = repo.prune().policy(Retention.builder().keepLast(3).build()).maxUnused(0)
                    .listener((step, object) -> {
                        if (locksSeen.isEmpty()) {
                            try (var locks = sink.list("locks/")) {
                                for (var lock : locks.toList()) {
                                    try (InputStream in = sink.get(lock.name())) {
                                        locksSeen.add(in.readAllBytes());
                                    }
                                }
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }
                    }).run();

            assertThat(report.removed()).hasSize(3);
            assertThat(report.packsRepacked()).isPositive();
            assertThat(repo.verify(true).problems()).isEmpty();
            for (int i = 4; i <= 6; i++) {
                Map<String, byte[]> restored = restore(repo, taken.get(i - 1));
                files(i).forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
            }
            List<String> index = objects(sink).keySet().stream().filter(n -> n.startsWith("index/")).toList();
            assertThat(index).hasSize(1);
            byte[] plain = repo.store().readMetadata(index.get(0));
            assertThat(index.get(0)).isEqualTo("index/" + Hex.encode(repo.store().codec().hash(plain)))
                    .isNotEqualTo("index/" + Hex.encode(Sha256.hash(plain)));
        }
        assertThat(locksSeen).as("prune's own lock, read while it ran").hasSize(1);
        // sealed: neither the JSON nor what it names shows (the host name as a JSON field: a short name such as "vm"
        // turns up in a few hundred random bytes by chance, once in some hundreds of runs)
        assertThat(new String(locksSeen.get(0), StandardCharsets.ISO_8859_1)).doesNotContain("\"host\":\"" + host)
                .doesNotContain("\"host\"").doesNotContain("prune");
    }

    /** AES-256-GCM, a random 12-byte nonce in front of each object. */
    static final class AesGcmTransformer implements Transformer {
        private static final SecureRandom RANDOM = new SecureRandom();
        private final SecretKey key;

        AesGcmTransformer(SecretKey key) {
            this.key = key;
        }

        @Override
        public String name() {
            return "aesgcm";
        }

        @Override
        public Map<String, String> parameters() {
            return Map.of();
        }

        @Override
        public OutputStream encoder(OutputStream target) {
            // Test code: seals the whole object when it is closed.
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            return new FilterOutputStream(buffer) {
                @Override
                public void write(byte[] b, int off, int len) {
                    buffer.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    target.write(seal(buffer.toByteArray()));
                    target.close();
                }
            };
        }

        @Override
        public InputStream decoder(InputStream in) throws IOException {
            return new ByteArrayInputStream(open(in.readAllBytes()));
        }

        private byte[] seal(byte[] plain) throws IOException {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                byte[] sealed = c.doFinal(plain);
                byte[] out = Arrays.copyOf(nonce, 12 + sealed.length);
                System.arraycopy(sealed, 0, out, 12, sealed.length);
                return out;
            } catch (GeneralSecurityException e) {
                throw new IOException(e);
            }
        }

        private byte[] open(byte[] sealed) throws IOException {
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 0, 12));
                return c.doFinal(sealed, 12, sealed.length - 12);
            } catch (GeneralSecurityException e) {
                throw new IOException("does not decrypt: " + e.getMessage(), e);
            }
        }
    }

    /** Keys held in memory by this object: enough to create a repository and open it again in one test. */
    static final class AesGcmEncryption implements RepositoryEncryption {
        private RepositoryKeys keys;

        @Override
        public String scheme() {
            return "test-aesgcm";
        }

        @Override
        public RepositoryKeys create(Context context) {
            try {
                KeyGenerator generator = KeyGenerator.getInstance("AES");
                generator.init(256);
                byte[] idKey = new byte[32];
                new SecureRandom().nextBytes(idKey);
                keys = new RepositoryKeys(new AesGcmTransformer(generator.generateKey()),
                        new SecretKeySpec(idKey, "HmacSHA256"), Map.of());
                return keys;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public RepositoryKeys unlock(Context context) {
            return keys;
        }
    }
}
