package com.mintreplica.backup.core.transform;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.internal.ZstdScratch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Zstandard compression (zstd-jni). Output is a standard zstd frame with a content checksum, which {@code zstd -d}
 * reads.
 */
public final class ZstdTransformer implements Transformer {
    static final int DEFAULT_LEVEL = 3;

    private final int level;
    /** One compression context and output buffer per thread (shared with the codecs that compress at this level). */
    private final ZstdScratch compressor;
    private static final ThreadLocal<ZstdDecompressCtx> DECOMPRESSORS = ThreadLocal.withInitial(ZstdDecompressCtx::new);

    public ZstdTransformer(int level) {
        try {
            if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel()) {
                throw new IllegalArgumentException("zstd level must be between " + Zstd.minCompressionLevel() + " and "
                        + Zstd.maxCompressionLevel() + ": " + level);
            }
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw nativeLibraryMissing(e);
        }
        this.level = level;
        this.compressor = ZstdScratch.forLevel(level);
    }

    /**
     * zstd-jni unpacks its native library from its jar into the JVM's temporary directory and loads it from there at
     * the first use: where that directory is mounted {@code noexec} (a common hardening of /tmp), or cannot be written,
     * the load fails with an UnsatisfiedLinkError, and every later use with a NoClassDefFoundError. Either becomes this,
     * which says what to do (the CLI's packages ship the library unpacked; see ShippedNativeLibraries there).
     */
    private static BackupException nativeLibraryMissing(Throwable e) {
        String tmp = System.getProperty("ZstdTempFolder", System.getProperty("java.io.tmpdir"));
        return new BackupException("zstd's native library could not be loaded (" + e.getMessage() + "). zstd-jni"
                + " unpacks it into the JVM's temporary directory (" + tmp + ") and loads it from there, which fails"
                + " where that directory is mounted noexec or cannot be written: give the JVM a directory where"
                + " libraries may be loaded with -DZstdTempFolder=DIR (or -Djava.io.tmpdir=DIR), or the unpacked"
                + " library itself with -DZstdNativePath=FILE", e);
    }

    public int level() {
        return level;
    }

    @Override
    public String name() {
        return "zstd";
    }

    @Override
    public Map<String, String> parameters() {
        return Map.of("level", Integer.toString(level));
    }

    @Override
    public String fileSuffix() {
        return ".zst";
    }

    @Override
    public OutputStream encoder(OutputStream out) throws IOException {
        ZstdOutputStream zstd = new ZstdOutputStream(out, level);
        zstd.setChecksum(true);
        return zstd;
    }

    @Override
    public InputStream decoder(InputStream in) throws IOException {
        return new ZstdInputStream(in);
    }

    @Override
    public byte[] encode(byte[] data) {
        return encode(data, 0, data.length);
    }

    @Override
    public byte[] encode(byte[] data, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        ZstdScratch.Output out = compressor.compress(data, offset, length);
        return java.util.Arrays.copyOf(out.buffer(), out.length());
    }

    @Override
    public byte[] decode(byte[] data, int decodedLength) throws IOException {
        if (decodedLength < 0) {
            // A frame written by encode() records its content size: metadata objects (snapshot summaries, index objects)
            // then decode in one call instead of through a stream and its buffers. Sizes a frame could not plausibly
            // hold (zstd expands at most about 1:1000 here) go through the stream, which allocates as it reads.
            long size = data.length >= 4 ? Zstd.getFrameContentSize(data) : -1;
            if (size <= 0 || size > ONE_SHOT_MAX || size > 1024L * data.length + 65536) {
                return Transformer.super.decode(data, decodedLength);
            }
            try {
                return decodeKnown(data, (int) size);
            } catch (IOException e) {
                // more than one frame, or a size that lies: the stream decides
                return Transformer.super.decode(data, decodedLength);
            }
        }
        return decodeKnown(data, decodedLength);
    }

    @Override
    public int decode(byte[] data, int off, int len, byte[] out, int outOff, int decodedLength) throws IOException {
        if (decodedLength < 0 || decodedLength > out.length - outOff) {
            return Transformer.super.decode(data, off, len, out, outOff, decodedLength);
        }
        try {
            int n = DECOMPRESSORS.get().decompressByteArray(out, outOff, decodedLength, data, off, len);
            if (n != decodedLength) {
                throw new IOException("zstd data decodes to " + n + " bytes, expected " + decodedLength);
            }
            return n;
        } catch (ZstdException e) {
            throw new IOException("invalid zstd data: " + e.getMessage(), e);
        }
    }

    private static byte[] decodeKnown(byte[] data, int decodedLength) throws IOException {
        try {
            byte[] out = new byte[decodedLength];
            int n = DECOMPRESSORS.get().decompressByteArray(out, 0, out.length, data, 0, data.length);
            if (n != decodedLength) {
                throw new IOException("zstd data decodes to " + n + " bytes, expected " + decodedLength);
            }
            return out;
        } catch (ZstdException e) {
            throw new IOException("invalid zstd data: " + e.getMessage(), e);
        }
    }

    /** The largest content decoded in one call when the length comes from the frame itself. */
    private static final long ONE_SHOT_MAX = 64L << 20;

    @Override
    public boolean equals(Object o) {
        return o instanceof ZstdTransformer other && other.level == level;
    }

    @Override
    public int hashCode() {
        return level;
    }

    @Override
    public String toString() {
        return "zstd(" + level + ")";
    }

    /** Rebuilds {@link ZstdTransformer}s from recorded parameters. */
    public static final class Provider implements TransformerProvider {
        @Override
        public String name() {
            return "zstd";
        }

        @Override
        public String module() {
            return "backup-core";
        }

        @Override
        public Transformer create(Map<String, String> parameters) {
            return new ZstdTransformer(Integer.parseInt(parameters.getOrDefault("level", Integer.toString(DEFAULT_LEVEL))));
        }
    }
}
