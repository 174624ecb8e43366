package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.ExtendedAttribute;
import java.io.IOException;
import java.util.Base64;
import java.util.Map;

/**
 * The JSON form of an {@link Entry}'s metadata: the one place that knows it, so that flat manifests (snapshot objects
 * of versions 1 and 2, where an entry is named by its {@code path}) and tree blobs (snapshot objects of version 3,
 * where it is named by its {@code name} in its directory, see {@link TreeFormat}) write and read entries alike, and an
 * attribute added here appears in both. Fields of version 1: path, type, size, mtime, mode, uid, gid, user, group,
 * link, token, attrs. Version 2 adds atime, rdev, hardlink, xattrs and the types fifo, chardev and
 * blockdev; names that are not valid UTF-8 travel as {@code \\udcXX} escapes (see {@link #ESCAPES}).
 */
final class EntryJson {
    /**
     * Writes every surrogate as a {@code \\uXXXX} escape. A name that is not valid UTF-8 holds lone surrogates
     * ({@link com.mintreplica.backup.core.source.FileNames}), which UTF-8 cannot carry; as escapes they are valid JSON
     * text that Jackson reads back exactly (and Python's json module reads as its own surrogateescape strings). Paired
     * surrogates (emoji) are escaped too, which is still the same string.
     */
    static final CharacterEscapes ESCAPES = new CharacterEscapes() {
        private final int[] ascii = CharacterEscapes.standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch >= 0xD800 && ch <= 0xDFFF ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    };

    private EntryJson() {
    }

    /** Writes the entry's fields (not the object's braces); {@code size} is the stored size of a regular entry. */
    static void write(JsonGenerator g, Entry e, long size) throws IOException {
        g.writeStringField("path", e.path());
        writeAttributes(g, e, size);
    }

    /**
     * Writes the entry's fields named by {@code name} (its last path segment) instead of its path, as a tree blob
     * lists it. A hard link's {@code hardlink} stays the full path of its first link.
     */
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
            g.writeStringField("mtime", IsoInstant.format(e.modified().get()));
        }
        if (e.accessed().isPresent()) {
            g.writeStringField("atime", IsoInstant.format(e.accessed().get()));
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
        if (e.device().isPresent()) {
            g.writeNumberField("rdev", e.device().getAsLong());
        }
        if (e.hardLinkTo().isPresent()) {
            g.writeStringField("hardlink", e.hardLinkTo().get());
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
        if (!e.xattrs().isEmpty()) {
            g.writeArrayFieldStart("xattrs");
            for (ExtendedAttribute x : e.xattrs()) {
                g.writeStartObject();
                g.writeStringField("name", x.name());
                g.writeStringField("value", Base64.getEncoder().encodeToString(x.value()));
                g.writeEndObject();
            }
            g.writeEndArray();
        }
    }

    static String typeName(EntryType t) {
        return switch (t) {
            case REGULAR -> "file";
            case DIRECTORY -> "dir";
            case SYMLINK -> "symlink";
            case FIFO -> "fifo";
            case CHAR_DEVICE -> "chardev";
            case BLOCK_DEVICE -> "blockdev";
        };
    }

    static EntryType type(String name, int version) {
        EntryType t = switch (name == null ? "" : name) {
            case "file" -> EntryType.REGULAR;
            case "dir" -> EntryType.DIRECTORY;
            case "symlink" -> EntryType.SYMLINK;
            case "fifo" -> EntryType.FIFO;
            case "chardev" -> EntryType.CHAR_DEVICE;
            case "blockdev" -> EntryType.BLOCK_DEVICE;
            default -> null;
        };
        if (t == null || (version < 2 && t.ordinal() > EntryType.SYMLINK.ordinal())) {
            throw new IllegalArgumentException("unknown entry type '" + name + "'");
        }
        return t;
    }

    /** Collects an entry's fields while its object is parsed; fields it does not know are left to the caller. */
    static final class Reader {
        private final int version;
        private String path;
        private String type;
        private long size;
        private String mtime;
        private String atime;
        private String mode;
        private Integer uid;
        private Integer gid;
        private String user;
        private String group;
        private String link;
        private Long rdev;
        private String hardlink;
        private String token;
        private Map<String, String> attrs = Map.of();
        private final java.util.List<ExtendedAttribute> xattrs = new java.util.ArrayList<>();

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
                case "atime" -> atime = p.getText();
                case "mode" -> mode = p.getText();
                case "uid" -> uid = p.getIntValue();
                case "gid" -> gid = p.getIntValue();
                case "user" -> user = p.getText();
                case "group" -> group = p.getText();
                case "link" -> link = p.getText();
                case "rdev" -> rdev = p.getLongValue();
                case "hardlink" -> hardlink = p.getText();
                case "token" -> token = p.getText();
                case "attrs" -> attrs = ManifestFormat.stringMapBody(p);
                case "xattrs" -> {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        Map<String, String> x = ManifestFormat.stringMapBody(p);
                        xattrs.add(new ExtendedAttribute(x.get("name"), Base64.getDecoder().decode(x.getOrDefault("value", ""))));
                    }
                }
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
                b.modified(IsoInstant.parse(mtime));
            }
            if (atime != null) {
                b.accessed(IsoInstant.parse(atime));
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
            if (rdev != null) {
                b.device(rdev);
            }
            if (hardlink != null) {
                b.hardLinkTo(hardlink);
            }
            if (token != null) {
                b.changeToken(token);
            }
            b.attributes(attrs);
            xattrs.forEach(b::xattr);
            return b.build();
        }
    }
}
