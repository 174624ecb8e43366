package com.mintreplica.backup.core.internal;

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
 *   <li>the <b>entries</b>: each planned file's entry (and a hard link's whole item), appended as it is walked in a
 *   binary form, read back by the position {@link #addItem} returned when the file's first piece is dispatched;</li>
 *   <li>the <b>pieces</b>: one fixed-size record per blob of a file (pack, where the blob is in it, its id, the file's
 *   slot, the offset in the file, how many pieces the file has, where its entry is). Records are kept in an array of
 *   a bounded size; a full array is sorted by pack and offset in it and written out as a run, and {@link #sorted} merges the runs (a
 *   plan that fits in one array is never written: the 200,000 small files of the bench are one run).</li>
 * </ul>
 * Packs are numbered in the order the walk first needs them (restic reads packs in that order too), so a snapshot
 * whose packs follow its walk is read front to back.
 */
final class RestorePlan implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RestorePlan.class);
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
    /** By pack number: where the last byte any piece needs from the pack ends. */
    private int[] packEnds = new int[16];
    private byte[] records;
    private long[] keys;
    private int count;
    private long total;
    /** Pieces whose pack was numbered before the last pack the walk moved on to: the walk went back to it. */
    private long returns;
    private int highest = -1;
    private Path entriesFile;
    private OutputStream entriesOut;
    private long entriesEnd;
    private FileChannel entriesIn;
    private final ByteArrayOutputStream encoded = new ByteArrayOutputStream(512);
    private final java.io.DataOutputStream encodedData = new java.io.DataOutputStream(encoded);
    /** Bytes of the entries spill read at once by {@link #item}. */
    private static final int WINDOW = 64 << 10;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(WINDOW);
    /** Where in the entries spill {@link #readBuffer} starts (its limit: how much it holds); -1: nothing. */
    private long windowStart = -1;

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

    /** For the log: how the walk's order matches the packs'. */
    String describe() {
        return total + " pieces in " + packs.size() + " packs (" + returns + " of them in a pack the walk had"
                + " passed), " + runs.size() + " sorted runs on disk";
    }

    /** Runs written out so far (for tests and the stall diagnostic). */
    int runs() {
        return runs.size();
    }

    /** The pack of number {@code n} (any location in it: its id and type). */
    BlobLocation pack(int n) {
        return packs.get(n);
    }

    /** Where the last blob the plan needs from pack {@code n} ends: a ranged read of the pack need go no further. */
    int packEnd(int n) {
        return packEnds[n];
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
        encoded.reset();
        encode(item, length, encodedData);
        long at = entriesEnd;
        int n = encoded.size();
        entriesOut.write(n >>> 24);
        entriesOut.write(n >>> 16);
        entriesOut.write(n >>> 8);
        entriesOut.write(n);
        encoded.writeTo(entriesOut);
        entriesEnd += 4 + n;
        return at;
    }

    /**
     * The item appended at {@code at}; only after {@link #sorted} (the walk is over). Items are asked for in about the
     * order they were appended (the packs' order follows the walk's), so they are read through a window of
     * {@link #WINDOW} bytes: one read for many small files instead of one each.
     */
    Planned item(long at) throws IOException {
        if (entriesIn == null) {
            entriesOut.flush();
            entriesIn = FileChannel.open(entriesFile, StandardOpenOption.READ);
            windowStart = -1;
        }
        ByteBuffer w = readBuffer;
        if (windowStart < 0 || at < windowStart || at + 4 > windowStart + w.limit()) {
            fill(at, 4);
        }
        int n = w.getInt((int) (at - windowStart));
        if (at + 4 + n > windowStart + w.limit()) {
            if (4 + n <= w.capacity()) {
                fill(at, 4 + n);
            } else {
                byte[] bytes = new byte[n];
                readFully(ByteBuffer.wrap(bytes), at + 4, n);
                return decode(new DataInputStream(new java.io.ByteArrayInputStream(bytes)));
            }
        }
        return decode(new DataInputStream(new java.io.ByteArrayInputStream(w.array(), w.arrayOffset()
                + (int) (at + 4 - windowStart), n)));
    }

    /** Reads the window from {@code at} on: as much as the file has, at least {@code atLeast} bytes. */
    private void fill(long at, int atLeast) throws IOException {
        ByteBuffer w = readBuffer;
        w.clear();
        windowStart = -1;
        readFully(w, at, atLeast);
        w.flip();
        windowStart = at;
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

    // The entries spill lives for one restore, in one process: a binary form of every field of an Entry (a tenth of
    // the CPU of writing and parsing its JSON), checked field by field by RestorePlanTest. A field added to Entry
    // must be added here.
    private static final int MODIFIED = 1;
    private static final int MODE = 1 << 1;
    private static final int LINK = 1 << 2;
    private static final int UID = 1 << 3;
    private static final int GID = 1 << 4;
    private static final int OWNER = 1 << 5;
    private static final int GROUP = 1 << 6;
    private static final int TOKEN = 1 << 7;
    private static final int ACCESSED = 1 << 8;
    private static final int DEVICE = 1 << 9;
    private static final int HARDLINK = 1 << 10;
    private static final int SIZE = 1 << 11;
    private static final int OBJECT = 1 << 12;
    private static final int SHA = 1 << 13;

    static void encode(Manifest.Item item, long length, java.io.DataOutputStream out) throws IOException {
        com.mintreplica.backup.core.source.Entry e = item.entry();
        int flags = (e.modified().isPresent() ? MODIFIED : 0) | (e.mode().isPresent() ? MODE : 0)
                | (e.linkTarget().isPresent() ? LINK : 0) | (e.uid().isPresent() ? UID : 0)
                | (e.gid().isPresent() ? GID : 0) | (e.owner().isPresent() ? OWNER : 0)
                | (e.group().isPresent() ? GROUP : 0) | (e.changeToken().isPresent() ? TOKEN : 0)
                | (e.accessed().isPresent() ? ACCESSED : 0) | (e.device().isPresent() ? DEVICE : 0)
                | (e.hardLinkTo().isPresent() ? HARDLINK : 0) | (e.size().isPresent() ? SIZE : 0)
                | (item.object().isPresent() ? OBJECT : 0) | (item.sha256().isPresent() ? SHA : 0);
        out.writeInt(flags);
        writeString(out, e.path());
        out.writeByte(e.type().ordinal());
        out.writeLong(item.size());
        out.writeLong(length);
        if (e.size().isPresent()) {
            out.writeLong(e.size().getAsLong());
        }
        if (e.modified().isPresent()) {
            out.writeLong(e.modified().get().getEpochSecond());
            out.writeInt(e.modified().get().getNano());
        }
        if (e.accessed().isPresent()) {
            out.writeLong(e.accessed().get().getEpochSecond());
            out.writeInt(e.accessed().get().getNano());
        }
        if (e.mode().isPresent()) {
            out.writeInt(e.mode().getAsInt());
        }
        if (e.uid().isPresent()) {
            out.writeInt(e.uid().getAsInt());
        }
        if (e.gid().isPresent()) {
            out.writeInt(e.gid().getAsInt());
        }
        if (e.device().isPresent()) {
            out.writeLong(e.device().getAsLong());
        }
        for (java.util.Optional<String> o : List.of(e.linkTarget(), e.owner(), e.group(), e.changeToken(),
                e.hardLinkTo(), item.object(), item.sha256())) {
            if (o.isPresent()) {
                writeString(out, o.get());
            }
        }
        out.writeInt(e.attributes().size());
        for (Map.Entry<String, String> a : e.attributes().entrySet()) {
            writeString(out, a.getKey());
            writeString(out, a.getValue());
        }
        out.writeInt(e.xattrs().size());
        for (com.mintreplica.backup.core.source.ExtendedAttribute x : e.xattrs()) {
            writeString(out, x.name());
            byte[] v = x.value();
            out.writeInt(v.length);
            out.write(v);
        }
        out.writeInt(item.blobs().size());
        for (BlobId b : item.blobs()) {
            out.write(b.bytes());
        }
    }

    static Planned decode(DataInputStream in) throws IOException {
        int flags = in.readInt();
        String path = readString(in);
        EntryType type = EntryType.values()[in.readByte()];
        long itemSize = in.readLong();
        long length = in.readLong();
        com.mintreplica.backup.core.source.Entry.Builder b = com.mintreplica.backup.core.source.Entry.builder(path, type);
        if ((flags & SIZE) != 0) {
            b.size(in.readLong());
        }
        if ((flags & MODIFIED) != 0) {
            b.modified(java.time.Instant.ofEpochSecond(in.readLong(), in.readInt()));
        }
        if ((flags & ACCESSED) != 0) {
            b.accessed(java.time.Instant.ofEpochSecond(in.readLong(), in.readInt()));
        }
        if ((flags & MODE) != 0) {
            b.mode(in.readInt());
        }
        if ((flags & UID) != 0) {
            b.uid(in.readInt());
        }
        if ((flags & GID) != 0) {
            b.gid(in.readInt());
        }
        if ((flags & DEVICE) != 0) {
            b.device(in.readLong());
        }
        if ((flags & LINK) != 0) {
            b.linkTarget(readString(in));
        }
        if ((flags & OWNER) != 0) {
            b.owner(readString(in));
        }
        if ((flags & GROUP) != 0) {
            b.group(readString(in));
        }
        if ((flags & TOKEN) != 0) {
            b.changeToken(readString(in));
        }
        if ((flags & HARDLINK) != 0) {
            b.hardLinkTo(readString(in));
        }
        String object = (flags & OBJECT) != 0 ? readString(in) : null;
        String sha = (flags & SHA) != 0 ? readString(in) : null;
        int attributes = in.readInt();
        if (attributes > 0) {
            Map<String, String> map = new HashMap<>();
            for (int i = 0; i < attributes; i++) {
                map.put(readString(in), readString(in));
            }
            b.attributes(map);
        }
        int xattrs = in.readInt();
        for (int i = 0; i < xattrs; i++) {
            String name = readString(in);
            byte[] value = new byte[in.readInt()];
            in.readFully(value);
            b.xattr(new com.mintreplica.backup.core.source.ExtendedAttribute(name, value));
        }
        int blobs = in.readInt();
        List<BlobId> ids = new ArrayList<>(blobs);
        for (int i = 0; i < blobs; i++) {
            byte[] id = new byte[BlobId.LENGTH];
            in.readFully(id);
            ids.add(BlobId.wrap(id));
        }
        var entry = b.build();
        Manifest.Item item = object != null ? Manifest.Item.single(entry, itemSize, object, sha == null ? "" : sha)
                : new Manifest.Item(entry, itemSize, ids, java.util.Optional.empty(), java.util.Optional.ofNullable(sha));
        return new Planned(item, length);
    }

    /** Any string exactly, lone surrogates included: modified UTF-8 when short enough, else its chars. */
    private static void writeString(java.io.DataOutputStream out, String s) throws IOException {
        if (s.length() <= 20_000) {
            out.writeUTF(s); // at most 3 bytes a char: within writeUTF's 65,535
        } else {
            out.writeShort(0xFFFF);
            out.writeInt(s.length());
            out.writeChars(s);
        }
    }

    private static String readString(DataInputStream in) throws IOException {
        in.mark(2);
        if (in.readUnsignedShort() == 0xFFFF) {
            char[] c = new char[in.readInt()];
            for (int i = 0; i < c.length; i++) {
                c[i] = in.readChar();
            }
            return new String(c);
        }
        in.reset();
        return in.readUTF();
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
        if (pack >= packEnds.length) {
            packEnds = Arrays.copyOf(packEnds, Math.max(pack + 1, 2 * packEnds.length));
        }
        packEnds[pack] = Math.max(packEnds[pack], location.offset() + location.length());
        if (pack < highest) {
            returns++;
        }
        highest = Math.max(highest, pack);
        ByteBuffer b = ByteBuffer.wrap(records, count * RECORD, RECORD);
        b.putInt(pack).putInt(location.offset()).putInt(location.length()).putInt(location.plainLength())
                .put(id.bytes()).putInt(slot).putLong(offset).putInt(pieces).putLong(entry);
        keys[count] = (long) pack << 32 | count;
        count++;
        total++;
    }

    /**
     * Sorts the records in memory by pack, then by where the blob is in its pack (the pieces of one blob together, in
     * the order they came): first by (pack, position in the array), then each pack's stretch by (offset, position).
     */
    private void sortRecords() {
        Arrays.sort(keys, 0, count);
        int i = 0;
        while (i < count) {
            int pack = (int) (keys[i] >>> 32);
            int j = i;
            while (j < count && (int) (keys[j] >>> 32) == pack) {
                int index = (int) keys[j];
                keys[j] = (long) ByteBuffer.wrap(records, index * RECORD + 4, 4).getInt() << 32 | index;
                j++;
            }
            Arrays.sort(keys, i, j);
            i = j;
        }
    }

    /** Sorts the records in memory ({@link #sortRecords}) and writes them out as a run. */
    private void writeRun() throws IOException {
        sortRecords();
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

    /**
     * Ends the walk: the pieces in the order of their packs, and in a pack in the order of their blobs' offsets (the
     * pieces of one blob together, in walk order).
     */
    Cursor sorted() throws IOException {
        if (entriesOut != null) {
            entriesOut.flush();
        }
        if (runs.isEmpty()) {
            if (keys != null) {
                sortRecords();
            }
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

    /**
     * Merges sorted runs by pack and offset; the pieces of one blob from several runs come out in run order, so they
     * keep the walk's order.
     */
    private static final class Merge implements Cursor {
        private final List<Run> open = new ArrayList<>();
        private final PriorityQueue<Run> heads = new PriorityQueue<>((a, b) -> a.pack != b.pack
                ? Integer.compare(a.pack, b.pack) : a.offset != b.offset ? Integer.compare(a.offset, b.offset)
                : Integer.compare(a.index, b.index));

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
        int offset;

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
            ByteBuffer b = ByteBuffer.wrap(record);
            pack = b.getInt();
            offset = b.getInt();
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
