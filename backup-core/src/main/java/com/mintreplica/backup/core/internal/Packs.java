package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.CorruptDataException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The pack format. A pack is the concatenation of encoded blobs, then a header, then a trailer:
 * <pre>
 *   blob 0 | blob 1 | ... | header (encoded by the chain) | header length (int32, big-endian) | "MBP1"
 *   header plaintext: count (int32), then per blob: id (32 bytes), encoded length (int32), plain length (int32)
 * </pre>
 * Blob offsets follow from the lengths, and the blobs fill the pack up to the header exactly. A pack's name is
 * {@code data/<2 hex>/<SHA-256 of its encoded header>} ({@code tree/...} for packs of tree blobs, see {@link BlobType}): the header holds every blob's id and length, and every blob is
 * checked against its id when it is read, so every byte of a pack is covered without a second hash over all stored
 * data (which would cost as much as hashing the content once more). The header makes each pack self-describing: the
 * index can be rebuilt from the packs alone.
 */
public final class Packs {
    static final byte[] MAGIC = {'M', 'B', 'P', '1'};
    static final int TRAILER = 8;
    /** Where packs of file content live; packs of tree blobs are under {@link #TREE_PREFIX}. */
    public static final String PREFIX = "data/";
    public static final String TREE_PREFIX = "tree/";

    private Packs() {
    }

    /** The id of a pack with this encoded header. */
    public static BlobId packId(byte[] encodedHeader) {
        return BlobId.wrap(Sha256.hash(encodedHeader));
    }

    /**
     * Whether the encoded header inside {@code pack} hashes to {@code packId}; false also when the trailer is damaged.
     */
    public static boolean matchesName(BlobId packId, byte[] pack) {
        if (pack.length < TRAILER) {
            return false;
        }
        ByteBuffer trailer = ByteBuffer.wrap(pack, pack.length - TRAILER, TRAILER);
        int headerLength = trailer.getInt();
        if (headerLength < 0 || headerLength > pack.length - TRAILER) {
            return false;
        }
        int headerStart = pack.length - TRAILER - headerLength;
        return java.security.MessageDigest.isEqual(Sha256.hash(pack, headerStart, headerLength), packId.bytes());
    }

    /** The name of a data pack. */
    public static String objectName(BlobId packId) {
        return objectName(packId, BlobType.DATA);
    }

    /** {@code data/xx/<hex>} or {@code tree/xx/<hex>}. */
    public static String objectName(BlobId packId, BlobType type) {
        String hex = packId.hex();
        return type.prefix() + hex.substring(0, 2) + "/" + hex;
    }

    /** The pack id of a {@code data/xx/<hex>} or {@code tree/xx/<hex>} name, or {@code null} when the name is not a pack's. */
    public static BlobId idOf(String objectName) {
        if (typeOf(objectName) == null) {
            return null;
        }
        String hex = objectName.substring(objectName.lastIndexOf('/') + 1);
        return Hex.isHex(hex, 64) ? BlobId.fromHex(hex) : null;
    }

    /** The type of the blobs in the pack of this name, or {@code null} when the name is not under a pack prefix. */
    public static BlobType typeOf(String objectName) {
        for (BlobType t : BlobType.values()) {
            if (objectName.startsWith(t.prefix())) {
                return t;
            }
        }
        return null;
    }

    /** One blob as the header records it. */
    public record HeaderEntry(BlobId id, int length, int plainLength) {
    }

    static byte[] headerPlaintext(List<HeaderEntry> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4 + entries.size() * 40);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(entries.size());
            for (HeaderEntry e : entries) {
                out.write(e.id().bytes());
                out.writeInt(e.length());
                out.writeInt(e.plainLength());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] trailer(int headerLength) {
        return ByteBuffer.allocate(TRAILER).putInt(headerLength).put(MAGIC).array();
    }

    /** A blob found in a pack's header, with its location. */
    public record PackedBlob(BlobId id, BlobLocation location) {
    }

    /** Reads a data pack; see {@link #parse(BlobId, BlobType, byte[], Codec)}. */
    public static List<PackedBlob> parse(BlobId packId, byte[] pack, Codec codec) {
        return parse(packId, BlobType.DATA, pack, codec);
    }

