package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.NoSuchFileException;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local cache of what every listing, backup and prune reads again and again, under
 * {@code <directory>/<repository id>/}; the repository stays the source of truth, and every failure of the cache is
 * only logged.
 * <ul>
 *   <li>{@code snapshots/}: snapshot summaries (the summary, layout and root tree of each snapshot object), so that
 *       listing a repository of 10,000 snapshots reads only the snapshots it has not seen. One file per snapshot,
 *       named by the snapshot id and the stored object's size and time (a snapshot object is never rewritten in place:
 *       if one of that id is replaced, its size or time changes and the entry is not used). Each file is encoded by
 *       the repository's chain and sealed in an {@link Envelope} like the repository's own objects, so a summary of an
 *       encrypted repository is encrypted on disk too, and a damaged file is detected, deleted and read again.</li>
 *   <li>{@code tree/}: whole tree packs, as stored (encrypted when the repository is), downloaded the first time one
 *       of their tree blobs is read and written as a backup stores them: a backup compares with its parent, and a
 *       restore or {@code ls} walks a snapshot, from local files instead of one request per directory. Every blob read
 *       from them is checked against its id as any; a pack that fails is deleted and read from the repository. Packs
 *       the index no longer lists are removed when the index is loaded.</li>
 * </ul>
 */
final class LocalCache {
    private static final Logger LOG = LoggerFactory.getLogger(LocalCache.class);
    /** The name the heads file is sealed under (its envelope's errors name it). */
    private static final String HEADS = "heads";
    private final String repositoryId;
    private final Path repository;
    private final Path heads;
    private final Path trees;
    private final Codec codec;
    private final java.util.concurrent.ConcurrentHashMap<String, Object> downloads = new java.util.concurrent.ConcurrentHashMap<>();

    LocalCache(Path root, String repositoryId, Codec codec) {
        this.repositoryId = repositoryId;
        this.repository = root.resolve(repositoryId.replaceAll("[^A-Za-z0-9._-]", "_"));
        this.heads = repository.resolve(HEADS);
        this.trees = repository.resolve("tree");
        this.codec = codec;
    }

    /**
     * The heads the cache holds, by snapshot id; empty when there is no cache file or it cannot be used (damaged, cut
     * short, of another version or repository, or sealed under other keys), which is logged and left for
     * {@link #saveHeads} to replace.
     */
    Map<String, CachedHeads.Entry> loadHeads() {
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(heads);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot read the cached snapshot heads {}: {}", heads, e.toString());
            return Map.of();
        }
        try {
            return CachedHeads.read(repositoryId, codec.decode(Envelope.open(HEADS, sealed), -1));
        } catch (IOException | RuntimeException e) {
            LOG.debug("the cached snapshot heads {} are not usable ({}); reading the snapshots again", heads, e.toString());
            return Map.of();
        }
    }

    /**
     * Replaces the cached heads with {@code entries}: written aside and renamed over the file, so a reader (another
     * process too) sees the old file or the new one, whole; of two processes saving at once, the last rename wins and
     * the other's additions are read from the repository again next time.
     */
    void saveHeads(Collection<CachedHeads.Entry> entries) {
        try {
            Files.createDirectories(repository);
            trySetPrivate(repository);
            byte[] sealed = Envelope.seal(codec.encode(CachedHeads.write(repositoryId, entries)));
            Path temp = Files.createTempFile(repository, ".heads-", "");
            try {
                Files.write(temp, sealed);
                move(temp, heads);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot cache the snapshot heads in {}: {}", heads, e.toString());
            return;
        }
        removeOldSummaries();
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
            move(temp, file);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Keeps a tree pack this process stores, so the next backup compares with its parent from local files. */
    void putTree(PackWriter.Pack pack) {
        Path file = treeFile(pack.objectName());
        try {
            Files.createDirectories(file.getParent());
            Path temp = Files.createTempFile(file.getParent(), ".part-", "");
            try {
                try (java.io.OutputStream out = Files.newOutputStream(temp)) {
                    for (byte[] part : pack.parts()) {
                        out.write(part);
                    }
                }
                move(temp, file);
            } finally {
                Files.deleteIfExists(temp);
            }
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

    private static void move(Path temp, Path file) throws IOException {
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void trySetPrivate(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system, or not ours: the files are sealed and encoded either way
        }
    }
}
