package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.internal.BlobLocation;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.PositionalFiles;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
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
        EncryptedPruneTest.AesGcmEncryption encryption = new EncryptedPruneTest.AesGcmEncryption();
        BlobId big;
        try (Repository repo = encrypted
                ? Repository.init(sink, RepositorySettings.defaults(), encryption)
                : Repository.init(sink)) {
            BackupResult first = backup(repo, entries);
            BackupResult second = backup(repo, entries);
            assertThat(second.bytesRead()).as("every file reused from the parent's listing").isZero();
            assertThat(repo.verify(true).problems()).isEmpty();

            BlobId root = repo.store().manifest(second.snapshotId()).tree().orElseThrow();
            assertThat(root).isEqualTo(repo.store().manifest(first.snapshotId()).tree().orElseThrow());
            big = repo.store().readTree(root, "").child("big").subtree().orElseThrow();
            byte[] plain = repo.store().readBlob(big);
            assertThat(plain.length).as("more than the mebibyte from which a listing is streamed").isGreaterThan(1 << 20);
            assertThat(repo.store().parseBlob(big, InputStream::readAllBytes)).isEqualTo(plain);
            Integer firstByte = repo.store().parseBlob(big, in -> in.read());
            assertThat(firstByte).as("a parse may stop early").isEqualTo((int) '{');
            assertThat(repo.entries(second.snapshot())).hasSize(entries.size());
        }

        // a restore's two walks (the one ahead that loads trees, the one that plans) read the large listing once, also
        // when the second gets there while the first still reads it
        BlobLocation bigAt;
        try (Repository repo = encrypted ? Repository.open(sink, encryption) : Repository.open(sink)) {
            bigAt = repo.store().index().find(big).orElseThrow();
        }
        for (int round = 0; round < 3; round++) {
            java.util.concurrent.atomic.AtomicInteger bigReads = new java.util.concurrent.atomic.AtomicInteger();
            ForwardingSink counting = new ForwardingSink(sink) {
                @Override
                public InputStream get(String name, long offset, long length) throws java.io.IOException {
                    if (name.equals(bigAt.packObject()) && offset <= bigAt.offset() && offset + length > bigAt.offset()) {
                        bigReads.incrementAndGet();
                        try {
                            Thread.sleep(300); // a slow store: the other walk gets there while this read is under way
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return super.get(name, offset, length);
                }

                @Override
                public void close() {
                }
            };
            try (Repository repo = encrypted ? Repository.open(counting, encryption) : Repository.open(counting)) {
                long[] files = {0};
                // a target that writes files at positions (as a directory does): the restore that plans packs
                repo.restore(SnapshotSelector.latest()).to(new RestoreTarget() {
                    @Override
                    public void begin(RestoreContext context) {
                    }

                    @Override
                    public void write(Entry entry, InputStream content) throws java.io.IOException {
                        content.transferTo(java.io.OutputStream.nullOutputStream());
                    }

                    @Override
                    public java.util.Optional<PositionalFiles> positionalFiles() {
                        return java.util.Optional.of((entry, length) -> new PositionalFiles.Content() {
                            @Override
                            public void write(long offset, byte[] bytes, int off, int len) {
                            }

                            @Override
                            public void complete() {
                                synchronized (files) {
                                    files[0]++;
                                }
                            }

                            @Override
                            public void discard() {
                            }
                        });
                    }

                    @Override
                    public void finish() {
                    }
                }).run();
                assertThat(files[0]).isEqualTo(12_001);
            }
            assertThat(bigReads.get()).as("reads of the large listing by a restore, round " + round).isEqualTo(1);
        }

        try (Repository repo = encrypted ? Repository.open(sink, encryption) : Repository.open(sink)) {

            // a byte in the middle of the listing's stored bytes flips: named as the blob's damage, never parsed
            BlobLocation at = repo.store().index().find(big).orElseThrow();
            flipMiddleByte(temp.resolve("repo"), at);
            assertThatThrownBy(() -> repo.store().parseBlob(big, InputStream::readAllBytes))
                    .isInstanceOf(CorruptDataException.class).hasMessageContaining("blob " + big);
            // verify reads the tree pack whole and hashes the listing as it decodes it: the same damage, named
            assertThat(repo.verify(true).problems()).anySatisfy(p -> assertThat(p.toString())
                    .contains("blob " + big).contains(at.packObject()));
        }
    }

    /**
     * A listing of several mebibytes is read into a temporary file, not the heap, when a restore, {@code ls} or verify
     * walks it (the file is unlinked at once: it shows only among the process's open files); where no temporary file
     * can be made, it is held in memory as before.
     */
    @org.junit.jupiter.api.Test
    void a_listing_of_several_mebibytes_is_walked_from_a_temporary_file_or_from_memory_where_there_is_none()
            throws Exception {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("spool", null);
        for (int i = 0; i < 30_000; i++) {
            entries.put(String.format("spool/message-%06d.eml", i), "message " + i);
        }
        Path spoolDir = java.nio.file.Files.createDirectory(temp.resolve("tmp"));
        String before = System.getProperty("java.io.tmpdir");
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo"), false))) {
            BackupResult done = backup(repo, entries);
            BlobId root = repo.store().manifest(done.snapshotId()).tree().orElseThrow();
            BlobId spool = repo.store().readTree(root, "").child("spool").subtree().orElseThrow();
            assertThat(repo.store().readBlob(spool).length).as("a listing long enough to be spooled")
                    .isGreaterThan(4 << 20);

            System.setProperty("java.io.tmpdir", spoolDir.toString());
            var node = repo.store().readTree(spool, "spool");
            if (java.nio.file.Files.isDirectory(Path.of("/proc/self/fd"))) {
                assertThat(openFilesIn(spoolDir)).as("the listing's temporary file, open and unlinked")
                        .singleElement().asString().endsWith("(deleted)");
            }
            try (var listed = java.nio.file.Files.list(spoolDir)) {
                assertThat(listed).isEmpty();
            }
            assertThat(node.children()).hasSize(30_000);
            assertThat(node.children().get(12_345).item().entry().path()).isEqualTo("spool/message-012345.eml");

            System.setProperty("java.io.tmpdir", temp.resolve("no-such-directory").toString());
            assertThat(repo.store().readTree(spool, "spool").children()).isEqualTo(node.children());
            assertThat(repo.entries(done.snapshot())).hasSize(entries.size());
            assertThat(repo.verify(true).problems()).isEmpty();

            // damaged: named as the blob's damage, and the temporary file of each failed read is closed at once
            System.setProperty("java.io.tmpdir", spoolDir.toString());
            BlobLocation at = repo.store().index().find(spool).orElseThrow();
            flipMiddleByte(temp.resolve("repo"), at);
            int open = java.nio.file.Files.isDirectory(Path.of("/proc/self/fd")) ? openFilesIn(spoolDir).size() : 0;
            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> repo.store().readTree(spool, "spool")).isInstanceOf(CorruptDataException.class)
                        .hasMessageContaining("blob " + spool);
            }
            if (java.nio.file.Files.isDirectory(Path.of("/proc/self/fd"))) {
                assertThat(openFilesIn(spoolDir)).as("temporary files of the failed reads").hasSize(open);
            }
        } finally {
            System.setProperty("java.io.tmpdir", before);
        }
    }

    private static java.util.List<String> openFilesIn(Path dir) throws java.io.IOException {
        java.util.List<String> found = new java.util.ArrayList<>();
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(dir.toString())) {
                        found.add(target);
                    }
                } catch (java.io.IOException e) {
                    // closed while listed
                }
            }
        }
        return found;
    }

    /** Flips a bit of the byte in the middle of a blob's stored bytes, in its pack under {@code repo}. */
    private static void flipMiddleByte(Path repo, BlobLocation at) throws java.io.IOException {
        try (RandomAccessFile pack = new RandomAccessFile(repo.resolve(at.packObject()).toFile(), "rw")) {
            long middle = at.offset() + at.length() / 2;
            pack.seek(middle);
            int b = pack.read();
            pack.seek(middle);
            pack.write(b ^ 0x40);
        }
    }

    private static BackupResult backup(Repository repo, Map<String, String> entries) {
        return Backup.pipeline().source(MapSource.of("large", entries)).to(repo).host("h").parallelism(2).build().run();
    }
}