    /**
     * Reads a pack's header from its tail alone (the encoded header followed by the trailer, as the last bytes of a
     * pack of {@code type} blobs and {@code packSize} bytes), checking that the header hashes to the pack's name: this
     * is how the index is rebuilt without reading whole packs.
     *
     * @throws CorruptDataException naming the pack when the tail is damaged or does not match the name
     */
    public static List<PackedBlob> parseTail(BlobId packId, BlobType type, byte[] tail, long packSize, Codec codec) {
        String name = objectName(packId, type);
        if (tail.length < TRAILER) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: truncated to " + tail.length + " bytes");
        }
        ByteBuffer trailer = ByteBuffer.wrap(tail, tail.length - TRAILER, TRAILER);
        int headerLength = trailer.getInt();
        byte[] magic = new byte[MAGIC.length];
        trailer.get(magic);
        if (!Arrays.equals(magic, MAGIC) || headerLength < 0 || headerLength != tail.length - TRAILER) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: its trailer is damaged");
        }
        if (!java.security.MessageDigest.isEqual(Sha256.hash(tail, 0, headerLength), packId.bytes())) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: its header does not match its name");
        }
        long headerStart = packSize - tail.length;
        return entries(name, packId, type, Arrays.copyOf(tail, headerLength), headerStart, codec);
    }

    /** How many bytes {@link #parseTail} needs, from the trailer (the last {@value #TRAILER} bytes); -1 when damaged. */
    public static int tailLength(byte[] trailer, long packSize) {
        if (trailer.length != TRAILER) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(trailer);
        int headerLength = b.getInt();
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC) || headerLength < 0 || headerLength > packSize - TRAILER) {
            return -1;
        }
        return headerLength + TRAILER;
    }

    /** The size of a pack's trailer, which says how long its header is. */
    public static int trailerLength() {
        return TRAILER;
    }

    private static List<PackedBlob> entries(String name, BlobId packId, BlobType type, byte[] encodedHeader,
                                            long headerStart, Codec codec) {
        byte[] header;
        try {
            header = codec.decode(encodedHeader, -1);
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: its header does not decode (" + e.getMessage() + ")", e);
        }
        List<PackedBlob> out = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(header))) {
            int count = in.readInt();
            long offset = 0;
            for (int i = 0; i < count; i++) {
                byte[] id = new byte[BlobId.LENGTH];
                in.readFully(id);
                int length = in.readInt();
                int plain = in.readInt();
                if (length < 0 || plain < 0 || offset + length > headerStart) {
                    throw new IOException("blob " + i + " lies outside the pack");
                }
                out.add(new PackedBlob(BlobId.wrap(id), new BlobLocation(packId, type, (int) offset, length, plain)));
                offset += length;
            }
            if (offset != headerStart) {
                throw new IOException("the blobs end at " + offset + ", but the header starts at " + headerStart);
            }
        } catch (IOException e) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: its header is damaged (" + e.getMessage() + ")", e);
        }
        return out;
    }

    /**
     * Reads the blobs of a whole pack of {@code type} held in memory, checking the pack's structure and that its
     * encoded header hashes to its name (so a changed byte anywhere in the header or trailer is refused, whatever the
     * chain).
     *
     * @throws CorruptDataException naming the pack when the structure is broken or the header is not the named one
     */
    public static List<PackedBlob> parse(BlobId packId, BlobType type, byte[] pack, Codec codec) {
        String name = objectName(packId, type);
        if (pack.length < TRAILER) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: truncated to " + pack.length + " bytes");
        }
        ByteBuffer trailer = ByteBuffer.wrap(pack, pack.length - TRAILER, TRAILER);
        int headerLength = trailer.getInt();
        byte[] magic = new byte[MAGIC.length];
        trailer.get(magic);
        if (!Arrays.equals(magic, MAGIC) || headerLength < 0 || headerLength > pack.length - TRAILER) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: its trailer is damaged");
        }
        int headerStart = pack.length - TRAILER - headerLength;
        if (!java.security.MessageDigest.isEqual(Sha256.hash(pack, headerStart, headerLength), packId.bytes())) {
            throw new CorruptDataException("pack '" + name + "' is corrupt: its header does not match its name");
        }
        return entries(name, packId, type, Arrays.copyOfRange(pack, headerStart, headerStart + headerLength), headerStart, codec);
    }
}
