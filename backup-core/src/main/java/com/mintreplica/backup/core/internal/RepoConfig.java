package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.json.JsonTree;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.UnsupportedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The repository's {@code config} object: format version, layout, chunker parameters and transformer chain. Stored as
 * JSON in an {@link Envelope}, never through the transformer chain (it says what the chain is). Holds no secrets.
 */
public record RepoConfig(int version, String id, Instant created, Layout layout, int chunkMin, int chunkAvg, int chunkMax,
                         long chunkSeed, int packSize, List<TransformerSpec> transformers, Map<String, String> extensions) {

    /**
     * The newest repository format this version reads and writes. Version 2: snapshots are trees of tree blobs in
     * {@code tree/} packs (snapshot objects of version 3, index objects of version 2). A version-1 repository is read
     * as it is; the first operation that writes to it raises its config to version 2 first
     * ({@code Store.upgradeFormat}), so an older mint-backup asks to be upgraded instead of meeting objects it cannot
     * read.
     */
    public static final int CURRENT_VERSION = 2;
    public static final String OBJECT = "config";

    public RepoConfig {
        transformers = List.copyOf(transformers);
        extensions = Map.copyOf(extensions);
    }

    /** A transformer as the config records it. */
    public record TransformerSpec(String name, Map<String, String> parameters) {
        public TransformerSpec {
            parameters = Map.copyOf(parameters);
        }
    }

    /** The same config at another format version. */
    public RepoConfig withVersion(int value) {
        return new RepoConfig(value, id, created, layout, chunkMin, chunkAvg, chunkMax, chunkSeed, packSize, transformers, extensions);
    }

    public RepoConfig withExtensions(Map<String, String> more) {
        Map<String, String> merged = new TreeMap<>(extensions);
        merged.putAll(more);
        return new RepoConfig(version, id, created, layout, chunkMin, chunkAvg, chunkMax, chunkSeed, packSize, transformers, merged);
    }

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
                g.useDefaultPrettyPrinter();
                g.writeStartObject();
                g.writeStringField("format", "mint-backup repository");
                g.writeNumberField("version", version);
                g.writeStringField("id", id);
                g.writeStringField("created", created.toString());
                g.writeStringField("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
                g.writeObjectFieldStart("chunker");
                g.writeStringField("algorithm", "fastcdc");
                g.writeNumberField("min", chunkMin);
                g.writeNumberField("avg", chunkAvg);
                g.writeNumberField("max", chunkMax);
                g.writeStringField("seed", Long.toHexString(chunkSeed));
                g.writeEndObject();
                g.writeNumberField("packSize", packSize);
                g.writeArrayFieldStart("transformers");
                for (TransformerSpec t : transformers) {
                    g.writeStartObject();
                    g.writeStringField("name", t.name());
                    g.writeObjectFieldStart("parameters");
                    for (Map.Entry<String, String> p : new TreeMap<>(t.parameters()).entrySet()) {
                        g.writeStringField(p.getKey(), p.getValue());
                    }
                    g.writeEndObject();
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeObjectFieldStart("extensions");
                for (Map.Entry<String, String> e : new TreeMap<>(extensions).entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
                g.writeEndObject();
            }
            out.write('\n');
            return Envelope.seal(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RepoConfig parse(byte[] sealed, String location) {
        byte[] json = Envelope.open(OBJECT, sealed);
        try {
            Map<String, Object> root = JsonTree.parseObject(json);
            int version = JsonTree.intValue(root, "version");
            if (version > CURRENT_VERSION) {
                throw new UnsupportedException("the repository at " + location + " has format version " + version
                        + ", newer than this mint-backup understands (" + CURRENT_VERSION + "): upgrade mint-backup to use it");
            }
            Map<String, Object> chunker = JsonTree.object(root, "chunker");
            List<TransformerSpec> transformers = new ArrayList<>();
            for (Object t : JsonTree.list(root, "transformers")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> tm = (Map<String, Object>) t;
                Map<String, String> params = new LinkedHashMap<>();
                JsonTree.object(tm, "parameters").forEach((k, v) -> params.put(k, String.valueOf(v)));
                transformers.add(new TransformerSpec(JsonTree.string(tm, "name"), params));
            }
            Map<String, String> extensions = new TreeMap<>();
            Object ext = root.get("extensions");
            if (ext instanceof Map<?, ?> m) {
                m.forEach((k, v) -> extensions.put(String.valueOf(k), String.valueOf(v)));
            }
            return new RepoConfig(version, JsonTree.string(root, "id"), Instant.parse(JsonTree.string(root, "created")),
                    Layout.valueOf(JsonTree.string(root, "layout").toUpperCase(java.util.Locale.ROOT)),
                    JsonTree.intValue(chunker, "min"), JsonTree.intValue(chunker, "avg"), JsonTree.intValue(chunker, "max"),
                    Long.parseUnsignedLong(JsonTree.string(chunker, "seed"), 16), JsonTree.intValue(root, "packSize"),
                    transformers, extensions);
        } catch (IOException | RuntimeException e) {
            if (e instanceof UnsupportedException u) {
                throw u;
            }
            throw new CorruptDataException("'config' in " + location + " is not a valid repository config: " + e.getMessage(), e);
        }
    }
}
