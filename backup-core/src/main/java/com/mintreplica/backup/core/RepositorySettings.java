package com.mintreplica.backup.core;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;
import java.util.List;
import java.util.Objects;

/**
 * How a new repository stores data. Fixed at creation and recorded in its config, so every later reader knows.
 *
 * @param layout chunked (deduplicating, the default) or single-object
 * @param transformers the chain applied to every stored blob or entry, in order (default: zstd level 3)
 * @param chunkMin the smallest chunk, except at the end of an entry (default 512 KiB)
 * @param chunkAvg the average chunk size the chunker aims at (default 1 MiB)
 * @param chunkMax the largest chunk (default 8 MiB)
 * @param packSize the size packs are filled to before they are stored (default 16 MiB)
 */
public record RepositorySettings(Layout layout, List<Transformer> transformers, int chunkMin, int chunkAvg, int chunkMax,
                                 int packSize) {

    public static final int DEFAULT_CHUNK_MIN = 512 * 1024;
    public static final int DEFAULT_CHUNK_AVG = 1024 * 1024;
    public static final int DEFAULT_CHUNK_MAX = 8 * 1024 * 1024;
    public static final int DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

    public RepositorySettings {
        Objects.requireNonNull(layout, "layout");
        transformers = List.copyOf(transformers);
        if (!(0 < chunkMin && chunkMin <= chunkAvg && chunkAvg <= chunkMax)) {
            throw new InvalidInputException("chunk sizes must satisfy 0 < min <= avg <= max, got " + chunkMin + ", "
                    + chunkAvg + ", " + chunkMax);
        }
        if (packSize < 1) {
            throw new InvalidInputException("pack size must be positive: " + packSize);
        }
    }

    /** Chunked layout, zstd level 3, default chunk and pack sizes. */
    public static RepositorySettings defaults() {
        return new RepositorySettings(Layout.CHUNKED, List.of(Transformers.zstd()), DEFAULT_CHUNK_MIN, DEFAULT_CHUNK_AVG,
                DEFAULT_CHUNK_MAX, DEFAULT_PACK_SIZE);
    }

    public RepositorySettings withLayout(Layout value) {
        return new RepositorySettings(value, transformers, chunkMin, chunkAvg, chunkMax, packSize);
    }

    public RepositorySettings withTransformers(List<Transformer> value) {
        return new RepositorySettings(layout, value, chunkMin, chunkAvg, chunkMax, packSize);
    }

    public RepositorySettings withChunkSizes(int min, int avg, int max) {
        return new RepositorySettings(layout, transformers, min, avg, max, packSize);
    }

    public RepositorySettings withPackSize(int value) {
        return new RepositorySettings(layout, transformers, chunkMin, chunkAvg, chunkMax, value);
    }
}
