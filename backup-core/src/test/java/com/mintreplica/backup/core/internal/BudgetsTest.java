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
    void together_they_take_at_most_a_third_of_the_heap_shrinking_in_proportion_to_one_largest_chunk_each() {
        // A 144 MiB heap (the default memory budget is then 18 MiB): the floors came to 96 MiB, two thirds of it.
        BackupRun.Budgets b = defaults(18L * MIB, 3, 144L * MIB);
        assertThat(b.chunks() + b.dataPacks() + b.treePacks()).isLessThanOrEqualTo(48L * MIB);
        assertThat(b.dataPacks()).isEqualTo(24L * MIB);
        assertThat(b.treePacks()).isEqualTo(16L * MIB);
        assertThat(b.chunks()).isEqualTo(8L * MIB);
        BackupRun.Budgets tiny = defaults(16L * MIB, 3, 16L * MIB);
        assertThat(tiny).as("never below one largest chunk")
                .isEqualTo(new BackupRun.Budgets(8L * MIB, 8L * MIB, 8L * MIB));
        // A 288 MiB heap: the default memory budget of 36 MiB; the floors, 96 MiB, fit in a third of it.
        assertThat(defaults(36L * MIB, 3, 288L * MIB)).as("the defaults fit a 288 MiB heap unchanged")
                .isEqualTo(defaults(36L * MIB, 3, LARGE_HEAP));
    }
}
