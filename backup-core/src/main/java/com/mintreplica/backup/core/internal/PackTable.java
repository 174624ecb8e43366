package com.mintreplica.backup.core.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
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
    /**
     * Blobs in blocks of {@value #BLOCK} (ids four longs each): the table grows a block at a time, never by copying
     * what it holds (a copy has old and new in memory together), and holds at most one block more than it needs.
     */
    private static final int BLOCK_BITS = 13;
    private static final int BLOCK = 1 << BLOCK_BITS;
    private long[][] ids = new long[0][];
    private int[][] offset = new int[0][];
    private int[][] length = new int[0][];
    private int[][] plain = new int[0][];
    private int blobs;
    private boolean skipping;

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
        int block = blobs >>> BLOCK_BITS;
        int at = blobs & (BLOCK - 1);
        if (block == ids.length) {
            ids = Arrays.copyOf(ids, block + 1);
            offset = Arrays.copyOf(offset, block + 1);
            length = Arrays.copyOf(length, block + 1);
            plain = Arrays.copyOf(plain, block + 1);
            ids[block] = new long[BLOCK * 4];
            offset[block] = new int[BLOCK];
            length[block] = new int[BLOCK];
            plain[block] = new int[BLOCK];
        }
        for (int i = 0; i < 4; i++) {
            ids[block][at * 4 + i] = IdSet.word(id, i);
        }
        offset[block][at] = off;
        length[block][at] = len;
        plain[block][at] = plainLength;
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
        return BlobId.wrap(blobId(blob, new byte[BlobId.LENGTH]));
    }

    /** The blob's id into {@code into} (32 bytes), without allocating. */
    byte[] blobId(int blob, byte[] into) {
        long[] block = ids[blob >>> BLOCK_BITS];
        int at = (blob & (BLOCK - 1)) * 4;
        ByteBuffer b = ByteBuffer.wrap(into);
        for (int i = 0; i < 4; i++) {
            b.putLong(block[at + i]);
        }
        return into;
    }

    int offset(int blob) {
        return offset[blob >>> BLOCK_BITS][blob & (BLOCK - 1)];
    }

    int length(int blob) {
        return length[blob >>> BLOCK_BITS][blob & (BLOCK - 1)];
    }

    int plainLength(int blob) {
        return plain[blob >>> BLOCK_BITS][blob & (BLOCK - 1)];
    }

    /** The encoded bytes of all blobs of a pack. */
    long totalBytes(int pack) {
        long n = 0;
        for (int i = first[pack]; i < first[pack] + count[pack]; i++) {
            n += length(i);
        }
        return n;
    }

    Packs.PackedBlob packedBlob(int pack, int blob) {
        return new Packs.PackedBlob(blobId(blob),
                new BlobLocation(packId(pack), type(pack), offset(blob), length(blob), plainLength(blob)));
    }

    /** A pack's listing as objects (for a few packs at a time). */
    IndexFile.PackBlobs packBlobs(int pack) {
        List<Packs.PackedBlob> list = new ArrayList<>(count[pack]);
        for (int i = first[pack]; i < first[pack] + count[pack]; i++) {
            list.add(packedBlob(pack, i));
        }
        return new IndexFile.PackBlobs(packId(pack), type(pack), list);
    }

    /** Hands a pack's listing to an index writer. */
    void writeTo(int pack, IndexFile.Visitor out) {
        byte[] id = bytes(packIds, pack);
        out.pack(id, type(pack), count[pack]);
        byte[] blob = new byte[BlobId.LENGTH];
        for (int i = first[pack]; i < first[pack] + count[pack]; i++) {
            out.blob(blobId(i, blob), offset(i), length(i), plainLength(i));
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
