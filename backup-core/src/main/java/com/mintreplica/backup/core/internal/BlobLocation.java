package com.mintreplica.backup.core.internal;

/**
 * Where a blob is stored: in pack {@code pack}, {@code length} encoded bytes at {@code offset}, decoding to
 * {@code plainLength} bytes.
 */
public record BlobLocation(BlobId pack, int offset, int length, int plainLength) {

    public String packObject() {
        return Packs.objectName(pack);
    }
}
