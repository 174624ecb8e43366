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
 * A local cache of snapshot summaries (the summary, layout and root tree of each snapshot object), so that listing a
 * repository of 10,000 snapshots reads only the snapshots it has not seen. Under {@code <directory>/<repository id>/},
 * one file per snapshot, named by the snapshot id and the stored object's size and time (a snapshot object is never
 * rewritten in place: if one of that id is replaced, its size or time changes and the entry is not used). Each file is
 * encoded by the repository's chain and sealed in an {@link Envelope} like the repository's own objects, so a summary of
 * an encrypted repository is encrypted on disk too, and a damaged file is detected, deleted and read again from the
 * repository. Every failure of the cache is only logged: the repository stays the source of truth.
 */
final class SnapshotCache {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCache.class);
    private final Path directory;
    private final Codec codec;

    SnapshotCache(Path root, String repositoryId, Codec codec) {
        this.directory = root.resolve(repositoryId.replaceAll("[^A-Za-z0-9._-]", "_")).resolve("snapshots");
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
            Files.write(temp, sealed);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
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
