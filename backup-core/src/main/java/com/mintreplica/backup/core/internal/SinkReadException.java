package com.mintreplica.backup.core.internal;

import java.io.IOException;

/**
 * An I/O error of the Sink while a stored object is streamed: the connection, not the data. Streams that check what
 * they decode ({@link HashCheckingInputStream}) pass it on unchanged instead of calling the object corrupt.
 */
public final class SinkReadException extends IOException {
    private static final long serialVersionUID = 1L;

    SinkReadException(IOException cause) {
        super(cause.getMessage(), cause);
    }

    /** Wraps a stream read from a Sink, so that its I/O errors are told from decoding errors. */
    public static java.io.InputStream marking(java.io.InputStream raw) {
        return new java.io.FilterInputStream(raw) {
            @Override
            public int read() throws IOException {
                try {
                    return in.read();
                } catch (SinkReadException e) {
                    throw e;
                } catch (IOException e) {
                    throw new SinkReadException(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return in.read(b, off, len);
                } catch (SinkReadException e) {
                    throw e;
                } catch (IOException e) {
                    throw new SinkReadException(e);
                }
            }
        };
    }
}
