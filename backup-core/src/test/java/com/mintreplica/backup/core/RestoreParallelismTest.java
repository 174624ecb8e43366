package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many blobs a restore reads at once by default: by the processors, within what the heap holds. */
class RestoreParallelismTest {
    private static final long MIB = 1 << 20;

    @Test
    void twice_the_processors_and_at_least_four_in_a_large_heap() {
        assertThat(Restore.defaultParallelism(2, 6L << 30)).isEqualTo(4);
        assertThat(Restore.defaultParallelism(8, 6L << 30)).isEqualTo(16);
        assertThat(Restore.defaultParallelism(2, 256 * MIB)).as("the bench's -Xmx256m").isEqualTo(4);
    }

    @Test
    void one_reader_per_24_MiB_of_a_small_heap_and_at_least_two() {
        assertThat(Restore.defaultParallelism(2, 96 * MIB)).isEqualTo(4);
        assertThat(Restore.defaultParallelism(2, 61 * MIB)).as("-Xmx64m").isEqualTo(2);
        assertThat(Restore.defaultParallelism(16, 72 * MIB)).isEqualTo(3);
        assertThat(Restore.defaultParallelism(2, 16 * MIB)).isEqualTo(2);
    }
}
