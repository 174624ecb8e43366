package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
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
        Encoder encoder = new Encoder();
        for (Child c : children) {
            encoder.add(c);
        }
        return encoder.finish();
    }

    /**
     * Encodes a listing an entry at a time, so a large directory's entries need not all be held as objects until its
     * tree is written: the bytes are those of {@link #encode} for the same children, in the same order. Not
     * thread-safe; a caller that adds from several threads in turn orders them itself (see TreeBuilder).
     */
    static final class Encoder {
        private final Blocks out;
        private final JsonGenerator g;

        Encoder() {
            this(null);
        }

        /**
         * @param spill where the listing goes once it is {@link #SPILL_FROM} bytes or more (null, or a spill that
         *              returns null: it stays in blocks)
         */
        Encoder(Spill spill) {
            out = new Blocks(spill);
            try {
                g = JSON.createGenerator(out);
                // Names that are not valid UTF-8 hold lone surrogates: written as \\u escapes (see EntryJson).
                g.setCharacterEscapes(EntryJson.ESCAPES);
                g.writeStartObject();
                g.writeArrayFieldStart("entries");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void add(Child c) {
            try {
                Manifest.Item item = c.item();
                g.writeStartObject();
                EntryJson.writeNamed(g, c.name(), item.entry(), item.size());
                if (c.implicit()) {
                    g.writeBooleanField("implicit", true);
                }
                ManifestFormat.writeContent(g, item);
                if (c.subtree().isPresent()) {
                    g.writeStringField("tree", c.subtree().get().hex());
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Ends the listing and returns its bytes; the encoder, which had no spill, is done. */
        byte[] finish() {
            Listing listing = finishListing();
            if (listing.streamed() != null) {
                throw new IllegalStateException("the listing was spilled");
            }
            return Codec.concatenate(listing.parts());
        }

        /** Ends the listing and returns it; the encoder is done. */
        Listing finishListing() {
            try {
                g.writeEndArray();
                g.writeEndObject();
                g.close();
                return out.finish();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The size from which an encoder with a {@link Spill} hands its listing to it. */
    static final int SPILL_FROM = 1 << 20;

    /** Where a large listing is hashed and encoded as it is written (see {@link Codec#streamed()}). */
    @FunctionalInterface
    interface Spill {
        /** A new encoding, or null to keep the listing in blocks. */
        Codec.Streamed open() throws IOException;
    }

    /**
     * An encoded listing: its bytes in parts of up to 64 KiB, in order, never copied into one array (see
     * {@link Codec#encode(List)}), or, for a large one given a spill, its encoding, closed (parts then null).
     */
    record Listing(List<byte[]> parts, Codec.Streamed streamed) {
    }

    /**
     * A listing's bytes: in blocks ({@link BlockOutputStream}), or, from {@link #SPILL_FROM} bytes where a spill takes
     * them, into that encoding, and only the compressed form is held.
     */
    private static final class Blocks extends java.io.OutputStream {
        private BlockOutputStream held = new BlockOutputStream();
        private Spill spill;
        private Codec.Streamed streamed;

        Blocks(Spill spill) {
            this.spill = spill;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (streamed != null) {
                streamed.write(b, off, len);
                return;
            }
            held.write(b, off, len);
            if (spill != null && held.size() >= SPILL_FROM) {
                streamed = spill.open();
                spill = null;
                if (streamed != null) {
                    held.writeTo(streamed);
                    held.release();
                    held = null;
                }
            }
        }

        /** The blocks written, the last cut to its length, or the spilled encoding, closed; the stream is done. */
        Listing finish() throws IOException {
            if (streamed != null) {
                streamed.close();
                return new Listing(null, streamed);
            }
            return new Listing(held.parts(), null);
        }
    }

    /**
     * Parses a tree blob whose directory has the path {@code directory} ("" for the root).
     *
     * @throws CorruptDataException naming the tree when it is not a valid listing
     */
    public static Node decode(BlobId id, String directory, byte[] plaintext) {
        if (plaintext.length >= PARSED_ON_ACCESS_FROM) {
            return new Node(OnAccess.scan(id, directory, plaintext));
        }
        List<Child> children = new ArrayList<>();
        forEach(id, directory, plaintext, (offset, child) -> children.add(child));
        return new Node(children);
    }

    /**
     * Parses a large tree blob from a stream of its plaintext (see Store.parseBlob), keeping its bytes in {@code spool}
     * instead of the heap: each entry is parsed again from there when asked for. The checks are those of
     * {@link #decode(BlobId, String, byte[])}.
     *
     * @throws CorruptDataException naming the tree when it is not a valid listing
     * @throws com.mintreplica.backup.core.BackupException when the spool cannot be written ({@link SpooledBytes#failure}
     *     then says why)
     */
    static Node decode(BlobId id, String directory, java.io.InputStream plaintext, SpooledBytes spool) {
        OnAccess list = new OnAccess(id, directory, null, spool);
        java.io.InputStream teed = new TappedInputStream(plaintext, spool::write, true);
        try {
            spool.reset();
            forEach(id, directory, teed, new NameHashes(), (offset, child) -> {
                list.add(offset);
                return 0;
            });
            teed.transferTo(java.io.OutputStream.nullOutputStream());
            spool.finish();
        } catch (IOException | CorruptDataException e) {
            if (spool.failure() != null) {
                throw new com.mintreplica.backup.core.BackupException("cannot write the temporary copy of tree " + id
                        + " in " + System.getProperty("java.io.tmpdir") + ": " + spool.failure().getMessage(), e);
            }
            throw e instanceof CorruptDataException c ? c : new CorruptDataException("tree " + id
                    + " cannot be read: " + e.getMessage(), e);
        }
        list.trim();
        return new Node(list);
    }

    /**
     * Listings of at least this many bytes (some 3,000 entries) are decoded into a list that parses an entry each time
     * it is asked for ({@link OnAccess}): as objects, a listing took about a kilobyte of heap an entry; as its bytes and
     * their offsets, some 360. A restore, {@code ls} or verify of a directory of 150,000 files needed more than 256
     * MiB of heap.
     */
    static final int PARSED_ON_ACCESS_FROM = 1 << 20;

    /**
     * Listings of at least this many bytes (some 11,000 entries) are read from a stream into a temporary file
     * ({@link SpooledBytes}) by {@code Store.readTree}, not into the heap: what the heap then holds is four bytes an
     * entry, where a directory of 300,000 files did not restore in 192 MiB.
     */
    static final int SPOOLED_FROM = 4 << 20;

    /** What {@code node}, read from a listing of {@code plainLength} bytes, holds in the heap, roughly. */
    static long heldBytes(Node node, long plainLength) {
        return node.children() instanceof OnAccess list && list.spooled != null ? 4L * list.size() : plainLength;
    }

    /**
     * A large listing's entries: its bytes (in the heap or spooled to a file) and where each entry starts, parsed again on
     * each {@link #get}.
     */
    private static final class OnAccess extends java.util.AbstractList<Child> implements java.util.RandomAccess {
        private final BlobId id;
        private final String directory;
        private final byte[] plain;
        private final SpooledBytes spooled;
        private int[] offsets = new int[1024];
        private int size;

        private OnAccess(BlobId id, String directory, byte[] plain, SpooledBytes spooled) {
            this.id = id;
            this.directory = directory;
            this.plain = plain;
            this.spooled = spooled;
        }

        /** Parses every entry once, with all of {@link #decode}'s checks, and keeps only where each starts. */
        static OnAccess scan(BlobId id, String directory, byte[] plain) {
            OnAccess list = new OnAccess(id, directory, plain, null);
            TreeFormat.forEach(id, directory, plain, (offset, child) -> list.add(offset));
            list.trim();
            return list;
        }

        void add(int offset) {
            if (size == offsets.length) {
                offsets = java.util.Arrays.copyOf(offsets, size * 2);
            }
            offsets[size++] = offset;
        }

        void trim() {
            offsets = java.util.Arrays.copyOf(offsets, size);
        }

        @Override
        public Child get(int index) {
            java.util.Objects.checkIndex(index, size);
            int offset = offsets[index];
            byte[] bytes = plain;
            int from = offset;
            int end = plain == null ? 0 : plain.length;
            if (plain == null) {
                // the entry's own bytes: up to the next entry's start, or the listing's end after the last
                int next = index + 1 < size ? offsets[index + 1] : (int) spooled.length();
                try {
                    bytes = spooled.read(offset, next - offset);
                } catch (IOException e) {
                    throw new com.mintreplica.backup.core.BackupException("cannot read the temporary copy of tree " + id
                            + " in " + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
                }
                from = 0;
                end = bytes.length;
            }
            try (JsonParser p = JSON.createParser(bytes, from, end - from)) {
                ManifestFormat.expect(p.nextToken(), JsonToken.START_OBJECT);
                return readChild(p, directory);
            } catch (IOException | RuntimeException e) {
                throw new CorruptDataException("tree " + id + (directory.isEmpty() ? "" : " of directory '"
                        + directory + "'") + " cannot be read: " + e.getMessage(), e);
            }
        }

        @Override
        public int size() {
            return size;
        }
    }

    /** An entry of a listing and where it starts in the listing's bytes. */
    @FunctionalInterface
    interface EachChild {
        void accept(int offset, Child child);
    }

    /**
     * Parses a tree blob an entry at a time, handing each to {@code each} in order: a large directory's entries need
     * not all be objects at once (see BackupRun's parent listing). The checks are those of {@link #decode}.
     *
     * @throws CorruptDataException naming the tree when it is not a valid listing
     */
    static void forEach(BlobId id, String directory, byte[] plaintext, EachChild each) {
        forEach(id, directory, () -> JSON.createParser(plaintext), new NameHashes(), (offset, child) -> {
            each.accept(offset, child);
            return 0;
        });
    }

    /** An entry of a listing and where it starts; returns the value to keep with its name. */
    @FunctionalInterface
    interface EachValued {
        int accept(int offset, Child child);
    }

    /**
     * {@link #forEach(BlobId, String, byte[], EachChild)} from a stream, keeping each name in {@code names} with the
     * value {@code each} gives it (ParentTree's records): the table that finds a name twice is then the caller's own,
     * not a second one as large.
     */
    static void forEach(BlobId id, String directory, java.io.InputStream plaintext, NameHashes names, EachValued each) {
        forEach(id, directory, () -> JSON.createParser(plaintext), names, each);
    }

    @FunctionalInterface
    private interface Parsing {
        JsonParser open() throws IOException;
    }

    private static void forEach(BlobId id, String directory, Parsing parsing, NameHashes names, EachValued each) {
        try (JsonParser p = parsing.open()) {
            ManifestFormat.expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (field.equals("entries")) {
                    ManifestFormat.expect(t, JsonToken.START_ARRAY);
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        int offset = Math.toIntExact(p.currentTokenLocation().getByteOffset());
                        Child child = readChild(p, directory);
                        // Two entries of one name (a symlink and a directory) would let a crafted tree name a path
                        // below a link; a backup never writes them.
                        if (!names.put(child.name(), each.accept(offset, child))) {
                            throw new IllegalArgumentException("the name '" + child.name() + "' appears twice");
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
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
