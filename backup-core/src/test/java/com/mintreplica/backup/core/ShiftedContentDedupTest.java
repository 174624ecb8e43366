package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.internal.BlobType;
import com.mintreplica.backup.core.internal.RepoConfig;
import com.mintreplica.backup.core.internal.Store;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deduplication survives shifted bytes, through a real repository: a 64 MiB file backed up, then backed up again with
 * one byte inserted at its start, stores at most 2 new blobs.
 *
 * <p>Why this test catches fixed-size chunking where the other dedup tests (which edit in place or append) do not:
 * cut at fixed offsets, every chunk after the insertion holds the same bytes moved by one position, so every chunk
 * hashes differently and all ~64 chunks of the second backup are new; the assertion below (at most 2) fails. With
 * content-defined cut points the chunker finds the old boundaries again right after the changed first chunk, because
 * a cut depends only on the bytes just before it. {@code FastCdcTest#an_insertion_changes_at_most_two_content_defined_chunks_but_every_fixed_size_chunk}
 * runs the same insertion through a fixed-size cutter to show that it would be every chunk.
 *
 * <p>The repository is created with a fixed chunker seed (the public API draws a random one), so the chunk boundaries,
 * and the test, are the same on every run.
 */
@Timeout(300)
class ShiftedContentDedupTest {
    static final long SIZE = 64L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void inserting_one_byte_at_the_start_of_a_64_MiB_file_stores_at_most_two_new_blobs() {
        LocalDirectorySink sink = new LocalDirectorySink(dir.resolve("repo"), false);
        // The default chunk sizes; no compression (random content does not compress, and it halves the test's time).
        Store.create(sink, new RepoConfig(RepoConfig.CURRENT_VERSION, "shifted-dedup", Instant.parse("2026-01-01T00:00:00Z"),
                Layout.CHUNKED, RepositorySettings.DEFAULT_CHUNK_MIN, RepositorySettings.DEFAULT_CHUNK_AVG,
                RepositorySettings.DEFAULT_CHUNK_MAX, 0x5eed0f0c0ffee001L, RepositorySettings.DEFAULT_PACK_SIZE, List.of(), Map.of()));
        try (Repository repo = Repository.open(sink)) {
            Snapshot first = backup(repo, false, Instant.parse("2026-01-01T01:00:00Z"));
            Set<BlobId> before = new HashSet<>(repo.store().reloadIndex().blobIds(BlobType.DATA));
            assertThat(before).as("blobs of 64 MiB in chunks of 512 KiB to 8 MiB").hasSizeBetween(8, 128);

            Snapshot second = backup(repo, true, Instant.parse("2026-01-02T01:00:00Z"));
            Set<BlobId> added = new HashSet<>(repo.store().reloadIndex().blobIds(BlobType.DATA));
            added.removeAll(before);

            assertThat(added).as("new blobs after inserting one byte at the start").hasSizeBetween(1, 2);
            assertThat(second.stats().bytesNew()).as("new bytes").isLessThanOrEqualTo(2L * RepositorySettings.DEFAULT_CHUNK_MAX);
            assertThat(first.stats().bytesNew()).isEqualTo(SIZE);
            assertThat(repo.verify(false).problems()).isEmpty();
            // and the shifted file restores as it was read
            try (InputStream restored = repo.openEntry(second, "data.bin");
                 InputStream expected = new Generated(true)) {
                assertThat(restored).hasSameContentAs(expected);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Snapshot backup(Repository repo, boolean shifted, Instant time) {
        Source source = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("test", "shifted");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    boolean done;

                    @Override
                    public Optional<SourceEntry> next() {
                        if (done) {
                            return Optional.empty();
                        }
                        done = true;
                        return Optional.of(SourceEntry.of(Entry.regular("data.bin").build(), () -> new Generated(shifted)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        return Backup.pipeline().source(source).to(repo).host("h").time(time).parallelism(2).build().run().snapshot();
    }

    /** 64 MiB of seeded pseudo-random bytes, with one more byte in front when {@code shifted}; never held whole. */
    static final class Generated extends InputStream {
        private final Random random = new Random(64);
        private final byte[] block = new byte[64 * 1024];
        private int position = block.length;
        private long left = SIZE;
        private boolean prefix;

        Generated(boolean shifted) {
            this.prefix = shifted;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (prefix) {
                prefix = false;
                b[off] = 0x42;
                return 1;
            }
            if (left == 0) {
                return -1;
            }
            if (position == block.length) {
                random.nextBytes(block);
                position = 0;
            }
            int n = (int) Math.min(Math.min(len, block.length - position), left);
            System.arraycopy(block, position, b, off, n);
            position += n;
            left -= n;
            return n;
        }
    }
}
