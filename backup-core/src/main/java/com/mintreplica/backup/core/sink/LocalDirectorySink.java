package com.mintreplica.backup.core.sink;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
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
 * and PID namespace, and the process id: {@code .tmp-<host tag>-<pid>-<random>}), so that a Sink removes the stale
 * ones, those a dead process left behind (a backup killed with {@code kill -9} can leave a pack's worth): those of a
 * process of this host that no longer runs, and any other (of another host sharing the directory, or named before
 * writers were recorded) once nothing has changed it for {@link #STALE_TEMPORARY_AGE}. A live writer's temporary file
 * is never removed: its process runs, and its file changes as it writes. (Even if one were, its rename would fail, and
 * no object would be damaged.) A write that fails removes its own temporary file at once.
 * {@link #cleanTemporaryFiles()} removes them all, for when no writer runs.
 *
 * <p>Stale temporary files go without a walk of the whole repository at the start of every run (on a repository of a
 * TiB, 70,000 files: seconds from cold caches, before a backup of one file could take its lock):
 * <ul>
 * <li>the first write of a Sink into a directory removes those of that directory (one listing; only the names of
 * temporary files are looked at);
 * <li>a write that fails with an I/O error (no space left on the device, say) sweeps the whole tree, then tries the
 * failed step again once, from where it stopped: so the leftovers of a killed run, wherever they are, cannot make the
 * next run's lock or packs fail for want of space;
 * <li>a Sink that has written {@link #BACKGROUND_SWEEP_AFTER_BYTES} or for {@link #BACKGROUND_SWEEP_AFTER} sweeps the
 * whole tree on a thread of its own beside its writes, so a long run leaves none behind; {@link #close()} stops it.
 * </ul>
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

    /** What this Sink writes before it sweeps the whole tree beside its writes (see the class description). */
    static final long BACKGROUND_SWEEP_AFTER_BYTES = 64L << 20;
    /** How long this Sink writes before it sweeps the whole tree beside its writes. */
    static final java.time.Duration BACKGROUND_SWEEP_AFTER = java.time.Duration.ofSeconds(30);
    /** How long {@link #close()} waits for a whole-tree sweep it stopped to notice. */
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    private final Path root;
    private final boolean fsync;
    /** The directories this Sink has written into (or tried to), each swept of stale temporaries at the first write. */
    private final Set<Path> sweptDirectories = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Held by a sweep of the whole tree: one at a time. */
    private final Object wholeSweep = new Object();
    /** The sweeps of the whole tree finished so far: a write that failed after one finished does not sweep again. */
    private final java.util.concurrent.atomic.AtomicLong wholeSweepsDone = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong bytesWritten = new java.util.concurrent.atomic.AtomicLong();
    private volatile long firstWriteNanos;
    private final java.util.concurrent.atomic.AtomicReference<Thread> backgroundSweep = new java.util.concurrent.atomic.AtomicReference<>();
    private volatile boolean closed;

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
        return EnumSet.of(SinkCapability.ATOMIC_CREATE, SinkCapability.LOCAL_READS);
    }

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        Path target = resolve(name);
        Retry retry = new Retry(target);
        Path temp = writeTemp(target, content, retry);
        moveInto(temp, target, retry);
    }

    private void moveInto(Path temp, Path target, Retry retry) throws IOException {
        try {
            while (true) {
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    break;
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                    break;
                } catch (AccessDeniedException e) {
                    throw denied(target, "cannot replace it", e);
                } catch (IOException e) {
                    if (!retry.again(e)) {
                        throw e;
                    }
                }
            }
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
        Retry retry = new Retry(target);
        Path temp = writeTemp(target, content, retry);
        try {
            while (true) {
                try {
                    Files.createLink(target, temp);
                    break;
                } catch (FileAlreadyExistsException e) {
                    return false;
                } catch (AccessDeniedException e) {
                    throw denied(target.getParent(), "cannot create a file in this directory", e);
                } catch (IOException e) {
                    if (!retry.again(e)) {
                        throw e;
                    }
                }
            }
            syncDirectory(target.getParent());
            return true;
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
     * repository. (The stale ones of dead writers go by themselves: see the class description.)
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

    /**
     * Stops a sweep of the whole tree that runs beside the writes (it deletes nothing once it has seen the stop), and
     * waits a few seconds at most for it to end. The Sink still reads and writes after this; it starts no new sweep
     * beside its writes.
     */
    @Override
    public void close() {
        closed = true;
        Thread sweeper = backgroundSweep.get();
        if (sweeper != null && sweeper != Thread.currentThread()) {
            try {
                sweeper.join(CLOSE_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (sweeper.isAlive()) {
                LOG.debug("the sweep of {} for stale temporary files has not ended yet; it deletes nothing more", root);
            }
        }
    }

    @Override
    public String toString() {
        return "LocalDirectorySink[" + root + "]";
    }

    /**
     * One write's single retry (see the class description): a step of the write that fails with an I/O error that
     * lack of space can cause is tried again once, after a sweep of the whole tree for stale temporary files (unless
     * one finished since the write began).
     */
    private final class Retry {
        private final Path target;
        private final long sweepsBefore = wholeSweepsDone.get();
        private boolean used;

        Retry(Path target) {
            this.target = target;
        }

        /** Whether to try again the step that failed with {@code e}: at most once per write. */
        boolean again(IOException e) {
            if (used || e instanceof AccessDeniedException || e instanceof FileAlreadyExistsException
                    || e instanceof NoSuchFileException || e instanceof java.nio.channels.ClosedChannelException
                    || e instanceof java.io.InterruptedIOException || Thread.currentThread().isInterrupted()) {
                return false;
            }
            used = true;
            LOG.info("writing {} failed ({}): removing the temporary files dead writers left anywhere in {} and trying again",
                    target, e.getMessage(), root);
            sweepWholeTree(sweepsBefore, () -> false);
            return true;
        }
    }

    /**
     * Removes the stale temporary files of the directory that a write goes to, at the first write of this Sink into
     * it: one listing of the directory, and a look at the entries named as temporary files only.
     */
    private void sweepDirectoryOnce(Path directory) {
        if (!sweptDirectories.add(directory)) {
            return;
        }
        java.time.Instant horizon = java.time.Instant.now().minus(STALE_TEMPORARY_AGE);
        for (String name : names(directory)) {
            if (name.startsWith(TEMP_PREFIX)) {
                removeIfStale(directory.resolve(name), horizon);
            }
        }
    }

    /**
     * The names in a directory; none when it does not exist (yet) or cannot be read. File.list, not a DirectoryStream:
     * names without a Path each, about half the time for the 10,000 of a snapshots directory.
     */
    private static String[] names(Path directory) {
        String[] names = directory.toFile().list();
        if (names == null) {
            LOG.debug("cannot look for stale temporary files in {}: it is not a directory this process may read (yet)",
                    directory);
            return new String[0];
        }
        return names;
    }

    /**
     * Sweeps the whole tree for stale temporary files, unless a sweep finished after {@code sweepsBefore} (one at a
     * time: a caller waits for the one under way, which may be enough). {@code stop} is asked between entries.
     */
    private void sweepWholeTree(long sweepsBefore, java.util.function.BooleanSupplier stop) {
        synchronized (wholeSweep) {
            if (wholeSweepsDone.get() != sweepsBefore || !Files.isDirectory(root)) {
                return;
            }
            java.time.Instant horizon = java.time.Instant.now().minus(STALE_TEMPORARY_AGE);
            if (sweepTree(root, horizon, stop)) {
                wholeSweepsDone.incrementAndGet();
            }
        }
    }

    /**
     * Sweeps {@code directory} and the directories below it; false when stopped. Looks only at the entries named as
     * temporary files and at those that may be directories: a directory's link count is 2 plus its subdirectories on
     * the usual Unix file systems (ext4, XFS, tmpfs...), so once that many are found the other entries are files and
     * need no look, and a directory of packs (no subdirectories) is one listing. Where the count does not say so
     * (btrfs: always 1), every entry is looked at.
     */
    private boolean sweepTree(Path directory, java.time.Instant horizon, java.util.function.BooleanSupplier stop) {
        long subdirectoriesLeft = subdirectories(directory);
        List<Path> below = new ArrayList<>();
        for (String name : names(directory)) {
            if (stop.getAsBoolean()) {
                return false;
            }
            if (name.startsWith(TEMP_PREFIX)) {
                removeIfStale(directory.resolve(name), horizon);
            } else if (subdirectoriesLeft > 0) {
                Path entry = directory.resolve(name);
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    below.add(entry);
                    subdirectoriesLeft--;
                }
            }
        }
        for (Path subdirectory : below) {
            if (!sweepTree(subdirectory, horizon, stop)) {
                return false;
            }
        }
        return true;
    }

    /** How many subdirectories {@code directory} has, from its link count; {@code Long.MAX_VALUE} when unknown. */
    private static long subdirectories(Path directory) {
        try {
            Object links = Files.getAttribute(directory, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            long n = links instanceof Number number ? number.longValue() : -1;
            return n >= 2 ? n - 2 : Long.MAX_VALUE;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void removeIfStale(Path file, java.time.Instant horizon) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException vanishedOrUnreadable) {
            return; // renamed into place meanwhile, or not ours to judge
        }
        String name = file.getFileName().toString();
        if (attributes.isRegularFile() && TemporaryNames.isStale(name.substring(TEMP_PREFIX.length()),
                attributes.lastModifiedTime().toInstant(), horizon)) {
            try {
                Files.deleteIfExists(file);
                LOG.info("removed {}, a temporary file its writer left behind", file);
            } catch (IOException e) {
                LOG.debug("cannot remove the stale temporary file {}: {}", file, e.toString());
            }
        }
    }

    /**
     * Starts the sweep of the whole tree beside the writes, once, when this Sink has written
     * {@link #BACKGROUND_SWEEP_AFTER_BYTES} or for {@link #BACKGROUND_SWEEP_AFTER}: a run that long can afford it, and a
     * short one is not slowed by it.
     */
    private void maybeSweepInBackground() {
        long started = firstWriteNanos;
        if (started == 0) {
            firstWriteNanos = System.nanoTime() | 1;
            return;
        }
        if (closed || backgroundSweep.get() != null || (bytesWritten.get() < BACKGROUND_SWEEP_AFTER_BYTES
                && System.nanoTime() - started < BACKGROUND_SWEEP_AFTER.toNanos())) {
            return;
        }
        Thread sweeper = new Thread(() -> sweepWholeTree(wholeSweepsDone.get(), () -> closed),
                "stale temporary files of " + root);
        sweeper.setDaemon(true);
        if (backgroundSweep.compareAndSet(null, sweeper)) {
            sweeper.start();
        }
    }

    private static final int WRITE_BUFFER = 256 * 1024;

    private Path writeTemp(Path target, InputStream content, Retry retry) throws IOException {
        Path directory = target.getParent();
        sweepDirectoryOnce(directory);
        maybeSweepInBackground();
        while (true) {
            try {
                Files.createDirectories(directory);
                break;
            } catch (AccessDeniedException e) {
                throw denied(e.getFile() == null ? directory : Path.of(e.getFile()), "cannot create this directory", e);
            } catch (IOException e) {
                if (!retry.again(e)) {
                    throw e;
                }
            }
        }
        Path temp = directory.resolve(TEMP_PREFIX + TemporaryNames.ownerTag() + "-" + UUID.randomUUID());
        FileChannel opened;
        while (true) {
            try {
                opened = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                break;
            } catch (AccessDeniedException e) {
                throw denied(directory, "cannot create a file in this directory", e);
            } catch (IOException e) {
                Files.deleteIfExists(temp);
                if (!retry.again(e)) {
                    throw e;
                }
            }
        }
        try (FileChannel channel = opened) {
            // Buffered: a pack arrives as its blobs (ByteArraysInputStream writes each one as it is), a few KiB each for
            // small files, and every write to the channel is a system call with a copy into a temporary direct buffer.
            // A 256 KiB buffer makes those 64 system calls for a 16 MiB pack instead of thousands; parts larger than
            // it are written directly.
            OutputStream out = new BufferedOutputStream(new ChannelOutput(channel, retry), WRITE_BUFFER);
            content.transferTo(out);
            out.flush();
            if (fsync) {
                // Not tried again: after a failed fsync the kernel may have dropped the pages it could not write.
                channel.force(true);
            }
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            // "No space left on device" alone did not say which file system was full (the repository's, the source's?)
            throw e.getClass() == IOException.class ? new IOException("cannot write " + target + ": " + e.getMessage(), e) : e;
        } catch (RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return temp;
    }

    /**
     * Writes to the temporary file's channel; a write that fails is tried again once (see {@link Retry}) from where it
     * stopped: what the failed call wrote stays, the buffer's position says how far it got.
     */
    private final class ChannelOutput extends OutputStream {
        private final FileChannel channel;
        private final Retry retry;

        ChannelOutput(FileChannel channel, Retry retry) {
            this.channel = channel;
            this.retry = retry;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
            while (buffer.hasRemaining()) {
                try {
                    channel.write(buffer);
                } catch (IOException e) {
                    if (!retry.again(e)) {
                        throw e;
                    }
                }
            }
            bytesWritten.addAndGet(len);
        }
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

    /**
     * The most a range stream reads from its channel in one call. The JDK reads into a heap array through a temporary
     * direct buffer of the request's size, which each thread caches and replaces by a new one (allocated, zeroed and
     * faulted in page by page) whenever a longer request comes: a restore's readers asked for pack ranges of varying
     * length up to 16 MiB, and the encrypted restore of the 1 GiB bench tree spent 6,700 of its page faults there.
     * Reads of at most 1 MiB let each thread keep one buffer; a 16 MiB range costs 16 system calls instead of one.
     */
    static final int MAX_READ = 1 << 20;

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
            int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(Math.min(len, remaining), MAX_READ)));
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
