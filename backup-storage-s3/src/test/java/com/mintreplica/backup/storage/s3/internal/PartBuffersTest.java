package com.mintreplica.backup.storage.s3.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartBuffersTest {
    private static final int PART = 8 << 20;

    /**
     * A pack smaller than a part, of known length (every pack a backup uploads): read into one array of its length.
     * The buffer was one byte longer, then copied: twice the pack for a moment, beside every other upload's.
     */
    @Test
    void an_object_of_known_length_is_read_into_one_array_of_that_length() throws Exception {
        byte[] pack = new byte[3 << 20];
        new Random(1).nextBytes(pack);
        PartBuffers.readUpTo(new ByteArrayInputStream(pack), PART, pack.length); // warm
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ByteArrayInputStream in = new ByteArrayInputStream(pack);
        long before = threads.getCurrentThreadAllocatedBytes();
        byte[] read = PartBuffers.readUpTo(in, PART, pack.length);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(read).isEqualTo(pack);
        assertThat(allocated).isLessThan(pack.length + 64 * 1024);
    }

    @Test
    void a_stream_longer_or_shorter_than_said_reads_what_it_holds_up_to_a_part() throws Exception {
        byte[] content = new byte[100_000];
        new Random(2).nextBytes(content);

        assertThat(PartBuffers.readUpTo(new ByteArrayInputStream(content), PART, 60_000)).isEqualTo(content);
        assertThat(PartBuffers.readUpTo(new ByteArrayInputStream(content), 80_000, 60_000))
                .isEqualTo(Arrays.copyOf(content, 80_000));
        assertThat(PartBuffers.readUpTo(new ByteArrayInputStream(content), PART, 150_000)).isEqualTo(content);
        assertThat(PartBuffers.readUpTo(new ByteArrayInputStream(content), 50_000, 150_000))
                .isEqualTo(Arrays.copyOf(content, 50_000));
        assertThat(PartBuffers.readUpTo(new ByteArrayInputStream(new byte[0]), PART, 0)).isEmpty();
        assertThat(PartBuffers.readUpTo(new ByteArrayInputStream(content), PART)).isEqualTo(content);
    }
}
