package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Bytes kept in a temporary file instead of the heap, written once from the start and then read back at any offset:
 * the plaintext of a large listing while a restore, {@code ls} or verify walks it ({@link TreeFormat}). Held in the
 * heap, a listing took some 360 bytes an entry, and a directory of 300,000 files did not restore in 192 MiB. A
 * backup keeps two more of a large directory here: the records of its parent listing ({@link ParentTree}) and the
 * compressed form of its new listing until it is known to be new ({@link Codec.Streamed}).
 *
 * <p>The file is unlinked as soon as it is open, so a process that is killed leaves nothing behind; its space is given
 * back when the channel closes, which {@link #close} or, once these bytes are unreachable, a cleaner does. Reads go
 * through two windows, so two walks over the same listing at different places (a restore's walk ahead and its planning
 * walk) each read the file a window at a time. Thread-safe.
 */
final class SpooledBytes implements AutoCloseable {
    private static final int WINDOW = 32 << 10;

    private final FileChannel channel;
    private final Cleaner.Cleanable cleanable;
    private final ByteBuffer pending = ByteBuffer.allocate(WINDOW);
    private long length;
    private IOException failure;
    private final byte[][] windows = {new byte[WINDOW], new byte[WINDOW]};
    private final long[] windowStart = {-1, -1};
    private final int[] windowLength = {0, 0};
    private int recent;

    /**
     * At most this many spools are open at once: each holds a file descriptor until it is closed or found unreachable,
     * which the collector may take its time over; past it, a listing is held in memory as before.
     */
    static final int MAX_OPEN = 32;
    private static final java.util.concurrent.atomic.AtomicInteger OPEN = new java.util.concurrent.atomic.AtomicInteger();

    private SpooledBytes(FileChannel channel) {
        this.channel = channel;
        this.cleanable = Cleaners.INSTANCE.register(this, new Closer(channel));
    }

    /** One cleaner thread for all spools, started on first use. */
    private static final class Cleaners {
        static final Cleaner INSTANCE = Cleaner.create();
    }

    /** Closes the channel; holds no reference to the spool, so that it can become unreachable. */
    private record Closer(FileChannel channel) implements Runnable {
        @Override
        public void run() {
            OPEN.decrementAndGet();
            try {
                channel.close();
            } catch (IOException e) {
                // nothing to do: the file is unlinked already
            }
        }
    }

    /**
     * A new, empty spool in {@code java.io.tmpdir} (read at each call, not once as {@code Files.createTempFile(String,
     * String)} does).
     *
     * @throws IOException when no temporary file can be made there, or {@link #MAX_OPEN} spools are open
     */
    static SpooledBytes create() throws IOException {
        if (OPEN.incrementAndGet() > MAX_OPEN) {
            OPEN.decrementAndGet();
            throw new IOException(MAX_OPEN + " temporary listings are open already");
        }
        try {
            return open();
        } catch (IOException | RuntimeException e) {
            OPEN.decrementAndGet();
            throw e;
        }
    }

    private static SpooledBytes open() throws IOException {
        Path file = Files.createTempFile(Path.of(System.getProperty("java.io.tmpdir")), "mint-backup-listing-", ".tmp");
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        try {
            Files.deleteIfExists(file);   // POSIX keeps an unlinked file's bytes while it is open
        } catch (IOException e) {
            // a file system that cannot unlink an open file: DELETE_ON_CLOSE removes it at close
        }
        return new SpooledBytes(channel);
    }

    /** Drops what was written: a blob read again after damage is spooled again from its start. */
    synchronized void reset() throws IOException {
        pending.clear();
        length = 0;
        failure = null;
        windowStart[0] = windowStart[1] = -1;
        try {
            channel.truncate(0);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    /** Appends bytes; a failure is also kept for {@link #failure}, as a parser may wrap what it gets from its stream. */
    synchronized void write(byte[] b, int off, int len) throws IOException {
        try {
            while (len > 0) {
                int n = Math.min(len, pending.remaining());
                pending.put(b, off, n);
                off += n;
                len -= n;
                length += n;
                if (!pending.hasRemaining()) {
                    flush();
                }
            }
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    /** A stream that appends to this spool ({@link #write}). */
    java.io.OutputStream appender() {
        return new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                SpooledBytes.this.write(b, off, len);
            }
        };
    }

    /** Writes out what is buffered; call once all bytes are written, before reading. */
    synchronized void finish() throws IOException {
        try {
            flush();
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    private void flush() throws IOException {
        pending.flip();
        long at = length - pending.remaining();
        while (pending.hasRemaining()) {
            at += channel.write(pending, at);
        }
        pending.clear();
    }

    /** Why writing failed, or null. */
    synchronized IOException failure() {
        return failure;
    }

    synchronized long length() {
        return length;
    }

    /**
     * A copy of {@code count} bytes from {@code from}, read through one of the two windows (the other one is kept).
     *
     * @throws IOException when the file cannot be read or ends before
     */
    synchronized byte[] read(long from, int count) throws IOException {
        if (from < 0 || count < 0 || from + count > length) {
            throw new IOException("bytes " + from + " to " + (from + count) + " are outside the " + length + " spooled");
        }
        for (int w = 0; w < 2; w++) {
            if (windowStart[w] >= 0 && from >= windowStart[w] && from + count <= windowStart[w] + windowLength[w]) {
                recent = w;
                return java.util.Arrays.copyOfRange(windows[w], (int) (from - windowStart[w]),
                        (int) (from - windowStart[w]) + count);
            }
        }
        if (count > WINDOW) {
            byte[] b = new byte[count];
            fill(b, from, count);
            return b;
        }
        int w = 1 - recent;
        int n = (int) Math.min(WINDOW, length - from);
        windowStart[w] = -1;
        fill(windows[w], from, n);
        windowStart[w] = from;
        windowLength[w] = n;
        recent = w;
        return java.util.Arrays.copyOf(windows[w], count);
    }

    private void fill(byte[] into, long from, int count) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(into, 0, count);
        while (b.hasRemaining()) {
            if (channel.read(b, from + b.position()) < 0) {
                throw new IOException("the spooled file ends at " + (from + b.position()) + " of " + length + " bytes");
            }
        }
    }

    @Override
    public void close() {
        cleanable.clean();
    }
}
