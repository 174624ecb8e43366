package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.CorruptDataException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An index object ({@code index/<id>}): which blobs each pack holds and where. A backup writes them after its packs and
 * before its snapshot; the union of all index objects is the repository's index. Plaintext format {@code "MBI3"} (written
 * since snapshots are trees of tree blobs, which live in packs of their own):
 * <pre>
 *   "MBI3" | pack count (int32) | per pack: pack id (32) | blob type (1: 0 data, 1 tree) | blob count (int32) |
 *                                 per blob: id (32) | offset (int32) | length (int32) | plain length (int32)
 * </pre>
 * Version 1 ({@code "MBI1"}, no type byte: every pack is a data pack) is still read. Encoded by the chain and sealed in
 * an {@link Envelope}. (Version 2 was taken by the stored form below, so the typed plaintext is {@code "MBI3"}.)
 *
 * <p>The stored form with an id part ({@code "MBI2"}), written in encrypted repositories that have writers (write-only
 * keys), puts a part that writers can read in front: the sorted ids of the blobs it lists (data and tree blobs alike),
 * sealed with the keys readers and writers share, so that a writer deduplicates against everything stored, unchanged
 * directories included, without learning where anything is:
 * <pre>
 *   "MBI2" | id part length (int32) | id part: sealed(sorted blob ids, 32 bytes each) | envelope(chain(MBI1 or MBI3 plaintext))
 * </pre>
 * The whole object is then signed by whoever wrote it (see {@code AccessControl#seal}), so that nobody who can only
 * write to the bucket can make a writer skip storing a chunk by listing its id.
 */
public final class IndexFile {
    public static final String PREFIX = "index/";
    private static final byte[] MAGIC_V1 = {'M', 'B', 'I', '1'};
    /** The typed plaintext (data and tree packs). */
    private static final byte[] MAGIC_V3 = {'M', 'B', 'I', '3'};
    /** The stored form with a writer-readable id part in front (not a plaintext). */
    private static final byte[] MAGIC_2 = {'M', 'B', 'I', '2'};
    /** Bytes per blob in the plaintext, for estimates. */
    static final int BYTES_PER_BLOB = BlobId.LENGTH + 12;

    private IndexFile() {
    }

    /** The blobs of one pack. */
    public record PackBlobs(BlobId pack, BlobType type, List<Packs.PackedBlob> blobs) {
    }

    /** Receives an index object's content without building objects per blob (see {@link #read}). */
    public interface Visitor {
        /** A visitor that keeps nothing (to check that an object reads). */
        Visitor NONE = new Visitor() {
            @Override
            public void pack(byte[] id, BlobType type, int blobs) {
            }

            @Override
            public void blob(byte[] id, int offset, int length, int plainLength) {
            }
        };

        /** A pack; its {@code blobs} blobs follow. {@code id} is only valid during the call. */
        void pack(byte[] id, BlobType type, int blobs);

        /** A blob of the last pack. {@code id} is only valid during the call. */
        void blob(byte[] id, int offset, int length, int plainLength);
    }

    /**
     * The plaintext of an index object in the format a repository of {@code formatVersion} uses: version 1
     * ({@code "MBI1"}, data packs only) in a format-1 repository, so that what a repair writes there is read by the
     * versions that wrote it; {@code "MBI3"} otherwise (and whenever a tree pack is listed).
     */
    public static byte[] plaintext(List<PackBlobs> packs, int formatVersion) {
        if (formatVersion >= 2 || packs.stream().anyMatch(p -> p.type() != BlobType.DATA)) {
            return plaintext(packs);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC_V1);
            out.writeInt(packs.size());
            for (PackBlobs p : packs) {
                out.write(p.pack().raw());
                out.writeInt(p.blobs().size());
                for (Packs.PackedBlob b : p.blobs()) {
                    out.write(b.id().raw());
                    out.writeInt(b.location().offset());
                    out.writeInt(b.location().length());
                    out.writeInt(b.location().plainLength());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public static byte[] plaintext(List<PackBlobs> packs) {
        Writer w = new Writer();
        for (PackBlobs p : packs) {
            w.pack(p.pack().raw(), p.type(), p.blobs().size());
            for (Packs.PackedBlob b : p.blobs()) {
                w.blob(b.id().raw(), b.location().offset(), b.location().length(), b.location().plainLength());
            }
        }
        return w.finish();
    }

    /**
     * Writes an index object's plaintext pack by pack, without objects per blob (prune's consolidated index, a backup's
     * packs waiting for their index object: 44 bytes a blob).
     */
    public static final class Writer implements Visitor {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);
        private int packs;
        private int blobs;

        public Writer() {
            try {
                out.write(MAGIC_V3);
                out.writeInt(0); // the pack count, set by finish()
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Packs written so far. */
        public int packs() {
            return packs;
        }

        /** Blobs written so far. */
        public int blobs() {
            return blobs;
        }

        @Override
        public void pack(byte[] id, BlobType type, int blobs) {
            packs++;
            try {
                out.write(id);
                out.writeByte(type.code());
                out.writeInt(blobs);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void blob(byte[] id, int offset, int length, int plainLength) {
            blobs++;
            try {
                out.write(id);
                out.writeInt(offset);
                out.writeInt(length);
                out.writeInt(plainLength);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The plaintext; the writer is not used after. */
        public byte[] finish() {
            try {
                out.flush();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            byte[] plain = bytes.toByteArray();
            ByteBuffer.wrap(plain, MAGIC_V3.length, 4).putInt(packs);
            return plain;
        }
    }

    /** Reads an index object into objects; fine for a few packs, see {@link #read} for the whole index. */
    public static List<PackBlobs> parse(String objectName, byte[] plaintext) {
        List<PackBlobs> out = new ArrayList<>();
        read(objectName, plaintext, new Visitor() {
            private BlobId pack;
            private BlobType type;
            private List<Packs.PackedBlob> blobs;

            @Override
            public void pack(byte[] id, BlobType type, int count) {
                this.pack = BlobId.wrap(id.clone());
                this.type = type;
                this.blobs = new ArrayList<>(count);
                out.add(new PackBlobs(pack, type, blobs));
            }

            @Override
            public void blob(byte[] id, int offset, int length, int plainLength) {
                blobs.add(new Packs.PackedBlob(BlobId.wrap(id.clone()), new BlobLocation(pack, type, offset, length, plainLength)));
            }
        });
        return out;
    }

    /**
     * Reads an index object, handing every pack and blob to {@code visitor}. Every count and length is checked against
     * the bytes that are there before anything is allocated, and nothing may follow the last pack: damaged bytes (below
     * the envelope, only a deliberate change gets here) are a {@link CorruptDataException} naming the object, never an
     * oversized allocation. A visitor that must not see part of a damaged object reads it through once with
     * {@link Visitor#NONE} first.
     *
     * @throws CorruptDataException naming the object when it is not an index object, is cut short or holds
     *     impossible values
     */
    public static void read(String objectName, byte[] plaintext, Visitor visitor) {
        ByteBuffer in = ByteBuffer.wrap(plaintext);
        try {
            byte[] magic = new byte[4];
            in.get(magic);
            boolean v3 = java.util.Arrays.equals(magic, MAGIC_V3);
            if (!v3 && !java.util.Arrays.equals(magic, MAGIC_V1)) {
                throw new IllegalArgumentException("not an index object");
            }
            int packs = in.getInt();
            if (packs < 0 || packs > in.remaining() / (BlobId.LENGTH + 4)) {
                throw new IllegalArgumentException("it claims " + packs + " packs in " + plaintext.length + " bytes");
            }
            byte[] id = new byte[BlobId.LENGTH];
            for (int i = 0; i < packs; i++) {
                in.get(id);
                BlobType type = v3 ? BlobType.ofCode(in.get()) : BlobType.DATA;
                int count = in.getInt();
                if (count < 0 || (long) count * BYTES_PER_BLOB > in.remaining()) {
                    throw new IllegalArgumentException("pack " + BlobId.wrap(id.clone()) + " claims " + count
                            + " blobs in the " + in.remaining() + " bytes that are left");
                }
                visitor.pack(id, type, count);
                for (int j = 0; j < count; j++) {
                    in.get(id);
                    int offset = in.getInt();
                    int length = in.getInt();
                    int plainLength = in.getInt();
                    if (offset < 0 || length < 0 || plainLength < 0 || offset + (long) length > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException("blob " + BlobId.wrap(id.clone()) + " has offset " + offset
                                + ", length " + length + " and plain length " + plainLength);
                    }
                    visitor.blob(id, offset, length, plainLength);
                }
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " bytes follow the last pack");
            }
        } catch (BufferUnderflowException e) {
            throw new CorruptDataException("index object '" + objectName + "' is corrupt: it is cut short", e);
        } catch (IllegalArgumentException e) {
            throw new CorruptDataException("index object '" + objectName + "' is corrupt: " + e.getMessage(), e);
        }
    }

    /** The blob ids of {@code packs}, sorted, as the id part lists them. */
    public static byte[] idPart(List<PackBlobs> packs) {
        int count = 0;
        for (PackBlobs p : packs) {
            count += p.blobs().size();
        }
        byte[] ids = new byte[count * BlobId.LENGTH];
        int at = 0;
        for (PackBlobs p : packs) {
            for (Packs.PackedBlob b : p.blobs()) {
                System.arraycopy(b.id().raw(), 0, ids, at, BlobId.LENGTH);
                at += BlobId.LENGTH;
            }
        }
        return sortedOnce(ids, count);
    }

    /**
     * The id part of an index object from its plaintext (either version): its blob ids, sorted and once each, so the
     * same plaintext always gives the same id part.
     */
    public static byte[] idPart(String objectName, byte[] plaintext) {
        byte[][] ids = {new byte[1024 * BlobId.LENGTH]};
        int[] count = {0};
        read(objectName, plaintext, new Visitor() {
            @Override
            public void pack(byte[] id, BlobType type, int blobs) {
            }

            @Override
            public void blob(byte[] id, int offset, int length, int plainLength) {
                int at = count[0] * BlobId.LENGTH;
                if (at == ids[0].length) {
                    ids[0] = Arrays.copyOf(ids[0], 2 * at);
                }
                System.arraycopy(id, 0, ids[0], at, BlobId.LENGTH);
                count[0]++;
            }
        });
        return sortedOnce(ids[0], count[0]);
    }

    /**
     * The first {@code count} ids of {@code ids} (32 bytes each, one after the other), sorted in unsigned order with
     * repeats dropped: the id part. Sorted in place (a heap sort), so a checkpoint of 32,768 blobs takes 1 MiB for it,
     * where a {@code TreeSet} of ids took some 120 bytes an id.
     */
    static byte[] sortedOnce(byte[] ids, int count) {
        byte[] swap = new byte[BlobId.LENGTH];
        for (int i = count / 2 - 1; i >= 0; i--) {
            siftDown(ids, i, count, swap);
        }
        for (int end = count - 1; end > 0; end--) {
            swap(ids, 0, end, swap);
            siftDown(ids, 0, end, swap);
        }
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (kept > 0 && compare(ids, kept - 1, i) == 0) {
                continue;
            }
            if (kept != i) {
                System.arraycopy(ids, i * BlobId.LENGTH, ids, kept * BlobId.LENGTH, BlobId.LENGTH);
            }
            kept++;
        }
        return kept * BlobId.LENGTH == ids.length ? ids : Arrays.copyOf(ids, kept * BlobId.LENGTH);
    }

    private static void siftDown(byte[] ids, int i, int n, byte[] swap) {
        while (true) {
            int largest = i;
            int left = 2 * i + 1;
            int right = left + 1;
            if (left < n && compare(ids, left, largest) > 0) {
                largest = left;
            }
            if (right < n && compare(ids, right, largest) > 0) {
                largest = right;
            }
            if (largest == i) {
                return;
            }
            swap(ids, i, largest, swap);
            i = largest;
        }
    }

    private static int compare(byte[] ids, int a, int b) {
        int x = a * BlobId.LENGTH;
        int y = b * BlobId.LENGTH;
        return Arrays.compareUnsigned(ids, x, x + BlobId.LENGTH, ids, y, y + BlobId.LENGTH);
    }

    private static void swap(byte[] ids, int a, int b, byte[] swap) {
        int x = a * BlobId.LENGTH;
        int y = b * BlobId.LENGTH;
        System.arraycopy(ids, x, swap, 0, BlobId.LENGTH);
        System.arraycopy(ids, y, ids, x, BlobId.LENGTH);
        System.arraycopy(swap, 0, ids, y, BlobId.LENGTH);
    }

    /** The ids of an id part. */
    public static List<BlobId> parseIdPart(String objectName, byte[] idPart) {
        if (idPart.length % BlobId.LENGTH != 0) {
            throw new CorruptDataException("index object '" + objectName + "' is corrupt: its id part has "
                    + idPart.length + " bytes, not a multiple of " + BlobId.LENGTH);
        }
        List<BlobId> out = new ArrayList<>(idPart.length / BlobId.LENGTH);
        for (int i = 0; i < idPart.length; i += BlobId.LENGTH) {
            out.add(BlobId.wrap(Arrays.copyOfRange(idPart, i, i + BlobId.LENGTH)));
        }
        return out;
    }

    /** A format 2 object: {@code sealedIds} (the id part, sealed) in front of {@code format1} (a sealed format 1 object). */
    public static byte[] frame(byte[] sealedIds, byte[] format1) {
        byte[] out = new byte[MAGIC_2.length + 4 + sealedIds.length + format1.length];
        java.nio.ByteBuffer.wrap(out).put(MAGIC_2).putInt(sealedIds.length).put(sealedIds).put(format1);
        return out;
    }

    /** A stored index object split into its parts: the sealed id part (format 2 only) and the format 1 object. */
    public record Framed(java.util.Optional<byte[]> sealedIds, byte[] format1) {
    }

    /** Splits what {@link #frame} made; a format 1 object comes back whole, without an id part. */
    public static Framed unframe(String objectName, byte[] stored) {
        if (stored.length < MAGIC_2.length + 4 || !Arrays.equals(stored, 0, MAGIC_2.length, MAGIC_2, 0, MAGIC_2.length)) {
            return new Framed(java.util.Optional.empty(), stored);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(stored, MAGIC_2.length, stored.length - MAGIC_2.length);
        int length = b.getInt();
        int start = MAGIC_2.length + 4;
        if (length < 0 || length > stored.length - start) {
            throw new CorruptDataException("index object '" + objectName + "' is corrupt: its id part is cut off");
        }
        return new Framed(java.util.Optional.of(Arrays.copyOfRange(stored, start, start + length)),
                Arrays.copyOfRange(stored, start + length, stored.length));
    }
}
