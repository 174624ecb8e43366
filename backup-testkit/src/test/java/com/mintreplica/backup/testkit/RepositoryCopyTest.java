package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.CopyResult;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.encryption.RepositoryKeys;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.transform.GzipTransformer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import javax.crypto.spec.SecretKeySpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Copying snapshots between repositories (Repository.copyTo) over in-memory Sinks. */
class RepositoryCopyTest {

    /** Small chunks and packs, so a few MiB make many blobs and packs. */
    static RepositorySettings small() {
        return RepositorySettings.defaults().withChunkSizes(64 * 1024, 128 * 1024, 256 * 1024).withPackSize(512 * 1024);
    }

    static SampleSource sample(long seed) {
        return SampleSource.builder()
                .add("small.txt", ("hello " + seed).getBytes())
                .generated("a.bin", 3 * 1024 * 1024, seed)
                .generated("shared.bin", 2 * 1024 * 1024, 42)
                .build();
    }

    static BackupResult backup(Repository repo, SampleSource source) {
        return Backup.pipeline().source(source).to(repo).build().run();
    }

    static Map<String, String> restore(Repository repo, String snapshotId) {
        DigestTarget target = new DigestTarget();
        repo.restore(SnapshotSelector.id(snapshotId)).to(target).run();
        assertThat(target.finished()).isTrue();
        return target.digests();
    }

    @Test
    void copied_snapshots_keep_their_ids_and_restore_the_same_bytes_under_another_transformer_chain() {
        InMemorySink fromSink = new InMemorySink();
        InMemorySink toSink = new InMemorySink();
        Repository from = Repository.init(fromSink, small());
        Repository to = Repository.init(toSink, small().withTransformers(List.of(new GzipTransformer(6))));
        SampleSource s1 = sample(1);
        SampleSource s2 = sample(2);
        String id1 = backup(from, s1).snapshotId();
        String id2 = backup(from, s2).snapshotId();

        CopyResult result = from.copyTo(to);

        assertThat(result.copied()).containsExactly(id1, id2);
        assertThat(to.snapshots()).extracting(Snapshot::id).containsExactly(id1, id2);
        assertThat(to.snapshots()).usingRecursiveFieldByFieldElementComparator()
                .containsExactlyElementsOf(from.snapshots());
        assertThat(restore(to, id1)).isEqualTo(s1.digests());
        assertThat(restore(to, id2)).isEqualTo(s2.digests());
        assertThat(to.verify(true).ok()).isTrue();
        // the target's packs are gzip-encoded: a zstd frame would start with 28 b5 2f fd, a gzip member with 1f 8b
        String pack = toSink.objects().keySet().stream().filter(n -> n.startsWith("data/")).findFirst().orElseThrow();
        assertThat(toSink.objects().get(pack)).startsWith(0x1f, 0x8b);
    }

    @Test
    void a_second_copy_transfers_nothing() {
        Repository from = Repository.init(new InMemorySink(), small());
        backup(from, sample(1));
        backup(from, sample(2));
        FaultInjectingSink toSink = new FaultInjectingSink(new InMemorySink());
        Repository to = Repository.init(toSink, small());
        from.copyTo(to);
        toSink.resetCounts();

        CopyResult again = from.copyTo(to);

        assertThat(again.transferredNothing()).isTrue();
        assertThat(again.skipped()).hasSize(2);
        assertThat(toSink.puts()).isEmpty();
    }

    @Test
    void only_the_blobs_the_target_lacks_are_sent() {
        Repository from = Repository.init(new InMemorySink(), small());
        Snapshot first = from.snapshot(SnapshotSelector.id(backup(from, sample(1)).snapshotId()));
        Repository to = Repository.init(new InMemorySink(), small());
        CopyResult firstCopy = from.copyTo(to, List.of(first));
        backup(from, sample(2));   // a.bin differs, shared.bin is the same as in the first snapshot

        CopyResult second = from.copyTo(to);

        assertThat(second.skipped()).containsExactly(first.id());
        assertThat(second.copied()).hasSize(1);
        // shared.bin (2 MiB) was sent with the first snapshot and is not sent again: only a.bin and small.txt are new
        assertThat(second.bytesCopied()).isLessThan(firstCopy.bytesCopied() - 1024 * 1024);
        assertThat(second.bytesCopied()).isGreaterThanOrEqualTo(3 * 1024 * 1024);
    }

