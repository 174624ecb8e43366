package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.encryption.AccessControl;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.SourceId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A writer's local stand-in for the parent snapshot it cannot read (restic keeps a cache under {@code ~/.cache/restic}
 * for other reasons). After each backup a writer commits, it stores, per host and source, what it needs to skip
 * reading unchanged files next time: each regular file's path, change token, size and (keyed) blob ids. Nothing
 * else: no content, no name that is not the host's own, nothing a reader's key protects.
 *
 * <p>One file per repository, host and source, named by an HMAC of them under the cache key; sealed with AES-256-GCM
 * under the cache key (which only the writer key holds), bound to its name. A missing, damaged or foreign cache file
 * is ignored: the files are read again, never trusted (a damaged block, found when the walk first reads it: the files
 * from that block on). Even a valid cache never makes a snapshot wrong, because a
 * backup reuses a cached file's blobs only when every one of them is in the repository's authenticated id set. The
 * file and its directory are private to the user (0600, 0700).
 *
 * <p>Memory does not grow with the files (format {@code MBC2}, see docs/architecture.md "A writer's parent cache in
 * bounded memory"): the records are sorted by (directory, name) and cut into blocks sealed each on its own, with the
 * block's number, its role and a random id of the file in the AAD; a last sealed block (the trailer) lists each
 * block's offset and first path. {@link Reader} holds only that index and a few decoded blocks and finds each file
 * by its path when the walk reaches it. {@link Writer} takes the files as the tree blobs are made (in no
 * order), sorts them in runs of a few MiB spilled to disk (sealed under a key that lives only in memory) and merges
 * them into the file once the snapshot is committed. A file of the previous format ({@code MBC1}, one sealed whole) is
 * rewritten in this one when it is loaded.
 */
public final class ParentCache {
    private static final Logger LOG = LoggerFactory.getLogger(ParentCache.class);
    private static final byte[] MAGIC = {'M', 'B', 'C', '2'};
    private static final byte[] MAGIC_V1 = {'M', 'B', 'C', '1'};
    private static final int FILE_ID = 16;
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final int TAG = TAG_BITS / 8;
    /** A block's plaintext is cut after the record that reaches this size. */
    static final int BLOCK_BYTES = 32 * 1024;
    /**
     * The files a writer holds before it sorts them into a run on disk, in estimated heap bytes: a 32nd of the heap,
     * between 1 and 8 MiB. A fixed 8 MiB (some 40,000 files, nearer 10 MB of real heap) was an eighth of a 64 MiB
     * heap that no budget of the backup knew about.
     */
    static long runBytes(long maxHeap) {
        return Math.max(1L << 20, Math.min(8L << 20, maxHeap / 32));
    }
    /** Runs merged at once; more are merged in rounds, so memory stays bounded at any number of files. */
    static final int FAN_IN = 32;
    /** Decoded blocks a reader keeps (the walk meets directories in nearly sorted order). */
    private static final int DECODED_BLOCKS = 4;
    private static final int MAX_SEALED = 64 << 20;
    private static final byte DATA = 'D';
    private static final byte TRAILER = 'T';
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AccessControl.ParentCache settings;
    private final String repositoryId;
    private final int blockBytes;
    private final long runBytes;

    public ParentCache(AccessControl.ParentCache settings, String repositoryId) {
        this(settings, repositoryId, BLOCK_BYTES, runBytes(Runtime.getRuntime().maxMemory()));
    }

    /** With other block and run sizes (tests: many blocks and runs from few files). */
    ParentCache(AccessControl.ParentCache settings, String repositoryId, int blockBytes, long runBytes) {
        this.settings = settings;
        this.repositoryId = repositoryId;
        this.blockBytes = blockBytes;
        this.runBytes = runBytes;
    }

    /** The cache file of {@code host} and {@code source}. */
    Path file(String host, SourceId source) {
        return file("mint-backup parent cache\0" + repositoryId + "\0" + host + "\0" + source.kind() + "\0" + source.name());
    }

    /**
     * The cache file of copies of {@code host}'s {@code source} from the repository {@code fromRepository}: another
     * name than its backups' (the name is in every block's AAD, so one cannot stand for the other).
     */
    Path copiesFile(String fromRepository, String host, SourceId source) {
        return file("mint-backup copy cache\0" + repositoryId + "\0" + fromRepository + "\0" + host + "\0"
                + source.kind() + "\0" + source.name());
    }

    private Path file(String key) {
        byte[] mac = hmac(key.getBytes(StandardCharsets.UTF_8));
        return settings.directory().resolve(repositoryId).resolve(Hex.encode(Arrays.copyOf(mac, 16)));
    }

    /**
     * What the last backup of {@code host} and {@code source} stored; empty when unknown, or when the file is damaged
     * or foreign (with a warning). The file is checked whole here (every block authenticated, one at a time); one of
     * the previous format is rewritten in this one first. The caller closes the reader.
     */
    public Optional<Reader> load(String host, SourceId source) {
        return load(file(host, source));
    }

    /**
     * What the last copy of {@code host}'s {@code source} from {@code fromRepository} into this repository stored, as
     * {@link #load} has it for backups: each regular file's path, size and target blob ids, its change token standing
     * for its content ids in the source ({@link #copyToken}).
     */
    public Optional<Reader> loadCopies(String fromRepository, String host, SourceId source) {
        return load(copiesFile(fromRepository, host, source));
    }

    private Optional<Reader> load(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot read the parent cache {}: {}; every file is read again", file, e.toString());
            return Optional.empty();
        }
        try {
            byte[] magic = new byte[MAGIC.length];
            if (channel.size() >= MAGIC.length) {
                readFully(channel, ByteBuffer.wrap(magic), 0);
            }
            if (Arrays.equals(magic, MAGIC_V1)) {
                channel.close();
                if (!migrate(file)) {
                    return Optional.empty();
                }
                channel = FileChannel.open(file, StandardOpenOption.READ);
            }
            // Only the trailer is opened here: each block is authenticated when the walk first reads it, and one that
            // does not open makes the rest of the backup read its files again (Reader.directory).
            SealedFile sealed = SealedFile.open(channel, aesKey(), aad(file.getFileName().toString()));
            return Optional.of(new Reader(sealed, file));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            closeQuietly(channel);
            LOG.warn("the parent cache {} is damaged or not this writer's ({}); every file is read again", file, why(e));
            return Optional.empty();
        }
    }

    /**
     * Rewrites a file of the previous format ({@code MBC1}: one sealed message) in this one, in place; false, with a
     * warning, when it does not open. It holds that file whole, twice (sealed, then opened), once: less than loading
     * it cost the version that wrote it, which also made an item of every file.
     */
    private boolean migrate(Path file) {
        try {
            byte[] plain = openV1(file, Files.readAllBytes(file));
            try (Writer writer = new Writer(file);
                 DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
                String id = in.readUTF();
                Instant time = Instant.ofEpochSecond(in.readLong());
                int count = in.readInt();
                for (int i = 0; i < count; i++) {
                    writer.add(Record.read(in));
                }
                if (in.read() >= 0) {
                    throw new IOException("trailing bytes");
                }
                if (!writer.commit(id, time)) {
                    return false;
                }
            }
            LOG.info("the parent cache {} was written by an earlier version of mint-backup; rewritten in the current"
                    + " format", file);
            return true;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.warn("the parent cache {} is damaged or not this writer's ({}); every file is read again", file, why(e));
            return false;
        }
    }

    private byte[] openV1(Path file, byte[] stored) throws GeneralSecurityException, IOException {
        if (stored.length < MAGIC_V1.length + NONCE) {
            throw new IOException("not a mint-backup cache file");
        }
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, aesKey(), new GCMParameterSpec(TAG_BITS, stored, MAGIC_V1.length, NONCE));
        cipher.updateAAD(("mint-backup parent cache\0" + repositoryId + "\0" + file.getFileName())
                .getBytes(StandardCharsets.UTF_8));
        return cipher.doFinal(stored, MAGIC_V1.length + NONCE, stored.length - MAGIC_V1.length - NONCE);
    }

    /** Collects the files of a backup of {@code host} and {@code source}; {@link Writer#commit} replaces the cache. */
    public Writer writer(String host, SourceId source) {
        return new Writer(file(host, source));
    }

    /** Collects the files of a copy ({@link #loadCopies}); {@link Writer#commit} replaces that cache. */
    public Writer copiesWriter(String fromRepository, String host, SourceId source) {
        return new Writer(copiesFile(fromRepository, host, source));
    }

    /**
     * A copied file's change token: its content ids in the source repository. Equal tokens are equal content (the ids
     * name it, keyed or not), so the target ids a copy stored for one serve the other.
     */
    public static String copyToken(List<BlobId> sourceIds) {
        java.security.MessageDigest sha256 = Sha256.newDigest();
        sha256.update("mint-backup copied content\0".getBytes(StandardCharsets.US_ASCII));
        for (BlobId id : sourceIds) {
            sha256.update(id.raw());
        }
        return "copy:" + Hex.encode(sha256.digest());
    }

    /** Replaces the cache of the manifest's host and source with its regular files (a flat manifest). */
    public void save(Manifest manifest) {
        if (manifest.layout() != Layout.CHUNKED) {
            return;
        }
        Snapshot s = manifest.snapshot();
        try (Writer writer = writer(s.host(), s.source())) {
            for (Manifest.Item item : manifest.items()) {
                writer.add(item);
            }
            writer.commit(s);
        }
    }

    // ---- the writer's side

    /**
     * The regular files of one backup, as its tree blobs are made ({@link #add} is thread-safe); nothing replaces the
     * cache before {@link #commit}. A failure here never fails the backup: the cache is then left as it was (still
     * safe: the next backup reuses only blobs the repository holds) and a warning says so. Closing deletes the runs.
     */
    public final class Writer implements AutoCloseable {
        private final Path file;
        private final String name;
        /** Seals the runs: it lives only in this object, so a run a crash left behind is noise to anyone. */
        private final SecretKey runKey;
        private final List<Path> runs = new ArrayList<>();
        private List<Record> buffer = new ArrayList<>();
        private long bufferBytes;
        private long count;
        private boolean failed;
        private boolean closed;

        private Writer(Path file) {
            this.file = file;
            this.name = file.getFileName().toString();
            byte[] k = new byte[32];
            RANDOM.nextBytes(k);
            this.runKey = new SecretKeySpec(k, "AES");
        }

        /** Takes a regular file's item with its content ids; others (no change token, single objects) are skipped. */
        public void add(Manifest.Item item) {
            if (item.entry().type() != EntryType.REGULAR || item.entry().changeToken().isEmpty()
                    || item.object().isPresent()) {
                return;
            }
            add(Record.of(item));
        }

        private void add(Record record) {
            synchronized (this) {
                if (failed || closed) {
                    return;
                }
                buffer.add(record);
                bufferBytes += record.heapBytes();
                count++;
                if (bufferBytes >= runBytes) {
                    try {
                        spill();
                    } catch (IOException | GeneralSecurityException | RuntimeException e) {
                        fail(e);
                    }
                }
            }
        }

        /** Writes the files of the committed snapshot {@code s} as the new cache (atomically replacing the old one). */
        public void commit(Snapshot s) {
            commit(s.id(), s.time());
        }

        /** Whether the cache was replaced (when not, a warning said why). */
        private synchronized boolean commit(String snapshotId, Instant time) {
            if (failed || closed) {
                return false;
            }
            Path temp = null;
            try {
                Path dir = file.getParent();
                createPrivateDirectories(dir);
                deleteStale(dir, name);
                spill();
                while (runs.size() > FAN_IN) {
                    List<Path> some = new ArrayList<>(runs.subList(0, FAN_IN));
                    Path merged = newPrivateFile(dir, name + ".run-");
                    runs.add(merged);
                    merge(some, merged, runKey, merged.getFileName().toString(), "", Instant.EPOCH);
                    for (Path p : some) {
                        Files.deleteIfExists(p);
                        runs.remove(p);
                    }
                }
                temp = newPrivateFile(dir, name + ".tmp-");
                long written = merge(runs, temp, aesKey(), name, snapshotId, time);
                if (written != count) {
                    throw new IOException("merged " + written + " files of " + count);
                }
                try {
                    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
                return true;
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                fail(e);
                return false;
            } finally {
                if (temp != null) {
                    deleteQuietly(temp);
                }
                close();
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
            buffer = new ArrayList<>();
            for (Path run : runs) {
                deleteQuietly(run);
            }
            runs.clear();
        }

        private void fail(Exception e) {
            if (!failed) {
                // The snapshot is (or will be) committed; without a new cache the next backup reads more files again.
                LOG.warn("cannot write the parent cache {}: {}; the next backup reads every file again", file, e.toString());
            }
            failed = true;
            close();
        }

        /** Sorts the buffered files into a new run on disk. */
        private void spill() throws IOException, GeneralSecurityException {
            if (buffer.isEmpty()) {
                return;
            }
            List<Record> sorted = buffer;
            buffer = new ArrayList<>();
            bufferBytes = 0;
            sorted.sort(Record.ORDER);
            Path dir = file.getParent();
            createPrivateDirectories(dir);
            Path run = newPrivateFile(dir, name + ".run-");
            runs.add(run);
            try (BlockWriter out = new BlockWriter(run, runKey, aad(run.getFileName().toString()), blockBytes)) {
                for (Record r : sorted) {
                    out.add(r);
                }
                out.finish("", Instant.EPOCH);
            }
        }

        /** Merges sorted runs into {@code target}; returns the files written. */
        private long merge(List<Path> from, Path target, SecretKey key, String targetName, String snapshotId,
                           Instant time) throws IOException, GeneralSecurityException {
            List<SealedFile> inputs = new ArrayList<>();
            try {
                PriorityQueue<Cursor> queue = new PriorityQueue<>((a, b) -> Record.ORDER.compare(a.current, b.current));
                for (Path run : from) {
                    SealedFile in = SealedFile.open(FileChannel.open(run, StandardOpenOption.READ), runKey,
                            aad(run.getFileName().toString()));
                    inputs.add(in);
                    Cursor c = new Cursor(in);
                    if (c.advance()) {
                        queue.add(c);
                    }
                }
                long written = 0;
                try (BlockWriter out = new BlockWriter(target, key, aad(targetName), blockBytes)) {
                    Record last = null;
                    while (!queue.isEmpty()) {
                        Cursor c = queue.poll();
                        if (last == null || Record.ORDER.compare(last, c.current) != 0) {
                            out.add(c.current);
                            written++;
                        }
                        last = c.current;
                        if (c.advance()) {
                            queue.add(c);
                        }
                    }
                    out.finish(snapshotId, time);
                }
                return written;
            } finally {
                for (SealedFile in : inputs) {
                    in.close();
                }
            }
        }
    }

    /** Reads a sealed file's records in order, one decoded block at a time. */
    private static final class Cursor {
        private final SealedFile file;
        private int block = -1;
        private List<Record> records = List.of();
        private int next;
        Record current;

        Cursor(SealedFile file) {
            this.file = file;
        }

        boolean advance() throws IOException, GeneralSecurityException {
            while (next >= records.size()) {
                if (block + 1 >= file.blocks()) {
                    current = null;
                    return false;
                }
                block++;
                records = file.block(block);
                next = 0;
            }
            current = records.get(next++);
            return true;
        }
    }

    /** What went wrong with a cache file, in words: a block that fails authentication is damaged or not ours. */
    static String why(Exception e) {
        if (e instanceof javax.crypto.AEADBadTagException) {
            return "a block fails authentication";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    // ---- the reading side

    /**
     * The last backup's files, each looked up by path as the walk reaches it ({@link #file}); holds the block index
     * (the first path of each block, about one per 250 files) and a few decoded blocks. Each block is authenticated
     * when first read; one that does not open (damaged, or changed since the file was loaded) makes the rest of the
     * backup read its files again, with a warning.
     */
    public static final class Reader implements AutoCloseable {
        private final SealedFile sealed;
        private final Path file;
        private final Map<Integer, List<Record>> decoded = new LinkedHashMap<>(8, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, List<Record>> eldest) {
                return size() > DECODED_BLOCKS;
            }
        };
        private boolean broken;

        private Reader(SealedFile sealed, Path file) {
            this.sealed = sealed;
            this.file = file;
        }

        /** The id of the snapshot these files are of. */
        public String snapshotId() {
            return sealed.snapshotId;
        }

        /** The number of files. */
        public long files() {
            return sealed.records;
        }

        /**
         * The regular file at {@code path} as the last backup stored it, or null: found in its block by the blocks'
         * first paths, then by path in the block. A map of a directory's files, which this served before, took some
         * 100 MiB of heap for a directory of 300,000 files, whose unchanged backup through a writer key did not finish
         * in 128 MiB. A block that does not open (damaged, or changed since the file was loaded) makes this and every
         * later call answer null, with a warning: the files are read again.
         */
        public synchronized Manifest.Item file(String path) {
            if (broken) {
                return null;
            }
            try {
                int lo = 0;
                int hi = sealed.blocks() - 1;
                int block = -1;
                while (lo <= hi) {
                    int mid = (lo + hi) >>> 1;
                    if (Record.comparePaths(sealed.firstPaths[mid], path) <= 0) {
                        block = mid;
                        lo = mid + 1;
                    } else {
                        hi = mid - 1;
                    }
                }
                if (block < 0) {
                    return null;
                }
                List<Record> records = block(block);
                lo = 0;
                hi = records.size() - 1;
                while (lo <= hi) {
                    int mid = (lo + hi) >>> 1;
                    int c = Record.comparePaths(records.get(mid).path, path);
                    if (c == 0) {
                        return records.get(mid).item();
                    } else if (c < 0) {
                        lo = mid + 1;
                    } else {
                        hi = mid - 1;
                    }
                }
                return null;
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                broken = true;
                decoded.clear();
                LOG.warn("the parent cache {} changed or is damaged ({}); the files from '{}' on are read again", file,
                        why(e), path);
                return null;
            }
        }

        private List<Record> block(int b) throws IOException, GeneralSecurityException {
            List<Record> records = decoded.get(b);
            if (records == null) {
                records = sealed.block(b);
                decoded.put(b, records);
            }
            return records;
        }

        @Override
        public synchronized void close() {
            decoded.clear();
            sealed.close();
        }
    }

    // ---- records

    /** One regular file: its path, change token, size and content ids (32 bytes each, concatenated). */
    record Record(String path, String token, long size, byte[] blobs) {
        /** By directory, then by name: a directory's files are next to each other. */
        static final java.util.Comparator<Record> ORDER = (a, b) -> comparePaths(a.path, b.path);

        static Record of(Manifest.Item item) {
            List<BlobId> ids = item.blobs();
            byte[] blobs = new byte[ids.size() * BlobId.LENGTH];
            for (int i = 0; i < ids.size(); i++) {
                System.arraycopy(ids.get(i).raw(), 0, blobs, i * BlobId.LENGTH, BlobId.LENGTH);
            }
            return new Record(item.entry().path(), item.entry().changeToken().get(), item.size(), blobs);
        }

        /** Roughly what the record takes on the heap while it waits for its run. */
        long heapBytes() {
            return 112 + path.length() + token.length() + blobs.length;
        }

        String name() {
            return path.substring(path.lastIndexOf('/') + 1);
        }

        Manifest.Item item() {
            List<BlobId> ids = new ArrayList<>(blobs.length / BlobId.LENGTH);
            for (int i = 0; i < blobs.length; i += BlobId.LENGTH) {
                ids.add(BlobId.wrap(Arrays.copyOfRange(blobs, i, i + BlobId.LENGTH)));
            }
            Entry entry = Entry.builder(path, EntryType.REGULAR).size(size).changeToken(token).build();
            return Manifest.Item.chunked(entry, size, ids);
        }

        /** Compares (directory, name) of two paths (see {@link #compareRegions}). */
        static int comparePaths(String a, String b) {
            int sa = a.lastIndexOf('/');
            int sb = b.lastIndexOf('/');
            int c = compareRegions(a, 0, Math.max(sa, 0), b, 0, Math.max(sb, 0));
            return c != 0 ? c : compareRegions(a, sa + 1, a.length(), b, sb + 1, b.length());
        }

        /**
         * As {@link String#compareTo}, but with '/' before every other character: directories then compare name by
         * name, so the order is the walk's (a directory's subdirectories right after it, each before its next
         * sibling: "a", "a/b", "a/b/c", "a-b"), and a backup asks for directories in the order of the file.
         */
        private static int compareRegions(String a, int fromA, int toA, String b, int fromB, int toB) {
            int n = Math.min(toA - fromA, toB - fromB);
            for (int i = 0; i < n; i++) {
                char x = a.charAt(fromA + i);
                char y = b.charAt(fromB + i);
                if (x != y) {
                    return (x == '/' ? -1 : x) - (y == '/' ? -1 : y);
                }
            }
            return (toA - fromA) - (toB - fromB);
        }

        void write(DataOutputStream out) throws IOException {
            writeString(out, path);
            writeString(out, token);
            out.writeLong(size);
            out.writeInt(blobs.length / BlobId.LENGTH);
            out.write(blobs);
        }

        static Record read(DataInputStream in) throws IOException {
            String path = readString(in);
            String token = readString(in);
            long size = in.readLong();
            int n = in.readInt();
            if (n < 0 || n > (1 << 24)) {
                throw new IOException("bad blob count " + n);
            }
            byte[] blobs = new byte[n * BlobId.LENGTH];
            in.readFully(blobs);
            return new Record(path, token, size, blobs);
        }
    }

    // ---- the sealed block file

    /*
     * MAGIC "MBC2" | file id (16 random bytes) | block... | trailer block | offset of the trailer block (8 bytes)
     * block: sealed length (4 bytes) | nonce (12) | AES-GCM ciphertext and tag
     * AAD of a block: "mint-backup parent cache 2\0" repository id "\0" file name "\0" | file id | role ('D' or 'T') |
     *   block number (8 bytes; the trailer's is -1)
     * data block plaintext: record count (4) | records, sorted by (directory, name) across the file
     * trailer plaintext: snapshot id | time (epoch seconds) | record count (8) | data block count (4) |
     *   per data block: its offset (8) and its first path
     */

    /** Writes records into sealed blocks, then the trailer; the file is private (0600). */
    private static final class BlockWriter implements AutoCloseable {
        private final FileChannel channel;
        private final SecretKey key;
        private final byte[] aadPrefix;
        private final byte[] fileId = new byte[FILE_ID];
        private final int blockBytes;
        private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        private final DataOutputStream plainOut = new DataOutputStream(plain);
        private final List<Long> offsets = new ArrayList<>();
        private final List<String> firstPaths = new ArrayList<>();
        private int inBlock;
        private long records;
        private long position;
        private Record previous;

        BlockWriter(Path file, SecretKey key, byte[] aadPrefix, int blockBytes) throws IOException {
            this.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            this.key = key;
            this.aadPrefix = aadPrefix;
            this.blockBytes = blockBytes;
            RANDOM.nextBytes(fileId);
            ByteBuffer head = ByteBuffer.allocate(MAGIC.length + FILE_ID);
            head.put(MAGIC).put(fileId).flip();
            write(head);
        }

        void add(Record r) throws IOException, GeneralSecurityException {
            if (previous != null && Record.ORDER.compare(previous, r) >= 0) {
                throw new IllegalStateException("records out of order: '" + previous.path + "', '" + r.path + "'");
            }
            previous = r;
            if (inBlock == 0) {
                firstPaths.add(r.path);
            }
            r.write(plainOut);
            inBlock++;
            records++;
            if (plain.size() >= blockBytes) {
                flushBlock();
            }
        }

        void finish(String snapshotId, Instant time) throws IOException, GeneralSecurityException {
            flushBlock();
            ByteArrayOutputStream trailer = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(trailer);
            out.writeUTF(snapshotId);
            out.writeLong(time.getEpochSecond());
            out.writeLong(records);
            out.writeInt(offsets.size());
            for (int i = 0; i < offsets.size(); i++) {
                out.writeLong(offsets.get(i));
                writeString(out, firstPaths.get(i));
            }
            long trailerOffset = position;
            writeSealed(trailer.toByteArray(), TRAILER, -1);
            ByteBuffer end = ByteBuffer.allocate(8);
            end.putLong(trailerOffset).flip();
            write(end);
            channel.force(false);
        }

        private void flushBlock() throws IOException, GeneralSecurityException {
            if (inBlock == 0) {
                return;
            }
            byte[] body = plain.toByteArray();
            ByteBuffer count = ByteBuffer.allocate(4 + body.length);
            count.putInt(inBlock).put(body);
            offsets.add(position);
            writeSealed(count.array(), DATA, offsets.size() - 1);
            plain.reset();
            inBlock = 0;
        }

        private void writeSealed(byte[] plaintext, byte role, long number) throws IOException, GeneralSecurityException {
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(blockAad(aadPrefix, fileId, role, number));
            byte[] sealed = cipher.doFinal(plaintext);
            ByteBuffer out = ByteBuffer.allocate(4 + NONCE + sealed.length);
            out.putInt(NONCE + sealed.length).put(nonce).put(sealed).flip();
            write(out);
        }

        private void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                position += channel.write(b);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** An opened sealed file: the trailer read and authenticated, blocks opened on demand. */
    private static final class SealedFile implements AutoCloseable {
        private final FileChannel channel;
        private final SecretKey key;
        private final byte[] aadPrefix;
        private final byte[] fileId;
        private final long[] offsets;
        final String[] firstPaths;
        final String snapshotId;
        final long records;
        private final long trailerOffset;

        private SealedFile(FileChannel channel, SecretKey key, byte[] aadPrefix, byte[] fileId, long[] offsets,
                           String[] firstPaths, String snapshotId, long records, long trailerOffset) {
            this.channel = channel;
            this.key = key;
            this.aadPrefix = aadPrefix;
            this.fileId = fileId;
            this.offsets = offsets;
            this.firstPaths = firstPaths;
            this.snapshotId = snapshotId;
            this.records = records;
            this.trailerOffset = trailerOffset;
        }

        /** Opens the file; on failure the channel is closed. */
        static SealedFile open(FileChannel channel, SecretKey key, byte[] aadPrefix) throws IOException,
                GeneralSecurityException {
            try {
                long size = channel.size();
                if (size < MAGIC.length + FILE_ID + 8) {
                    throw new IOException("not a mint-backup cache file (too short)");
                }
                ByteBuffer head = ByteBuffer.allocate(MAGIC.length + FILE_ID);
                readFully(channel, head, 0);
                byte[] magic = Arrays.copyOf(head.array(), MAGIC.length);
                if (!Arrays.equals(magic, MAGIC)) {
                    throw new IOException("not a mint-backup cache file");
                }
                byte[] fileId = Arrays.copyOfRange(head.array(), MAGIC.length, MAGIC.length + FILE_ID);
                ByteBuffer end = ByteBuffer.allocate(8);
                readFully(channel, end, size - 8);
                long trailerOffset = end.getLong(0);
                if (trailerOffset < MAGIC.length + FILE_ID || trailerOffset > size - 8 - 4) {
                    throw new IOException("truncated or extended (no trailer)");
                }
                SealedFile shell = new SealedFile(channel, key, aadPrefix, fileId, new long[0], new String[0], "", 0,
                        trailerOffset);
                long[] endOfTrailer = new long[1];
                byte[] trailer = shell.openSealed(trailerOffset, TRAILER, -1, endOfTrailer);
                if (endOfTrailer[0] != size - 8) {
                    throw new IOException("truncated or extended (the trailer does not end the file)");
                }
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(trailer));
                String snapshotId = in.readUTF();
                in.readLong(); // time: kept for whoever reads the file by hand
                long records = in.readLong();
                int blocks = in.readInt();
                if (blocks < 0 || blocks > (1 << 26)) {
                    throw new IOException("bad block count " + blocks);
                }
                long[] offsets = new long[blocks];
                String[] firstPaths = new String[blocks];
                for (int i = 0; i < blocks; i++) {
                    offsets[i] = in.readLong();
                    firstPaths[i] = readString(in);
                }
                if (in.read() >= 0) {
                    throw new IOException("trailing bytes in the trailer");
                }
                return new SealedFile(channel, key, aadPrefix, fileId, offsets, firstPaths, snapshotId, records,
                        trailerOffset);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
        }

        int blocks() {
            return offsets.length;
        }

        /** The plaintext of data block {@code b}, authenticated and where the index says it is. */
        private byte[] open(int b) throws IOException, GeneralSecurityException {
            long[] end = new long[1];
            byte[] plain = openSealed(offsets[b], DATA, b, end);
            if (end[0] != (b + 1 < offsets.length ? offsets[b + 1] : trailerOffset)) {
                throw new IOException("block " + b + " does not end where the next begins");
            }
            if (plain.length < 4) {
                throw new IOException("block " + b + " is empty");
            }
            return plain;
        }

        /** The records of data block {@code b}, authenticated. */
        List<Record> block(int b) throws IOException, GeneralSecurityException {
            byte[] plain = open(b);
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain));
            int n = in.readInt();
            if (n <= 0 || n > plain.length) {
                throw new IOException("bad record count " + n + " in block " + b);
            }
            List<Record> records = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Record r = Record.read(in);
                if (i == 0 ? !r.path.equals(firstPaths[b]) : Record.ORDER.compare(records.get(i - 1), r) >= 0) {
                    throw new IOException("block " + b + " is not the one its index names");
                }
                records.add(r);
            }
            if (in.read() >= 0) {
                throw new IOException("trailing bytes in block " + b);
            }
            return Collections.unmodifiableList(records);
        }

        private byte[] openSealed(long offset, byte role, long number, long[] end) throws IOException,
                GeneralSecurityException {
            ByteBuffer length = ByteBuffer.allocate(4);
            readFully(channel, length, offset);
            int n = length.getInt(0);
            if (n < NONCE + TAG || n > MAX_SEALED) {
                throw new IOException("bad block length " + n);
            }
            ByteBuffer sealed = ByteBuffer.allocate(n);
            readFully(channel, sealed, offset + 4);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed.array(), 0, NONCE));
            cipher.updateAAD(blockAad(aadPrefix, fileId, role, number));
            end[0] = offset + 4 + n;
            return cipher.doFinal(sealed.array(), NONCE, n - NONCE);
        }

        @Override
        public void close() {
            closeQuietly(channel);
        }
    }

    private static byte[] blockAad(byte[] prefix, byte[] fileId, byte role, long number) {
        return ByteBuffer.allocate(prefix.length + fileId.length + 1 + 8).put(prefix).put(fileId).put(role)
                .putLong(number).array();
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position + into.position());
            if (n < 0) {
                throw new EOFException("the file ends early");
            }
        }
    }

    // ---- files

    private static final FileAttribute<?> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /** A new empty file only the user can read (0600 from its creation). */
    private static Path newPrivateFile(Path dir, String prefix) throws IOException {
        Path p = dir.resolve(prefix + Long.toHexString(RANDOM.nextLong()));
        try {
            return Files.createFile(p, PRIVATE_FILE);
        } catch (UnsupportedOperationException notPosix) {
            return Files.createFile(p);
        }
    }

    /** Deletes runs and temporary files of {@code name} that a killed backup left, a day old or more. */
    private static void deleteStale(Path dir, String name) {
        Instant dayAgo = Instant.now().minus(Duration.ofDays(1));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, name + ".{run,tmp}-*")) {
            for (Path p : files) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(dayAgo)) {
                    deleteQuietly(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot list {}: {}", dir, e.toString());
        }
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null) {
            createPrivateDirectories(parent);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // another process made it
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(dir);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", p, e.toString());
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was written through it
        }
    }

    /**
     * A path (or token) as {@link com.mintreplica.backup.core.source.FileNames} has its bytes: UTF-8 for a name that
     * is valid UTF-8 (as the first files of this format were written), the raw byte for each escaped one. Plain UTF-8
     * turned every byte of a name that is not valid UTF-8 into {@code ?}, so two such names in a directory read back
     * out of order and the whole cache was refused at every backup.
     */
    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = com.mintreplica.backup.core.source.FileNames.encode(s);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > (1 << 20)) {
            throw new IOException("bad string length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return com.mintreplica.backup.core.source.FileNames.decode(b);
    }

    /** What every block's AAD starts with: the format, the repository and the file's own name. */
    private byte[] aad(String fileName) {
        return ("mint-backup parent cache 2\0" + repositoryId + "\0" + fileName + "\0").getBytes(StandardCharsets.UTF_8);
    }

    private SecretKeySpec aesKey() {
        return new SecretKeySpec(Arrays.copyOf(hmac("mint-backup parent cache aes key"
                .getBytes(StandardCharsets.US_ASCII)), 32), "AES");
    }

    private byte[] hmac(byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(settings.key());
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot compute HMAC-SHA256 with the cache key", e);
        }
    }
}
