package com.mintreplica.backup.storage.s3.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * How a ranged read resumes after its connection breaks. The connections here are streams over an array that throw
 * after a given number of bytes, as a connection reset does: no network is needed to count what the stream does.
 */
class ResumingInputStreamTest {
    private static final byte[] OBJECT = new byte[4 * 1024 * 1024];

    static {
        new Random(5).nextBytes(OBJECT);
    }

    /**
     * A connection serving {@code [from, end)} of {@link #OBJECT} that breaks after {@code breakAfter} bytes, unless
     * those were the last.
     */
    private static InputStream connection(long from, long end, int breakAfter) {
        return new InputStream() {
            private final InputStream in = new ByteArrayInputStream(OBJECT, (int) from, (int) (end - from));
            private int served;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served >= breakAfter && in.available() > 0) {
                    throw new SocketException("Connection reset");
                }
                int n = in.read(b, off, Math.min(len, breakAfter - served));
                if (n > 0) {
                    served += n;
                }
                return n;
            }
        };
    }

    @Test
    void a_long_read_through_a_connection_that_keeps_breaking_after_progress_reads_every_byte() throws IOException {
        // Every connection breaks after 32 KiB (a reset discards what the socket held, so a proxy that cuts after
        // 64 KiB delivers less): a read of 4 MiB breaks 127 times, each time after progress. It used to give up after
        // three breaks in all, however much each resumed connection had read (a restore through a store failing half
        // its requests failed that way).
        AtomicInteger opens = new AtomicInteger();
        int breakAfter = 32 * 1024;
        ResumingInputStream in = new ResumingInputStream(connection(0, OBJECT.length, breakAfter), 0, OBJECT.length,
                (from, end) -> {
                    opens.incrementAndGet();
                    return connection(from, end, breakAfter);
                }, 3);

        byte[] read = in.readAllBytes();

        assertThat(Arrays.equals(read, OBJECT)).isTrue();
        assertThat(in.resumes()).isEqualTo(127);
        assertThat(opens.get()).isEqualTo(127);
    }

    @Test
    void a_connection_that_breaks_again_before_a_resumed_read_makes_progress_fails_after_the_resumes_allowed() {
        // Each resumed connection breaks after 10 bytes: no real progress, so the read fails after three resumes in a
        // row instead of crawling through the object ten bytes a request.
        AtomicInteger opens = new AtomicInteger();
        ResumingInputStream in = new ResumingInputStream(connection(0, OBJECT.length, 1024 * 1024), 0, OBJECT.length,
                (from, end) -> {
                    opens.incrementAndGet();
                    return connection(from, end, 10);
                }, 3);

        assertThatThrownBy(in::readAllBytes).isInstanceOf(SocketException.class);
        assertThat(opens.get()).isEqualTo(3);
    }

    @Test
    void a_range_is_resumed_where_it_broke_and_ends_where_it_was_asked_to() throws IOException {
        int from = 1000;
        int end = 3 * 1024 * 1024 + 7;
        ResumingInputStream in = new ResumingInputStream(connection(from, end, 100_000), from, end,
                (f, e) -> connection(f, e, 700_000), 3);

        assertThat(Arrays.equals(in.readAllBytes(), Arrays.copyOfRange(OBJECT, from, end))).isTrue();
    }

    /**
     * A read closed before the end of its range is aborted: the SDK's stream, closed, reads the rest of the body to
     * keep its connection, and a restore stops a read that runs on to the end of what a pack's jobs need when no job
     * is left to go on with it. A read closed at its end is closed as before, its connection kept.
     */
    @Test
    void a_read_closed_before_its_end_is_aborted_and_one_read_to_its_end_is_closed() throws IOException {
        AbortableConnection early = new AbortableConnection(0, 1 << 20);
        ResumingInputStream.Opener resume = (f, e) -> connection(f, e, 1 << 30);
        try (ResumingInputStream in = new ResumingInputStream(early, 0, 1 << 20, resume, 3)) {
            assertThat(in.readNBytes(1000)).hasSize(1000);
        }
        assertThat(early.aborted).as("aborted").isTrue();

        AbortableConnection whole = new AbortableConnection(0, 1 << 20);
        try (ResumingInputStream in = new ResumingInputStream(whole, 0, 1 << 20, resume, 3)) {
            assertThat(in.readAllBytes()).hasSize(1 << 20);
        }
        assertThat(whole.aborted).as("aborted").isFalse();
        assertThat(whole.closed).as("closed").isTrue();
    }

    /** A connection serving {@code [from, end)} of {@link #OBJECT} that can be aborted, as the SDK's stream can. */
    private static final class AbortableConnection extends ByteArrayInputStream
            implements software.amazon.awssdk.http.Abortable {
        boolean aborted;
        boolean closed;

        AbortableConnection(int from, int end) {
            super(OBJECT, from, end - from);
        }

        @Override
        public void abort() {
            aborted = true;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
