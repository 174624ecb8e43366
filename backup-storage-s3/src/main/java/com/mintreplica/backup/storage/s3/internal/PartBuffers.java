package com.mintreplica.backup.storage.s3.internal;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/** Reading a stream in parts of bounded size, and the Content-MD5 of a part. */
public final class PartBuffers {
    private PartBuffers() {
    }

    /**
     * Reads up to {@code max} bytes, fewer only at the end of the stream. With {@code expected >= 0} (the bytes the
     * stream still holds) the buffer is sized once, to exactly those bytes when they are fewer than {@code max} (a
     * pack's upload held it twice for a moment, in a buffer one byte longer and in its copy); otherwise it starts at
     * 1 MiB and grows once to {@code max}, so a small object never costs a whole part of memory and a large one costs
     * little garbage.
     */
    public static byte[] readUpTo(InputStream in, int max, long expected) throws IOException {
        if (expected >= 0 && expected < max) {
            byte[] exact = new byte[(int) expected];
            int filled = in.readNBytes(exact, 0, exact.length);
            if (filled < exact.length) {
                return Arrays.copyOf(exact, filled);
            }
            int more = in.read();
            if (more < 0) {
                return exact;
            }
            // more than said: read on as for an unknown length (the caller compares the lengths)
            byte[] buffer = Arrays.copyOf(exact, max);
            buffer[filled] = (byte) more;
            return fill(in, buffer, filled + 1, max);
        }
        int initial = expected >= 0 ? max : Math.min(max, 1024 * 1024);
        return fill(in, new byte[Math.max(1, initial)], 0, max);
    }

    private static byte[] fill(InputStream in, byte[] buffer, int filled, int max) throws IOException {
        while (filled < max) {
            if (filled == buffer.length) {
                buffer = Arrays.copyOf(buffer, max);
            }
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                break;
            }
            filled += n;
        }
        return filled == buffer.length ? buffer : Arrays.copyOf(buffer, filled);
    }

    /** {@link #readUpTo(InputStream, int, long)} for a stream of unknown length. */
    public static byte[] readUpTo(InputStream in, int max) throws IOException {
        return readUpTo(in, max, -1);
    }

    /** The base64 MD5 digest S3 expects in {@code Content-MD5}. */
    public static String md5Base64(byte[] data) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }
}
