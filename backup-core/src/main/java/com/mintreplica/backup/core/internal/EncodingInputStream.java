package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Reads {@code source} through an encoder (compression, encryption) without a thread: each read pulls a block from the
 * source, pushes it through the encoder into a small buffer and serves from that buffer. Hashes and counts the
 * plaintext on the way, so the caller learns the content's SHA-256 and size after the last byte.
 */
public final class EncodingInputStream extends InputStream {
    private final InputStream source;
    private final OutputStream encoder;
    private final Buffer buffer = new Buffer();
    private final MessageDigest digest = Sha256.newDigest();
    private final byte[] block = new byte[128 * 1024];
    private long plainBytes;
    private long encodedBytes;
    private boolean finished;

    public interface EncoderFactory {
        OutputStream open(OutputStream out) throws IOException;
    }

    public EncodingInputStream(InputStream source, EncoderFactory encoder) throws IOException {
        this.source = source;
        this.encoder = encoder.open(buffer);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (buffer.available() == 0) {
            if (finished) {
                return -1;
            }
            int n = source.read(block);
            if (n < 0) {
                encoder.close();
                finished = true;
            } else if (n > 0) {
                digest.update(block, 0, n);
                plainBytes += n;
                encoder.write(block, 0, n);
            }
        }
        int n = buffer.take(b, off, len);
        encodedBytes += n;
        return n;
    }

    /** The plaintext's SHA-256; valid once the stream has been read to its end. */
    public byte[] plainSha256() {
        if (!finished) {
            throw new IllegalStateException("the stream was not read to its end");
        }
        return digest.digest();
    }

    public long plainBytes() {
        return plainBytes;
    }

    public long encodedBytes() {
        return encodedBytes;
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    /** A byte queue the encoder writes into and the reader takes from. */
    private static final class Buffer extends OutputStream {
        private byte[] data = new byte[64 * 1024];
        private int start;
        private int end;

        int available() {
            return end - start;
        }

        int take(byte[] b, int off, int len) {
            int n = Math.min(len, end - start);
            System.arraycopy(data, start, b, off, n);
            start += n;
            if (start == end) {
                start = 0;
                end = 0;
            }
            return n;
        }

        @Override
        public void write(int b) {
            ensure(1);
            data[end++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, data, end, len);
            end += len;
        }

        private void ensure(int more) {
            if (end + more <= data.length) {
                return;
            }
            if (start > 0) {
                System.arraycopy(data, start, data, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end + more > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, end + more));
            }
        }
    }
}
