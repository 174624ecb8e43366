package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How far a backup's reader reads ahead of its workers (BackupRun.readAhead). */
class ReadAheadTest {
    private static final int MIB = 1 << 20;

    @Test
    void four_average_chunks_a_worker_within_half_the_memory_budget() {
        assertThat(BackupRun.readAhead(128L * MIB, 8, MIB, 8 * MIB)).isEqualTo(32L * MIB);
        assertThat(BackupRun.readAhead(128L * MIB, 32, MIB, 8 * MIB)).as("capped at half the budget").isEqualTo(64L * MIB);
    }

    @Test
    void never_less_than_two_of_the_largest_chunks() {
        // The defaults on a 2-core machine (three workers): 12 MiB of average chunks, raised to two 8 MiB chunks.
        assertThat(BackupRun.readAhead(128L * MIB, 3, MIB, 8 * MIB)).isEqualTo(16L * MIB);
        assertThat(BackupRun.readAhead(1L * MIB, 1, 64 << 10, 256 << 10)).as("even above a tiny budget")
                .isEqualTo(512L << 10);
        assertThat(BackupRun.readAhead(128L * MIB, 0, MIB, 8 * MIB)).as("no worker counts as one").isEqualTo(16L * MIB);
    }
}
