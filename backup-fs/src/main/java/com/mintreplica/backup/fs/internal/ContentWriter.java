package com.mintreplica.backup.fs.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Writes a new file's content; when sparse, blocks of zeros (4 KiB, aligned in the file) are skipped instead of
 * written, so they stay holes that take no space, and the file's length is set at the end. Data blocks are written
 * in runs, one write per run.
 */
final class ContentWriter {
    static final int BLOCK = 4096;
    private static final byte[] ZEROS = new byte[BLOCK];

    private final FileChannel channel;
    private final boolean sparse;
    private long position;
    private long extent;

    ContentWriter(FileChannel channel, boolean sparse) {
        this.channel = channel;
        this.sparse = sparse;
    }

    void write(byte[] b, int off, int len) throws IOException {
        if (!sparse) {
            writeFully(b, off, len, position);
            position += len;
            extent = position;
            return;
        }
        int end = off + len;
        int runStart = -1;
        long runPosition = 0;
        int i = off;
        while (i < end) {
            int n = (int) Math.min(end - i, BLOCK - (position % BLOCK));
            boolean zero = Arrays.mismatch(b, i, i + n, ZEROS, 0, n) < 0;
            if (zero) {
                if (runStart >= 0) {
                    writeFully(b, runStart, i - runStart, runPosition);
                    runStart = -1;
                }
            } else if (runStart < 0) {
                runStart = i;
                runPosition = position;
            }
            i += n;
            position += n;
        }
        if (runStart >= 0) {
            writeFully(b, runStart, end - runStart, runPosition);
        }
    }

    /**
     * Writes {@code len} bytes at {@code at} in a new file, skipping aligned blocks of zeros when {@code sparse}: the
     * positional writes of a restore in pack order, which may come from several threads at once (a file channel's
     * positional writes do not share a position). Returns where the last byte written ends (before {@code at + len}
     * when the write ends in zeros skipped).
     */
    static long writeAt(FileChannel channel, long at, byte[] b, int off, int len, boolean sparse) throws IOException {
        ContentWriter w = new ContentWriter(channel, sparse);
        w.position = at;
        w.extent = at;
        w.write(b, off, len);
        return w.extent;
    }

    /** Sets the length when the content ends in a hole (one zero byte at the end). */
    void finish() throws IOException {
        if (position > extent) {
            writeFully(new byte[1], 0, 1, position - 1);
        }
    }

    /**
     * The most one write hands the channel. The JDK writes a heap array through a temporary direct buffer of the
     * request's size, which each thread caches and replaces by a new one (allocated, zeroed and faulted in page by page)
     * whenever a longer request comes: a restore's writers wrote blobs of varying length up to 8 MiB and more, and
     * those buffers were a large part of its page faults. At most 1 MiB a write, each thread keeps one buffer.
     */
    static final int MAX_WRITE = 1 << 20;

    private void writeFully(byte[] b, int off, int len, long at) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        int end = off + len;
        long p = at;
        while (buffer.hasRemaining()) {
            buffer.limit(Math.min(end, buffer.position() + MAX_WRITE));
            p += channel.write(buffer, p);
            buffer.limit(end);
        }
        extent = Math.max(extent, p);
    }
}
