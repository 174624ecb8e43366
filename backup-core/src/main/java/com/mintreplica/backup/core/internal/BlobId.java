package com.mintreplica.backup.core.internal;

import java.util.Arrays;

/** The 32-byte id of a blob or pack: SHA-256 of its plaintext (keyed when the repository is encrypted). */
public final class BlobId implements Comparable<BlobId> {
    public static final int LENGTH = 32;

    private final byte[] bytes;
    private final int hash;

    private BlobId(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a blob id has 32 bytes, not " + bytes.length);
        }
        this.bytes = bytes;
        this.hash = (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
    }

    /** Takes ownership of {@code bytes}. */
    public static BlobId wrap(byte[] bytes) {
        return new BlobId(bytes);
    }

    public static BlobId fromHex(String hex) {
        return new BlobId(Hex.decode(hex));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes themselves, not a copy: for compact tables in this package, which only read them. */
    byte[] raw() {
        return bytes;
    }

    public String hex() {
        return Hex.encode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlobId other && other.hash == hash && Arrays.equals(other.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(BlobId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
