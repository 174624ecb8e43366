package com.mintreplica.backup.core.internal;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.IOException;
import java.util.List;

/** Reads a list of byte arrays as one stream, without copying them together. */
public final class ByteArraysInputStream extends InputStream {
    private final List<byte[]> parts;
    private int part;
    private int position;

    public ByteArraysInputStream(List<byte[]> parts) {
        this.parts = parts;
    }

    @Override
    public int read() {
        while (part < parts.size()) {
            byte[] current = parts.get(part);
            if (position < current.length) {
                return current[position++] & 0xff;
            }
            part++;
            position = 0;
        }
        return -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        while (part < parts.size()) {
            byte[] current = parts.get(part);
            int available = current.length - position;
            if (available > 0) {
                int n = Math.min(len, available);
                System.arraycopy(current, position, b, off, n);
                position += n;
                return n;
            }
            part++;
            position = 0;
        }
        return -1;
    }

    @Override
    public long transferTo(OutputStream out) throws IOException {
        long total = 0;
        while (part < parts.size()) {
            byte[] current = parts.get(part);
            int n = current.length - position;
            out.write(current, position, n);
            total += n;
            part++;
            position = 0;
        }
        return total;
    }
}
