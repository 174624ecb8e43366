package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.source.EntryType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The plan of a restore in pack order, kept out of the heap: which blob goes to which file at which offset, for every
 * file of the restore, so that each pack is read once for the whole restore while memory stays bounded whatever the
 * size of the tree.
 *
 * <p>Two spills, both temporary files that {@link #close} removes:
 * <ul>
 *   <li>the <b>entries</b>: each planned file's entry (and a hard link's whole item), appended as it is walked, read
 *   back by the position {@link #addItem} returned when the file's first piece is dispatched;</li>
 *   <li>the <b>pieces</b>: one fixed-size record per blob of a file (pack, where the blob is in it, its id, the file's
 *   slot, the offset in the file, how many pieces the file has, where its entry is). Records are kept in an array of
 *   a bounded size; a full array is sorted by pack and written out as a run, and {@link #sorted} merges the runs (a
 *   plan that fits in one array is never written: the 200,000 small files of the bench are one run).</li>
 * </ul>
 * Packs are numbered in the order the walk first needs them (restic reads packs in that order too), so a snapshot
 * whose packs follow its walk is read front to back.
 */
final class RestorePlan implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RestorePlan.class);
    private static final JsonFactory JSON = new JsonFactory();
    /** Bytes of one record: pack, blob offset, length, plain length, id, slot, file offset, pieces, entry. */
    static final int RECORD = 4 + 4 + 4 + 4 + BlobId.LENGTH + 4 + 8 + 4 + 8;
    /** Bytes of a record in memory: itself and its sort key. */
    static final int RECORD_COST = RECORD + 8;
    private static final int RUN_BUFFER = 64 << 10;

    private final Path directory;
    private final int capacity;
    private final List<Path> runs = new ArrayList<>();
    private final Map<BlobId, Integer> packNumbers = new HashMap<>();
    private final List<BlobLocation> packs = new ArrayList<>();
    private byte[] records;
    private long[] keys;
    private int count;
    private long total;
    private Path entriesFile;
    private OutputStream entriesOut;
    private long entriesEnd;
    private FileChannel entriesIn;
    private final ByteArrayOutputStream json = new ByteArrayOutputStream(512);

    /**
     * @param directory where the spills go
     * @param memory bytes of records kept in memory before a run is written out
     */
    RestorePlan(Path directory, long memory) {
        this.directory = directory;
        this.capacity = (int) Math.max(1024, Math.min(Integer.MAX_VALUE / RECORD, memory / RECORD_COST));
    }

    /** Records planned so far. */
    long pieces() {
        return total;
    }

    /** Runs written out so far (for tests and the stall diagnostic). */
    int runs() {
        return runs.size();
    }

    /** The pack of number {@code n} (any location in it: its id and type). */
    BlobLocation pack(int n) {
        return packs.get(n);
    }

    /** An item read back, and the length its file is planned with (-1: not planned in pieces). */
    record Planned(Manifest.Item item, long length) {
    }

    /**
     * Appends an item to the entries spill, with the length its file is planned with (-1: none); the position to
     * read it back with {@link #item}.
     */
    long addItem(Manifest.Item item, long length) throws IOException {
        if (entriesOut == null) {
            entriesFile = Files.createTempFile(directory, "mint-restore-plan-", ".entries");
            entriesOut = new BufferedOutputStream(Files.newOutputStream(entriesFile), RUN_BUFFER);
        }
        json.reset();
        try (JsonGenerator g = JSON.createGenerator(json)) {
            g.setCharacterEscapes(EntryJson.ESCAPES);
            g.writeStartObject();
            EntryJson.write(g, item.entry(), item.size());
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
            if (length >= 0) {
                g.writeNumberField("planned", length);
            }
            g.writeEndObject();
        }
        long at = entriesEnd;
        int n = json.size();
        entriesOut.write(n >>> 24);
        entriesOut.write(n >>> 16);
        entriesOut.write(n >>> 8);
        entriesOut.write(n);
        json.writeTo(entriesOut);
        entriesEnd += 4 + n;
        return at;
    }

    /** The item appended at {@code at}; only after {@link #sorted} (the walk is over). */
    Planned item(long at) throws IOException {
        if (entriesIn == null) {
            entriesOut.flush();
            entriesIn = FileChannel.open(entriesFile, StandardOpenOption.READ);
        }
        ByteBuffer head = ByteBuffer.allocate(4096);
        readFully(head, at, 4);
        head.flip();
        int n = head.getInt();
        byte[] bytes = new byte[n];
        int have = Math.min(n, head.remaining());
        head.get(bytes, 0, have);
        if (have < n) {
            ByteBuffer rest = ByteBuffer.wrap(bytes, have, n - have);
            readFully(rest, at + 4 + have, n - have);
        }
        return parse(bytes);
    }

    /** Reads into {@code b} from {@code at} until it is full or the file ends, at least {@code atLeast} bytes. */
    private void readFully(ByteBuffer b, long at, int atLeast) throws IOException {
        long position = at;
        int read = 0;
        while (b.hasRemaining()) {
            int n = entriesIn.read(b, position);
            if (n < 0) {
                if (read >= atLeast) {
                    return; // the last item, shorter than the buffer
                }
                throw new EOFException("the restore's plan ends early at " + position);
            }
            position += n;
            read += n;
        }
    }

    private static Planned parse(byte[] bytes) throws IOException {
        try (JsonParser p = JSON.createParser(bytes)) {
            ManifestFormat.expect(p.nextToken(), JsonToken.START_OBJECT);
            EntryJson.Reader fields = new EntryJson.Reader(ManifestFormat.TREE_VERSION);
            List<BlobId> blobs = List.of();
            String object = null;
            String sha = null;
            long planned = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
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
                    case "planned" -> planned = p.getLongValue();
                    default -> p.skipChildren();
                }
            }
            var entry = fields.entry();
            long size = entry.type() == EntryType.REGULAR ? fields.size() : 0;
            return new Planned(object != null ? Manifest.Item.single(entry, size, object, sha == null ? "" : sha)
                    : Manifest.Item.chunked(entry, size, blobs), planned);
        }
    }

    /** The number of the pack {@code location} is in, given in the order packs are first needed. */
    int packNumber(BlobLocation location) {
        Integer n = packNumbers.get(location.pack());
        if (n == null) {
            n = packs.size();
            packNumbers.put(location.pack(), n);
            packs.add(location);
        }
        return n;
    }

    /** Plans one piece: blob {@code id} at {@code location} goes to file {@code slot} at {@code offset}. */
    void add(BlobId id, BlobLocation location, int slot, long offset, int pieces, long entry) throws IOException {
        if (records == null) {
            int initial = (int) Math.min(capacity, 4096);
            records = new byte[initial * RECORD];
            keys = new long[initial];
        }
        if (count == keys.length) {
            if (count < capacity) {
                int grown = (int) Math.min(capacity, 2L * count);
                records = Arrays.copyOf(records, grown * RECORD);
                keys = Arrays.copyOf(keys, grown);
            } else {
                writeRun();
            }
        }
        int pack = packNumber(location);
        ByteBuffer b = ByteBuffer.wrap(records, count * RECORD, RECORD);
        b.putInt(pack).putInt(location.offset()).putInt(location.length()).putInt(location.plainLength())
                .put(id.bytes()).putInt(slot).putLong(offset).putInt(pieces).putLong(entry);
        keys[count] = (long) pack << 32 | count;
        count++;
        total++;
    }

    /** Sorts the records in memory by pack (then in the order they came) and writes them out as a run. */
    private void writeRun() throws IOException {
        Arrays.sort(keys, 0, count);
        Path run = Files.createTempFile(directory, "mint-restore-plan-", ".run");
        runs.add(run);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(run), RUN_BUFFER)) {
            for (int i = 0; i < count; i++) {
                out.write(records, (int) keys[i] * RECORD, RECORD);
            }
        }
        count = 0;
    }

    /** One planned piece, as read back in pack order. */
    static final class Piece {
        int pack;
        int offset;
        int length;
        int plainLength;
        final byte[] id = new byte[BlobId.LENGTH];
        int slot;
        long fileOffset;
        int pieces;
        long entry;

        void read(ByteBuffer b) {
            pack = b.getInt();
            offset = b.getInt();
            length = b.getInt();
            plainLength = b.getInt();
            b.get(id);
            slot = b.getInt();
            fileOffset = b.getLong();
            pieces = b.getInt();
            entry = b.getLong();
        }
    }

    /** The planned pieces in pack order: {@link Cursor#next} fills the same {@link Piece} each time. */
    interface Cursor extends AutoCloseable {
        boolean next(Piece into) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Ends the walk: the pieces, in the order of their packs (each pack's pieces together, in walk order). */
    Cursor sorted() throws IOException {
        if (entriesOut != null) {
            entriesOut.flush();
        }
        if (runs.isEmpty()) {
            Arrays.sort(keys == null ? new long[0] : keys, 0, count);
            long[] sortedKeys = keys;
            byte[] bytes = records;
            int n = count;
            return new Cursor() {
                private int i;

                @Override
                public boolean next(Piece into) {
                    if (i >= n) {
                        return false;
                    }
                    into.read(ByteBuffer.wrap(bytes, (int) sortedKeys[i++] * RECORD, RECORD));
                    return true;
                }

                @Override
                public void close() {
                }
            };
        }
        if (count > 0) {
            writeRun();
        }
        records = null;
        keys = null;
        return new Merge(runs);
    }

    /** Merges sorted runs; runs of the same pack come out in run order, so a pack's pieces keep the walk's order. */
    private static final class Merge implements Cursor {
        private final List<Run> open = new ArrayList<>();
        private final PriorityQueue<Run> heads = new PriorityQueue<>((a, b) -> a.pack != b.pack
                ? Integer.compare(a.pack, b.pack) : Integer.compare(a.index, b.index));

        Merge(List<Path> files) throws IOException {
            try {
                for (int i = 0; i < files.size(); i++) {
                    Run r = new Run(i, new DataInputStream(new BufferedInputStream(Files.newInputStream(files.get(i)), RUN_BUFFER)));
                    open.add(r);
                    if (r.advance()) {
                        heads.add(r);
                    }
                }
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public boolean next(Piece into) throws IOException {
            Run r = heads.poll();
            if (r == null) {
                return false;
            }
            into.read(ByteBuffer.wrap(r.record));
            if (r.advance()) {
                heads.add(r);
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            for (Run r : open) {
                r.in.close();
            }
        }
    }

    private static final class Run {
        final int index;
        final DataInputStream in;
        final byte[] record = new byte[RECORD];
        int pack;

        Run(int index, DataInputStream in) {
            this.index = index;
            this.in = in;
        }

        boolean advance() throws IOException {
            int n = in.readNBytes(record, 0, RECORD);
            if (n == 0) {
                return false;
            }
            if (n < RECORD) {
                throw new EOFException("a run of the restore's plan ends early");
            }
            pack = ByteBuffer.wrap(record).getInt();
            return true;
        }
    }

    /** Removes the spills. */
    @Override
    public void close() {
        List<Path> files = new ArrayList<>(runs);
        if (entriesFile != null) {
            files.add(entriesFile);
        }
        try {
            if (entriesOut != null) {
                entriesOut.close();
            }
            if (entriesIn != null) {
                entriesIn.close();
            }
        } catch (IOException e) {
            // removed below all the same
        }
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.warn("cannot remove the restore's plan {}: {}", f, e.toString());
            }
        }
    }
}
