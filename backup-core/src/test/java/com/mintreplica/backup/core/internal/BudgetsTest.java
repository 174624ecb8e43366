package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The budgets of a backup run (BackupRun.Budgets): how far the reader reads ahead, and what a small heap changes. */
class BudgetsTest {
    private static final int MIB = 1 << 20;
    private static final long LARGE_HEAP = 6L << 30;

    private static BackupRun.Budgets defaults(long memoryBudget, int workers, long maxHeap) {
        return BackupRun.Budgets.of(memoryBudget, workers, MIB, 8 * MIB, 16 * MIB, maxHeap);
    }

    @Test
    void the_reader_reads_ahead_four_average_chunks_a_worker_within_half_the_memory_budget() {
        assertThat(defaults(128L * MIB, 8, LARGE_HEAP).chunks()).isEqualTo(32L * MIB);
        assertThat(defaults(128L * MIB, 32, LARGE_HEAP).chunks()).as("capped at half the budget").isEqualTo(64L * MIB);
    }

    @Test
    void the_reader_reads_ahead_no_less_than_two_of_the_largest_chunks() {
        // The defaults on a 2-core machine (three workers): 12 MiB of average chunks, raised to two 8 MiB chunks.
        assertThat(defaults(128L * MIB, 3, LARGE_HEAP).chunks()).isEqualTo(16L * MIB);
        assertThat(BackupRun.Budgets.of(MIB, 1, 64 << 10, 256 << 10, MIB, LARGE_HEAP).chunks())
                .as("even above a tiny budget").isEqualTo(512L << 10);
        assertThat(defaults(128L * MIB, 0, LARGE_HEAP).chunks()).as("no worker counts as one").isEqualTo(16L * MIB);
    }

    @Test
    void in_a_large_heap_the_pack_budgets_are_the_memory_budget_with_floors_of_two_packs() {
        BackupRun.Budgets b = defaults(128L * MIB, 3, LARGE_HEAP);
        assertThat(b.dataPacks()).isEqualTo(128L * MIB);
        assertThat(b.treePacks()).isEqualTo(32L * MIB);
        BackupRun.Budgets small = defaults(16L * MIB, 3, LARGE_HEAP);
        assertThat(small.dataPacks()).as("two packs and two chunks").isEqualTo(48L * MIB);
        assertThat(small.treePacks()).as("two tree packs").isEqualTo(32L * MIB);
        assertThat(defaults(16L * MIB, 3, Long.MAX_VALUE)).as("no heap limit").isEqualTo(small);
    }

    @Test
    void the_chunkers_buffer_is_two_largest_chunks_in_a_heap_of_eight_times_that_and_down_to_one_and_a_half() {
        assertThat(defaults(128L * MIB, 3, LARGE_HEAP).chunker()).isEqualTo(16 * MIB);
        assertThat(defaults(16L * MIB, 3, 128L * MIB).chunker()).isEqualTo(16 * MIB);
        assertThat(defaults(16L * MIB, 3, 112L * MIB).chunker()).as("an eighth of the heap").isEqualTo(14 * MIB);
        assertThat(defaults(16L * MIB, 3, 64L * MIB).chunker()).isEqualTo(12 * MIB);
        assertThat(defaults(16L * MIB, 3, 16L * MIB).chunker()).isEqualTo(12 * MIB);
    }

    @Test
    void the_workers_encodings_take_twice_the_largest_chunk_each_within_the_memory_budget() {
        assertThat(defaults(128L * MIB, 3, LARGE_HEAP).encodings()).as("three workers").isEqualTo(48L * MIB);
        assertThat(defaults(128L * MIB, 32, LARGE_HEAP).encodings()).as("capped at the memory budget")
                .isEqualTo(128L * MIB);
        assertThat(defaults(MIB, 3, LARGE_HEAP).encodings()).as("never below one largest chunk's encoding")
                .isEqualTo(16L * MIB);
        assertThat(BackupRun.Budgets.of(1, 4, 512, 4096, 8192, LARGE_HEAP).encodings())
                .as("a tiny memory budget: one largest chunk's encoding at a time").isEqualTo(8192);
    }

    @Test
    void together_they_take_at_most_two_fifths_of_the_heap_less_the_chunkers_buffer_shrinking_to_one_average_chunk_each() {
        // A 160 MiB heap (the default memory budget is then 20 MiB): the floors came to 116 MiB, nearly three quarters.
        BackupRun.Budgets b = defaults(20L * MIB, 3, 160L * MIB);
        assertThat(b.chunks() + b.dataPacks() + b.treePacks() + b.encodings()).isLessThanOrEqualTo(64L * MIB - 16L * MIB);
        double scale = 48.0 / 116;
        assertThat(b.chunks()).isEqualTo((long) (16L * MIB * scale));
        assertThat(b.dataPacks()).isEqualTo((long) (48L * MIB * scale));
        assertThat(b.treePacks()).isEqualTo((long) (32L * MIB * scale));
        assertThat(b.encodings()).isEqualTo((long) (20L * MIB * scale));
        // A 60 MiB heap: 12 MiB for the four budgets beside the chunker's 12 MiB buffer.
        BackupRun.Budgets small = defaults(16L * MIB, 3, 60L * MIB);
        assertThat(small.chunker()).as("one and a half largest chunks").isEqualTo(12 * MIB);
        assertThat(small.chunks() + small.dataPacks() + small.treePacks() + small.encodings())
                .isLessThanOrEqualTo(12L * MIB);
        assertThat(small.dataPacks()).as("packs of about 5 MiB").isEqualTo((long) (48L * MIB * (12.0 / 112)));
        assertThat(small.encodings()).as("a chunk and a half").isEqualTo((long) (16L * MIB * (12.0 / 112)));
        BackupRun.Budgets tiny = defaults(16L * MIB, 3, 16L * MIB);
        assertThat(tiny).as("never below one average chunk")
                .isEqualTo(new BackupRun.Budgets(MIB, MIB, MIB, MIB, 12 * MIB));
        // A 420 MiB heap: the default memory budget of 52.5 MiB; the floors, 148.5 MiB, fit in two fifths less 16 MiB.
        assertThat(defaults(420L * MIB / 8, 3, 420L * MIB)).as("the defaults fit a 420 MiB heap unchanged")
                .isEqualTo(defaults(420L * MIB / 8, 3, LARGE_HEAP));
        assertThat(defaults(400L * MIB / 8, 3, 400L * MIB)).as("but not a 400 MiB heap")
                .isNotEqualTo(defaults(400L * MIB / 8, 3, LARGE_HEAP));
    }
}
