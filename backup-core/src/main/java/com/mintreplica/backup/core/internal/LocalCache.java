package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local cache of what every listing, backup and prune reads again and again, under
 * {@code <directory>/<repository id>/}; the repository stays the source of truth, and every failure of the cache is
 * only logged.
 * <ul>
 *   <li>{@code heads} and {@code heads-added}: the heads of snapshots (summary, layout and root tree, in the binary
 *       form of {@link CachedHeads}), so that listing a repository of 10,000 snapshots reads one or two files and only
 *       the snapshot objects it has not seen. Each head is keyed by the snapshot id and its stored object's size and
 *       time, and used only while the repository lists that object with that size and time (a snapshot replaced under
 *       its id is read again; one no longer listed is dropped). {@code heads} holds all heads; a listing that only
 *       found new snapshots writes them to {@code heads-added}, which names the {@code heads} it adds to by its
 *       checksum, instead of rewriting the whole file at every backup. Each file is encoded by the repository's chain
 *       and sealed in an {@link Envelope} like the repository's own objects, so the heads of an encrypted repository
 *       are encrypted on disk too, and a damaged file, or one of another repository, is ignored and replaced. Files
 *       are written aside and renamed: a reader sees a whole file, and of two processes the last one's wins (the
 *       other's additions are read again next time). The one-file-per-snapshot {@code snapshots/} of earlier
 *       versions is deleted, not read.</li>
 *   <li>{@code tree/}: whole tree packs, as stored (encrypted when the repository is), downloaded the first time one
 *       of their tree blobs is read and written as a backup stores them: a backup compares with its parent, and a
 *       restore or {@code ls} walks a snapshot, from local files instead of one request per directory. Every blob read
 *       from them is checked against its id as any; a pack that fails is deleted and read from the repository. Packs
 *       the index no longer lists are removed when the index is loaded. Verify and repair do not read them: they
 *       judge the packs in the repository ({@code Store.readingTreesFromRepository}).</li>
 *   <li>{@code index/}: the plaintext of index objects ({@code MBI1}/{@code MBI3}, as {@code Store.loadIndex} feeds it
 *       to the index), one file per index object named as the object, so that loading the index reads from the
 *       repository only the objects it has not seen, and does not open each one's signature and writer session key
 *       again. A file holds the repository id, the object's name, its listed size and time, then the plaintext; it is
 *       encoded by the repository's chain and sealed in an {@link Envelope} (encrypted on disk in an encrypted
 *       repository), written aside and renamed, and used only while the repository lists that object with that size
 *       and time (index objects are named by a hash of their plaintext; size and time are checked anyway). A file
 *       that is damaged, of another version, object or repository is ignored and written again from the repository.
 *       Files of objects no longer listed (a prune consolidated them) are removed when the index is loaded. Only a
 *       reader's plain load uses them: verify and repair read every stored object, and a writer caches nothing.
 *       One file per object rather than one file of all: an index object is large (up to megabytes), so a load holds
 *       one plaintext at a time, as it does when it reads the repository, and nothing is rewritten but the new
 *       objects' files.</li>
 * </ul>
 */
final class LocalCache {
    private static final Logger LOG = LoggerFactory.getLogger(LocalCache.class);
    /** The name the heads file is sealed under (its envelope's errors name it). */
    private static final String HEADS = "heads";
    /** The file of heads added since the file of all heads was written. */
    private static final String ADDED = "heads-added";
    private final String repositoryId;
    private final Path repository;
    private final Path heads;
    private final Path added;
    private final Path trees;
    private final Path indexes;
    private final Codec codec;
    private final java.util.concurrent.ConcurrentHashMap<String, Object> downloads = new java.util.concurrent.ConcurrentHashMap<>();

    LocalCache(Path root, String repositoryId, Codec codec) {
        this.repositoryId = repositoryId;
        this.repository = root.resolve(repositoryId.replaceAll("[^A-Za-z0-9._-]", "_"));
        this.heads = repository.resolve(HEADS);
        this.added = repository.resolve(ADDED);
        this.trees = repository.resolve("tree");
        this.indexes = repository.resolve("index");
        this.codec = codec;
    }

    /**
     * What {@link #loadHeads} found: every usable cached head by snapshot id, the checksum naming the file of all heads
     * it read ({@code null}: none usable) and the heads of the file of additions to it.
     */
    record Heads(Map<String, CachedHeads.Entry> entries, byte[] base, Map<String, CachedHeads.Entry> added) {
        static final Heads NONE = new Heads(Map.of(), null, Map.of());
    }

