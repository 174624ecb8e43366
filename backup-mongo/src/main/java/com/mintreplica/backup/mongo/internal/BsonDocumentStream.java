package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.CorruptDataException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.bson.BsonBinaryReader;
import org.bson.BsonDocument;
import org.bson.BsonSerializationException;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.DecoderContext;

/**
 * Reads the documents of a {@code .bson} dump (BSON documents one after another, as mongodump writes them) one at a
 * time, so memory holds one document, never the collection. Damage is reported with the entry's path and the byte
 * offset of the bad document.
 */
public final class BsonDocumentStream {
    /** Larger than any document a server accepts (16 MiB) with room for what mongodump tolerates. */
    public static final int MAX_DOCUMENT = 48 << 20;

    private final InputStream in;
    private final String path;
    private long offset;
    private long documents;

    public BsonDocumentStream(InputStream in, String path) {
        this.in = in;
        this.path = path;
    }

    /**
     * The next document's bytes, or null at the end.
     *
     * @throws CorruptDataException when the stream ends inside a document or a length is impossible
     */
    public byte[] next() throws IOException {
        byte[] head = new byte[4];
        int n = in.readNBytes(head, 0, 4);
        if (n == 0) {
            return null;
        }
        if (n < 4) {
            throw corrupt("ends inside a document's length");
        }
        int length = ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        if (length < 5 || length > MAX_DOCUMENT) {
            throw corrupt("has a document of impossible length " + length);
        }
        byte[] doc = new byte[length];
        System.arraycopy(head, 0, doc, 0, 4);
        int read = in.readNBytes(doc, 4, length - 4);
        if (read < length - 4) {
            throw corrupt("ends inside a document of " + length + " bytes");
        }
        if (doc[length - 1] != 0) {
            throw corrupt("has a document that does not end with a NUL byte");
        }
        offset += length;
        documents++;
        return doc;
    }

    /**
     * Parses {@code doc} completely (every field, nested documents and arrays), as a check that it is valid BSON.
     *
     * @throws CorruptDataException naming the entry and offset when it is not
     */
    public void check(byte[] doc) {
        try (BsonBinaryReader reader = new BsonBinaryReader(ByteBuffer.wrap(doc))) {
            BsonDocument parsed = new BsonDocumentCodec().decode(reader, DecoderContext.builder().build());
            if (parsed == null) {
                throw corrupt("has an empty document");
            }
        } catch (BsonSerializationException | org.bson.BsonInvalidOperationException
                 | IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            // next() already counted this document: name it by its own start and number
            throw new CorruptDataException("entry '" + path + "' has a document that is not valid BSON ("
                    + e.getMessage() + ") at byte " + (offset - doc.length) + " (document " + documents + ")");
        }
    }

    /** Documents returned so far. */
    public long documents() {
        return documents;
    }

    /** Bytes consumed so far. */
    public long offset() {
        return offset;
    }

    private CorruptDataException corrupt(String what) {
        return new CorruptDataException("entry '" + path + "' " + what + " at byte " + offset + " (document "
                + (documents + 1) + ")");
    }
}
