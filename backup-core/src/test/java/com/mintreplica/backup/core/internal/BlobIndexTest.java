package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The compact index: the same answers as a map of objects, in a fraction of the heap. */
class BlobIndexTest {

    private static BlobId randomId(Random random) {
        byte[] id = new byte[BlobId.LENGTH];
        random.nextBytes(id);
        return BlobId.wrap(id);
    }

    /** Index objects of {@code packs} packs of {@code perPack} random blobs each, half of them tree packs. */
    private static List<IndexFile.PackBlobs> packs(Random random, int packs, int perPack) {
        List<IndexFile.PackBlobs> out = new ArrayList<>();
        for (int p = 0; p < packs; p++) {
            BlobId pack = randomId(random);
            BlobType type = p % 2 == 0 ? BlobType.DATA : BlobType.TREE;
            List<Packs.PackedBlob> blobs = new ArrayList<>();
            for (int b = 0; b < perPack; b++) {
                blobs.add(new Packs.PackedBlob(randomId(random),
                        new BlobLocation(pack, type, b * 1000, 1000 - b % 7, 2000 + b)));
            }
            out.add(new IndexFile.PackBlobs(pack, type, blobs));
        }
        return out;
    }

    @Test
    void finds_every_blob_where_its_index_object_says_and_nothing_else() {
        Random random = new Random(1);
        BlobIndex index = new BlobIndex();
        Map<BlobId, BlobLocation> expected = new HashMap<>();
        // loaded at once, as Store loads the index objects it lists
        BlobIndex.Builder builder = index.builder(10);
        for (int object = 0; object < 3; object++) {
            List<IndexFile.PackBlobs> packs = packs(random, 20, 150);
            byte[] plain = IndexFile.plaintext(packs);
            IndexFile.read("index/" + object, plain, builder);
            builder.indexObject("index/" + object);
            packs.forEach(p -> p.blobs().forEach(b -> expected.put(b.id(), b.location())));
        }
        builder.finishInto();
        // then added one by one, as a copy adds what it wrote
        for (int object = 3; object < 12; object++) {
            List<IndexFile.PackBlobs> packs = packs(random, 3, 40 * object);
            index.add("index/" + object, packs);
            packs.forEach(p -> p.blobs().forEach(b -> expected.put(b.id(), b.location())));
        }
        assertThat(index.size()).isEqualTo(expected.size());
        expected.forEach((id, location) -> {
            assertThat(index.find(id)).contains(location);
            assertThat(index.contains(id)).isTrue();
        });
        for (int i = 0; i < 1000; i++) {
            BlobId unknown = randomId(random);
            assertThat(index.find(unknown)).isEmpty();
            assertThat(index.contains(unknown)).isFalse();
        }
        assertThat(index.indexObjects()).hasSize(12);
        assertThat(index.packs()).hasSize(60 + 27);
        assertThat(index.runs()).as("runs of similar size are merged").isLessThanOrEqualTo(5);
    }

    /**
     * The search interpolates on the ids' first word, as hashes are spread evenly; ids that are not (a shared first
     * word, clusters, the extremes of the range, neighbours of present ids) are still found exactly, or not at all.
     */
    @Test
    void ids_not_spread_evenly_are_found_exactly() {
        Random random = new Random(5);
        BlobId pack = randomId(random);
        List<Packs.PackedBlob> blobs = new ArrayList<>();
        List<BlobId> absent = new ArrayList<>();
        java.util.function.BiConsumer<byte[], Boolean> put = (bytes, present) -> {
            if (present) {
                blobs.add(new Packs.PackedBlob(BlobId.wrap(bytes), new BlobLocation(pack, BlobType.DATA,
                        blobs.size() * 10, 10, 20)));
            } else {
                absent.add(BlobId.wrap(bytes));
            }
        };
        for (int i = 0; i < 3000; i++) {
            byte[] id = new byte[BlobId.LENGTH];
            random.nextBytes(id);
            switch (i % 5) {
                case 0 -> java.util.Arrays.fill(id, 0, 8, (byte) 0x42); // one first word for many ids
                case 1 -> java.util.Arrays.fill(id, 0, 7, (byte) 0); // crowded near the lowest ids
                case 2 -> java.util.Arrays.fill(id, 0, 7, (byte) 0xff); // and near the highest
                case 3 -> id[0] = (byte) (i % 3); // a few clusters
                default -> { } // spread
            }
            put.accept(id, i % 4 != 0);
        }
        byte[] lowest = new byte[BlobId.LENGTH];
        byte[] highest = new byte[BlobId.LENGTH];
        java.util.Arrays.fill(highest, (byte) 0xff);
        put.accept(lowest, true);
        put.accept(highest, true);
        byte[] nearLowest = lowest.clone();
        nearLowest[BlobId.LENGTH - 1] = 1;
        put.accept(nearLowest, false);
        BlobIndex index = new BlobIndex();
        index.add("index/0", List.of(new IndexFile.PackBlobs(pack, BlobType.DATA, blobs)));
        for (Packs.PackedBlob b : blobs) {
            assertThat(index.find(b.id())).as("blob %s", b.id()).contains(b.location());
        }
        for (BlobId id : absent) {
            assertThat(index.find(id)).as("absent blob %s", id).isEmpty();
            assertThat(index.contains(id)).isFalse();
        }
    }

