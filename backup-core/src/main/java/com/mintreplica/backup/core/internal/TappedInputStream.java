package com.mintreplica.backup.core.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that hands every byte read through it to a {@link Tap} as it passes: a blob's plaintext hashed while it is
 * parsed ({@code Store.parseBlob}), a listing copied to its spool while it is scanned ({@code TreeFormat}). Skipped
 * bytes are read, so the tap sees them too.
 */
final class TappedInputStream extends FilterInputStream {
    /** Takes the bytes read, in order. */
    @FunctionalInterface
    interface Tap {
        void accept(byte[] b, int off, int len) throws IOException;
    }

    private final Tap tap;
    private final boolean closes;

    /** @param closes whether {@link #close} closes {@code in}; a caller that reads on after a parser closed it says no */
    TappedInputStream(InputStream in, Tap tap, boolean closes) {
        super(in);
        this.tap = tap;
        this.closes = closes;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            tap.accept(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        return Math.max(0, read(new byte[(int) Math.min(Math.max(n, 0), 8192)]));
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public void close() throws IOException {
        if (closes) {
            in.close();
        }
    }
}
