package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** zstd into a per-thread buffer: standard frames, the buffer reused, and a big input's buffer not kept. */
class ZstdScratchTest {
    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void frames_decode_and_the_buffer_is_reused_by_the_next_call() {
        ZstdScratch scratch = ZstdScratch.forLevel(3);
        byte[] data = random(1 << 20);
        ZstdScratch.Output first = scratch.compress(data, 5, data.length - 5);
        assertThat(Zstd.decompress(Arrays.copyOf(first.buffer(), first.length()), data.length - 5))
                .isEqualTo(Arrays.copyOfRange(data, 5, data.length));
        ZstdScratch.Output second = scratch.compress(data, 0, 1000);
        assertThat(second.buffer()).isSameAs(first.buffer());
        assertThat(Zstd.decompress(Arrays.copyOf(second.buffer(), second.length()), 1000))
                .isEqualTo(Arrays.copyOf(data, 1000));
    }

    @Test
    void an_input_larger_than_a_chunk_gets_a_buffer_the_thread_does_not_keep() {
        ZstdScratch scratch = ZstdScratch.forLevel(3);
        byte[] big = random(ZstdScratch.KEEP_MAX + 1);
        ZstdScratch.Output large = scratch.compress(big, 0, big.length);
        assertThat(Zstd.decompress(Arrays.copyOf(large.buffer(), large.length()), big.length)).isEqualTo(big);
        ZstdScratch.Output small = scratch.compress(big, 0, 4096);
        assertThat(small.buffer()).isNotSameAs(large.buffer());
        assertThat(small.buffer().length).isLessThanOrEqualTo(ZstdScratch.KEEP_MAX);
    }

    @Test
    void a_thread_keeps_no_more_than_a_sixty_fourth_of_the_heap_between_one_and_sixteen_MiB() {
        assertThat(ZstdScratch.keepMax(6L << 30)).as("a large heap: the largest default chunk").isEqualTo(16 << 20);
        assertThat(ZstdScratch.keepMax(256L << 20)).as("a 256 MiB heap").isEqualTo(4 << 20);
        assertThat(ZstdScratch.keepMax(64L << 20)).as("a 64 MiB heap").isEqualTo(1 << 20);
        assertThat(ZstdScratch.keepMax(8L << 20)).as("never below 1 MiB").isEqualTo(1 << 20);
    }
}