    @Test
    void a_blob_in_two_packs_is_found_in_one_of_them() {
        Random random = new Random(2);
        BlobId blob = randomId(random);
        BlobId first = randomId(random);
        BlobId second = randomId(random);
        BlobLocation one = new BlobLocation(first, BlobType.DATA, 0, 10, 10);
        BlobLocation two = new BlobLocation(second, BlobType.DATA, 100, 10, 10);
        BlobIndex index = new BlobIndex();
        // a repacked blob is listed by the old pack and the new one until prune deletes the old
        index.add("index/a", List.of(new IndexFile.PackBlobs(first, BlobType.DATA, List.of(new Packs.PackedBlob(blob, one))),
                new IndexFile.PackBlobs(second, BlobType.DATA, List.of(new Packs.PackedBlob(blob, two)))));
        assertThat(index.find(blob)).hasValueSatisfying(l -> assertThat(l).isIn(one, two));
        assertThat(index.size()).isEqualTo(1);
        index.add("index/b", List.of(new IndexFile.PackBlobs(second, BlobType.DATA, List.of(new Packs.PackedBlob(blob, two)))));
        assertThat(index.find(blob)).hasValueSatisfying(l -> assertThat(l).isIn(one, two));
    }

    @Test
    void a_blob_costs_less_than_56_bytes_of_heap_against_about_150_in_a_map() {
        Random random = new Random(3);
        int blobs = 200_000;
        BlobIndex index = new BlobIndex();
        List<IndexFile.PackBlobs> packs = packs(random, 100, blobs / 100);
        long stored = IndexFile.plaintext(packs).length;
        // sized from the stored index objects as Store does, then filled
        BlobIndex.Builder builder = index.builder((int) (stored / IndexFile.BYTES_PER_BLOB));
        IndexFile.read("index/x", IndexFile.plaintext(packs), builder);
        builder.finishInto();
        assertThat(index.size()).isEqualTo(blobs);
        double perBlob = (double) index.estimatedBytes() / blobs;
        // 32 bytes of id and four ints: 48, plus the pack table
        assertThat(perBlob).as("bytes of heap per blob").isLessThan(56.0).isGreaterThanOrEqualTo(48.0);
    }

    @Test
    void index_objects_of_format_version_1_read_as_data_packs() throws Exception {
        Random random = new Random(4);
        BlobId pack = randomId(random);
        BlobId blob = randomId(random);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.write(new byte[] {'M', 'B', 'I', '1'});
            out.writeInt(1);
            out.write(pack.bytes());
            out.writeInt(1);
            out.write(blob.bytes());
            out.writeInt(7);
            out.writeInt(8);
            out.writeInt(9);
        }
        List<IndexFile.PackBlobs> parsed = IndexFile.parse("index/v1", bytes.toByteArray());
        assertThat(parsed).hasSize(1);
        assertThat(parsed.get(0).type()).isEqualTo(BlobType.DATA);
        assertThat(parsed.get(0).blobs().get(0).location()).isEqualTo(new BlobLocation(pack, BlobType.DATA, 7, 8, 9));
        assertThat(parsed.get(0).blobs().get(0).location().packObject()).startsWith("data/");
    }
}
