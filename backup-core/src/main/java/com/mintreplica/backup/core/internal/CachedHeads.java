package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.SourceId;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The plaintext of the local cache's file of snapshot heads ({@link LocalCache#loadHeads}): every cached head in one
 * binary form, read in one pass. It is a local cache format (never stored in a repository): a file of another version
 * or another repository is not read, only replaced. A head here is a {@link Manifest} without entries: the summary,
 * the layout and the root tree; a flat snapshot's entries are read from the repository when needed.
 *
 * <pre>
 * "MBH2"  repository id  base  count  entry*
 * entry:  snapshot id  object size  object time (seconds, nanos)  recheck?
 *         time (seconds, nanos)  host  source kind  source name  job?  tags  parent?  layout  tool  stats (6 longs)
 *         facts  warnings  root tree?
 * string: int length, UTF-8 bytes; X?: a byte 0 or 1, then X when 1; a list: int count, then its items
 * </pre>
 *
 * {@code base} (int length, bytes) is empty in a file of all the heads, and in a file of heads added since such a file
 * it names that file (the checksum of its envelope): the additions apply to that file only.
 *
 * The binary form, rather than the snapshot object's JSON, because parsing 10,000 JSON heads (and their times) was
 * half the cost of a cached listing; an {@link Instant} is kept as seconds and nanos, so it reads back exactly. A
 * component added to {@link Snapshot} or {@link Manifest}'s head must be added here too, with a new magic
 * ({@code MBH2}) so that older files are replaced rather than read without it ({@code CachedHeadsTest} round-trips
 * every component). {@code recheck} is the token a writer's snapshot was opened with
 * ({@link com.mintreplica.backup.core.encryption.AccessControl.Opened#recheck}): such a head is used only after the
 * keys, asked with it, still trust that writer (MBH1, before writers' snapshots were cached, had none).
 */
final class CachedHeads {
    static final byte[] MAGIC = {'M', 'B', 'H', '2'};

    /**
     * A cached head and the stored object it was read from: used only while that object is listed unchanged, and for
     * a writer's snapshot ({@code recheck} present) only while the keys still trust that writer.
     */
    record Entry(String id, long size, Instant objectTime, Manifest head, Optional<String> recheck) {
        /** A head a reader wrote. */
        Entry(String id, long size, Instant objectTime, Manifest head) {
            this(id, size, objectTime, head, Optional.empty());
        }

        Entry {
            if (!head.items().isEmpty()) {
                throw new IllegalArgumentException("a cached head holds no entries");
            }
            if (!head.snapshot().id().equals(id)) {
                throw new IllegalArgumentException("the head of snapshot " + head.snapshot().id() + " under id " + id);
            }
        }

        /** Whether this entry was read from the object {@code info} lists (same size and time). */
        boolean matches(com.mintreplica.backup.core.sink.ObjectInfo info) {
            return size == info.size() && objectTime.equals(info.lastModified());
        }
    }

    private CachedHeads() {
    }

    /** A file's content: the base it adds to (empty: none) and its entries by snapshot id. */
    record Content(byte[] base, Map<String, Entry> entries) {
    }

    static byte[] write(String repositoryId, byte[] base, Collection<Entry> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + entries.size() * 256);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.write(MAGIC);
            string(out, repositoryId);
            out.writeInt(base.length);
            out.write(base);
            out.writeInt(entries.size());
            for (Entry e : entries) {
                string(out, e.id());
                out.writeLong(e.size());
                instant(out, e.objectTime());
                optional(out, e.recheck());
                head(out, e.head());
            }
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen in memory", e);
        }
        return bytes.toByteArray();
    }

    private static void head(DataOutputStream out, Manifest head) throws IOException {
        Snapshot s = head.snapshot();
        instant(out, s.time());
        string(out, s.host());
        string(out, s.source().kind());
        string(out, s.source().name());
        optional(out, s.job());
        out.writeInt(s.tags().size());
        for (String t : s.tags()) {
            string(out, t);
        }
        optional(out, s.parent());
        string(out, head.layout().name());
        string(out, s.toolVersion());
        Snapshot.Stats st = s.stats();
        out.writeLong(st.entries());
        out.writeLong(st.totalBytes());
        out.writeLong(st.bytesRead());
        out.writeLong(st.bytesNew());
        out.writeLong(st.bytesStored());
        out.writeLong(st.durationMillis());
        out.writeInt(s.facts().size());
        for (Map.Entry<String, String> f : s.facts().entrySet()) {
            string(out, f.getKey());
            string(out, f.getValue());
        }
        out.writeInt(s.warnings().size());
        for (Snapshot.Warning w : s.warnings()) {
            string(out, w.path());
            string(out, w.message());
        }
        out.writeBoolean(head.tree().isPresent());
        if (head.tree().isPresent()) {
            out.write(head.tree().get().bytes());
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static void optional(DataOutputStream out, Optional<String> s) throws IOException {
        out.writeBoolean(s.isPresent());
        if (s.isPresent()) {
            string(out, s.get());
        }
    }

    private static void instant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    /**
     * The base and the entries of {@code plain}.
     *
     * @throws IllegalArgumentException when it is not this format, or not of {@code repositoryId}
     * @throws RuntimeException when it is cut short or malformed
     */
    static Content read(String repositoryId, byte[] plain) {
        Reader in = new Reader(ByteBuffer.wrap(plain));
        byte[] magic = new byte[MAGIC.length];
        in.buffer.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException("not a file of cached heads of this version");
        }
        String repository = in.string();
        if (!repository.equals(repositoryId)) {
            throw new IllegalArgumentException("it caches repository " + repository);
        }
        byte[] base = new byte[in.count()];
        in.buffer.get(base);
        int count = in.count();
        Map<String, Entry> out = new HashMap<>(count * 4 / 3 + 1);
        for (int i = 0; i < count; i++) {
            String id = in.string();
            long size = in.buffer.getLong();
            Instant objectTime = in.instant();
            Optional<String> recheck = in.optional(false);
            Entry e = new Entry(id, size, objectTime, in.head(id), recheck);
            if (out.put(id, e) != null) {
                throw new IllegalArgumentException("snapshot " + id + " is cached twice");
            }
        }
        if (in.buffer.hasRemaining()) {
            throw new IllegalArgumentException(in.buffer.remaining() + " bytes follow the last entry");
        }
        return new Content(base, out);
    }

    private static final class Reader {
        final ByteBuffer buffer;
        /** The strings read so far: hosts, sources, layouts and tool versions repeat, and are then one instance. */
        final Map<String, String> seen = new HashMap<>();

        Reader(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        int count() {
            int n = buffer.getInt();
            if (n < 0 || n > buffer.remaining()) {
                throw new IllegalArgumentException("a count of " + n + " with " + buffer.remaining() + " bytes left");
            }
            return n;
        }

        String string() {
            int n = count();
            String s = new String(buffer.array(), buffer.position(), n, StandardCharsets.UTF_8);
            buffer.position(buffer.position() + n);
            return s;
        }

        String shared() {
            String s = string();
            String known = seen.putIfAbsent(s, s);
            return known == null ? s : known;
        }

        Optional<String> optional(boolean shared) {
            return flag() ? Optional.of(shared ? shared() : string()) : Optional.empty();
        }

        boolean flag() {
            byte b = buffer.get();
            if (b != 0 && b != 1) {
                throw new IllegalArgumentException("a flag of " + b);
            }
            return b == 1;
        }

        Instant instant() {
            long seconds = buffer.getLong();
            int nanos = buffer.getInt();
            return Instant.ofEpochSecond(seconds, nanos);
        }

        Manifest head(String id) {
            Instant time = instant();
            String host = shared();
            SourceId source = new SourceId(shared(), shared());
            Optional<String> job = optional(true);
            int tagCount = count();
            TreeSet<String> tags = new TreeSet<>();
            for (int i = 0; i < tagCount; i++) {
                tags.add(shared());
            }
            Optional<String> parent = optional(false);
            Layout layout = Layout.valueOf(shared());
            String tool = shared();
            Snapshot.Stats stats = new Snapshot.Stats(buffer.getLong(), buffer.getLong(), buffer.getLong(),
                    buffer.getLong(), buffer.getLong(), buffer.getLong());
            int factCount = count();
            TreeMap<String, String> facts = new TreeMap<>();
            for (int i = 0; i < factCount; i++) {
                facts.put(shared(), string());
            }
            int warningCount = count();
            List<Snapshot.Warning> warnings = new ArrayList<>(warningCount);
            for (int i = 0; i < warningCount; i++) {
                warnings.add(new Snapshot.Warning(string(), string()));
            }
            Optional<BlobId> tree = Optional.empty();
            if (flag()) {
                byte[] root = new byte[BlobId.LENGTH];
                buffer.get(root);
                tree = Optional.of(BlobId.wrap(root));
            }
            Snapshot snapshot = new Snapshot(id, time, host, source, job, tags, parent, stats, facts,
                    warnings, tool);
            return new Manifest(snapshot, layout, List.of(), tree);
        }
    }
}