    @Test
    void a_killed_copy_commits_nothing_half_done_and_resumes_without_sending_stored_packs_again() {
        Repository from = Repository.init(new InMemorySink(), small());
        SampleSource big = SampleSource.builder().generated("big.bin", 12 * 1024 * 1024, 9).build();
        String id = backup(from, big).snapshotId();
        // a full copy into a fresh repository, to know how many packs the snapshot takes
        FaultInjectingSink reference = new FaultInjectingSink(new InMemorySink());
        from.copyTo(Repository.init(reference, small()));
        long packs = reference.putsUnder("data/");
        assertThat(packs).isGreaterThan(10);

        FaultInjectingSink toSink = new FaultInjectingSink(new InMemorySink());
        Repository to = Repository.init(toSink, small());
        toSink.failPutsAfter(9, name -> name.startsWith("data/"));
        assertThatThrownBy(() -> from.copyTo(to)).isInstanceOf(BackupException.class).hasMessageContaining("injected failure");
        assertThat(Repository.open(toSink).snapshots()).isEmpty();

        toSink.heal();
        toSink.resetCounts();
        CopyResult resumed = from.copyTo(Repository.open(toSink));

        assertThat(resumed.copied()).containsExactly(id);
        // 8 of the 9 packs stored before the failure were indexed (an index every 4 packs): they are not sent again
        assertThat(toSink.putsUnder("data/")).isLessThanOrEqualTo(packs - 8);
        Repository reopened = Repository.open(toSink);
        assertThat(restore(reopened, id)).isEqualTo(big.digests());
        assertThat(reopened.verify(true).ok()).isTrue();
    }

    @Test
    void a_copy_of_many_packs_indexes_them_as_a_backup_does_in_few_objects() {
        // An index object every 4 packs made a copy of a TiB (65,536 packs of 16 MiB) 16,384 index objects, which every
        // later index load lists and reads. A copy now writes them as a backup's checkpoints: every sixteenth of the
        // packs stored, once that is more than 4 (about 42 objects for 300 packs, where every 4 packs made 75). How many
        // packs the concurrent packers fill varies from run to run (298-305 here).
        RepositorySettings tiny = RepositorySettings.defaults().withChunkSizes(8 * 1024, 16 * 1024, 32 * 1024)
                .withPackSize(32 * 1024);
        Repository from = Repository.init(new InMemorySink(), tiny);
        SampleSource big = SampleSource.builder().generated("big.bin", 12 * 1024 * 1024, 21).build();
        String id = backup(from, big).snapshotId();
        FaultInjectingSink toSink = new FaultInjectingSink(new InMemorySink());
        Repository to = Repository.init(toSink, tiny);

        from.copyTo(to);

        long packs = toSink.putsUnder("data/") + toSink.putsUnder("tree/");
        assertThat(packs).isGreaterThan(250);
        assertThat(toSink.putsUnder("index/")).isPositive().isLessThanOrEqualTo(packs / 5);
        Repository reopened = Repository.open(toSink);
        assertThat(restore(reopened, id)).isEqualTo(big.digests());
        assertThat(reopened.verify(true).ok()).isTrue();
    }

    @Test
    void a_corrupt_blob_in_the_source_stops_the_copy_naming_it_and_the_snapshot_is_not_committed() {
        InMemorySink fromSink = new InMemorySink();
        Repository from = Repository.init(fromSink, small());
        backup(from, sample(1));
        String pack = fromSink.objects().keySet().stream().filter(n -> n.startsWith("data/")).findFirst().orElseThrow();
        fromSink.corrupt(pack, 10);
        Repository to = Repository.init(new InMemorySink(), small());

        assertThatThrownBy(() -> from.copyTo(to)).isInstanceOf(CorruptDataException.class).hasMessageContaining(pack);
        assertThat(to.snapshots()).isEmpty();
    }

    /** Counts the ranged reads of data packs, and flips one byte of the first {@code flips} of them on their way. */
    static final class PackReads extends ForwardingSink {
        final java.util.concurrent.atomic.AtomicInteger ranged = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger flips;
        final java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();

        PackReads(InMemorySink sink, int flips) {
            super(sink);
            this.flips = new java.util.concurrent.atomic.AtomicInteger(flips);
        }

