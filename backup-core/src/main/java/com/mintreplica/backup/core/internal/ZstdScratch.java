package com.mintreplica.backup.core.internal;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.util.concurrent.ConcurrentHashMap;

/**
 * zstd's one-shot compression (a frame with a content checksum, what {@code ZstdTransformer} writes) into a buffer that
 * each thread reuses, one per level: a compression context per call costs as much as compressing a small blob, and a
 * fresh output array per call would be garbage the size of the data. {@code ZstdTransformer.encode} copies the result
 * into an array of its own; a {@link Codec} whose chain goes on to encryption hands it to the next transformer instead,
 * so that an encrypted blob is copied no more often than an unencrypted one.
 */
public final class ZstdScratch {
    private static final ConcurrentHashMap<Integer, ZstdScratch> BY_LEVEL = new ConcurrentHashMap<>();

    private final int level;
    private final ThreadLocal<Output> outputs;

    /** A thread's compression context and buffer; what {@link #compress} returns, valid until the thread's next call. */
    public static final class Output {
        private final ZstdCompressCtx ctx;
        private byte[] buffer = new byte[0];
        private int length;

        Output(int level) {
            ctx = new ZstdCompressCtx();
            ctx.setLevel(level);
            ctx.setChecksum(true);
        }

        /** The buffer holding the frame from offset 0; longer than the frame. */
        public byte[] buffer() {
            return buffer;
        }

        public int length() {
            return length;
        }
    }

    private ZstdScratch(int level) {
        this.level = level;
        this.outputs = ThreadLocal.withInitial(() -> new Output(level));
    }

    public static ZstdScratch forLevel(int level) {
        return BY_LEVEL.computeIfAbsent(level, ZstdScratch::new);
    }

    public int level() {
        return level;
    }

    /**
     * Compresses {@code length} bytes of {@code data} from {@code offset} into this thread's buffer. The output is
     * overwritten by the thread's next call at this level: use it before then.
     */
    public Output compress(byte[] data, int offset, int length) {
        Output out = outputs.get();
        int bound = (int) Zstd.compressBound(length);
        if (out.buffer.length < bound) {
            out.buffer = new byte[bound];
        }
        out.length = out.ctx.compressByteArray(out.buffer, 0, out.buffer.length, data, offset, length);
        return out;
    }
}
