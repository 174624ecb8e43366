package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.SourceId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Snapshot objects as JSON: the snapshot summary first and, in a flat snapshot (versions 1 and 2), the entries last,
 * so listing snapshots can stop reading at the entries. Version 3 names the root tree blob ({@code "tree"}) instead of
 * listing entries (see {@link TreeFormat}). Entries are encoded by {@link EntryJson}, in flat snapshots and in tree
 * blobs alike.
 *
 * <p>Version 2 (written since file trees keep access times, extended attributes, ACLs, hard links, FIFOs, device
 * nodes and names that are not UTF-8) adds entry fields and types; version 1 manifests read as before. Version 3 (tree
 * snapshots, repository format 2) carries the version-2 entry fields in its tree blobs. A reader refuses a newer
 * version ("newer than this mint-backup reads") instead of dropping what it does not know.
 */
public final class ManifestFormat {
    private static final JsonFactory JSON = new JsonFactory();
    /** The version of flat snapshots this code writes (only copies of flat snapshots are still written flat). */
    public static final int FLAT_VERSION = 2;
    /** The version of tree snapshots: a summary and the id of the root tree blob. */
    public static final int TREE_VERSION = 3;
    /** The newest version this code reads. */
    public static final int VERSION = TREE_VERSION;

    private ManifestFormat() {
    }

