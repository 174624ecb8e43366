package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.CorruptDataException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes a stream through and, at its end, checks its size and SHA-256 against what the manifest recorded. A mismatch
 * (or a decoding error) is thrown as {@link CorruptDataException} instead of the end of the stream, so a consumer never
 * sees a corrupt stream end normally.
 */
public final class HashCheckingInputStream extends FilterInputStream {
    private final MessageDigest digest = Sha256.newDigest();
    private final byte[] expected;
    private final long expectedSize;
    private final String what;
    private long size;
    private boolean checked;

    public HashCheckingInputStream(InputStream in, byte[] expectedSha256, long expectedSize, String what) {
        super(in);
        this.expected = expectedSha256;
        this.expectedSize = expectedSize;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = in.read(b, off, len);
        } catch (SinkReadException e) {
            throw e; // the store's connection failed, not the data
        } catch (CorruptDataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // A decoder meeting damaged bytes may fail with any exception (a third-party transformer, a native codec).
            throw new CorruptDataException(what + " is corrupt: it does not decode (" + e.getMessage() + ")", e);
        }
        if (n < 0) {
            check();
            return -1;
        }
        digest.update(b, off, n);
        size += n;
        if (size > expectedSize) {
            throw new CorruptDataException(what + " is corrupt: it is longer than the " + expectedSize + " bytes recorded");
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void check() {
        if (checked) {
            return;
        }
        checked = true;
        if (size != expectedSize) {
            throw new CorruptDataException(what + " is corrupt: it holds " + size + " bytes, " + expectedSize + " were recorded");
        }
        if (!MessageDigest.isEqual(digest.digest(), expected)) {
            throw new CorruptDataException(what + " is corrupt: its content does not match the SHA-256 recorded in the manifest");
        }
    }
}
