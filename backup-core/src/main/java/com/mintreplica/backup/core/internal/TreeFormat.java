package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tree blobs: one directory's listing, stored as a blob of type {@link BlobType#TREE} (in tree packs, deduplicated by
 * id like any blob). JSON:
 * <pre>
 * {"entries":[
 *   {"name":"app.yaml","type":"file","size":120,"mtime":"...","mode":"644",...,"blobs":["&lt;hex&gt;",...]},
 *   {"name":"logs","type":"dir","mtime":"...","mode":"755",...,"tree":"&lt;hex id of the subdirectory's tree blob&gt;"},
 *   {"name":"mydb","type":"dir","implicit":true,"tree":"&lt;hex&gt;"},
 *   {"name":"dump.sql","type":"file","size":9,"object":"files/...","sha256":"&lt;hex&gt;"}]}
 * </pre>
 * An entry's metadata is written by {@link EntryJson} (the same code as flat manifests), named by its last path
 * segment instead of its path. Entries keep the order the Source emitted them in (its restore order), so a directory
 * whose entries, metadata and content are unchanged encodes to the same bytes and the same id: the next snapshot
 * refers to it without storing anything. An {@code implicit} directory was not an entry of the Source (which named
 * {@code mydb/orders.bson} without a {@code mydb} entry); it only holds its children and is not listed or restored.
 */
public final class TreeFormat {
    private static final JsonFactory JSON = new JsonFactory();

    private TreeFormat() {
    }

    /**
     * One entry of a directory's listing.
     *
     * @param name the entry's last path segment
     * @param item the entry (with its full path) and its content: blob ids, or a single-object layout's object
     * @param subtree for a directory, the id of its own tree blob
     * @param implicit a directory that was not an entry of the Source, only the parent of some
     */
    public record Child(String name, Manifest.Item item, Optional<BlobId> subtree, boolean implicit) {
        public boolean isDirectory() {
            return subtree.isPresent();
        }
    }

    /** A parsed tree blob. */
    public record Node(List<Child> children) {
        /** The child named {@code name}, or null (a linear scan: callers that look up many build a map). */
        public Child child(String name) {
            for (Child c : children) {
                if (c.name().equals(name)) {
                    return c;
                }
            }
            return null;
        }
    }

    public static byte[] encode(List<Child> children) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64 + children.size() * 200);
            try (JsonGenerator g = JSON.createGenerator(out)) {
                // Names that are not valid UTF-8 hold lone surrogates: written as \\u escapes (see EntryJson).
                g.setCharacterEscapes(EntryJson.ESCAPES);
                g.writeStartObject();
                g.writeArrayFieldStart("entries");
                for (Child c : children) {
                    Manifest.Item item = c.item();
                    g.writeStartObject();
                    EntryJson.writeNamed(g, c.name(), item.entry(), item.size());
                    if (c.implicit()) {
                        g.writeBooleanField("implicit", true);
                    }
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
                    if (c.subtree().isPresent()) {
                        g.writeStringField("tree", c.subtree().get().hex());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses a tree blob whose directory has the path {@code directory} ("" for the root).
     *
     * @throws CorruptDataException naming the tree when it is not a valid listing
     */
    public static Node decode(BlobId id, String directory, byte[] plaintext) {
        try (JsonParser p = JSON.createParser(plaintext)) {
            ManifestFormat.expect(p.nextToken(), JsonToken.START_OBJECT);
            List<Child> children = new ArrayList<>();
            java.util.Set<String> names = new java.util.HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (field.equals("entries")) {
                    ManifestFormat.expect(t, JsonToken.START_ARRAY);
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        Child child = readChild(p, directory);
                        // Two entries of one name (a symlink and a directory) would let a crafted tree name a path
                        // below a link; a backup never writes them.
                        if (!names.add(child.name())) {
                            throw new IllegalArgumentException("the name '" + child.name() + "' appears twice");
                        }
                        children.add(child);
                    }
                } else {
                    p.skipChildren();
                }
            }
            return new Node(children);
        } catch (IOException | RuntimeException e) {
            throw new CorruptDataException("tree " + id + (directory.isEmpty() ? "" : " of directory '" + directory + "'")
                    + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static Child readChild(JsonParser p, String directory) throws IOException {
        EntryJson.Reader fields = new EntryJson.Reader(ManifestFormat.TREE_VERSION);
        String name = null;
        List<BlobId> blobs = List.of();
        String object = null;
        String sha = null;
        BlobId tree = null;
        boolean implicit = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("name")) {
                name = p.getText();
                continue;
            }
            if (fields.accept(field, p)) {
                continue;
            }
            switch (field) {
                case "blobs" -> {
                    List<BlobId> ids = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        ids.add(BlobId.fromHex(p.getText()));
                    }
                    blobs = ids;
                }
                case "object" -> object = p.getText();
                case "sha256" -> sha = p.getText();
                case "tree" -> tree = BlobId.fromHex(p.getText());
                case "implicit" -> implicit = p.getBooleanValue();
                default -> p.skipChildren();
            }
        }
        if (name == null || name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("an entry has no valid name ('" + name + "')");
        }
        Entry entry = fields.entry(directory.isEmpty() ? name : directory + "/" + name);
        if ((entry.type() == EntryType.DIRECTORY) != (tree != null) || (implicit && tree == null)) {
            throw new IllegalArgumentException("entry '" + entry.path() + "' is a " + fields.typeName()
                    + (tree == null ? " without" : " with") + " a subtree");
        }
        long size = entry.type() == EntryType.REGULAR ? fields.size() : 0;
        Manifest.Item item = object != null
                ? Manifest.Item.single(entry, size, object, sha == null ? "" : sha)
                : Manifest.Item.chunked(entry, size, blobs);
        return new Child(name, item, Optional.ofNullable(tree), implicit);
    }
}
