package com.mintreplica.backup.storage.s3.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The part pipeline of multipart uploads: parallel, bounded, in order, and clean on failure. */
class MultipartWriterTest {
    private static final int PART = 1024;
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i / PART);
        }
        return b;
    }

    @Test
    void parts_upload_in_parallel_but_never_more_than_the_permits_allow_and_come_back_in_order() throws IOException {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Semaphore permits = new Semaphore(3);
        byte[] data = bytes(20 * PART + 100);
        InputStream in = new ByteArrayInputStream(data);
        permits.acquireUninterruptibly();   // the caller holds a permit for the first part
        byte[] first = PartBuffers.readUpTo(in, PART);

        // Part 1 does not finish before part 2 has started: so the parts overlap whatever the machine's speed (a pause
        // alone made the overlap likely, not certain). A writer that uploaded one part at a time would wait here in vain.
        CountDownLatch secondStarted = new CountDownLatch(1);
        AtomicBoolean overlapped = new AtomicBoolean();
        List<String> parts = new MultipartWriter<String>(pool, permits, PART).write(first, in, -1, (number, part) -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                if (number == 2) {
                    secondStarted.countDown();
                }
                if (number == 1) {
                    overlapped.set(secondStarted.await(60, TimeUnit.SECONDS));
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
            return number + ":" + part.length + ":" + part[0];
        });
        assertThat(overlapped).as("part 2 was uploading while part 1 was").isTrue();

        assertThat(parts).hasSize(21);
        for (int i = 0; i < 20; i++) {
            assertThat(parts.get(i)).isEqualTo((i + 1) + ":" + PART + ":" + i);
        }
        assertThat(parts.get(20)).isEqualTo("21:100:20");
        assertThat(most.get()).isBetween(2, 3);
        assertThat(permits.availablePermits()).isEqualTo(3);
    }

    @Test
    void part_buffers_never_outnumber_the_permits_whatever_the_number_of_concurrent_uploads() throws Exception {
        Semaphore permits = new Semaphore(2);
        AtomicInteger buffers = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<java.util.concurrent.Future<?>> uploads = new java.util.ArrayList<>();
        ExecutorService callers = Executors.newFixedThreadPool(5);
        try {
            for (int u = 0; u < 5; u++) {
                uploads.add(callers.submit(() -> {
                    InputStream in = new ByteArrayInputStream(bytes(6 * PART)) {
                        @Override
                        public synchronized int read(byte[] b, int off, int len) {
                            // a part buffer is being filled: it exists from here until its upload ends
                            int n = super.read(b, off, len);
                            if (off == 0 && n > 0) {
                                most.accumulateAndGet(buffers.incrementAndGet(), Math::max);
                            }
                            return n;
                        }
                    };
                    permits.acquireUninterruptibly();
                    byte[] first = PartBuffers.readUpTo(in, PART, 5 * PART);
                    return new MultipartWriter<Integer>(pool, permits, PART).write(first, in, 5 * PART, (n, part) -> {
                        try {
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        buffers.decrementAndGet();
                        return n;
                    });
                }));
            }
            for (var f : uploads) {
                assertThat((List<?>) f.get()).hasSize(6);
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(most.get()).isLessThanOrEqualTo(2);
        assertThat(permits.availablePermits()).isEqualTo(2);
    }

    @Test
    void a_failed_part_stops_reading_waits_for_the_others_and_gives_every_permit_back() {
        Semaphore permits = new Semaphore(2);
        AtomicInteger read = new AtomicInteger();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                read.incrementAndGet();
                return 1;
            }
        };
        permits.acquireUninterruptibly();
        assertThatThrownBy(() -> new MultipartWriter<Integer>(pool, permits, PART).write(new byte[PART], endless, -1, (n, part) -> {
            if (n == 3) {
                throw new IOException("part 3 failed");
            }
            return n;
        })).isInstanceOf(IOException.class).hasMessage("part 3 failed");
        assertThat(permits.availablePermits()).isEqualTo(2);
        assertThat(read.get()).isLessThan(100 * PART);
    }
}
