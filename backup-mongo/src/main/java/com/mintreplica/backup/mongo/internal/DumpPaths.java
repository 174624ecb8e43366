package com.mintreplica.backup.mongo.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Entry paths in mongodump's directory layout: {@code <db>/<collection>.bson} and
 * {@code <db>/<collection>.metadata.json}. Collection names are escaped as mongodump escapes them (Go's
 * {@code url.PathEscape}: {@code /}, {@code %}, spaces, non-ASCII and a few more become {@code %XX}), so a collection
 * named {@code a/b} does not become a directory.
 */
public final class DumpPaths {
    public static final String BSON = ".bson";
    public static final String METADATA = ".metadata.json";

    private DumpPaths() {
    }

    /** What an entry path holds. */
    public enum Kind { DATA, METADATA }

    /** A parsed entry path. */
    public record Parsed(String database, String collection, Kind kind) {
        public String namespace() {
            return database + "." + collection;
        }
    }

    public static String data(String database, String collection) {
        return database + "/" + escape(collection) + BSON;
    }

    public static String metadata(String database, String collection) {
        return database + "/" + escape(collection) + METADATA;
    }

    /** The database, collection and kind of a dump path; empty for paths that are neither (prelude.json, oplog.bson). */
    public static Optional<Parsed> parse(String path) {
        int slash = path.indexOf('/');
        if (slash <= 0 || path.indexOf('/', slash + 1) >= 0) {
            return Optional.empty();
        }
        String db = path.substring(0, slash);
        String file = path.substring(slash + 1);
        Kind kind;
        String escaped;
        if (file.endsWith(METADATA)) {
            kind = Kind.METADATA;
            escaped = file.substring(0, file.length() - METADATA.length());
        } else if (file.endsWith(BSON)) {
            kind = Kind.DATA;
            escaped = file.substring(0, file.length() - BSON.length());
        } else {
            return Optional.empty();
        }
        if (escaped.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Parsed(db, unescape(escaped), kind));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * What an entry of a snapshot holds: from the attributes a {@code MongoSource} records, else from its path (an
     * imported mongodump directory).
     */
    public static Optional<Parsed> of(com.mintreplica.backup.core.source.Entry entry) {
        Optional<Parsed> byPath = parse(entry.path());
        String db = entry.attributes().get("mongodb.database");
        String coll = entry.attributes().get("mongodb.collection");
        if (byPath.isPresent() && db != null && coll != null) {
            return Optional.of(new Parsed(db, coll, byPath.get().kind()));
        }
        return byPath;
    }

    /** Escapes like Go's {@code url.PathEscape}, which mongodump uses for file names. */
    public static String escape(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (keep(c)) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** The reverse of {@link #escape}. */
    public static String unescape(String escaped) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(escaped.length());
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c == '%') {
                if (i + 2 >= escaped.length()) {
                    throw new IllegalArgumentException("bad escape in '" + escaped + "'");
                }
                int hi = Character.digit(escaped.charAt(i + 1), 16);
                int lo = Character.digit(escaped.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("bad escape in '" + escaped + "'");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                int cp = escaped.codePointAt(i);
                byte[] bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
                i += Character.charCount(cp) - 1;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean keep(int c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return switch (c) {
            case '-', '_', '.', '~', '$', '&', '+', '=', ':', '@' -> true;
            default -> false;
        };
    }
}