    /**
     * The heads the cache holds: those of the file of all heads and of the file of additions to it. A file that cannot
     * be used (damaged, cut short, of another version or repository, sealed under other keys; additions to another
     * file of all heads) is left out, which is logged; {@link #updateHeads} replaces it.
     */
    Heads loadHeads() {
        byte[] sealed = readFile(heads);
        if (sealed == null) {
            return Heads.NONE;
        }
        CachedHeads.Content all = open(heads, sealed);
        if (all == null || all.base().length != 0) {
            return Heads.NONE;
        }
        byte[] base = java.util.Arrays.copyOfRange(sealed, sealed.length - Envelope.HASH, sealed.length);
        byte[] sealedAdded = readFile(added);
        CachedHeads.Content more = sealedAdded == null ? null : open(added, sealedAdded);
        if (more == null || !java.util.Arrays.equals(more.base(), base)) {
            if (more != null) {
                LOG.debug("the cached snapshot heads {} add to another file of heads; not used", added);
            }
            return new Heads(all.entries(), base, Map.of());
        }
        Map<String, CachedHeads.Entry> entries = new java.util.HashMap<>(all.entries());
        entries.putAll(more.entries());
        return new Heads(entries, base, more.entries());
    }

    private static byte[] readFile(Path file) {
        return CacheFiles.readIfPresent(file, LOG, "the cached snapshot heads");
    }

    private CachedHeads.Content open(Path file, byte[] sealed) {
        try {
            return CachedHeads.read(repositoryId, codec.decode(Envelope.open(HEADS, sealed), -1));
        } catch (IOException | RuntimeException e) {
            LOG.debug("the cached snapshot heads {} are not usable ({}); reading the snapshots again", file, e.toString());
            return null;
        }
    }

    /**
     * Makes the cache hold {@code now} (the heads a listing kept from {@code loaded} and those it read) when that
     * differs from {@code loaded}. When heads were only added, and not too many, they go to the small file of
     * additions (with those it held), naming the file of all heads they add to; otherwise the file of all heads is
     * rewritten. Each file is written aside and renamed over the old one, so a reader (another process too) sees the
     * old file or the new one, whole; of two processes writing at once the last rename wins, and the other's additions
     * are read from the repository again next time.
     */
    void updateHeads(Heads loaded, Map<String, CachedHeads.Entry> now) {
        boolean allKept = true;
        for (CachedHeads.Entry e : loaded.entries().values()) {
            if (now.get(e.id()) != e) {
                allKept = false;
                break;
            }
        }
        if (allKept && now.size() == loaded.entries().size()) {
            return;
        }
        try {
            Files.createDirectories(repository);
            trySetPrivate(repository);
            if (allKept && loaded.base() != null
                    && now.size() - loaded.entries().size() + loaded.added().size() <= maxAdded(now.size())) {
                List<CachedHeads.Entry> more = new ArrayList<>();
                for (CachedHeads.Entry e : now.values()) {
                    if (loaded.added().get(e.id()) == e || loaded.entries().get(e.id()) != e) {
                        more.add(e);
                    }
                }
                write(added, loaded.base(), more);
            } else {
                write(heads, new byte[0], now.values());
                Files.deleteIfExists(added);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot cache the snapshot heads in {}: {}", repository, e.toString());
            return;
        }
        removeOldSummaries();
    }

    /** How many heads the file of additions holds at most before the file of all heads is rewritten. */
    static int maxAdded(int total) {
        return Math.max(64, total / 8);
    }

    private void write(Path file, byte[] base, Collection<CachedHeads.Entry> entries) throws IOException {
        List<CachedHeads.Entry> sorted = new ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparing(CachedHeads.Entry::id));
        byte[] sealed = Envelope.seal(codec.encode(CachedHeads.write(repositoryId, base, sorted)));
        CacheFiles.writeAside(file, ".heads-", sealed);
    }