    public static byte[] write(Manifest manifest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096 + manifest.items().size() * 160);
        write(manifest, out);
        return out.toByteArray();
    }

    /**
     * Writes the manifest's JSON into {@code out} as it goes, without holding it whole (a tree of a few hundred
     * thousand files makes tens of MiB of JSON). Closes {@code out}.
     */
    public static void write(Manifest manifest, java.io.OutputStream out) {
        try {
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.setCharacterEscapes(EntryJson.ESCAPES);
                Snapshot s = manifest.snapshot();
                g.writeStartObject();
                g.writeNumberField("version", manifest.isTree() ? TREE_VERSION : FLAT_VERSION);
                g.writeStringField("id", s.id());
                g.writeStringField("time", s.time().toString());
                g.writeStringField("host", s.host());
                g.writeObjectFieldStart("source");
                g.writeStringField("kind", s.source().kind());
                g.writeStringField("name", s.source().name());
                g.writeEndObject();
                if (s.job().isPresent()) {
                    g.writeStringField("job", s.job().get());
                }
                g.writeArrayFieldStart("tags");
                for (String t : s.tags()) {
                    g.writeString(t);
                }
                g.writeEndArray();
                if (s.parent().isPresent()) {
                    g.writeStringField("parent", s.parent().get());
                }
                g.writeStringField("layout", manifest.layout().name().toLowerCase(Locale.ROOT));
                g.writeStringField("tool", s.toolVersion());
                Snapshot.Stats st = s.stats();
                g.writeObjectFieldStart("stats");
                g.writeNumberField("entries", st.entries());
                g.writeNumberField("totalBytes", st.totalBytes());
                g.writeNumberField("bytesRead", st.bytesRead());
                g.writeNumberField("bytesNew", st.bytesNew());
                g.writeNumberField("bytesStored", st.bytesStored());
                g.writeNumberField("durationMillis", st.durationMillis());
                g.writeEndObject();
                g.writeObjectFieldStart("facts");
                for (Map.Entry<String, String> f : s.facts().entrySet()) {
                    g.writeStringField(f.getKey(), f.getValue());
                }
                g.writeEndObject();
                g.writeArrayFieldStart("warnings");
                for (Snapshot.Warning w : s.warnings()) {
                    g.writeStartObject();
                    g.writeStringField("path", w.path());
                    g.writeStringField("message", w.message());
                    g.writeEndObject();
                }
                g.writeEndArray();
                if (manifest.isTree()) {
                    g.writeStringField("tree", manifest.tree().get().hex());
                } else {
                    g.writeArrayFieldStart("entries");
                    for (Manifest.Item item : manifest.items()) {
                        writeItem(g, item);
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeItem(JsonGenerator g, Manifest.Item item) throws IOException {
        g.writeStartObject();
        EntryJson.write(g, item.entry(), item.size());
        writeContent(g, item);
        g.writeEndObject();
    }

    /** An item's content fields, as flat manifests and tree blobs both write them: blob ids, or an object and its hash. */
    static void writeContent(JsonGenerator g, Manifest.Item item) throws IOException {
        if (!item.blobs().isEmpty()) {
            g.writeArrayFieldStart("blobs");
            for (BlobId b : item.blobs()) {
                g.writeString(b.hex());
            }
            g.writeEndArray();
        }
        if (item.object().isPresent()) {
            g.writeStringField("object", item.object().get());
        }
        if (item.sha256().isPresent()) {
            g.writeStringField("sha256", item.sha256().get());
        }
    }

    /** Reads the whole manifest. */
    public static Manifest read(String objectName, byte[] json) {
        return parse(objectName, json, true);
    }

    /** Reads only the summary: the entries are skipped. */
    public static Snapshot readSummary(String objectName, byte[] json) {
        return parse(objectName, json, false).snapshot();
    }

    /** Reads the summary, layout and root tree; a flat snapshot's entries are skipped (its items are empty). */
    public static Manifest readHead(String objectName, byte[] json) {
        return parse(objectName, json, false);
    }

    private static Manifest parse(String objectName, byte[] json, boolean withEntries) {
        try (JsonParser p = JSON.createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            String id = null;
            String time = null;
            String host = "";
            String kind = "";
            String sourceName = "";
            String job = null;
            TreeSet<String> tags = new TreeSet<>();
            String parent = null;
            Layout layout = Layout.CHUNKED;
            String tool = "";
            long[] stats = new long[6];
            TreeMap<String, String> facts = new TreeMap<>();
            List<Snapshot.Warning> warnings = new ArrayList<>();
            List<Manifest.Item> items = new ArrayList<>();
            int version = 1;
            BlobId tree = null;
            fields:
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "version" -> {
                        version = p.getIntValue();
                        if (version > VERSION) {
                            throw new IllegalArgumentException("manifest version " + version + " is newer than this mint-backup reads");
                        }
                    }
                    case "tree" -> tree = BlobId.fromHex(p.getText());
                    case "id" -> id = p.getText();
                    case "time" -> time = p.getText();
                    case "host" -> host = p.getText();
                    case "source" -> {
                        Map<String, String> src = stringMap(p);
                        kind = src.getOrDefault("kind", "");
                        sourceName = src.getOrDefault("name", "");
                    }
                    case "job" -> job = p.getText();
                    case "tags" -> {
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            tags.add(p.getText());
                        }
                    }
                    case "parent" -> parent = p.getText();
                    case "layout" -> layout = Layout.valueOf(p.getText().toUpperCase(Locale.ROOT));
                    case "tool" -> tool = p.getText();
                    case "stats" -> {
                        Map<String, String> m = stringMap(p);
                        String[] keys = {"entries", "totalBytes", "bytesRead", "bytesNew", "bytesStored", "durationMillis"};
                        for (int i = 0; i < keys.length; i++) {
                            stats[i] = Long.parseLong(m.getOrDefault(keys[i], "0"));
                        }
                    }
                    case "facts" -> facts.putAll(stringMap(p));
                    case "warnings" -> {
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            Map<String, String> w = stringMapBody(p);
                            warnings.add(new Snapshot.Warning(w.getOrDefault("path", ""), w.getOrDefault("message", "")));
                        }
                    }
                    case "entries" -> {
                        expect(t, JsonToken.START_ARRAY);
                        if (!withEntries) {
                            // The entries come last: a summary needs nothing after them, and not to tokenize them.
                            break fields;
                        }
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            items.add(readItem(p, version));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (id == null || time == null) {
                throw new IllegalArgumentException("the id or time is missing");
            }
            Snapshot snapshot = new Snapshot(id, Instant.parse(time), host, new SourceId(kind, sourceName),
                    Optional.ofNullable(job), tags, Optional.ofNullable(parent),
                    new Snapshot.Stats(stats[0], stats[1], stats[2], stats[3], stats[4], stats[5]), facts, warnings, tool);
            if (version >= TREE_VERSION && tree == null) {
                throw new IllegalArgumentException("a version " + version + " snapshot names no tree");
            }
            return new Manifest(snapshot, layout, items, Optional.ofNullable(tree));
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("manifest '" + objectName + "' cannot be read: " + e.getMessage(), e);
        }
    }

    private static Manifest.Item readItem(JsonParser p, int version) throws IOException {
        EntryJson.Reader fields = new EntryJson.Reader(version);
        List<BlobId> blobs = new ArrayList<>();
        String object = null;
        String sha = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (fields.accept(field, p)) {
                continue;
            }
            switch (field) {
                case "blobs" -> {
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        blobs.add(BlobId.fromHex(p.getText()));
                    }
                }
                case "object" -> object = p.getText();
                case "sha256" -> sha = p.getText();
                default -> p.skipChildren();
            }
        }
        Entry entry = fields.entry();
        long size = fields.size();
        if (object != null) {
            return Manifest.Item.single(entry, size, object, sha == null ? "" : sha);
        }
        return new Manifest.Item(entry, entry.type() == EntryType.REGULAR ? size : 0, blobs, Optional.empty(), Optional.empty());
    }

    private static Map<String, String> stringMap(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_OBJECT);
        return stringMapBody(p);
    }

    static Map<String, String> stringMapBody(JsonParser p) throws IOException {
        Map<String, String> out = new TreeMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                p.skipChildren();
            } else {
                out.put(key, p.getText());
            }
        }
        return out;
    }

    static void expect(JsonToken actual, JsonToken expected) throws IOException {
        if (actual != expected) {
            throw new IOException("expected " + expected + " but found " + actual);
        }
    }
}
