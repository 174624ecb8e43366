package com.mintreplica.backup.core.transform;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * A reversible stream codec: compression, encryption. A repository records the chain of transformers it was created
 * with ({@link #name()} and {@link #parameters()}), so a restore undoes the chain without being told how.
 *
 * <p>In the chunked layout the chain runs over each blob (after content-defined chunking, so compression and
 * encryption never defeat deduplication); in the single-object layout it runs over each whole entry.
 *
 * <p>Implementations are immutable and safe for concurrent use; each {@link #encoder} and {@link #decoder} call gets
 * its own stream. Checked by {@code TransformerContract} in backup-testkit.
 */
public interface Transformer {

    /** The name the chain is recorded under, and the {@link TransformerProvider} that rebuilds it: {@code zstd}. */
    String name();

    /** The parameters that rebuild this transformer through its provider: {@code level=3}. Never secrets. */
    Map<String, String> parameters();

    /**
     * A stream that encodes what is written to it into {@code out}. Closing it finishes the encoding (writes trailers)
     * and closes {@code out}.
     */
    OutputStream encoder(OutputStream out) throws IOException;

    /** A stream that decodes {@code in}. Closing it closes {@code in}. */
    InputStream decoder(InputStream in) throws IOException;

    /** The file name suffix of this encoding, used to name objects in the single-object layout: {@code .zst}. */
    default String fileSuffix() {
        return "." + name();
    }

    /** Encodes a whole buffer. Implementations may override this with a faster one-shot call. */
    default byte[] encode(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 2));
        try (OutputStream encoder = encoder(out)) {
            encoder.write(data);
        }
        return out.toByteArray();
    }

    /**
     * Encodes {@code length} bytes of {@code data} from {@code offset}: a chain hands the next transformer the previous
     * one's output this way, in a buffer it reuses, instead of copying it into an array of its own. The result is a new
     * array; {@code data} is only read, and only during the call. The default copies the range (unless it is the whole
     * buffer) and calls {@link #encode(byte[])}.
     */
    default byte[] encode(byte[] data, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        return encode(offset == 0 && length == data.length ? data
                : java.util.Arrays.copyOfRange(data, offset, offset + length));
    }

    /**
     * Decodes a whole buffer.
     *
     * @param decodedLength the length of the decoded data when the caller knows it, or {@code -1}
     */
    default byte[] decode(byte[] data, int decodedLength) throws IOException {
        try (InputStream decoder = decoder(new ByteArrayInputStream(data))) {
            return decoder.readAllBytes();
        }
    }

    /**
     * The exact length {@link #decode(byte[], int, int, byte[], int, int)} gives for {@code len} encoded bytes of
     * {@code data} from {@code off}, when the encoding tells it without decoding (an encryption's framing does), else
     * {@code -1}. A restore uses it to decode into buffers it reuses instead of allocating each blob's.
     */
    default int decodedLength(byte[] data, int off, int len) {
        return -1;
    }

    /**
     * Decodes {@code len} bytes of {@code data} from {@code off} into {@code out} from {@code outOff}, which has room
     * for the decoded data, and returns its length. {@code out} is never {@code data}. Implementations may override
     * this to decode without allocating; the default decodes a copy and copies the result.
     *
     * @param decodedLength the length of the decoded data when the caller knows it, or {@code -1}
     * @throws IOException when the data does not decode, or its decoded form does not fit
     */
    default int decode(byte[] data, int off, int len, byte[] out, int outOff, int decodedLength) throws IOException {
        byte[] decoded = decode(off == 0 && len == data.length ? data : java.util.Arrays.copyOfRange(data, off, off + len),
                decodedLength);
        if (decoded.length > out.length - outOff) {
            throw new IOException("the data decodes to " + decoded.length + " bytes, more than the "
                    + (out.length - outOff) + " expected");
        }
        System.arraycopy(decoded, 0, out, outOff, decoded.length);
        return decoded.length;
    }
}
