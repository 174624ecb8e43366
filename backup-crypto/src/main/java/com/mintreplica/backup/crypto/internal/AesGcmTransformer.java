package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.transform.Transformer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.util.HexFormat;

/**
 * Authenticated encryption of every stored object of a chunked repository with the JDK's AES-256-GCM (hardware
 * accelerated), as a segmented stream so that neither side holds more than a segment:
 * <pre>
 *   header:   "MBE1" | data key id (8) | salt (16)
 *   segments: AES-256-GCM(plaintext of 16 KiB, the last one shorter, possibly empty) with a 16-byte tag each
 *   object key = HKDF-SHA256(data key, salt, "mint-backup aes-256-gcm object key")
 *   nonce      = 7 zero bytes | segment number (uint32, big-endian) | 1 for the last segment, else 0
 *   associated data = the header
 * </pre>
 * A fresh random salt per object gives each object its own key, so nonces never repeat under a key however many
 * objects a repository holds; numbering and the last-segment flag catch reordered, dropped or truncated segments.
 * Objects are written with the newest data key and read with whichever key their header names.
 */
public final class AesGcmTransformer implements Transformer {
    public static final String NAME = "aes-256-gcm";
    static final byte[] MAGIC = {'M', 'B', 'E', '1'};
    static final int SALT = 16;
    static final int HEADER = MAGIC.length + DataKey.ID_LENGTH + SALT;
    static final int TAG = 16;
    static final int SEGMENT = 16 * 1024;
    private static final String INFO = "mint-backup aes-256-gcm object key";

    private final Keys keys;
    private final SecureRandom random;

    /**
     * Where the keys come from: the key new objects are sealed under, and the key a stored object's header names. A
     * reader's keys are its data keys (and writers' session keys, fetched when first named); a writer's current key is
     * its session key, and it finds none (it decrypts nothing).
     */
    public interface Keys {
        /** The key new objects are sealed under. */
        DataKey current() throws IOException;

        /**
         * The key with this id (16 upper-case hex digits), or null when it is unknown.
         *
         * @throws IOException when looking it up fails, or these keys may not decrypt (a writer's)
         */
        DataKey find(String idHex) throws IOException;

        /** The ids known, for messages. */
        String describe();
    }

    /** A fixed list of keys, the newest last; objects are written with the newest. */
    public static Keys fixed(List<DataKey> list) {
        if (list.isEmpty()) {
            throw new IllegalArgumentException("no data key");
        }
        Map<String, DataKey> byId = new LinkedHashMap<>();
        list.forEach(k -> byId.put(k.idHex(), k));
        DataKey newest = list.get(list.size() - 1);
        return new Keys() {
            @Override
            public DataKey current() {
                return newest;
            }

            @Override
            public DataKey find(String idHex) {
                return byId.get(idHex);
            }

            @Override
            public String describe() {
                return byId.keySet().toString();
            }
        };
    }

    /**
     * @param keys every data key the repository may have used, the newest last; objects are written with the newest
     */
    public AesGcmTransformer(List<DataKey> keys, SecureRandom random) {
        this(fixed(keys), random);
    }

    public AesGcmTransformer(Keys keys, SecureRandom random) {
        this.keys = keys;
        this.random = random;
    }

    /** The id of the key new objects are written with. */
    public String currentKeyId() throws IOException {
        return keys.current().idHex();
    }

