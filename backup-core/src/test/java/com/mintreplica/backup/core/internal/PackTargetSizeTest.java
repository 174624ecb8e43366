package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

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
}
