package com.mintreplica.backup.fs.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A file's content read for a backup without changing the file's access time ({@code O_NOATIME}, as restic and
 * {@code tar --atime-preserve=system} read).
 *
 * <p>Why: a backup stores each entry's access time, and on a file system mounted {@code relatime} (Linux's default) a
 * read sets the access time of a file whose access time was not later than its modification time, or older than a
 * day. A backup that read with the JDK's streams therefore changed the access times of the files it had just read, and
 * the next backup found every directory changed and stored every tree again (61 MiB of the million-file bench's
 * second snapshot, and time in the unchanged-backup row), besides telling the owner of the files that someone had read
 * them. The kernel allows {@code O_NOATIME} to the file's owner and to a process with {@code CAP_FOWNER} (root); for a
 * file of another owner the open fails with {@code EPERM} and the file is opened again without it, read as any reader
 * reads it. Access times are never set back afterwards: that would change the status-change time instead.
 *
 * <p>Reads go through a native buffer of {@link #BUFFER} bytes, one copy into the caller's array, as the JDK's file
 * channel does through its temporary direct buffer. Without the native calls ({@link Fd#AVAILABLE}), the JDK's stream.
 */
final class SourceFileStream extends InputStream {
    static final int BUFFER = 1 << 20;
    /**
     * The walk listed a regular file: if something else took its name since, a symbolic link is not followed (the
     * open fails, and the file counts as vanished) and a FIFO does not block the backup (it reads as empty, and the
     * change is reported); on a regular file O_NONBLOCK changes nothing.
     */
    private static final int FLAGS = Fd.O_RDONLY | Fd.O_NOCTTY | Fd.O_CLOEXEC | Fd.O_NOFOLLOW | Fd.O_NONBLOCK;
    /** Native buffers of closed streams, for the next file (a backup reads one file at a time on its reader thread). */
    private static final BlockingQueue<Memory> FREE = new ArrayBlockingQueue<>(4);
    private static final Cleaner CLEANER = Cleaner.create();

    /** The descriptor, closed once: by {@link #close()}, or by the cleaner when a caller dropped the stream open. */
    private static final class Descriptor implements Runnable {
        final int fd;
        volatile boolean closed;

        Descriptor(int fd) {
            this.fd = fd;
        }

        @Override
        public synchronized void run() {
            if (!closed) {
                closed = true;
                Fd.close(fd);
            }
        }
    }

    private final Path path;
    private final byte[] bytes;
    private final Descriptor descriptor;
    private final Cleaner.Cleanable cleanable;
    private Memory buffer;

    private SourceFileStream(Path path, byte[] bytes, int fd) {
        this.path = path;
        this.bytes = bytes;
        this.descriptor = new Descriptor(fd);
        this.cleanable = CLEANER.register(this, descriptor);
    }

    /**
     * Opens {@code path} (whose bytes, as listed, are {@code bytes}) for reading. Throws {@link java.nio.file.NoSuchFileException}
     * when it is gone and {@link AccessDeniedException} when it may not be read, as {@link Files#newInputStream} does.
     */
    static InputStream open(Path path, byte[] bytes) throws IOException {
        if (!Fd.AVAILABLE) {
            return Files.newInputStream(path);
        }
        int fd = Fd.openNoAtime(path, bytes, FLAGS);
        return new SourceFileStream(path, bytes, fd);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (descriptor.closed) {
            throw new IOException("Stream closed");
        }
        if (len == 0) {
            return 0;
        }
        if (buffer == null) {
            buffer = FREE.poll();
            if (buffer == null) {
                buffer = new Memory(BUFFER);
            }
        }
        int want = Math.min(len, BUFFER);
        while (true) {
            long n;
            try {
                n = Fd.read(descriptor.fd, buffer, want);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Fd.EINTR) {
                    continue;
                }
                if (e.getErrorCode() == Fd.EAGAIN) {
                    return -1; // not a regular file any more (a FIFO with a writer): what was read is all there is
                }
                throw Fd.failure("read", path, bytes, e.getErrorCode());
            }
            if (n <= 0) {
                return -1;
            }
            buffer.read(0, b, off, (int) n);
            return (int) n;
        }
    }

    @Override
    public void close() {
        cleanable.clean();
        if (buffer != null) {
            FREE.offer(buffer);
            buffer = null;
        }
    }
}
