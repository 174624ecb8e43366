package com.mintreplica.backup.core.sink;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import com.mintreplica.backup.core.InvalidInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Sink on a local (or mounted) directory. Every write goes to a temporary file in the target directory, is fsynced,
 * then renamed over the final name, and the directory is fsynced: a crash never leaves a half-written object under its
 * final name. {@link #putIfAbsent} publishes with a hard link, which the file system refuses atomically when the name
 * exists.
 *
 * <p>Temporary files start with {@code .tmp-} and are never listed. Their names carry their writer (a tag of the host
 * and PID namespace, and the process id: {@code .tmp-<host tag>-<pid>-<random>}), so that the first write of each
 * Sink removes the ones a dead process left behind (a backup killed with {@code kill -9} can leave a pack's worth),
 * before they fill the disk that the next lock needs: those of a process of this host that no longer runs, and any
 * other (of another host sharing the directory, or named before writers were recorded) once nothing has changed it
 * for {@link #STALE_TEMPORARY_AGE}. A live writer's temporary file is never removed: its process runs, and its file
 * changes as it writes. (Even if one were, its rename would fail, and no object would be damaged.) A write that fails
 * removes its own temporary file at once. {@link #cleanTemporaryFiles()} removes them all, for when no writer runs.
 *
 * <p>A root that is a file (or lies below one) is refused when the Sink is made, with an
 * {@link InvalidInputException} that says so; a file or directory this process may not read or write fails with a
 * {@link java.nio.file.AccessDeniedException} whose message says "permission denied" and names the path and the user.
 */
public final class LocalDirectorySink implements Sink {
    private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*");
    private static final String TEMP_PREFIX = ".tmp-";
    /** How long a temporary file whose writer cannot be asked must stay unchanged before it is removed: a day. */
    public static final java.time.Duration STALE_TEMPORARY_AGE = java.time.Duration.ofHours(24);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LocalDirectorySink.class);

    private final Path root;
    private final boolean fsync;
    private volatile boolean staleTemporariesRemoved;

    /** A Sink on {@code root}, which is created on the first write if it does not exist. */
    public LocalDirectorySink(Path root) {
        this(root, true);
    }

    /**
     * A Sink on {@code root}.
     *
     * @param fsync whether writes are forced to the device before they are published; only tests and throwaway
     *     repositories should turn this off
     * @throws com.mintreplica.backup.core.InvalidInputException when {@code root} is a regular file
     */
    public LocalDirectorySink(Path root, boolean fsync) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.fsync = fsync;
        refuseFile(this.root);
    }

    /** A repository is a directory: a root that is a file, or lies below one, is a mistake to say plainly. */
    private static void refuseFile(Path root) {
        for (Path p = root; p != null; p = p.getParent()) {
            if (Files.isDirectory(p)) {
                return;
            }
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) || Files.exists(p)) {
                String what = Files.isRegularFile(p) ? "is a file" : "is not a directory";
                throw new InvalidInputException((p.equals(root) ? root + " " + what + ", not a repository"
                        : root + " cannot be a repository: " + p + " " + what)
                        + ": give the repository's directory (or, for init, a new one)");
            }
        }
    }

    /** The directory this Sink stores in. */
    public Path root() {
        return root;
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.ATOMIC_CREATE);
    }

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        Path target = resolve(name);
        Path temp = writeTemp(target, content);
        moveInto(temp, target);
    }

    private void moveInto(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (AccessDeniedException e) {
            throw denied(target, "cannot replace it", e);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(target.getParent());
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        Path target = resolve(name);
        if (Files.exists(target)) {
            return false;
        }
        Path temp = writeTemp(target, content);
        try {
            Files.createLink(target, temp);
            syncDirectory(target.getParent());
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (AccessDeniedException e) {
            throw denied(target.getParent(), "cannot create a file in this directory", e);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public InputStream get(String name) throws IOException {
        Path path = resolve(name);
        try {
            return Files.newInputStream(path);
        } catch (NoSuchFileException e) {
            throw notFound(name);
        } catch (AccessDeniedException e) {
            throw denied(path, "cannot read it", e);
        }
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0: " + offset + ", " + length);
        }
        Path path = resolve(name);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw notFound(name);
        } catch (AccessDeniedException e) {
            throw denied(path, "cannot read it", e);
        }
        channel.position(offset);
        return new RangeInputStream(channel, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        Path path = resolve(name);
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new ObjectInfo(name, attributes.size(), attributes.lastModifiedTime().toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (AccessDeniedException e) {
            throw denied(path.getParent(), "cannot look into this directory", e);
        }
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        // The deepest directory that the prefix names completely; names below it are filtered by the prefix.
        int slash = prefix.lastIndexOf('/');
        String directoryPart = slash < 0 ? "" : prefix.substring(0, slash);
        Path start = directoryPart.isEmpty() ? root : resolve(directoryPart);
        if (!Files.isDirectory(start)) {
            return Stream.empty();
        }
        List<ObjectInfo> found = new ArrayList<>();
        walk(start, relativeName(start), prefix, found);
        return found.stream();
    }

    private void walk(Path directory, String directoryName, String prefix, List<ObjectInfo> out) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(directory)) {
            for (Path child : children) {
                String fileName = child.getFileName().toString();
                if (fileName.startsWith(".")) {
                    continue;
                }
                String name = directoryName.isEmpty() ? fileName : directoryName + "/" + fileName;
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(child, BasicFileAttributes.class);
                } catch (NoSuchFileException vanished) {
                    continue;
                }
                if (attributes.isDirectory()) {
                    // Descend only where names below could still match the prefix.
                    if (prefix.startsWith(name + "/") || (name + "/").startsWith(prefix)) {
                        walk(child, name, prefix, out);
                    }
                } else if (attributes.isRegularFile() && name.startsWith(prefix)) {
                    out.add(new ObjectInfo(name, attributes.size(), attributes.lastModifiedTime().toInstant()));
                }
            }
        } catch (NoSuchFileException vanished) {
            // a concurrent delete removed the directory: nothing to list in it
        } catch (AccessDeniedException e) {
            throw denied(directory, "cannot list this directory", e);
        }
    }

    @Override
    public void delete(String name) throws IOException {
        Path path = resolve(name);
        try {
            Files.deleteIfExists(path);
        } catch (AccessDeniedException e) {
            throw denied(path, "cannot delete it", e);
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }

    /**
     * Removes every temporary file in the whole tree, whoever wrote it: only for when no process writes to this
     * repository. (The stale ones of dead writers go by themselves, at the first write of a Sink.)
     */
    public void cleanTemporaryFiles() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            Iterator<Path> it = paths.iterator();
            while (it.hasNext()) {
                Path p = it.next();
                if (p.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "LocalDirectorySink[" + root + "]";
    }

    /**
     * Removes, once per Sink, the temporary files whose writer is gone (see the class description): before the first
     * write, so that the leftovers of a killed run cannot make the next run's lock fail for want of space. Costs one
     * walk over the tree (about a second for 100,000 packs).
     */
    private void removeStaleTemporaries() {
        if (staleTemporariesRemoved) {
            return;
        }
        synchronized (this) {
            if (staleTemporariesRemoved || !Files.isDirectory(root)) {
                staleTemporariesRemoved = true;
                return;
            }
            staleTemporariesRemoved = true;
            java.time.Instant horizon = java.time.Instant.now().minus(STALE_TEMPORARY_AGE);
            try {
                Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
                    @Override
                    public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                        String name = file.getFileName().toString();
                        if (name.startsWith(TEMP_PREFIX) && attributes.isRegularFile()
                                && TemporaryNames.isStale(name.substring(TEMP_PREFIX.length()),
                                attributes.lastModifiedTime().toInstant(), horizon)) {
                            try {
                                Files.deleteIfExists(file);
                                LOG.info("removed {}, a temporary file its writer left behind", file);
                            } catch (IOException e) {
                                LOG.debug("cannot remove the stale temporary file {}: {}", file, e.toString());
                            }
                        }
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }

                    @Override
                    public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                        return java.nio.file.FileVisitResult.CONTINUE; // vanished meanwhile, or unreadable: not ours to judge
                    }
                });
            } catch (IOException e) {
                LOG.debug("cannot look for stale temporary files in {}: {}", root, e.toString());
            }
        }
    }

    private static final int WRITE_BUFFER = 256 * 1024;

    private Path writeTemp(Path target, InputStream content) throws IOException {
        removeStaleTemporaries();
        Path directory = target.getParent();
        try {
            Files.createDirectories(directory);
        } catch (AccessDeniedException e) {
            throw denied(e.getFile() == null ? directory : Path.of(e.getFile()), "cannot create this directory", e);
        }
        Path temp = directory.resolve(TEMP_PREFIX + TemporaryNames.ownerTag() + "-" + UUID.randomUUID());
        FileChannel opened;
        try {
            opened = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw denied(directory, "cannot create a file in this directory", e);
        }
        try (FileChannel channel = opened) {
            // Buffered: a pack arrives as its blobs (ByteArraysInputStream writes each one as it is), a few KiB each for
            // small files, and every write to the channel is a system call with a copy into a temporary direct buffer.
            // A 256 KiB buffer makes those 64 system calls for a 16 MiB pack instead of thousands; parts larger than
            // it are written directly.
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), WRITE_BUFFER);
            content.transferTo(out);
            out.flush();
            if (fsync) {
                channel.force(true);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return temp;
    }

    private void syncDirectory(Path directory) throws IOException {
        if (!fsync) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems do not allow opening directories; the rename is still atomic there.
        }
    }

    private Path resolve(String name) {
        if (name == null || !VALID_NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("invalid object name: '" + name + "'");
        }
        return root.resolve(name);
    }

    private String relativeName(Path directory) {
        return root.relativize(directory).toString().replace('\\', '/');
    }

    /**
     * "permission denied" with the path and the user, instead of the JDK's bare path: what an operator running as a
     * user who may not read or write the repository needs to read.
     */
    private static AccessDeniedException denied(Path path, String what, AccessDeniedException cause) {
        AccessDeniedException e = new AccessDeniedException(path.toString(), null, "permission denied: " + what
                + " as user " + System.getProperty("user.name") + " (run as a user who may, or fix its owner and mode)");
        e.initCause(cause);
        return e;
    }

    private NoSuchObjectException notFound(String name) {
        return new NoSuchObjectException(name, "no object '" + name + "' in " + root);
    }

    /** Reads at most {@code remaining} bytes from a channel positioned at the range start. */
    private static final class RangeInputStream extends InputStream {
        private final FileChannel channel;
        private long remaining;

        RangeInputStream(FileChannel channel, long remaining) {
            this.channel = channel;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (remaining <= 0) {
                return -1;
            }
            int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, remaining)));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
