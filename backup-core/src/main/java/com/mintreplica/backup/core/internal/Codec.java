package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.ZstdTransformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * A repository's transformer chain, applied in order on write and in reverse on read, plus the function that names
 * blobs by their content. In an encrypted repository the encryption's transformer follows the recorded chain, and
 * blob ids are HMAC-SHA256 under the repository's id key instead of plain SHA-256.
 */
public final class Codec {
    private final List<Transformer> chain;
    private final List<Transformer> applied;
    private final SecretKey idKey;
    /** For each zstd transformer of the chain, its per-thread compression buffer (null for the others). */
    private final ZstdScratch[] scratch;

    public Codec(List<Transformer> chain) {
        this(chain, null, null);
    }

    /**
     * @param sealing the encryption's transformer, applied after the chain ({@code null}: none)
     * @param idKey the HMAC-SHA256 key for blob ids ({@code null}: plain SHA-256)
     */
    public Codec(List<Transformer> chain, Transformer sealing, SecretKey idKey) {
        this.chain = List.copyOf(chain);
        List<Transformer> all = new ArrayList<>(chain);
        if (sealing != null) {
            all.add(sealing);
        }
        this.applied = List.copyOf(all);
        this.idKey = idKey;
        this.scratch = new ZstdScratch[applied.size()];
        for (int i = 0; i < applied.size(); i++) {
            if (applied.get(i) instanceof ZstdTransformer zstd) {
                scratch[i] = ZstdScratch.forLevel(zstd.level());
            }
        }
    }

    /** The recorded chain (without the encryption's transformer). */
    public List<Transformer> chain() {
        return chain;
    }

    /** Whether blob ids are keyed, so that names derived from content must not reveal it. */
    public boolean keyed() {
        return idKey != null;
    }

    /** The id of a plaintext blob. */
    public BlobId blobId(byte[] data) {
        return BlobId.wrap(hash(data));
    }

    /** Whether {@code data} hashes to {@code id}. */
    public boolean matches(BlobId id, byte[] data) {
        return MessageDigest.isEqual(id.bytes(), hash(data));
    }

    /** SHA-256 of {@code data}, or its HMAC-SHA256 under the id key in an encrypted repository. */
    public byte[] hash(byte[] data) {
        if (idKey == null) {
            return Sha256.hash(data);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(idKey);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot compute HMAC-SHA256 with the repository's id key", e);
        }
    }

    public byte[] encode(byte[] data) throws IOException {
        byte[] out = data;
        // zstd followed by another transformer (encryption) compresses into a buffer its thread reuses, which the next
        // transformer reads in place: an encrypted blob is then copied as often as an unencrypted one (once, into the
        // array returned)
        for (int i = 0; i < applied.size(); i++) {
            if (scratch[i] != null && i + 1 < applied.size()) {
                ZstdScratch.Output compressed = scratch[i].compress(out, 0, out.length);
                i++;
                out = applied.get(i).encode(compressed.buffer(), 0, compressed.length());
            } else {
                out = applied.get(i).encode(out);
            }
        }
        return out;
    }

    /** Decodes a buffer whose plaintext has {@code plainLength} bytes ({@code -1} when unknown). */
    public byte[] decode(byte[] data, int plainLength) throws IOException {
        byte[] out = data;
        for (int i = applied.size() - 1; i >= 0; i--) {
            out = applied.get(i).decode(out, i == 0 ? plainLength : -1);
        }
        return out;
    }

    /** A stream that encodes what is written into {@code out}; closing it closes {@code out}. */
    public OutputStream encoder(OutputStream out) throws IOException {
        OutputStream stream = out;
        for (int i = applied.size() - 1; i >= 0; i--) {
            stream = applied.get(i).encoder(stream);
        }
        return stream;
    }

    public InputStream decoder(InputStream in) throws IOException {
        InputStream stream = in;
        for (int i = applied.size() - 1; i >= 0; i--) {
            stream = applied.get(i).decoder(stream);
        }
        return stream;
    }

    /** The file name suffix of the chain, e.g. {@code .zst.gpg}. */
    public String fileSuffix() {
        StringBuilder sb = new StringBuilder();
        applied.forEach(t -> sb.append(t.fileSuffix()));
        return sb.toString();
    }
}
