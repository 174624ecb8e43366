package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.transform.Transformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.List;

/**
 * A repository's transformer chain, applied in order on write and in reverse on read, plus the function that names
 * blobs by their content.
 */
public final class Codec {
    private final List<Transformer> chain;

    public Codec(List<Transformer> chain) {
        this.chain = List.copyOf(chain);
    }

    public List<Transformer> chain() {
        return chain;
    }

    /** The id of a plaintext blob. */
    public BlobId blobId(byte[] data) {
        return BlobId.wrap(Sha256.hash(data));
    }

    /** Whether {@code data} hashes to {@code id}. */
    public boolean matches(BlobId id, byte[] data) {
        return MessageDigest.isEqual(id.bytes(), Sha256.hash(data));
    }

    public byte[] encode(byte[] data) throws IOException {
        byte[] out = data;
        for (Transformer t : chain) {
            out = t.encode(out);
        }
        return out;
    }

    /** Decodes a buffer whose plaintext has {@code plainLength} bytes ({@code -1} when unknown). */
    public byte[] decode(byte[] data, int plainLength) throws IOException {
        byte[] out = data;
        for (int i = chain.size() - 1; i >= 0; i--) {
            out = chain.get(i).decode(out, i == 0 ? plainLength : -1);
        }
        return out;
    }

    /** A stream that encodes what is written into {@code out}; closing it closes {@code out}. */
    public OutputStream encoder(OutputStream out) throws IOException {
        OutputStream stream = out;
        for (int i = chain.size() - 1; i >= 0; i--) {
            stream = chain.get(i).encoder(stream);
        }
        return stream;
    }

    public InputStream decoder(InputStream in) throws IOException {
        InputStream stream = in;
        for (int i = chain.size() - 1; i >= 0; i--) {
            stream = chain.get(i).decoder(stream);
        }
        return stream;
    }

    /** The file name suffix of the chain, e.g. {@code .zst.gpg}. */
    public String fileSuffix() {
        StringBuilder sb = new StringBuilder();
        chain.forEach(t -> sb.append(t.fileSuffix()));
        return sb.toString();
    }
}
