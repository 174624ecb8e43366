package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.sink.ObjectInfo;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
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
    private final Path directory;
    private final Path trees;
    private final Codec codec;
    private final java.util.concurrent.ConcurrentHashMap<String, Object> downloads = new java.util.concurrent.ConcurrentHashMap<>();

    LocalCache(Path root, String repositoryId, Codec codec) {
        Path repository = root.resolve(repositoryId.replaceAll("[^A-Za-z0-9._-]", "_"));
        this.directory = repository.resolve("snapshots");
        this.trees = repository.resolve("tree");
        this.codec = codec;
    }

    private Path file(ObjectInfo info, String id) {
        return directory.resolve(fileName(info, id));
    }

    /** The cached head of the snapshot {@code id} whose object is {@code info}, or null. */
    Manifest get(ObjectInfo info, String id) {
        Path file = file(info, id);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        String name = Manifest.objectName(id);
        try {
            byte[] plain = codec.decode(Envelope.open(name, Files.readAllBytes(file)), -1);
            Manifest head = ManifestFormat.readHead(name, plain);
            if (!head.snapshot().id().equals(id)) {
                throw new IOException("it holds snapshot " + head.snapshot().id());
            }
            return head;
        } catch (IOException | RuntimeException e) {
            LOG.debug("cached summary {} is not usable ({}); reading the snapshot again", file, e.toString());
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // read from the repository either way
            }
            return null;
        }
    }

    void put(ObjectInfo info, Manifest head) {
        Manifest summary = head.isTree() ? head : new Manifest(head.snapshot(), head.layout(), List.of());
        try {
            Files.createDirectories(directory);
            trySetPrivate(directory.getParent());
            byte[] sealed = Envelope.seal(codec.encode(ManifestFormat.write(summary)));
            Path file = file(info, head.snapshot().id());
            Path temp = Files.createTempFile(directory, ".part-", "");
            try {
                Files.write(temp, sealed);
                move(temp, file);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot cache the summary of snapshot {} in {}: {}", head.snapshot().id(), directory, e.toString());
        }
    }

    /** Deletes the entries of snapshots that are gone (or were replaced); {@code current} holds the files to keep. */
    void retain(Set<String> current) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path f : files) {
                if (!current.contains(f.getFileName().toString())) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot clean the snapshot cache {}: {}", directory, e.toString());
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

    /** The file name an entry for this object has (for {@link #retain}). */
    static String fileName(ObjectInfo info, String id) {
        return id + "." + info.size() + "." + info.lastModified().toEpochMilli();
    }

    private static void trySetPrivate(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system, or not ours: the files are sealed and encoded either way
        }
    }
}
