package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A copy holds its open packs whole: in a small heap they are cut shorter than the target's pack size. */
class CopyPackSizeTest {
    private static final int MIB = 1 << 20;

    @Test
    void a_copy_cuts_its_packs_at_a_twelfth_of_the_heap_and_never_above_the_targets_size() {
        assertThat(CopyRun.packSize(16 * MIB, 64L * MIB)).isEqualTo((int) (64L * MIB / 12));
        assertThat(CopyRun.packSize(16 * MIB, 192L * MIB)).isEqualTo(16 * MIB);
        assertThat(CopyRun.packSize(16 * MIB, 6L << 30)).as("a large heap: the target's size").isEqualTo(16 * MIB);
        assertThat(CopyRun.packSize(4 * MIB, 6L << 30)).isEqualTo(4 * MIB);
        assertThat(CopyRun.packSize(16 * MIB, 4L * MIB)).as("never under 1 MiB").isEqualTo(MIB);
    }
}
