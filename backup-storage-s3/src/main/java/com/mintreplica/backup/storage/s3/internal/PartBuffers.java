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
     * Reads up to {@code max} bytes, fewer only at the end of the stream. Grows its buffer as bytes arrive, so a small
     * object never costs a whole part of memory.
     */
    public static byte[] readUpTo(InputStream in, int max) throws IOException {
        byte[] buffer = new byte[Math.min(max, 64 * 1024)];
        int filled = 0;
        while (filled < max) {
            if (filled == buffer.length) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(max, Math.max(2L * buffer.length, 64 * 1024)));
            }
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                break;
            }
            filled += n;
        }
        return filled == buffer.length ? buffer : Arrays.copyOf(buffer, filled);
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
