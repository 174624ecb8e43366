package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.transform.Transformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A reader's transformer for leases in the single-object layout: once the repository has writers it writes AES-GCM
 * under the key readers and writers share (before, the repository's OpenPGP messages, as earlier versions do), and
 * reads either.
 */
final class SharedTransformer implements Transformer {
    private final Transformer aes;
    private final Supplier<Transformer> legacy;
    private final java.util.function.BooleanSupplier shared;

    SharedTransformer(Transformer aes, Supplier<Transformer> legacy, java.util.function.BooleanSupplier shared) {
        this.aes = aes;
        this.legacy = legacy;
        this.shared = shared;
    }

    private Transformer writing() {
        Transformer other = legacy.get();
        return shared.getAsBoolean() || other == null ? aes : other;
    }

    @Override
    public String name() {
        return aes.name();
    }

    @Override
    public Map<String, String> parameters() {
        return aes.parameters();
    }

    @Override
    public String fileSuffix() {
        return aes.fileSuffix();
    }

    @Override
    public OutputStream encoder(OutputStream out) throws IOException {
        return writing().encoder(out);
    }

    @Override
    public byte[] encode(byte[] data) throws IOException {
        return writing().encode(data);
    }

    @Override
    public byte[] encode(byte[] data, int offset, int length) throws IOException {
        return writing().encode(data, offset, length);
    }

    @Override
    public byte[] decode(byte[] data, int decodedLength) throws IOException {
        return pick(Arrays.copyOf(data, Math.min(4, data.length))).decode(data, decodedLength);
    }

    @Override
    public int decodedLength(byte[] data, int off, int len) {
        return isAes(data, off, len) ? aes.decodedLength(data, off, len) : -1;
    }

    @Override
    public int decode(byte[] data, int off, int len, byte[] out, int outOff, int decodedLength) throws IOException {
        if (isAes(data, off, len)) {
            return aes.decode(data, off, len, out, outOff, decodedLength);
        }
        return pick(Arrays.copyOfRange(data, off, off + Math.min(4, len))).decode(data, off, len, out, outOff, decodedLength);
    }

    private static boolean isAes(byte[] data, int off, int len) {
        return len >= 4 && Arrays.equals(data, off, off + 4, AesGcmTransformer.MAGIC, 0, 4);
    }

    @Override
    public InputStream decoder(InputStream in) throws IOException {
        PushbackInputStream pushback = new PushbackInputStream(in, 4);
        byte[] head = pushback.readNBytes(4);
        pushback.unread(head);
        return pick(head).decoder(pushback);
    }

    private Transformer pick(byte[] head) throws IOException {
        if (Arrays.equals(head, AesGcmTransformer.MAGIC)) {
            return aes;
        }
        Transformer other = legacy.get();
        if (other == null) {
            throw new IOException("not an object sealed with the repository's shared key");
        }
        return other;
    }
}
