package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Reads healed after damage in transit are said three times in full, then as a count at 10, 100, 1,000, ...: a copy
 * through a store that flips bytes in one download of ten said it hundreds of times, a line each.
 */
class TransitDamageTest {
    @Test
    void the_first_three_in_full_then_a_count_at_each_tenfold() {
        long[] said = LongStream.rangeClosed(1, 100_000)
                .filter(n -> TransitDamage.saidInFull(n) || TransitDamage.counted(n)).toArray();
        assertThat(said).containsExactly(1, 2, 3, 10, 100, 1_000, 10_000, 100_000);
    }

    @Test
    void each_one_is_counted() {
        long before = TransitDamage.count();
        TransitDamage.healed("blob x arrived damaged and read intact (a test)");
        assertThat(TransitDamage.count()).isEqualTo(before + 1);
    }
}
