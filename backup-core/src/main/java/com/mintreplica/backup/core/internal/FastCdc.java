package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Content-defined chunking after FastCDC (Xia et al., USENIX ATC 2016): a gear rolling hash, cut-point skipping up to
 * the minimum size, and normalized chunking (a harder mask before the average size, an easier one after), so that an
 * insertion moves only the chunk boundaries near it.
 *
 * <p>The mask tests the hash's high bits, which depend on the last 64 bytes, not the low bits, which depend on only the
 * last few. The gear table comes from a per-repository seed, so chunk boundaries (and sizes) reveal nothing that a
 * table shared by all repositories would.
 */
public final class FastCdc {
    private final int min;
    private final int avg;
    private final int max;
    private final long[] gear = new long[256];
    private final long maskSmall;
    private final long maskLarge;

    public FastCdc(int min, int avg, int max, long seed) {
        if (!(0 < min && min <= avg && avg <= max)) {
            throw new IllegalArgumentException("chunk sizes must satisfy 0 < min <= avg <= max: " + min + ", " + avg + ", " + max);
        }
        this.min = min;
        this.avg = avg;
        this.max = max;
        long state = seed;
        for (int i = 0; i < gear.length; i++) {
            // SplitMix64
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            gear[i] = z ^ (z >>> 31);
        }
        int bits = 63 - Long.numberOfLeadingZeros(Math.max(2, avg - min));
        this.maskSmall = highBits(bits + 1);
        this.maskLarge = highBits(bits - 1);
    }

    private static long highBits(int n) {
        return n <= 0 ? 0 : -1L << (64 - Math.min(n, 63));
    }

    /** The length of the first chunk of {@code data[offset, offset+length)}, where {@code length} may be the rest of the stream or at least {@code max}. */
    public int cut(byte[] data, int offset, int length) {
        if (length <= min) {
            return length;
        }
        int end = Math.min(length, max);
        int normal = Math.min(avg, end);
        long fp = 0;
        int i = min;
        long[] g = gear;
        for (; i < normal; i++) {
            fp = (fp << 1) + g[data[offset + i] & 0xff];
            if ((fp & maskSmall) == 0) {
                return i + 1;
            }
        }
        for (; i < end; i++) {
            fp = (fp << 1) + g[data[offset + i] & 0xff];
            if ((fp & maskLarge) == 0) {
                return i + 1;
            }
        }
        return end;
    }

    /**
     * A chunker for streams, one at a time: its buffer is reused for every stream, so a tree of many small files does
     * not allocate (and zero) a large buffer per file. The buffer starts small and grows (up to 2 x max) only as far
     * as a stream needs: a backup of small files, or an unchanged one that reads no file, does not hold (and make
     * resident) 16 MiB for the default 8 MiB chunk maximum.
     */
    public Stream newStream() {
        return new Stream(2 * max);
    }

    /**
     * A chunker for streams whose buffer grows to no more than {@code limit} bytes (at least max and a half). The
     * buffer keeps at least max bytes ahead of the next cut, so a smaller one is compacted more often: up to two bytes
     * moved per byte read at the smallest limit, against one at 2 x max. For a small heap (BackupRun.Budgets).
     */
    public Stream newStream(int limit) {
        return new Stream(Math.max(max + max / 2, Math.min(2 * max, limit)));
    }

    /** The first size of a {@link Stream}'s buffer. */
    static final int INITIAL_BUFFER = 256 * 1024;

    /** Chunks of one input stream at a time. Not thread-safe. */
    public final class Stream {
        private byte[] buffer;
        private InputStream in;
        private int start;
        private int end;
        private boolean eof;
        private final int limit;

        private Stream(int limit) {
            this.limit = limit;
            this.buffer = new byte[Math.min(limit, INITIAL_BUFFER)];
        }

        /** The buffer's current size (for tests). */
        int capacity() {
            return buffer.length;
        }

        /** Starts on the next stream; the previous one is abandoned. */
        public Stream reset(InputStream input) {
            this.in = input;
            this.start = 0;
            this.end = 0;
            this.eof = false;
            return this;
        }

        /** The next chunk, or {@code null} at the end of the stream. */
        public byte[] next() throws IOException {
            if (!eof && end - start < max) {
                fill();
            }
            int available = end - start;
            if (available == 0) {
                return null;
            }
            int n = cut(buffer, start, available);
            byte[] chunk = Arrays.copyOfRange(buffer, start, start + n);
            start += n;
            return chunk;
        }

        private void fill() throws IOException {
            // Compact only once the rest of the largest buffer could not hold max bytes ahead of the cut: each byte is
            // moved at most once on average with a buffer of 2 x max, twice with one of max and a half.
            if (start >= limit - max || (start > 0 && end == buffer.length)) {
                System.arraycopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            while (true) {
                if (end == buffer.length) {
                    if (buffer.length >= limit) {
                        return;
                    }
                    buffer = Arrays.copyOf(buffer, (int) Math.min(limit, 2L * buffer.length));
                }
                // At most 1 MiB per read: a file channel copies through a temporary direct buffer of the read's size.
                int n = in.read(buffer, end, Math.min(buffer.length - end, 1 << 20));
                if (n < 0) {
                    eof = true;
                    return;
                }
                end += n;
            }
        }
    }
}