        @Override
        public InputStream get(String name, long offset, long length) throws IOException {
            if (!name.startsWith("data/")) {
                return super.get(name, offset, length);
            }
            ranged.incrementAndGet();
            byte[] bytes = super.get(name, offset, length).readAllBytes();
            read.addAndGet(bytes.length);
            if (flips.getAndDecrement() > 0) {
                bytes[bytes.length / 2] ^= 0x40;
            }
            return new ByteArrayInputStream(bytes);
        }
    }

    /** 400 small files of random bytes: a directory of them fills a few packs. */
    static SampleSource smallFiles() {
        return smallFiles(400, 1000, 3000);
    }

    /** {@code count} files of random bytes, {@code min} to {@code min + spread} long, in one directory. */
    static SampleSource smallFiles(int count, int min, int spread) {
        SampleSource.Builder b = SampleSource.builder();
        java.util.Random random = new java.util.Random(9);
        for (int i = 0; i < count; i++) {
            byte[] content = new byte[min + random.nextInt(spread)];
            random.nextBytes(content);
            b.add(String.format("logs/f%05d.log", i), content);
        }
        return b.build();
    }

    /** A repository holding one snapshot of {@link #smallFiles()}. */
    private record SmallFiles(InMemorySink store, SampleSource files, String id) {
        static SmallFiles backedUp() {
            return backedUp(smallFiles());
        }

        static SmallFiles backedUp(SampleSource files) {
            InMemorySink store = new InMemorySink();
            return new SmallFiles(store, files, backup(Repository.init(store, small()), files).snapshotId());
        }

        /** Copies the snapshot out through {@code reads} and checks that the copy restores the files and verifies. */
        void copyThrough(PackReads reads) {
            Repository to = Repository.init(new InMemorySink(), small());
            Repository.open(reads).copyTo(to);
            assertThat(restore(to, id)).isEqualTo(files.digests());
            assertThat(to.verify(true).ok()).isTrue();
        }
    }

    @Test
    void small_files_are_read_many_blobs_a_request_not_one_request_each() {
        SmallFiles repo = SmallFiles.backedUp();
        PackReads reads = new PackReads(repo.store(), 0);

        repo.copyThrough(reads);

        // 400 blobs in a few 512 KiB packs: one request each was 400
        assertThat(reads.ranged.get()).isLessThan(400 / 20);
    }

    @Test
    void a_directory_of_more_files_than_are_batched_at_once_is_read_slice_by_slice() {
        SmallFiles repo = SmallFiles.backedUp(smallFiles(5000, 50, 200)); // more than CopyRun's slice of 4096
        PackReads reads = new PackReads(repo.store(), 0);

        repo.copyThrough(reads);

        assertThat(reads.ranged.get()).isLessThan(5000 / 100);
    }

    @Test
    void a_blob_damaged_on_its_way_in_a_read_of_many_is_read_again_alone_and_nothing_damaged_is_copied() {
        SmallFiles repo = SmallFiles.backedUp();
        PackReads reads = new PackReads(repo.store(), 1); // the first read of a pack arrives with one byte flipped

        repo.copyThrough(reads);

        assertThat(reads.flips.get()).isNegative();
    }

    @Test
    void single_object_snapshots_are_copied_as_objects_named_for_the_target_chain() {
        Repository from = Repository.init(new InMemorySink(), small().withLayout(Layout.SINGLE));
        SampleSource s = sample(3);
        String id = backup(from, s).snapshotId();
        InMemorySink toSink = new InMemorySink();
        Repository to = Repository.init(toSink, small().withLayout(Layout.SINGLE)
                .withTransformers(List.of(new GzipTransformer(6))));

        CopyResult result = from.copyTo(to);

        assertThat(result.objectsCopied()).isEqualTo(3);
        assertThat(toSink.objects().keySet()).contains("files/" + id + "/a.bin.gz");
        assertThat(restore(to, id)).isEqualTo(s.digests());
        assertThat(from.copyTo(to).transferredNothing()).isTrue();
    }

    /**
     * A stand-in encryption for the core's hook (the real OpenPGP one is in backup-crypto, which the testkit cannot
     * depend on): a real random HMAC key names blobs, as in every encrypted repository, and gzip stands in for the
     * cipher.
     */
    static final class KeyedIds implements RepositoryEncryption {
        @Override
        public String scheme() {
            return "test-keyed";
        }

