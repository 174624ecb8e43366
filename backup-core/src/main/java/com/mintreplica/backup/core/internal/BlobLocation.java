package com.mintreplica.backup.core.internal;

/**
 * Where a blob is stored: in pack {@code pack} (a pack of {@code type} blobs), {@code length} encoded bytes at
 * {@code offset}, decoding to {@code plainLength} bytes.
 */
public record BlobLocation(BlobId pack, BlobType type, int offset, int length, int plainLength) {

    public String packObject() {
        return Packs.objectName(pack, type);
    }
}
