package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.CorruptDataException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An index object ({@code index/<id>}): which blobs each pack holds and where. A backup writes one after its packs and
 * before its manifest; the union of all index objects is the repository's index. Plaintext format:
 * <pre>
 *   "MBI1" | pack count (int32) | per pack: pack id (32) | blob count (int32) |
 *                                 per blob: id (32) | offset (int32) | length (int32) | plain length (int32)
 * </pre>
 * encoded by the chain and sealed in an {@link Envelope}.
 *
 * <p>Format 2, written in encrypted repositories that have writers (write-only keys), puts a part that writers can
 * read in front: the sorted ids of the blobs it lists, sealed with the keys readers and writers share, so that a
 * writer deduplicates against everything stored without learning where anything is:
 * <pre>
 *   "MBI2" | id part length (int32) | id part: sealed(sorted blob ids, 32 bytes each) | the format 1 object
 * </pre>
 * The whole object is then signed by whoever wrote it (see {@code AccessControl#seal}), so that nobody who can only
 * write to the bucket can make a writer skip storing a chunk by listing its id.
 */
public final class IndexFile {
    public static final String PREFIX = "index/";
    private static final byte[] MAGIC = {'M', 'B', 'I', '1'};
    private static final byte[] MAGIC_2 = {'M', 'B', 'I', '2'};
    /** Bytes per blob: id, offset, length, plain length. */
    private static final int BLOB_ENTRY = BlobId.LENGTH + 12;

    private IndexFile() {
    }

    /** The blobs of one pack. */
    public record PackBlobs(BlobId pack, List<Packs.PackedBlob> blobs) {
    }

    public static byte[] plaintext(List<PackBlobs> packs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(packs.size());
            for (PackBlobs p : packs) {
                out.write(p.pack().bytes());
                out.writeInt(p.blobs().size());
                for (Packs.PackedBlob b : p.blobs()) {
                    out.write(b.id().bytes());
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

    /**
     * Reads the plaintext of an index object. Every count and length is checked against the bytes that are there
     * before anything is allocated, and nothing may follow the last pack: damaged bytes (below the envelope, only a
     * deliberate change gets here) are a {@link CorruptDataException} naming the object, never an oversized
     * allocation or a partial index.
     */
    public static List<PackBlobs> parse(String objectName, byte[] plaintext) {
        List<PackBlobs> out = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plaintext))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException("not an index object");
            }
            int packs = in.readInt();
            if (packs < 0 || packs > in.available() / (BlobId.LENGTH + 4)) {
                throw new IOException("it claims " + packs + " packs in " + plaintext.length + " bytes");
            }
            for (int i = 0; i < packs; i++) {
                byte[] packId = new byte[BlobId.LENGTH];
                in.readFully(packId);
                BlobId pack = BlobId.wrap(packId);
                int count = in.readInt();
                if (count < 0 || count > in.available() / BLOB_ENTRY) {
                    throw new IOException("pack " + pack + " claims " + count + " blobs in the " + in.available()
                            + " bytes that are left");
                }
                List<Packs.PackedBlob> blobs = new ArrayList<>(count);
                for (int j = 0; j < count; j++) {
                    byte[] id = new byte[BlobId.LENGTH];
                    in.readFully(id);
                    int offset = in.readInt();
                    int length = in.readInt();
                    int plainLength = in.readInt();
                    if (offset < 0 || length < 0 || plainLength < 0 || offset + (long) length > Integer.MAX_VALUE) {
                        throw new IOException("blob " + BlobId.wrap(id) + " of pack " + pack + " has offset " + offset
                                + ", length " + length + " and plain length " + plainLength);
                    }
                    blobs.add(new Packs.PackedBlob(BlobId.wrap(id), new BlobLocation(pack, offset, length, plainLength)));
                }
                out.add(new PackBlobs(pack, blobs));
            }
            if (in.available() > 0) {
                throw new IOException(in.available() + " bytes follow the last pack");
            }
        } catch (IOException e) {
            throw new CorruptDataException("index object '" + objectName + "' is corrupt: " + e.getMessage(), e);
        }
        return out;
    }

    /** The blob ids of {@code packs}, sorted, as the id part lists them. */
    public static byte[] idPart(List<PackBlobs> packs) {
        java.util.TreeSet<BlobId> ids = new java.util.TreeSet<>();
        packs.forEach(p -> p.blobs().forEach(b -> ids.add(b.id())));
        byte[] out = new byte[ids.size() * BlobId.LENGTH];
        int i = 0;
        for (BlobId id : ids) {
            System.arraycopy(id.bytes(), 0, out, i, BlobId.LENGTH);
            i += BlobId.LENGTH;
        }
        return out;
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