        @Override
        public RepositoryKeys create(Context context) throws IOException {
            byte[] key = new byte[32];
            new java.security.SecureRandom().nextBytes(key);
            context.sink().put("keys/test", new ByteArrayInputStream(key), key.length, ObjectKind.KEY);
            return keys(key);
        }

        @Override
        public RepositoryKeys unlock(Context context) throws IOException {
            try (InputStream in = context.sink().get("keys/test")) {
                return keys(in.readAllBytes());
            }
        }

        private static RepositoryKeys keys(byte[] key) {
            return new RepositoryKeys(new GzipTransformer(1), new SecretKeySpec(key, "HmacSHA256"), Map.of());
        }
    }

    @Test
    void snapshots_copy_into_and_out_of_an_encrypted_repository_whose_blob_ids_are_keyed() {
        InMemorySink plainSink = new InMemorySink();
        Repository plain = Repository.init(plainSink, small());
        SampleSource s1 = sample(1);
        SampleSource s2 = sample(2);
        Snapshot first = plain.snapshot(SnapshotSelector.id(backup(plain, s1).snapshotId()));
        KeyedIds encryption = new KeyedIds();
        FaultInjectingSink encryptedSink = new FaultInjectingSink(new InMemorySink());
        Repository encrypted = Repository.init(encryptedSink, small(), encryption);

        CopyResult firstCopy = plain.copyTo(encrypted, List.of(first));
        String second = backup(plain, s2).snapshotId();
        CopyResult secondCopy = plain.copyTo(encrypted);

        Repository reopened = Repository.open(encryptedSink, encryption);
        assertThat(restore(reopened, first.id())).isEqualTo(s1.digests());
        assertThat(restore(reopened, second)).isEqualTo(s2.digests());
        assertThat(reopened.verify(true).ok()).isTrue();
        // shared.bin went with the first snapshot only, under its keyed id
        assertThat(secondCopy.bytesCopied()).isLessThan(firstCopy.bytesCopied() - 1024 * 1024);
        encryptedSink.resetCounts();
        assertThat(plain.copyTo(reopened).transferredNothing()).isTrue();
        assertThat(encryptedSink.puts()).isEmpty();

        Repository back = Repository.init(new InMemorySink(), small());
        reopened.copyTo(back);
        assertThat(restore(back, first.id())).isEqualTo(s1.digests());
        assertThat(restore(back, second)).isEqualTo(s2.digests());
        assertThat(back.verify(true).ok()).isTrue();
    }

    static SampleSource logs(int changed, boolean later) {
        return SampleSource.logs(changed, later);
    }

    @Test
    void a_later_copy_between_keyed_repositories_reads_only_what_changed_since_the_snapshot_copied_before() {
        KeyedIds encryption = new KeyedIds();
        InMemorySink fromStore = new InMemorySink();
        Repository from = Repository.init(fromStore, small(), encryption);
        SampleSource first = logs(-1, false);
        String firstId = backup(from, first).snapshotId();
        InMemorySink toStore = new InMemorySink();
        KeyedIds targetKeys = new KeyedIds(); // another key: other blob ids
        Repository to = Repository.init(toStore, small(), targetKeys);
        from.copyTo(to);
        SampleSource second = logs(7, true);
        String secondId = backup(from, second).snapshotId();

        PackReads reads = new PackReads(fromStore, 0);
        CopyResult copied = Repository.open(reads, encryption).copyTo(Repository.open(toStore, targetKeys));

        assertThat(copied.copied()).containsExactly(secondId);
        // the changed file and the new one (a few KiB, in the second backup's pack); without the snapshot copied
        // before, all 400 files (about a MiB) were read to learn their ids in the target
        assertThat(reads.read.get()).isLessThan(64 * 1024);
        Repository target = Repository.open(toStore, targetKeys);
        assertThat(restore(target, secondId)).isEqualTo(second.digests());
        assertThat(restore(target, firstId)).isEqualTo(first.digests());
        assertThat(target.verify(true).ok()).isTrue();
    }

    @Test
    void a_repository_cannot_be_copied_into_itself() {
        Repository repo = Repository.init(new InMemorySink(), small());
        assertThatThrownBy(() -> repo.copyTo(repo)).isInstanceOf(InvalidInputException.class).hasMessageContaining("itself");
    }
}
