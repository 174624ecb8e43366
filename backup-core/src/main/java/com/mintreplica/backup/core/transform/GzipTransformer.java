package com.mintreplica.backup.core.transform;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** gzip compression (the JDK's zlib): standard gzip members that {@code gzip -d} reads, with a CRC-32 each. */
public final class GzipTransformer implements Transformer {
    static final int DEFAULT_LEVEL = 6;
    private static final int BUFFER = 64 * 1024;

    private final int level;

    public GzipTransformer(int level) {
        if (level < 1 || level > 9) {
            throw new IllegalArgumentException("gzip level must be between 1 and 9: " + level);
        }
        this.level = level;
    }

    public int level() {
        return level;
    }

    @Override
    public String name() {
        return "gzip";
    }

    @Override
    public Map<String, String> parameters() {
        return Map.of("level", Integer.toString(level));
    }

    @Override
    public String fileSuffix() {
        return ".gz";
    }

    @Override
    public OutputStream encoder(OutputStream out) throws IOException {
        return new BufferedOutputStream(new GZIPOutputStream(out, BUFFER) {
            {
                def.setLevel(level);
            }
        }, BUFFER);
    }

    @Override
    public InputStream decoder(InputStream in) throws IOException {
        return new GZIPInputStream(in, BUFFER);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GzipTransformer other && other.level == level;
    }

    @Override
    public int hashCode() {
        return 31 + level;
    }

    @Override
    public String toString() {
        return "gzip(" + level + ")";
    }

    /** Rebuilds {@link GzipTransformer}s from recorded parameters. */
    public static final class Provider implements TransformerProvider {
        @Override
        public String name() {
            return "gzip";
        }

        @Override
        public String module() {
            return "backup-core";
        }

        @Override
        public Transformer create(Map<String, String> parameters) {
            return new GzipTransformer(Integer.parseInt(parameters.getOrDefault("level", Integer.toString(DEFAULT_LEVEL))));
        }
    }
}
