package com.mintreplica.backup.core.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ranged read of a local object goes to the channel at most {@link LocalDirectorySink#MAX_READ} bytes at a time: the
 * JDK reads a heap array through a temporary direct buffer of the request's size, cached by the thread, and a restore's
 * readers asked for ranges of up to 16 MiB (each longer request allocated, zeroed and faulted in a new one).
 */
class LocalDirectorySinkRangeReadTest {
    @TempDir
    Path dir;

    @Test
    void a_long_range_is_read_in_reads_of_at_most_a_mebibyte_through_one_small_direct_buffer() throws Exception {
        byte[] content = new byte[12 << 20];
        new Random(3).nextBytes(content);
        LocalDirectorySink sink = new LocalDirectorySink(dir);
        sink.put("data/pack", new ByteArrayInputStream(content), content.length, ObjectKind.DATA);
        long offset = 123_457;
        int length = 10 << 20;

        AtomicReference<byte[]> read = new AtomicReference<>();
        AtomicLong firstRead = new AtomicLong();
        long held = directBytesHeldWhile(() -> {
            try (InputStream in = sink.get("data/pack", offset, length)) {
                byte[] b = new byte[length];
                firstRead.set(in.read(b, 0, length));
                int n = (int) firstRead.get();
                n += in.readNBytes(b, n, length - n);
                assertThat(n).isEqualTo(length);
                assertThat(in.read()).isEqualTo(-1);
                read.set(b);
            }
        });

        assertThat(read.get()).isEqualTo(Arrays.copyOfRange(content, (int) offset, (int) offset + length));
        assertThat(firstRead.get()).isEqualTo(LocalDirectorySink.MAX_READ);
        // one buffer of MAX_READ (a read of the whole range held 10 MiB); the margin is for other threads of this JVM
        assertThat(held).as("direct buffer bytes the reading thread held").isLessThan(length / 4);
    }

    interface Body {
        void run() throws Exception;
    }

    /** The direct buffer capacity {@code body} added, measured in a thread of its own before that thread ends. */
    static long directBytesHeldWhile(Body body) throws Exception {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        AtomicLong held = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            long before = direct.getTotalCapacity();
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
            held.set(direct.getTotalCapacity() - before); // the thread's cached temporary buffers are freed as it ends
        });
        t.start();
        t.join(60_000);
        assertThat(t.isAlive()).isFalse();
        if (failure.get() instanceof Exception e) {
            throw e;
        } else if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return held.get();
    }
}
