package com.mintreplica.backup.storage.s3.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * Reads a byte range of an object and, when the connection breaks in the middle, opens the rest of the range again
 * (pinned to the same object version by the opener) instead of failing the whole read. The SDK retries a request that
 * fails before its response starts; this covers what happens after. A read fails once its connection has broken
 * {@code maxResumes + 1} times in a row with less than {@link #PROGRESS} bytes read on each: a connection that breaks
 * after real progress starts the count again, so a long read through a flaky network finishes, and one that breaks
 * at once every time fails soon instead of crawling.
 */
public final class ResumingInputStream extends InputStream {

    /** Opens the bytes {@code [from, end)} of the object; {@code end == -1} means to its end. */
    public interface Opener {
        InputStream open(long from, long end) throws IOException;
    }

    /** Bytes a connection must deliver before it breaks for the break not to count against {@code maxResumes}. */
    static final long PROGRESS = 16 * 1024;

    private final Opener opener;
    private final long end;
    private final int maxResumes;
    private InputStream current;
    private long position;
    private int resumes;
    private int resumesInARow;
    private long openedAt;
    private boolean closed;

    /**
     * @param first the stream already opened at {@code start}
     * @param start where {@code first} starts
     * @param end where the range ends (exclusive), or -1 for the end of the object
     * @param maxResumes how many times in a row a read that broke with little progress is resumed before the failure
     *     is thrown
     */
    public ResumingInputStream(InputStream first, long start, long end, Opener opener, int maxResumes) {
        this.current = first;
        this.position = start;
        this.openedAt = start;
        this.end = end;
        this.opener = opener;
        this.maxResumes = maxResumes;
    }

    /** How many times in all a broken connection was resumed. */
    public int resumes() {
        return resumes;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (true) {
            try {
                int n = current.read(b, off, len);
                if (n > 0) {
                    position += n;
                } else if (n < 0 && end >= 0 && position < end) {
                    throw new IOException("the connection ended " + (end - position) + " bytes early");
                }
                return n;
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                if (position - openedAt >= PROGRESS) {
                    resumesInARow = 0;
                }
                if (resumesInARow >= maxResumes) {
                    throw e;
                }
                resumes++;
                resumesInARow++;
                closeQuietly(current);
                openedAt = position;
                current = opener.open(position, end);
            }
        }
    }

    /**
     * Closes the read. One closed before the end of its range is aborted: the SDK's stream, closed, reads the rest of
     * the body to keep its connection, and a restore stops a read that runs on to the end of what a pack's jobs need
     * when no job is left to go on with it.
     */
    @Override
    public void close() throws IOException {
        closed = true;
        if (end >= 0 && position < end && current instanceof software.amazon.awssdk.http.Abortable abortable) {
            abortable.abort();
        }
        current.close();
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // the connection is broken already
        }
    }
}
