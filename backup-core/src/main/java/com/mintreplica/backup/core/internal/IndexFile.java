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
 */
public final class IndexFile {
    public static final String PREFIX = "index/";
    private static final byte[] MAGIC = {'M', 'B', 'I', '1'};
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
}
