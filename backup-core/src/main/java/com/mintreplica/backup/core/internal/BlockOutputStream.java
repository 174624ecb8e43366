package com.mintreplica.backup.core.internal;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An output stream into blocks of 64 KiB (the first starts at 1 KiB and grows): what is written grows without the
 * doubling copies of a ByteArrayOutputStream, which at its last doubling holds three times what it has, and can be
 * handed on in its blocks. A large listing and its compressed form are written this way.
 */
final class BlockOutputStream extends OutputStream {
    static final int BLOCK = 64 * 1024;
    private final List<byte[]> full = new ArrayList<>();
    private byte[] current = new byte[1024];
    private int used;
    private long size;

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            if (used == current.length) {
                next();
            }
            int n = Math.min(len, current.length - used);
            System.arraycopy(b, off, current, used, n);
            used += n;
            off += n;
            len -= n;
            size += n;
        }
    }

    private void next() {
        if (current.length < BLOCK) {
            current = Arrays.copyOf(current, Math.min(BLOCK, current.length * 4));
        } else {
            full.add(current);
            current = new byte[BLOCK];
            used = 0;
        }
    }

    long size() {
        return size;
    }

    /** Writes what this holds to {@code out}. */
    void writeTo(OutputStream out) throws java.io.IOException {
        for (byte[] block : full) {
            out.write(block, 0, block.length);
        }
        out.write(current, 0, used);
    }

    /** The blocks written, the last cut to its length; the stream is done. */
    List<byte[]> parts() {
        List<byte[]> parts = new ArrayList<>(full);
        parts.add(Arrays.copyOf(current, used));
        release();
        return parts;
    }

    /** What was written, in one array; the stream is done. */
    byte[] toByteArray() {
        byte[] all = full.isEmpty() ? Arrays.copyOf(current, used) : Codec.concatenate(parts());
        release();
        return all;
    }

    /** Lets go of the blocks; the stream is done. */
    void release() {
        full.clear();
        current = null;
    }
}
