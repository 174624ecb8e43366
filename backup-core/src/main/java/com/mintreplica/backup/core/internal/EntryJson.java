package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;

/**
 * The JSON form of an {@link Entry}'s metadata: the one place that knows it, so that flat manifests (versions 1 and 2,
 * where an entry is named by its {@code path}) and tree blobs (version 3, where it is named by its {@code name} in
 * its directory) write and read entries alike, and an attribute added here appears in both. Fields: path or name,
 * type, size, mtime, mode, uid, gid, user, group, link, token, attrs.
 */
final class EntryJson {
    private EntryJson() {
    }

    /** Writes the entry's fields, named by its path (not the object's braces); {@code size} is the stored size. */
    static void write(JsonGenerator g, Entry e, long size) throws IOException {
        g.writeStringField("path", e.path());
        writeAttributes(g, e, size);
    }

    /** Writes the entry's fields, named by {@code name} (its last path segment), as a tree blob lists it. */
    static void writeNamed(JsonGenerator g, String name, Entry e, long size) throws IOException {
        g.writeStringField("name", name);
        writeAttributes(g, e, size);
    }

    private static void writeAttributes(JsonGenerator g, Entry e, long size) throws IOException {
        g.writeStringField("type", typeName(e.type()));
        if (e.type() == EntryType.REGULAR) {
            g.writeNumberField("size", size);
        }
        if (e.modified().isPresent()) {
            g.writeStringField("mtime", e.modified().get().toString());
        }
        if (e.mode().isPresent()) {
            g.writeStringField("mode", Integer.toOctalString(e.mode().getAsInt()));
        }
        if (e.uid().isPresent()) {
            g.writeNumberField("uid", e.uid().getAsInt());
        }
        if (e.gid().isPresent()) {
            g.writeNumberField("gid", e.gid().getAsInt());
        }
        if (e.owner().isPresent()) {
            g.writeStringField("user", e.owner().get());
        }
        if (e.group().isPresent()) {
            g.writeStringField("group", e.group().get());
        }
        if (e.linkTarget().isPresent()) {
            g.writeStringField("link", e.linkTarget().get());
        }
        if (e.changeToken().isPresent()) {
            g.writeStringField("token", e.changeToken().get());
        }
        if (!e.attributes().isEmpty()) {
            g.writeObjectFieldStart("attrs");
            for (Map.Entry<String, String> a : e.attributes().entrySet()) {
                g.writeStringField(a.getKey(), a.getValue());
            }
            g.writeEndObject();
        }
    }

    static String typeName(EntryType t) {
        return switch (t) {
            case REGULAR -> "file";
            case DIRECTORY -> "dir";
            case SYMLINK -> "symlink";
        };
    }

    static EntryType type(String name, int version) {
        return switch (name == null ? "" : name) {
            case "file" -> EntryType.REGULAR;
            case "dir" -> EntryType.DIRECTORY;
            case "symlink" -> EntryType.SYMLINK;
            default -> throw new IllegalArgumentException("unknown entry type '" + name + "'");
        };
    }

    /** Collects an entry's fields while its object is parsed; fields it does not know are left to the caller. */
    static final class Reader {
        private final int version;
        private String path;
        private String type;
        private long size;
        private String mtime;
        private String mode;
        private Integer uid;
        private Integer gid;
        private String user;
        private String group;
        private String link;
        private String token;
        private Map<String, String> attrs = Map.of();

        Reader(int version) {
            this.version = version;
        }

        /** Takes the value of {@code field} (the parser is on it); false when the field is not an entry's. */
        boolean accept(String field, JsonParser p) throws IOException {
            switch (field) {
                case "path" -> path = p.getText();
                case "type" -> type = p.getText();
                case "size" -> size = p.getLongValue();
                case "mtime" -> mtime = p.getText();
                case "mode" -> mode = p.getText();
                case "uid" -> uid = p.getIntValue();
                case "gid" -> gid = p.getIntValue();
                case "user" -> user = p.getText();
                case "group" -> group = p.getText();
                case "link" -> link = p.getText();
                case "token" -> token = p.getText();
                case "attrs" -> attrs = ManifestFormat.stringMapBody(p);
                default -> {
                    return false;
                }
            }
            return true;
        }

        long size() {
            return size;
        }

        String typeName() {
            return type;
        }

        /** The entry, named by the {@code path} field. */
        Entry entry() {
            return entry(path);
        }

        /** The entry, named {@code entryPath} (a tree blob's entries carry only their name). */
        Entry entry(String entryPath) {
            EntryType entryType = type(type, version);
            Entry.Builder b = Entry.builder(entryPath, entryType);
            if (entryType == EntryType.REGULAR) {
                b.size(size);
            }
            if (mtime != null) {
                b.modified(Instant.parse(mtime));
            }
            if (mode != null) {
                b.mode(Integer.parseInt(mode, 8));
            }
            if (uid != null) {
                b.uid(uid);
            }
            if (gid != null) {
                b.gid(gid);
            }
            if (user != null) {
                b.owner(user);
            }
            if (group != null) {
                b.group(group);
            }
            if (link != null) {
                b.linkTarget(link);
            }
            if (token != null) {
                b.changeToken(token);
            }
            b.attributes(attrs);
            return b.build();
        }
    }
}
