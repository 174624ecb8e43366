package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
        try (JsonParser p = new JsonFactory().createParser(json)) {
            Map<String, Object> root = Json.readObject(p);
            int version = Json.intValue(root, "version");
            if (version > CURRENT_VERSION) {
                throw new UnsupportedException("the repository at " + location + " has format version " + version
                        + ", newer than this mint-backup understands (" + CURRENT_VERSION + "): upgrade mint-backup to use it");
            }
            Map<String, Object> chunker = Json.object(root, "chunker");
            List<TransformerSpec> transformers = new ArrayList<>();
            for (Object t : Json.list(root, "transformers")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> tm = (Map<String, Object>) t;
                Map<String, String> params = new LinkedHashMap<>();
                Json.object(tm, "parameters").forEach((k, v) -> params.put(k, String.valueOf(v)));
                transformers.add(new TransformerSpec(Json.string(tm, "name"), params));
            }
            Map<String, String> extensions = new TreeMap<>();
            Object ext = root.get("extensions");
            if (ext instanceof Map<?, ?> m) {
                m.forEach((k, v) -> extensions.put(String.valueOf(k), String.valueOf(v)));
            }
            return new RepoConfig(version, Json.string(root, "id"), Instant.parse(Json.string(root, "created")),
                    Layout.valueOf(Json.string(root, "layout").toUpperCase(java.util.Locale.ROOT)),
                    Json.intValue(chunker, "min"), Json.intValue(chunker, "avg"), Json.intValue(chunker, "max"),
                    Long.parseUnsignedLong(Json.string(chunker, "seed"), 16), Json.intValue(root, "packSize"),
                    transformers, extensions);
        } catch (IOException | RuntimeException e) {
            if (e instanceof UnsupportedException u) {
                throw u;
            }
            throw new CorruptDataException("'config' in " + location + " is not a valid repository config: " + e.getMessage(), e);
        }
    }

    /** Parsed JSON value helpers for small documents. */
    static final class Json {
        private Json() {
        }

        static Map<String, Object> readObject(JsonParser p) throws IOException {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("expected a JSON object");
            }
            return objectBody(p);
        }

        private static Map<String, Object> objectBody(JsonParser p) throws IOException {
            Map<String, Object> out = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                out.put(name, value(p, p.nextToken()));
            }
            return out;
        }

        private static Object value(JsonParser p, JsonToken t) throws IOException {
            return switch (t) {
                case START_OBJECT -> objectBody(p);
                case START_ARRAY -> {
                    List<Object> list = new ArrayList<>();
                    JsonToken next;
                    while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
                        list.add(value(p, next));
                    }
                    yield list;
                }
                case VALUE_STRING -> p.getText();
                case VALUE_NUMBER_INT -> p.getLongValue();
                case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                default -> throw new IOException("unexpected JSON token " + t);
            };
        }

        static String string(Map<String, Object> m, String key) {
            Object v = m.get(key);
            if (!(v instanceof String s)) {
                throw new IllegalArgumentException("field '" + key + "' is missing or not a string");
            }
            return s;
        }

        static int intValue(Map<String, Object> m, String key) {
            Object v = m.get(key);
            if (!(v instanceof Long l)) {
                throw new IllegalArgumentException("field '" + key + "' is missing or not a number");
            }
            return Math.toIntExact(l);
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> object(Map<String, Object> m, String key) {
            Object v = m.get(key);
            if (!(v instanceof Map)) {
                throw new IllegalArgumentException("field '" + key + "' is missing or not an object");
            }
            return (Map<String, Object>) v;
        }

        @SuppressWarnings("unchecked")
        static List<Object> list(Map<String, Object> m, String key) {
            Object v = m.get(key);
            if (!(v instanceof List)) {
                throw new IllegalArgumentException("field '" + key + "' is missing or not a list");
            }
            return (List<Object>) v;
        }
    }
}
