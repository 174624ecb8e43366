package com.mintreplica.backup.core.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Every pack the index objects list, with its blobs, pack by pack in compact arrays (what prune plans with): per blob
 * 48 bytes (id, offset, length, plain length) instead of a {@code PackedBlob} object graph. A pack listed by several
 * index objects keeps its first listing. Filled as an {@link IndexFile.Visitor}; not thread-safe.
 */
final class PackTable implements IndexFile.Visitor {
    private final Map<BlobId, Integer> numbers = new HashMap<>();
    private long[] packIds = new long[64 * 4];
    private byte[] types = new byte[64];
    private int[] first = new int[64];
    private int[] count = new int[64];
    private int packs;
    private long[] ids;
    private int[] offset;
    private int[] length;
    private int[] plain;
    private int blobs;
    private boolean skipping;

    PackTable() {
        this(1024);
    }

    /**
     * A table with room for {@code expectedBlobs} blobs before it grows. Growing copies the arrays, old and new in
     * memory together; sized from the index loaded before, a prune's table of 200,000 blobs never grows.
     */
    PackTable(int expectedBlobs) {
        int n = Math.max(16, expectedBlobs);
        ids = new long[n * 4];
        offset = new int[n];
        length = new int[n];
        plain = new int[n];
    }

    @Override
    public void pack(byte[] id, BlobType type, int blobCount) {
        BlobId key = BlobId.wrap(id.clone());
        if (numbers.containsKey(key)) {
            skipping = true;
            return;
        }
        skipping = false;
        if (packs == types.length) {
            int n = packs * 2;
            packIds = Arrays.copyOf(packIds, n * 4);
            types = Arrays.copyOf(types, n);
            first = Arrays.copyOf(first, n);
            count = Arrays.copyOf(count, n);
        }
        numbers.put(key, packs);
        for (int i = 0; i < 4; i++) {
            packIds[packs * 4 + i] = IdSet.word(id, i);
        }
        types[packs] = (byte) type.code();
        first[packs] = blobs;
        count[packs] = 0;
        packs++;
    }

    @Override
    public void blob(byte[] id, int off, int len, int plainLength) {
        if (skipping) {
            return;
        }
        if (blobs == offset.length) {
            int n = blobs + (blobs >> 1);
            ids = Arrays.copyOf(ids, n * 4);
            offset = Arrays.copyOf(offset, n);
            length = Arrays.copyOf(length, n);
            plain = Arrays.copyOf(plain, n);
        }
        for (int i = 0; i < 4; i++) {
            ids[blobs * 4 + i] = IdSet.word(id, i);
        }
        offset[blobs] = off;
        length[blobs] = len;
        plain[blobs] = plainLength;
        blobs++;
        count[packs - 1]++;
    }

    int packs() {
        return packs;
    }

    /** The number of the pack with this id, or -1. */
    int number(BlobId pack) {
        Integer n = numbers.get(pack);
        return n == null ? -1 : n;
    }

    BlobId packId(int pack) {
        return BlobId.wrap(bytes(packIds, pack));
    }

    BlobType type(int pack) {
        return BlobType.ofCode(types[pack]);
    }

    /** Index of the pack's first blob; its blobs are {@code first(p) .. first(p) + blobCount(p) - 1}. */
    int first(int pack) {
        return first[pack];
    }

    int blobCount(int pack) {
        return count[pack];
    }

    BlobId blobId(int blob) {
        return BlobId.wrap(bytes(ids, blob));
    }

    /** The blob's id into {@code into} (32 bytes), without allocating. */
    byte[] blobId(int blob, byte[] into) {
        ByteBuffer b = ByteBuffer.wrap(into);
        for (int i = 0; i < 4; i++) {
            b.putLong(ids[blob * 4 + i]);
        }
        return into;
    }

    int offset(int blob) {
        return offset[blob];
    }

    int length(int blob) {
        return length[blob];
    }

    int plainLength(int blob) {
        return plain[blob];
    }

    /** The encoded bytes of all blobs of a pack. */
    long totalBytes(int pack) {
        long n = 0;
        for (int i = first[pack]; i < first[pack] + count[pack]; i++) {
            n += length[i];
        }
        return n;
    }

    Packs.PackedBlob packedBlob(int pack, int blob) {
        return new Packs.PackedBlob(blobId(blob), new BlobLocation(packId(pack), type(pack), offset[blob], length[blob], plain[blob]));
    }

    /** Hands a pack's listing to an index writer. */
    void writeTo(int pack, IndexFile.Visitor out) {
        byte[] id = bytes(packIds, pack);
        out.pack(id, type(pack), count[pack]);
        byte[] blob = new byte[BlobId.LENGTH];
        for (int i = first[pack]; i < first[pack] + count[pack]; i++) {
            out.blob(blobId(i, blob), offset[i], length[i], plain[i]);
        }
    }

    private static byte[] bytes(long[] array, int at) {
        ByteBuffer b = ByteBuffer.allocate(BlobId.LENGTH);
        for (int i = 0; i < 4; i++) {
            b.putLong(array[at * 4 + i]);
        }
        return b.array();
    }
}
