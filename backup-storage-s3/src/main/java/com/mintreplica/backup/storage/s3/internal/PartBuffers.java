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
     * stream still holds) the buffer is sized once; otherwise it starts at 1 MiB and grows once to {@code max}, so a
     * small object never costs a whole part of memory and a large one costs little garbage.
     */
    public static byte[] readUpTo(InputStream in, int max, long expected) throws IOException {
        int initial = expected >= 0 ? (int) Math.min(max, expected + 1) : Math.min(max, 1024 * 1024);
        byte[] buffer = new byte[Math.max(1, initial)];
        int filled = 0;
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
