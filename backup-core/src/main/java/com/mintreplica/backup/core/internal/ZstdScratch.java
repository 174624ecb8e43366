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
    private final ThreadLocal<State> states;

    /**
     * The largest buffer a thread keeps between calls: enough for the largest default chunk (16 MiB), but no more than a
     * sixty-fourth of the heap, so that in a small heap the workers' kept buffers stay small beside the backup's
     * budgets (a 64 MiB heap: 1 MiB a thread; BackupRun.Budgets). A larger input (a big manifest or index object, or a
     * large chunk in a small heap) is compressed into a buffer of its own, so that a long-lived thread does not hold on
     * to the largest buffer it ever needed.
     */
    static final int KEEP_MAX = keepMax(Runtime.getRuntime().maxMemory());

    static int keepMax(long maxHeap) {
        return (int) Math.max(1 << 20, Math.min(16 << 20, maxHeap / 64));
    }

    /** A thread's compression context and the buffer it reuses. */
    private static final class State {
        final ZstdCompressCtx ctx;
        byte[] buffer = new byte[0];

        State(int level) {
            ctx = new ZstdCompressCtx();
            ctx.setLevel(level);
            ctx.setChecksum(true);
        }
    }

    /**
     * A compressed frame: {@code length} bytes of {@code buffer} from offset 0. The buffer is the thread's, overwritten
     * by its next call at the same level: use it before then.
     */
    public record Output(byte[] buffer, int length) {
    }

    private ZstdScratch(int level) {
        this.level = level;
        this.states = ThreadLocal.withInitial(() -> new State(level));
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
        State state = states.get();
        int bound = (int) Math.min(Integer.MAX_VALUE - 16, Zstd.compressBound(length));
        byte[] buffer = state.buffer;
        if (buffer.length < bound) {
            buffer = new byte[bound];
            if (bound <= KEEP_MAX) {
                state.buffer = buffer;
            }
        }
        int n = state.ctx.compressByteArray(buffer, 0, buffer.length, data, offset, length);
        return new Output(buffer, n);
    }
}