    /** Removes the one-file-per-snapshot summaries of earlier versions ({@code snapshots/}), which nothing reads. */
    private void removeOldSummaries() {
        Path old = repository.resolve("snapshots");
        if (!Files.isDirectory(old, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(old)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(old);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot remove the old snapshot summaries in {}: {}", old, e.toString());
        }
    }

    // ---- tree packs

    private Path treeFile(String packObject) {
        return trees.resolve(packObject.substring(Packs.TREE_PREFIX.length()));
    }

    /**
     * The encoded bytes of the tree blob at {@code location}, from the cached pack (downloaded whole first when it is
     * not cached); null when the cache cannot serve it (the caller reads from the repository).
     *
     * @throws NoSuchObjectException when the repository has no such pack
     */
    byte[] readTree(com.mintreplica.backup.core.sink.Sink sink, BlobLocation location) throws IOException {
        String pack = location.packObject();
        Path file = treeFile(pack);
        try {
            if (!Files.isRegularFile(file)) {
                Object lock = downloads.computeIfAbsent(pack, p -> new Object());
                synchronized (lock) {
                    if (!Files.isRegularFile(file)) {
                        download(sink, pack, file);
                    }
                }
                downloads.remove(pack, lock);
            }
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
                if (location.offset() + (long) location.length() > channel.size()) {
                    throw new IOException("the cached pack is shorter than the index says");
                }
                java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(location.length());
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, location.offset() + buffer.position()) < 0) {
                        throw new IOException("the cached pack ends early");
                    }
                }
                return buffer.array();
            }
        } catch (com.mintreplica.backup.core.sink.NoSuchObjectException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot use the cached tree pack {} ({}); reading from the repository", file, e.toString());
            evictTree(pack);
            return null;
        }
    }

    private void download(com.mintreplica.backup.core.sink.Sink sink, String pack, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Path temp = Files.createTempFile(file.getParent(), ".part-", "");
        try {
            try (java.io.InputStream in = sink.get(pack)) {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            CacheFiles.move(temp, file);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Keeps a tree pack this process stores, so the next backup compares with its parent from local files. */
    void putTree(PackWriter.Pack pack) {
        Path file = treeFile(pack.objectName());
        try {
            Files.createDirectories(file.getParent());
            CacheFiles.writeAside(file, ".part-", pack.parts().toArray(new byte[0][]));
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot cache tree pack {}: {}", pack.objectName(), e.toString());
        }
    }

    void evictTree(String packObject) {
        try {
            Files.deleteIfExists(treeFile(packObject));
        } catch (IOException ignored) {
            // read from the repository either way
        }
    }

    /** Removes cached tree packs that are not in {@code listed} (pack object names). */
    void retainTrees(Set<String> listed) {
        if (!Files.isDirectory(trees)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.walk(trees, 2)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = Packs.TREE_PREFIX + trees.relativize(f).toString().replace('\\', '/');
                if (!listed.contains(name)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot clean the cached tree packs {}: {}", trees, e.toString());
        }
    }

    // ---- index objects

    /** Whether this process made sure {@code index/} exists (it stays: only its files are removed). */
    private volatile boolean indexesMade;

    /** The magic of a cached index object's plaintext (this version of the file's form). */
    static final byte[] INDEX_MAGIC = {'M', 'B', 'X', '1'};

    /** The file of index object {@code name} ({@code index/<hex>}), or null for a name not of that form. */
    private Path indexFile(String name) {
        return CacheFiles.indexObjectFile(indexes, name);
    }

    /**
     * The plaintext ({@code MBI1} or {@code MBI3}) of the index object {@code info} lists, when the cache holds it for
     * that object as listed (same name, size and time); null otherwise, or when the file is not usable (logged; the
     * caller reads the object from the repository and {@link #putIndex puts} it again).
     */
    byte[] readIndex(com.mintreplica.backup.core.sink.ObjectInfo info) {
        Path file = indexFile(info.name());
        if (file == null) {
            return null;
        }
        byte[] sealed = CacheFiles.readIfPresent(file, LOG, "the cached index object");
        if (sealed == null) {
            return null;
        }
        try {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(codec.decode(Envelope.open(info.name(), sealed), -1));
            byte[] magic = new byte[INDEX_MAGIC.length];
            in.get(magic);
            if (!java.util.Arrays.equals(magic, INDEX_MAGIC)) {
                throw new IllegalArgumentException("not a cached index object of this version");
            }
            String repositoryOf = string(in);
            String name = string(in);
            long size = in.getLong();
            java.time.Instant time = java.time.Instant.ofEpochSecond(in.getLong(), in.getInt());
            if (!repositoryOf.equals(repositoryId) || !name.equals(info.name())) {
                throw new IllegalArgumentException("it caches '" + name + "' of repository " + repositoryOf);
            }
            if (size != info.size() || !time.equals(info.lastModified())) {
                LOG.debug("the cached index object {} is of another version of '{}' (size {}, time {}); reading it again",
                        file, name, size, time);
                return null;
            }
            return java.util.Arrays.copyOfRange(in.array(), in.position(), in.limit());
        } catch (IOException | RuntimeException e) {
            LOG.debug("the cached index object {} is not usable ({}); reading it from the repository", file, e.toString());
            return null;
        }
    }

    private static String string(java.nio.ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("a string of " + n + " bytes with " + in.remaining() + " left");
        }
        String s = new String(in.array(), in.position(), n, java.nio.charset.StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }

    /**
     * Keeps the plaintext of the index object {@code info} lists (read from the repository and loaded), encoded by the
     * repository's chain and sealed, written aside and renamed.
     */
    void putIndex(com.mintreplica.backup.core.sink.ObjectInfo info, byte[] plaintext) {
        Path file = indexFile(info.name());
        if (file == null) {
            return;
        }
        try {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(plaintext.length + 128);
            java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
            out.write(INDEX_MAGIC);
            byte[] id = repositoryId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeInt(id.length);
            out.write(id);
            byte[] name = info.name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeInt(name.length);
            out.write(name);
            out.writeLong(info.size());
            out.writeLong(info.lastModified().getEpochSecond());
            out.writeInt(info.lastModified().getNano());
            out.write(plaintext);
            out.flush();
            byte[] sealed = Envelope.seal(codec.encode(bytes.toByteArray()));
            if (!indexesMade) {
                Files.createDirectories(indexes);
                trySetPrivate(repository);
                indexesMade = true;
            }
            CacheFiles.writeAside(file, ".part-", sealed);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot cache index object {}: {}", info.name(), e.toString());
        }
    }

    /** Removes cached index objects that are not in {@code listed} (index object names), and files left half-written. */
    void retainIndex(Set<String> listed) {
        CacheFiles.retainIndexObjects(indexes, listed, LOG);
    }

    private static void trySetPrivate(Path dir) {
        CacheFiles.trySetPrivate(dir);
    }
}
