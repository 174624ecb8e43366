package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.sink.Sink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Collects encoded blobs of one {@link BlobType} into packs of about {@code targetSize} bytes. Thread-safe: workers add blobs concurrently;
 * whoever fills a pack gets it back and uploads it outside the lock.
 */
public final class PackWriter {
    private final Codec codec;
    private final int targetSize;
    private final BlobType type;

    private List<byte[]> parts = new ArrayList<>();
    private List<Packs.HeaderEntry> header = new ArrayList<>();
    private int size;

    /**
     * The size a writer that holds its packs whole (a copy, prune's repacking) cuts them at: the repository's, but at
     * most a twelfth of the heap (at least 1 MiB). A pack is held until it is stored, then joined into one array beside
     * its parts, and a data and a tree pack fill at once: with the default 16 MiB, that ran a copy out of a 64 MiB heap
     * (its packs come out about 5 MiB there, as a backup's do). From a heap of 192 MiB up nothing changes.
     */
    public static int targetSize(int configured, long maxHeap) {
        return (int) Math.min(configured, Math.max(1 << 20, maxHeap / 12));
    }

    /** A writer of data packs. */
    public PackWriter(Codec codec, int targetSize) {
        this(codec, targetSize, BlobType.DATA);
    }

    public PackWriter(Codec codec, int targetSize, BlobType type) {
        this.codec = codec;
        this.targetSize = targetSize;
        this.type = type;
    }

    public BlobType type() {
        return type;
    }

    /**
     * A pack holds at most this many blobs, whatever their size. Each blob of the pack in progress costs its array, its
     * id and its header entry, and once finished its location too: some 250 bytes of heap a blob beside its bytes.
     * Files of a few bytes made packs of 100,000 blobs and more, and a copy of 300,000 of them into another encrypted
     * repository, which holds a pack being filled and one being stored, needed 192 MiB of heap. Packs of tiny blobs
     * are cut at this count instead (some 2.5 MiB each for such files); nothing reads a pack differently.
     */
    static final int MAX_BLOBS = 16_384;

    /** Adds a blob; returns the finished pack when this blob filled it (by size, or by {@link #MAX_BLOBS}). */
    public synchronized Optional<Pack> add(BlobId id, byte[] encoded, int plainLength) throws IOException {
        parts.add(encoded);
        header.add(new Packs.HeaderEntry(id, encoded.length, plainLength));
        size += encoded.length;
        return size >= targetSize || header.size() >= MAX_BLOBS ? Optional.of(finish()) : Optional.empty();
    }

    /** Finishes the pack in progress, if it holds any blob. */
    public synchronized Optional<Pack> flush() throws IOException {
        return header.isEmpty() ? Optional.empty() : Optional.of(finish());
    }

    private Pack finish() throws IOException {
        byte[] encodedHeader = codec.encode(Packs.headerPlaintext(header));
        byte[] trailer = Packs.trailer(encodedHeader.length);
        parts.add(encodedHeader);
        parts.add(trailer);
        BlobId packId = Packs.packId(encodedHeader);
        List<Packs.PackedBlob> blobs = new ArrayList<>(header.size());
        int offset = 0;
        for (Packs.HeaderEntry e : header) {
            blobs.add(new Packs.PackedBlob(e.id(), new BlobLocation(packId, type, offset, e.length(), e.plainLength())));
            offset += e.length();
        }
        long total = (long) size + encodedHeader.length + trailer.length;
        Pack pack = new Pack(packId, type, List.copyOf(parts), total, List.copyOf(blobs));
        parts = new ArrayList<>();
        header = new ArrayList<>();
        size = 0;
        return pack;
    }

    /** A finished pack, ready to upload. */
    public record Pack(BlobId id, BlobType type, List<byte[]> parts, long size, List<Packs.PackedBlob> blobs) {
        public String objectName() {
            return Packs.objectName(id, type);
        }

        public void upload(Sink sink) throws IOException {
            sink.put(objectName(), new ByteArraysInputStream(parts), size, type.objectKind());
        }

        /** This pack as an index object lists it. */
        public IndexFile.PackBlobs indexEntry() {
            return new IndexFile.PackBlobs(id, type, blobs);
        }
    }
}