    /** The id of the key an object sealed by this transformer names in its header, or empty when it is not one. */
    public static java.util.Optional<String> keyIdOf(byte[] sealed) {
        if (sealed.length < HEADER || !Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(HexFormat.of().withUpperCase().formatHex(sealed, MAGIC.length, MAGIC.length + DataKey.ID_LENGTH));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> parameters() {
        return Map.of("segment", Integer.toString(SEGMENT));
    }

    @Override
    public String fileSuffix() {
        return ".mbe";
    }

    // ---- buffers

    @Override
    public byte[] encode(byte[] data) throws IOException {
        return encode(data, 0, data.length);
    }

    @Override
    public byte[] encode(byte[] data, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        int segments = Math.max(1, (length + SEGMENT - 1) / SEGMENT);
        byte[] out = new byte[HEADER + length + segments * TAG];
        Sealer sealer = new Sealer();
        System.arraycopy(sealer.header, 0, out, 0, HEADER);
        int in = offset;
        int end = offset + length;
        int pos = HEADER;
        for (int i = 0; i < segments; i++) {
            int n = Math.min(SEGMENT, end - in);
            pos += sealer.seal(data, in, n, i == segments - 1, out, pos);
            in += n;
        }
        return out;
    }

    @Override
    public byte[] decode(byte[] data, int decodedLength) throws IOException {
        int plain = plainLength(data.length);
        if (plain < 0) {
            throw new IOException("the encrypted object is truncated");
        }
        byte[] out = new byte[plain];
        decode(data, 0, data.length, out, 0, decodedLength);
        return out;
    }

    /** The plaintext length of an object of {@code length} bytes, or -1 when it is too short to be one. */
    private static int plainLength(int length) {
        int body = length - HEADER;
        if (body < 0) {
            return -1;
        }
        int segments = Math.max(1, (body + SEGMENT + TAG - 1) / (SEGMENT + TAG));
        int plain = body - segments * TAG;
        return plain < 0 ? -1 : plain;
    }

    @Override
    public int decodedLength(byte[] data, int off, int len) {
        return plainLength(len);
    }

    /** Decrypts into {@code out} without allocating the plaintext: a restore reuses its buffers. */
    @Override
    public int decode(byte[] data, int off, int len, byte[] out, int outOff, int decodedLength) throws IOException {
        if (len < HEADER) {
            throw new IOException("the encrypted object is truncated (" + len + " bytes)");
        }
        Opener opener = new Opener(data, off);
        int body = len - HEADER;
        int segments = Math.max(1, (body + SEGMENT + TAG - 1) / (SEGMENT + TAG));
        int plain = body - segments * TAG;
        if (plain < 0) {
            throw new IOException("the encrypted object is truncated");
        }
        if (decodedLength >= 0 && decodedLength != plain) {
            throw new IOException("the encrypted object holds " + plain + " bytes, " + decodedLength + " were expected");
        }
        if (plain > out.length - outOff) {
            throw new IOException("the encrypted object holds " + plain + " bytes, more than the " + (out.length - outOff)
                    + " expected");
        }
        int end = off + len;
        int pos = off + HEADER;
        int outPos = outOff;
        for (int i = 0; i < segments; i++) {
            int n = Math.min(SEGMENT + TAG, end - pos);
            outPos += opener.open(data, pos, n, i == segments - 1, out, outPos);
            pos += n;
        }
        return outPos - outOff;
    }

    // ---- streams

    @Override
    public OutputStream encoder(OutputStream out) throws IOException {
        return new SealingOutputStream(out);
    }

    @Override
    public InputStream decoder(InputStream in) throws IOException {
        return new OpeningInputStream(in);
    }

    private static byte[] nonce(int segment, boolean last) {
        return ByteBuffer.allocate(12).position(7).putInt(segment).put((byte) (last ? 1 : 0)).array();
    }

    /**
     * One AES-GCM cipher per thread, initialised afresh for every segment: {@code Cipher.getInstance} per object (a
     * provider look-up, reflection, a new key schedule) cost more than sealing a small object. Each segment is a whole
     * init, AAD, doFinal cycle on the calling thread, so objects sealed or opened alternately on one thread (an
     * encoder stream left open while buffers are encoded) never see each other's state.
     */
    private static final ThreadLocal<Cipher> CIPHERS = new ThreadLocal<>();

    private static Cipher gcm() throws IOException {
        Cipher cipher = CIPHERS.get();
        if (cipher == null) {
            try {
                cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IOException("the JDK has no AES-GCM", e);
            }
            CIPHERS.set(cipher);
        }
        return cipher;
    }

    /** Encrypts the segments of one object. */
    private final class Sealer {
        final byte[] header = new byte[HEADER];
        private final SecretKeySpec key;
        private int segment;

        Sealer() throws IOException {
            DataKey current = keys.current();
            byte[] salt = new byte[SALT];
            random.nextBytes(salt);
            ByteBuffer.wrap(header).put(MAGIC).put(current.id()).put(salt);
            key = new SecretKeySpec(current.derive(salt, INFO, 32), "AES");
        }

        int seal(byte[] in, int off, int len, boolean last, byte[] out, int outOff) throws IOException {
            Cipher cipher = gcm();
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce(segment++, last)));
                cipher.updateAAD(header);
                return cipher.doFinal(in, off, len, out, outOff);
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM encryption failed: " + e.getMessage(), e);
            }
        }
    }

    /** Decrypts the segments of one object, given its header. */
    private final class Opener {
        private final byte[] header;
        private final SecretKeySpec key;
        private int segment;

        Opener(byte[] source, int offset) throws IOException {
            if (source.length - offset < HEADER) {
                throw new IOException("the encrypted object is truncated (" + (source.length - offset) + " bytes)");
            }
            header = Arrays.copyOfRange(source, offset, offset + HEADER);
            if (!Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw new IOException("not an object encrypted by mint-backup (no MBE1 header)");
            }
            String id = HexFormat.of().withUpperCase().formatHex(header, MAGIC.length, MAGIC.length + DataKey.ID_LENGTH);
            DataKey dataKey = keys.find(id);
            if (dataKey == null) {
                throw new IOException("the object is encrypted under key " + id + ", which is not among the keys unlocked ("
                        + keys.describe() + "): the key object holding it may have been removed");
            }
            byte[] salt = Arrays.copyOfRange(header, MAGIC.length + DataKey.ID_LENGTH, HEADER);
            key = new SecretKeySpec(dataKey.derive(salt, INFO, 32), "AES");
        }

        int open(byte[] in, int off, int len, boolean last, byte[] out, int outOff) throws IOException {
            if (len < TAG) {
                throw new IOException("the encrypted object is truncated in segment " + segment);
            }
            Cipher cipher = gcm();
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce(segment, last)));
                cipher.updateAAD(header);
                return cipher.doFinal(in, off, len, out, outOff);
            } catch (AEADBadTagException e) {
                throw new IOException("segment " + segment + " of the encrypted object fails authentication: it was changed,"
                        + " truncated or reordered");
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM decryption failed: " + e.getMessage(), e);
            } finally {
                segment++;
            }
        }
    }

    private final class SealingOutputStream extends OutputStream {
        private final OutputStream out;
        private final Sealer sealer;
        private final byte[] buffer = new byte[SEGMENT];
        private final byte[] sealed = new byte[SEGMENT + TAG];
        private int filled;
        private boolean closed;

        SealingOutputStream(OutputStream out) throws IOException {
            this.out = out;
            this.sealer = new Sealer();
            out.write(sealer.header);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("the stream is closed");
            }
            while (len > 0) {
                if (filled == SEGMENT) {
                    // more data follows, so the full segment is not the last one
                    out.write(sealed, 0, sealer.seal(buffer, 0, filled, false, sealed, 0));
                    filled = 0;
                }
                int n = Math.min(len, SEGMENT - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                out.write(sealed, 0, sealer.seal(buffer, 0, filled, true, sealed, 0));
            } finally {
                out.close();
            }
        }
    }

    private final class OpeningInputStream extends InputStream {
        private final InputStream in;
        private final byte[] segment = new byte[SEGMENT + TAG + 1];
        private final byte[] plain = new byte[SEGMENT];
        private Opener opener;
        private int segmentFilled;
        private int plainStart;
        private int plainEnd;
        private boolean done;

        OpeningInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (plainStart == plainEnd) {
                if (done) {
                    return -1;
                }
                nextSegment();
            }
            int n = Math.min(len, plainEnd - plainStart);
            System.arraycopy(plain, plainStart, b, off, n);
            plainStart += n;
            return n;
        }

        private void nextSegment() throws IOException {
            if (opener == null) {
                byte[] header = in.readNBytes(HEADER);
                if (header.length < HEADER) {
                    throw new EOFException("the encrypted object is truncated (" + header.length + " bytes)");
                }
                opener = new Opener(header, 0);
            }
            // one byte beyond a full segment tells whether this segment is the last
            while (segmentFilled < segment.length) {
                int n = in.read(segment, segmentFilled, segment.length - segmentFilled);
                if (n < 0) {
                    break;
                }
                segmentFilled += n;
            }
            boolean last = segmentFilled < segment.length;
            int length = last ? segmentFilled : SEGMENT + TAG;
            plainEnd = opener.open(segment, 0, length, last, plain, 0);
            plainStart = 0;
            if (last) {
                done = true;
                segmentFilled = 0;
            } else {
                segment[0] = segment[SEGMENT + TAG];
                segmentFilled = 1;
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }


    @Override
    public String toString() {
        return NAME + "(keys " + keys.describe() + ")";
    }
}
