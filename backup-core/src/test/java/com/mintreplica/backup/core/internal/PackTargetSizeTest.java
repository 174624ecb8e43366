package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A copy and prune's repacking hold their open packs whole: in a small heap they are cut shorter than the repository's
 * pack size.
 */
class PackTargetSizeTest {
    private static final int MIB = 1 << 20;

    @Test
    void packs_held_whole_are_cut_at_a_twelfth_of_the_heap_and_never_above_the_repositorys_size() {
        assertThat(PackWriter.targetSize(16 * MIB, 64L * MIB)).isEqualTo((int) (64L * MIB / 12));
        assertThat(PackWriter.targetSize(16 * MIB, 192L * MIB)).isEqualTo(16 * MIB);
        assertThat(PackWriter.targetSize(16 * MIB, 6L << 30)).as("a large heap: the target's size").isEqualTo(16 * MIB);
        assertThat(PackWriter.targetSize(4 * MIB, 6L << 30)).isEqualTo(4 * MIB);
        assertThat(PackWriter.targetSize(16 * MIB, 4L * MIB)).as("never under 1 MiB").isEqualTo(MIB);
    }

    /**
     * Tiny blobs (files of a few bytes) fill a pack by count long before its size: each costs some 250 bytes of heap
     * beside its bytes while its pack is held, and a copy of 300,000 such files needed 192 MiB. A pack is cut at
     * {@link PackWriter#MAX_BLOBS} blobs, and the pack reads back with every one of them.
     */
    @Test
    void a_pack_of_tiny_blobs_is_cut_at_a_count_and_reads_back_whole() throws Exception {
        Codec codec = new Codec(List.of());
        PackWriter writer = new PackWriter(codec, 16 * MIB);
        Optional<PackWriter.Pack> full = Optional.empty();
        int added = 0;
        while (full.isEmpty()) {
            byte[] plain = ("file " + added + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            full = writer.add(codec.blobId(plain), codec.encode(plain), plain.length);
            added++;
        }
        assertThat(added).isEqualTo(PackWriter.MAX_BLOBS);
        PackWriter.Pack pack = full.get();
        assertThat(pack.size()).isLessThan(MIB);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (byte[] part : pack.parts()) {
            bytes.write(part);
        }
        List<Packs.PackedBlob> read = Packs.parse(pack.id(), bytes.toByteArray(), codec);
        assertThat(read).hasSize(PackWriter.MAX_BLOBS).isEqualTo(pack.blobs());
        assertThat(writer.flush()).as("nothing left in the writer").isEmpty();
        // a blob that reaches the size first still cuts the pack by size
        PackWriter small = new PackWriter(codec, 1000);
        assertThat(small.add(codec.blobId(new byte[600]), codec.encode(new byte[600]), 600)).isEmpty();
        assertThat(small.add(codec.blobId(new byte[500]), codec.encode(new byte[500]), 500)).isPresent();
    }
}
