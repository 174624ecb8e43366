package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.internal.BlobLocation;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A directory whose listing is several mebibytes, in a plain and an encrypted repository: the backup hashes and
 * compresses the listing as it writes it, the next backup reads the parent's listing as a stream (nothing is read
 * again), and the streamed read still names damage. The encryption is the JDK's AES-GCM of {@link EncryptedPruneTest}
 * (the OpenPGP one lives in backup-crypto, which core cannot depend on).
 */
@Timeout(180)
class LargeListingRepositoryTest {
    @TempDir
    Path temp;

    @ParameterizedTest(name = "encrypted: {0}")
    @ValueSource(booleans = {false, true})
    void a_listing_of_mebibytes_is_stored_and_read_as_a_stream_and_its_damage_is_named(boolean encrypted) throws Exception {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("big", null);
        for (int i = 0; i < 12_000; i++) {
            entries.put(String.format("big/f%05d", i), "content of " + i);
        }
        entries.put("small", null);
        entries.put("small/one", "one");
        LocalDirectorySink sink = new LocalDirectorySink(temp.resolve("repo"), false);
        try (Repository repo = encrypted
                ? Repository.init(sink, RepositorySettings.defaults(), new EncryptedPruneTest.AesGcmEncryption())
                : Repository.init(sink)) {
            BackupResult first = backup(repo, entries);
            BackupResult second = backup(repo, entries);
            assertThat(second.bytesRead()).as("every file reused from the parent's listing").isZero();
            assertThat(repo.verify(true).problems()).isEmpty();

            BlobId root = repo.store().manifest(second.snapshotId()).tree().orElseThrow();
            assertThat(root).isEqualTo(repo.store().manifest(first.snapshotId()).tree().orElseThrow());
            BlobId big = repo.store().readTree(root, "").child("big").subtree().orElseThrow();
            byte[] plain = repo.store().readBlob(big);
            assertThat(plain.length).as("more than the mebibyte from which a listing is streamed").isGreaterThan(1 << 20);
            assertThat(repo.store().parseBlob(big, InputStream::readAllBytes)).isEqualTo(plain);
            Integer firstByte = repo.store().parseBlob(big, in -> in.read());
            assertThat(firstByte).as("a parse may stop early").isEqualTo((int) '{');
            assertThat(repo.entries(second.snapshot())).hasSize(entries.size());

            // a byte in the middle of the listing's stored bytes flips: named as the blob's damage, never parsed
            BlobLocation at = repo.store().index().find(big).orElseThrow();
            try (RandomAccessFile pack = new RandomAccessFile(temp.resolve("repo").resolve(at.packObject()).toFile(), "rw")) {
                long middle = at.offset() + at.length() / 2;
                pack.seek(middle);
                int b = pack.read();
                pack.seek(middle);
                pack.write(b ^ 0x40);
            }
            assertThatThrownBy(() -> repo.store().parseBlob(big, InputStream::readAllBytes))
                    .isInstanceOf(CorruptDataException.class).hasMessageContaining("blob " + big);
        }
    }

    private static BackupResult backup(Repository repo, Map<String, String> entries) {
        return Backup.pipeline().source(MapSource.of("large", entries)).to(repo).host("h").parallelism(2).build().run();
    }
}
