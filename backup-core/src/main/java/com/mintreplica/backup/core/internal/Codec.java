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

    /** The id of a plaintext given in parts: the id of their concatenation. */
    public BlobId blobId(List<byte[]> parts) {
        if (parts.size() == 1) {
            return blobId(parts.get(0));
        }
        Hasher hasher = new Hasher();
        parts.forEach(part -> hasher.update(part, 0, part.length));
        return hasher.id();
    }

    /** A blob id computed a part at a time, for a plaintext read or written as a stream. Not thread-safe. */
    public final class Hasher {
        private final MessageDigest digest = idKey == null ? Sha256.newDigest() : null;
        private final Mac mac = idKey == null ? null : newMac();

        public void update(byte[] b, int off, int len) {
            if (digest != null) {
                digest.update(b, off, len);
            } else {
                mac.update(b, off, len);
            }
        }

        /** The id of what was given; the hasher starts again. */
        public BlobId id() {
            return BlobId.wrap(digest != null ? digest.digest() : mac.doFinal());
        }
    }

    public Hasher hasher() {
        return new Hasher();
    }

    /**
     * A stored blob's plaintext as a stream, so that a large one (a directory of 300,000 files has a listing of some
     * 100 MiB) need not be held whole: the layers after zstd (encryption) are decoded in memory and the compressed
     * frame read as a stream. A chain that does not begin with zstd decodes the whole. The caller checks the length
     * and the id ({@link #hasher()}).
     */
    public InputStream plainStream(byte[] encoded, int plainLength) throws IOException {
        if (applied.isEmpty() || scratch[0] == null) {
            return new java.io.ByteArrayInputStream(decode(encoded, plainLength));
        }
        byte[] compressed = encoded;
        for (int i = applied.size() - 1; i > 0; i--) {
            compressed = applied.get(i).decode(compressed, -1);
        }
        return applied.get(0).decoder(new java.io.ByteArrayInputStream(compressed));
    }

    /** Whether {@code data} hashes to {@code id}. */
    public boolean matches(BlobId id, byte[] data) {
        return MessageDigest.isEqual(id.bytes(), hash(data));
    }

    /** Whether {@code length} bytes of {@code data} from {@code offset} hash to {@code id}. */
    public boolean matches(BlobId id, byte[] data, int offset, int length) {
        return MessageDigest.isEqual(id.bytes(), hash(data, offset, length));
    }

    private byte[] hash(byte[] data, int offset, int length) {
        if (idKey == null) {
            return Sha256.hash(data, offset, length);
        }
        Mac mac = macs.get();
        mac.update(data, offset, length);
        return mac.doFinal();
    }

    /** One keyed MAC per thread (doFinal resets it): looking up and keying one per blob showed in a restore's profile. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(idKey);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot compute HMAC-SHA256 with the repository's id key", e);
        }
    }

    /**
     * Buffers for the stages between the stored and the plain form of {@link #decode(byte[], int, int, int, byte[],
     * Scratch)} (an encryption's output, which the decompression reads), taken from a source the caller may reuse
     * arrays through ({@link #recycle}), instead of one fresh array per blob.
     */
    public static final class Scratch {
        private final java.util.function.IntFunction<byte[]> source;
        private final java.util.function.Consumer<byte[]> replaced;
        private byte[] first;
        private byte[] second;
        private boolean flip;

        public Scratch(java.util.function.IntFunction<byte[]> source) {
            this(source, b -> { });
        }

        /**
         * @param replaced takes a buffer that a longer one replaced (it is no longer used): one scratch serves many
         *                 blobs, and a longer blob needs a longer buffer
         */
        public Scratch(java.util.function.IntFunction<byte[]> source, java.util.function.Consumer<byte[]> replaced) {
            this.source = source;
            this.replaced = replaced;
        }

        /** A new blob: its first stage takes the first buffer again (the ones of the blob before are done with). */
        void begin() {
            flip = false;
        }

        /** A buffer of at least {@code length} bytes other than the one handed out last. */
        byte[] next(int length) {
            flip = !flip;
            byte[] b = flip ? first : second;
            if (b == null || b.length < length) {
                if (b != null) {
                    replaced.accept(b);
                }
                b = source.apply(length);
                if (flip) {
                    first = b;
                } else {
                    second = b;
                }
            }
            return b;
        }

        /** Hands the buffers taken to {@code sink} (they are no longer used) and forgets them. */
        public void recycle(java.util.function.Consumer<byte[]> sink) {
            if (first != null) {
                sink.accept(first);
            }
            if (second != null) {
                sink.accept(second);
            }
            first = null;
            second = null;
            flip = false;
        }
    }

    /**
     * Decodes {@code length} stored bytes of {@code data} from {@code offset} into {@code out} (from 0), whose plain
     * form is {@code plainLength} bytes, without allocating where the chain's transformers allow it: the stages in
     * between go through {@code scratch}.
     *
     * @throws IOException when the data does not decode to exactly {@code plainLength} bytes
     */
    public void decode(byte[] data, int offset, int length, int plainLength, byte[] out, Scratch scratch)
            throws IOException {
        scratch.begin();
        byte[] in = data;
        int off = offset;
        int len = length;
        for (int i = applied.size() - 1; i > 0; i--) {
            Transformer t = applied.get(i);
            int n = t.decodedLength(in, off, len);
            if (n < 0) {
                in = t.decode(off == 0 && len == in.length ? in : java.util.Arrays.copyOfRange(in, off, off + len), -1);
                off = 0;
                len = in.length;
            } else {
                byte[] buffer = scratch.next(n);
                len = t.decode(in, off, len, buffer, 0, n);
                in = buffer;
                off = 0;
            }
        }
        int n;
        if (applied.isEmpty()) {
            if (len != plainLength) {
                throw new IOException("the data holds " + len + " bytes, " + plainLength + " were expected");
            }
            System.arraycopy(in, off, out, 0, len);
            n = len;
        } else {
            n = applied.get(0).decode(in, off, len, out, 0, plainLength);
        }
        if (n != plainLength) {
            throw new IOException("the data decodes to " + n + " bytes, " + plainLength + " were expected");
        }
    }

    /** SHA-256 of {@code data}, or its HMAC-SHA256 under the id key in an encrypted repository. */
    public byte[] hash(byte[] data) {
        return hash(data, 0, data.length);
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

    /**
     * Encodes a plaintext given in parts (a directory's listing, written in blocks) as the encoding of their
     * concatenation. A listing large enough for the copy to matter is encoded as it is written instead
     * ({@link #streamed()}).
     */
    public byte[] encode(List<byte[]> parts) throws IOException {
        return encode(parts.size() == 1 ? parts.get(0) : concatenate(parts));
    }

    /**
     * An encoding of a plaintext written to it a part at a time, or null when the chain does not begin with zstd: the
     * plaintext is hashed (keyed where ids are) and compressed as it comes, so that only its compressed form is held.
     * A directory of 300,000 files has a listing of some 100 MiB, which a backup held whole until its tree was stored.
     */
    public Streamed streamed() throws IOException {
        if (applied.isEmpty() || scratch[0] == null) {
            return null;
        }
        return new Streamed();
    }

    /**
     * A streamed encoding's compressed form past this many bytes goes to a temporary file ({@link SpooledBytes}):
     * a backup finds that a large listing is unchanged only once it is written whole, and the unchanged listing of a
     * directory of 300,000 files held 18 MiB of compressed form while the walk went through it.
     */
    static final int SPOOL_COMPRESSED_FROM = 1 << 20;

    /**
     * See {@link #streamed()}. Not thread-safe; {@link #close} it, then take its id and its encoding, or
     * {@link #release} it when the encoding is not wanted.
     */
    public final class Streamed extends OutputStream {
        private final Hasher hasher = new Hasher();
        private BlockOutputStream compressed = new BlockOutputStream();
        /** The compressed form once it is past {@link #SPOOL_COMPRESSED_FROM} bytes, or null. */
        private SpooledBytes spool;
        private boolean spoolTried;
        private final OutputStream zstd;
        private long length;
        private long compressedLength;
        private boolean closed;
        private BlobId id;

        private Streamed() throws IOException {
            zstd = applied.get(0).encoder(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    held(b, off, len);
                }
            });
        }

        /** Keeps compressed bytes: in blocks, then, from {@link #SPOOL_COMPRESSED_FROM} bytes, in a temporary file. */
        private void held(byte[] b, int off, int len) throws IOException {
            compressedLength += len;
            if (spool != null) {
                try {
                    spool.write(b, off, len);
                } catch (IOException e) {
                    throw new IOException("cannot write the compressed listing of a large directory to a temporary"
                            + " file in " + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
                }
                return;
            }
            compressed.write(b, off, len);
            if (!spoolTried && compressed.size() >= SPOOL_COMPRESSED_FROM) {
                spoolTried = true;
                SpooledBytes opened = null;
                try {
                    opened = SpooledBytes.create();
                    compressed.writeTo(opened.appender());
                } catch (IOException e) {
                    // no temporary file to be had: the compressed form stays in the heap, as before
                    if (opened != null) {
                        opened.close();
                    }
                    return;
                }
                spool = opened;
                compressed.release();
                compressed = null;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("the encoding is closed");
            }
            hasher.update(b, off, len);
            zstd.write(b, off, len);
            length += len;
        }

        /** Ends the compressed frame. */
        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                zstd.close();
            }
        }

        /** The plaintext's blob id, once closed. */
        public BlobId id() {
            if (!closed) {
                throw new IllegalStateException("the encoding is not closed");
            }
            if (id == null) {
                id = hasher.id();
            }
            return id;
        }

        public int plainLength() {
            return Math.toIntExact(length);
        }

        /** The compressed size so far. */
        public long compressedLength() {
            return compressedLength;
        }

        /** Whether the compressed form is in a temporary file (for tests). */
        boolean spooled() {
            return spool != null;
        }

        /**
         * The stored form, as {@link Codec#encode(byte[])} of the plaintext would decode: the rest of the chain applied.
         * Once: the compressed form is let go.
         */
        public byte[] encode() throws IOException {
            if (!closed) {
                throw new IllegalStateException("the encoding is not closed");
            }
            byte[] out;
            if (spool != null) {
                try {
                    spool.finish();
                    out = spool.read(0, Math.toIntExact(spool.length()));
                } catch (IOException e) {
                    throw new IOException("cannot read back the compressed listing of a large directory from a"
                            + " temporary file in " + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
                } finally {
                    release();
                }
            } else {
                out = compressed.toByteArray();
            }
            for (int i = 1; i < applied.size(); i++) {
                out = applied.get(i).encode(out);
            }
            return out;
        }

        /** Lets go of the compressed form (its temporary file is closed): the encoding is not wanted. */
        public void release() {
            if (spool != null) {
                spool.close();
                spool = null;
            }
            if (compressed != null) {
                compressed.release();
            }
        }
    }

    /** The parts one after the other in one array. */
    static byte[] concatenate(List<byte[]> parts) {
        long length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[Math.toIntExact(length)];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
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
