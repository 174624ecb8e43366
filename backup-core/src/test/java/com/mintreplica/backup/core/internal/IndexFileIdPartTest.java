package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The id part of an index object: its blob ids sorted in unsigned order, once each, whatever the order of its packs. */
class IndexFileIdPartTest {

    @Test
    void the_id_part_lists_the_ids_sorted_unsigned_and_once_each() {
        Random random = new Random(7);
        List<IndexFile.PackBlobs> packs = new ArrayList<>();
        TreeSet<BlobId> expected = new TreeSet<>();
        for (int p = 0; p < 5; p++) {
            List<Packs.PackedBlob> blobs = new ArrayList<>();
            BlobId pack = randomId(random);
            for (int b = 0; b < 700; b++) {
                BlobId id;
                if (b % 10 == 0 && !expected.isEmpty()) {
                    id = expected.first(); // a blob in two packs (an interrupted backup stored it twice)
                } else if (b % 10 == 1) {
                    byte[] raw = new byte[BlobId.LENGTH];
                    raw[BlobId.LENGTH - 1] = (byte) b; // ids that differ only in their last byte, some above 0x7f
                    id = BlobId.wrap(raw);
                } else {
                    id = randomId(random);
                }
                expected.add(id);
                blobs.add(new Packs.PackedBlob(id, new BlobLocation(pack, BlobType.DATA, b * 10, 10, 9)));
            }
            packs.add(new IndexFile.PackBlobs(pack, BlobType.DATA, blobs));
        }
        byte[] want = new byte[expected.size() * BlobId.LENGTH];
        int at = 0;
        for (BlobId id : expected) {
            System.arraycopy(id.raw(), 0, want, at, BlobId.LENGTH);
            at += BlobId.LENGTH;
        }

        assertThat(IndexFile.idPart(packs)).isEqualTo(want);
        assertThat(IndexFile.idPart("index/x", IndexFile.plaintext(packs))).isEqualTo(want);
        assertThat(IndexFile.idPart(List.of())).isEmpty();
    }

    /**
     * A backup writes an index object at each checkpoint, up to {@link Checkpoints#MAX_BLOBS} blobs, in whatever heap
     * its packs left: the id part of one takes the ids' bytes and its growth, not an object per id (a TreeSet of
     * BlobIds took some 120 bytes an id, and a writer's backup through a failing store ran out of heap there).
     */
    @Test
    void the_id_part_of_a_full_checkpoint_takes_little_more_heap_than_its_bytes() {
        Random random = new Random(8);
        BlobId pack = randomId(random);
        List<Packs.PackedBlob> blobs = new ArrayList<>();
        for (int b = 0; b < Checkpoints.MAX_BLOBS; b++) {
            blobs.add(new Packs.PackedBlob(randomId(random), new BlobLocation(pack, BlobType.DATA, b, 1, 1)));
        }
        byte[] plain = IndexFile.plaintext(List.of(new IndexFile.PackBlobs(pack, BlobType.DATA, blobs)));
        IndexFile.idPart("index/x", plain); // warm: classes loaded, code compiled
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        byte[] part = IndexFile.idPart("index/x", plain);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(part).hasSize(Checkpoints.MAX_BLOBS * BlobId.LENGTH);
        // the id part itself and the buffer it grew in (doubling): under 3 times its bytes
        assertThat(allocated).isLessThan(3L * part.length);
    }

    private static BlobId randomId(Random random) {
        byte[] raw = new byte[BlobId.LENGTH];
        random.nextBytes(raw);
        return BlobId.wrap(raw);
    }
}
