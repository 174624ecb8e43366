package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.ExtendedAttribute;
import com.mintreplica.backup.core.source.FileNames;
import com.mintreplica.backup.core.source.RestoreContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes restored entries under a base directory; see {@code DirectoryTarget} for the rules. */
public final class TreeWriter {
    private static final Logger LOG = LoggerFactory.getLogger(TreeWriter.class);
    private static final String TEMP_PREFIX = ".mint-restore-";

    private final Path base;
    private final byte[] baseBytes;
    private final boolean original;
    private final boolean mirror;
    /** Owners by their stored ids, not by their names' ids on this machine (tar's --numeric-owner). */
    private final boolean numericOwners;
    private final boolean sparse;
    private final Optional<Posix> posix = Posix.get();
    private final RestoreWarnings warnings = new RestoreWarnings();
    /** Small files being written by a worker, by destination: a hard link to one waits for it. */
    private final Map<Path, Future<Void>> writing = new java.util.concurrent.ConcurrentHashMap<>();
    /** For hard links whose first path is not restored: the entry path that was restored in its place. */
    private final Map<String, String> linkStandIns = new HashMap<>();
    /** Directories by whether new entries in them inherit a default ACL. */
    private final Map<Path, Boolean> inheritsAcl = new HashMap<>();
    private final RestoreContext context;
    private final boolean restoreOwners;
    /**
     * Entry paths written (a hard link's first path, and in mirror mode what not to delete): hashes, a few bytes a path
     * ({@link PathSet}); the few written and then given up (a device node without root) are in {@link #unrestored}.
     */
    private final PathSet restored = new PathSet();
    private final Set<String> unrestored = new HashSet<>();
    private final Set<Path> symlinks = new HashSet<>();
    private final List<DirectoryMeta> directories = new ArrayList<>();
    private final Map<String, Optional<UserPrincipal>> users = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<Path> readyDirectories = new HashSet<>();
    /**
     * The parent of the last destination whose directories between the base and it were all in
     * {@link #readyDirectories} (null after one of them was removed from it): a file beside it needs no check.
     */
    private Path checkedParent;
    /**
     * Directories that are, and all of whose directories up to the base are, in {@link #readyDirectories}: a check
     * of a new entry's directories stops at the first of them.
     */
    private final Set<Path> checkedUp = new HashSet<>();
    /** Directories this restore created: nothing was in them before, so nothing can stand in an entry's way. */
    private final Set<Path> freshDirectories = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Temporary names: a random prefix per restore and a counter (no random draw per file). */
    private final String tempPrefix = TEMP_PREFIX + Long.toHexString(new java.security.SecureRandom().nextLong()) + "-";
    private final java.util.concurrent.atomic.AtomicLong tempCounter = new java.util.concurrent.atomic.AtomicLong();
    private static final int SMALL_FILE = 1 << 20;
    private static final int WRITERS = 4;
    /** Bytes of small files read but not yet written; bounds the memory of the writers' queue. */
    private final java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(32 << 20);
    private final java.util.List<Future<Void>> pending = new java.util.ArrayList<>();
    private final java.util.concurrent.ExecutorService writers;
    private final Map<String, Optional<GroupPrincipal>> groups = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<Path> inProgress = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Entries a mirror deleted where a file or link of the snapshot replaced a directory (all below it too). */
    private final java.util.concurrent.atomic.AtomicInteger replacedByMirror = new java.util.concurrent.atomic.AtomicInteger();
    /** Entries of the snapshot whose names look like a restore's temporary files (see removeLeftTemporaryFiles). */
    private final Set<Path> snapshotTempNames = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Files written in pieces take its read lock to create their temporary file, {@link #abort} its write lock. */
    private final java.util.concurrent.locks.ReadWriteLock creating = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile boolean aborted;
    /** Open channels of files written in pieces; above {@link #MAX_OPEN} a file's channel is closed between pieces. */
    private final java.util.concurrent.atomic.AtomicInteger openChannels = new java.util.concurrent.atomic.AtomicInteger();
    private static final int MAX_OPEN = 256;
    /** Files larger than this written in pieces get their length when created (a hole), before their pieces come. */
    private static final long PRESIZE = 1 << 20;

    private record DirectoryMeta(Path path, Entry entry) {
    }

    public TreeWriter(Path base, boolean original, boolean mirror, boolean sparse, boolean numericOwners,
                      RestoreContext context) throws IOException {
        this.base = base;
        this.numericOwners = numericOwners;
        this.baseBytes = PathBytes.of(base);
        this.original = original;
        this.mirror = mirror;
        this.sparse = sparse;
        this.context = context;
        this.restoreOwners = runningAsRoot();
        checkBase(base);
        Files.createDirectories(base);
        // The writers belong to this restore: stopped by finish() or abort().
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        this.writers = java.util.concurrent.Executors.newFixedThreadPool(WRITERS, r -> {
            Thread t = new Thread(r, "mint-backup-restore-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Bad input, said before anything is written: a target that is, or lies below, something not a directory. */
    private static void checkBase(Path base) {
        if (Files.exists(base, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(base)) {
            throw new InvalidInputException("cannot restore into '" + base + "': it exists and is not a directory");
        }
        for (Path above = base.getParent(); above != null; above = above.getParent()) {
            // bad input, as the case above (it was "failed: ...: Not a directory", exit 1)
            if (Files.exists(above, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(above)) {
                throw new InvalidInputException("cannot restore into '" + base + "': '" + above + "' is not a directory");
            }
        }
    }

    /**
     * A writer that only plans a restore ({@code restore --dry-run}): it creates and changes nothing, but refuses what
     * the restore would refuse before writing (a target that is a file; one this user may not make).
     */
    public static TreeWriter planner(Path base, boolean original, boolean mirror, RestoreContext context)
            throws IOException {
        checkBase(base);
        Path existing = base;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing != null && !existing.equals(base) && !Files.isWritable(existing)) {
            throw new java.nio.file.AccessDeniedException(base.toString());
        }
        return new TreeWriter(base, original, mirror, context);
    }

    private TreeWriter(Path base, boolean original, boolean mirror, RestoreContext context) {
        this.base = base;
        this.baseBytes = PathBytes.of(base);
        this.original = original;
        this.mirror = mirror;
        this.numericOwners = false;
        this.sparse = false;
        this.context = context;
        this.restoreOwners = false;
        this.writers = null;
    }

    /** In a dry run: directories a file or link of the snapshot replaces (named already, with all below them). */
    private final Set<Path> replacedInPlan = new HashSet<>();

    /** The dry run: takes note of the entries a restore would write, then names what a mirror would delete. */
    public void plan(java.util.Iterator<Entry> entries, java.util.function.Consumer<String> wouldRemove) throws IOException {
        while (entries.hasNext()) {
            Entry entry = entries.next();
            restored.add(entry.path());
            Path dest = toPath(entry.path());
            if (mirror && entry.type() != EntryType.DIRECTORY && Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)
                    && keptOutInside(dest).isEmpty()) {
                // a directory where the snapshot has a file or link: the mirror replaces it, with all below it
                replacedInPlan.add(dest);
                try (java.util.stream.Stream<Path> below = Files.walk(dest)) {
                    below.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> wouldRemove.accept(shown(p) + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : "")));
                }
            }
        }
        if (mirror) {
            deleteExtras(true, wouldRemove);
        }
    }

    public void write(Entry entry, InputStream content) throws IOException {
        Path dest = destination(entry.path());
        restored.add(entry.path());
        if (entry.hardLinkTo().isPresent() && entry.type() != EntryType.DIRECTORY && link(dest, entry)) {
            return;
        }
        switch (entry.type()) {
            case DIRECTORY -> writeDirectory(dest, entry);
            case REGULAR -> writeFile(dest, entry, content);
            case SYMLINK -> writeSymlink(dest, entry);
            case FIFO, CHAR_DEVICE, BLOCK_DEVICE -> writeSpecial(dest, entry);
        }
        if (entry.hardLinkTo().isPresent()) {
            // the first path of this file is not restored: this one stands in for it
            linkStandIns.putIfAbsent(entry.hardLinkTo().get(), entry.path());
        }
    }

    private boolean wasRestored(String entryPath) {
        return restored.contains(entryPath) && !unrestored.contains(entryPath);
    }

    /** The path of an entry below the base, built from the name's bytes (so in any locale). */
    private Path toPath(String entryPath) {
        for (int i = 0; i < entryPath.length(); i++) {
            if (entryPath.charAt(i) >= 0x80) {
                return PathBytes.path(bytesOf(entryPath));
            }
        }
        return base.resolve(entryPath);
    }

    private byte[] bytesOf(String entryPath) {
        return PathBytes.child(baseBytes, FileNames.encode(entryPath));
    }

    /** Where an entry goes, refusing paths that would leave the target or pass through a link this restore made. */
    private Path destination(String entryPath) throws IOException {
        // Entry paths have no '.', '..' or empty segments (Entry checks): the destination is always below the base.
        Path dest = toPath(entryPath);
        if (!dest.startsWith(base) || dest.equals(base)) {
            throw new InvalidInputException("entry '" + FileNames.display(entryPath) + "' would be restored outside '" + base + "'; refused");
        }
        if (entryPath.indexOf(TEMP_PREFIX, entryPath.lastIndexOf('/') + 1) >= 0
                && TEMP_NAME.matcher(entryPath.substring(entryPath.lastIndexOf('/') + 1)).matches()) {
            snapshotTempNames.add(dest); // the snapshot's own file, not a partial one: never removed as one
        }
        // Every directory between the base and the entry must be a real directory: never write through a symlink.
        // Directories this restore made or checked are remembered, so each is looked at once, not once per file; and
        // the last parent found checked all the way up is remembered too, as entries come directory by directory.
        Path parent = dest.getParent();
        if (parent.equals(checkedParent)) {
            return dest;
        }
        // Only the directories below the nearest one known checked all the way up: one or two for the next entry of
        // a deep tree. Listing every directory up to the base (and inserting each at the front of a list) made a
        // restore of a tree 2,000 levels deep take 12 s.
        java.util.ArrayDeque<Path> between = new java.util.ArrayDeque<>();
        for (Path p = parent; p != null && !checkedUp.contains(p) && !p.equals(base); p = p.getParent()) {
            between.push(p);   // the topmost comes first
        }
        boolean allReady = true;
        for (Path current : between) {
            if (!readyDirectories.contains(current)) {
                boolean madeHere = symlinks.contains(current);
                boolean linkOnDisk = Files.isSymbolicLink(current);
                if (madeHere || (linkOnDisk && !original)) {
                    throw new InvalidInputException("entry '" + FileNames.display(entryPath) + "' would be written through the symbolic link '"
                            + FileNames.display(entryPathOf(current)) + "'; refused (a snapshot must not write outside its target)");
                }
                if (!linkOnDisk && Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
                    readyDirectories.add(current);
                }
            }
            allReady = allReady && readyDirectories.contains(current);
            if (allReady) {
                checkedUp.add(current);
            }
        }
        if (allReady) {
            checkedParent = parent;
        }
        return dest;
    }

    /** {@code path} is no longer a directory this restore may write through: nor is anything checked below it. */
    private void notReady(Path path) {
        readyDirectories.remove(path);
        checkedParent = null;
        if (checkedUp.remove(path)) {
            checkedUp.clear();   // what lies below it was checked through it
        }
    }

    /** The entry path of a path below the base. */
    private String entryPathOf(Path p) {
        byte[] bytes = PathBytes.of(p);
        int skip = baseBytes.length == 1 ? 1 : baseBytes.length + 1;
        return FileNames.decode(bytes, skip, bytes.length - skip);
    }

    /**
     * Restores {@code entry} as a hard link to the file already restored for its first path; false when there is none
     * (the first path is not part of this restore) or the link cannot be made, so the entry is written on its own.
     */
    private boolean link(Path dest, Entry entry) throws IOException {
        String first = entry.hardLinkTo().get();
        first = wasRestored(first) ? first : linkStandIns.get(first);
        if (first == null) {
            return false;
        }
        Path existing = toPath(first);
        Future<Void> pendingWrite = writing.get(existing);
        if (pendingWrite != null) {
            await(pendingWrite);
        }
        if (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            return false; // not made (a device node without root, say): nothing to link to
        }
        ensureParent(dest);
        makeWay(dest, entry);
        Path temp = dest.getParent().resolve(tempPrefix + tempCounter.incrementAndGet());
        try {
            Files.createLink(temp, existing);
        } catch (IOException | UnsupportedOperationException e) {
            warnings.warn("hardlink", entry.path(), "hard links cannot be made here (" + e.getMessage()
                    + "); the linked files are restored as separate copies");
            return false;
        }
        try {
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            // rename() does nothing when both names are already links to one file: the temporary name stays
            Files.deleteIfExists(temp);
        }
        if (entry.type() == EntryType.SYMLINK) {
            symlinks.add(dest);
            notReady(dest);
        }
        return true;
    }

    private static void await(Future<Void> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("the restore was interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    /** Creates the parent directories of {@code dest} unless this restore already knows they exist. */
    private void ensureParent(Path dest) throws IOException {
        Path parent = dest.getParent();
        if (!readyDirectories.contains(parent)) {
            if (!Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
                freshDirectories.add(parent);
            }
            Files.createDirectories(parent);
            readyDirectories.add(parent);
        }
    }

    /** Makes way for an entry, unless its directory was created by this restore (then nothing can be in the way). */
    private void makeWay(Path dest, Entry entry) throws IOException {
        if (!freshDirectories.contains(dest.getParent())) {
            clearWay(dest, entry);
        }
    }

    private void writeDirectory(Path dest, Entry entry) throws IOException {
        if (freshDirectories.contains(dest.getParent()) || !Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            freshDirectories.add(dest);
        } else if (Files.isSymbolicLink(dest) || !Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(dest);
        } else if (!Files.isWritable(dest) || !Files.isExecutable(dest)) {
            openToOwner(dest);
        }
        Files.createDirectories(dest);
        readyDirectories.add(dest);
        directories.add(new DirectoryMeta(dest, entry));
    }

    /**
     * An existing directory of the snapshot that this user may not write into: when it is theirs (their own 0500
     * directory, restored once already), they may give themselves rwx, as restic and tar do; the snapshot's mode is
     * put back with the rest of its metadata at the end (or when the restore fails). Not theirs: left as it is, and
     * writing below it says "permission denied" with the path.
     */
    private static void openToOwner(Path directory) {
        try {
            int mode = (Integer) Files.getAttribute(directory, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            try {
                Files.setAttribute(directory, "unix:mode", (mode & 07777) | 0700, LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.AccessDeniedException noRead) {
                // Without following links the JDK opens the directory to change its mode, which a directory of
                // mode 000 refuses even to its owner (explorers' E-F7: such a restore failed once, then passed). A
                // directory, not a link, was just looked at: its mode is changed by its path.
                if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                    throw noRead;
                }
                Files.setAttribute(directory, "unix:mode", (mode & 07777) | 0700);
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException notOurs) {
            LOG.debug("cannot open {} to its owner: {}", directory, notOurs.toString());
        }
    }

    private void writeFile(Path dest, Entry entry, InputStream content) throws IOException {
        ensureParent(dest);
        makeWay(dest, entry);
        // Small files are read (and so checked) whole here, then written by a worker: creating, writing and renaming
        // thousands of small files is bound by file-system latency, which parallel writers hide.
        long announced = entry.size().orElse(Long.MAX_VALUE);
        if (announced <= SMALL_FILE) {
            byte[] read = new byte[(int) announced];
            int n = content.readNBytes(read, 0, read.length);
            int next = n == read.length ? content.read() : -1;
            if (next < 0) {
                byte[] data = n == read.length ? read : java.util.Arrays.copyOf(read, n);
                acquire(data.length);
                Future<Void> write = writers.submit(() -> {
                    try {
                        publish(dest, entry, data, null);
                    } finally {
                        inFlight.release(data.length);
                        writing.remove(dest);
                    }
                    return null;
                });
                writing.put(dest, write);
                if (write.isDone()) {
                    writing.remove(dest);
                }
                pending.add(write);
                throwFailures(false);
                return;
            }
            // Longer than announced: what was read, the byte that showed it, then the rest as it streams.
            publish(dest, entry, read, new java.io.SequenceInputStream(
                    new java.io.ByteArrayInputStream(new byte[] {(byte) next}), content));
            return;
        }
        publish(dest, entry, null, content);
    }

    /**
     * Starts a regular file whose content comes in pieces (a restore in pack order): checked and prepared here, on
     * the restore's thread, like {@link #write}, in the order of the packs (every directory was written before);
     * its temporary file is made with its first piece, by whichever thread writes it. Hard links never come here:
     * the restore hands them to {@link #write} after every file in pieces is complete.
     */
    public com.mintreplica.backup.core.source.PositionalFiles.Content open(Entry entry, long length) throws IOException {
        if (entry.type() != EntryType.REGULAR || entry.hardLinkTo().isPresent()) {
            throw new IllegalArgumentException("only regular files without hard links are written in pieces: " + entry.path());
        }
        Path dest = destination(entry.path());
        restored.add(entry.path());
        ensureParent(dest);
        makeWay(dest, entry);
        return new Pieces(dest, entry, length);
    }

    /**
     * The regular file already at {@code entry}'s place, of {@code length} bytes and one link, for the restore to
     * compare with the snapshot (see {@link com.mintreplica.backup.core.source.PositionalFiles#existing}); empty in a
     * directory this restore created, and for anything else (a link, a directory, another size, a file with other
     * links, whose content and metadata a replaced file would no longer share).
     */
    public Optional<com.mintreplica.backup.core.source.PositionalFiles.Existing> existing(Entry entry, long length)
            throws IOException {
        if (entry.type() != EntryType.REGULAR || entry.hardLinkTo().isPresent()) {
            return Optional.empty();
        }
        Path dest = destination(entry.path());
        if (freshDirectories.contains(dest.getParent())) {
            return Optional.empty();
        }
        // One look gives the kind, the size, the links and the stamp the file is looked at again with before it is
        // kept, taken before it is opened (a stamp that failed after the open left the channel open)
        Map<String, Object> a;
        try {
            a = Files.readAttributes(dest, "unix:mode,ino,size,lastModifiedTime,ctime,nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return Optional.empty();
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty(); // no unix view: nothing is kept
        }
        boolean regular = (((Integer) a.get("mode")) & 0170000) == 0100000;
        if (!regular || (Long) a.get("size") != length || (Integer) a.get("nlink") != 1) {
            return Optional.empty();
        }
        List<Object> stamp = stamp(a);
        java.nio.channels.FileChannel channel;
        try {
            channel = java.nio.channels.FileChannel.open(dest, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.AccessDeniedException e) {
            return Optional.empty();
        }
        restored.add(entry.path());
        return Optional.of(new Existing(dest, entry, channel, stamp));
    }

    /**
     * What says a file did not change between two looks: its inode, size, modification and change times (a write
     * moves the change time even when it restores the modification time).
     */
    private static List<Object> stamp(Path path) throws IOException {
        return stamp(Files.readAttributes(path, "unix:ino,size,lastModifiedTime,ctime", LinkOption.NOFOLLOW_LINKS));
    }

    private static List<Object> stamp(Map<String, Object> a) {
        return List.of(a.get("ino"), a.get("size"), a.get("lastModifiedTime"), a.get("ctime"));
    }

    /** A file already in the target, read through its channel; kept with the entry's metadata when it matched. */
    private final class Existing implements com.mintreplica.backup.core.source.PositionalFiles.Existing {
        private final Path dest;
        private final Entry entry;
        private final java.nio.channels.FileChannel channel;
        private final List<Object> stamp;

        Existing(Path dest, Entry entry, java.nio.channels.FileChannel channel, List<Object> stamp) {
            this.dest = dest;
            this.entry = entry;
            this.channel = channel;
            this.stamp = stamp;
        }

        @Override
        public int read(long offset, byte[] bytes, int off, int len) throws IOException {
            return channel.read(java.nio.ByteBuffer.wrap(bytes, off, len), offset);
        }

        @Override
        public void keep() throws IOException {
            channel.close();
            // Another process wrote to it while it was read: what was compared may not be what is there now, and
            // the snapshot's times would hide the change (explorers' E-F4). Written again instead.
            if (!stamp(dest).equals(stamp)) {
                throw new IOException(dest + " changed while it was compared with the snapshot");
            }
            byte[] bytes = bytesOf(entry.path());
            if (posix.isPresent()) {
                removeStaleXattrs(dest, bytes, entry);
            }
            applyMetadata(dest, bytes, entry, false, false);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }

        @Override
        public String toString() {
            return dest.toString();
        }
    }

    /**
     * A file written in pieces, at their offsets, from several threads; published like any other file: metadata on the
     * temporary name once every piece is written, then renamed into place. Its channel stays open between pieces
     * unless too many are open.
     */
    private final class Pieces implements com.mintreplica.backup.core.source.PositionalFiles.Content {
        private final Path dest;
        /** Named when the first piece comes: a restore plans thousands of files before they are written. */
        private Path temp;
        private final Entry entry;
        private final long length;
        private java.nio.channels.FileChannel channel;
        private boolean created;
        /** Whether the file was created with the entry's mode (no chmod needed). */
        private boolean modeSet;
        private int writing;
        /** The file's length as written so far: the end of its last byte written, or its size when made as a hole. */
        private long extent;

        Pieces(Path dest, Entry entry, long length) {
            this.dest = dest;
            this.entry = entry;
            this.length = length;
        }

        /** Under this object's lock: the open channel, creating the temporary file with the first piece. */
        private java.nio.channels.FileChannel channel() throws IOException {
            if (channel != null) {
                return channel;
            }
            if (!created) {
                creating.readLock().lock();
                try {
                    if (aborted) {
                        throw new java.io.InterruptedIOException("the restore was aborted");
                    }
                    temp = dest.getParent().resolve(tempPrefix + tempCounter.incrementAndGet());
                    inProgress.add(temp);
                    FileAttribute<?>[] mode = creationMode(dest, entry);
                    channel = java.nio.channels.FileChannel.open(temp, CREATE_NEW_WRITE, mode);
                    modeSet = mode.length > 0;
                    created = true;
                } finally {
                    creating.readLock().unlock();
                }
                if (length > PRESIZE && posix.isPresent()) {
                    posix.get().truncate(tempBytes(entry, temp), length);
                    extent = length;
                }
            } else {
                channel = java.nio.channels.FileChannel.open(temp, StandardOpenOption.WRITE);
            }
            openChannels.incrementAndGet();
            return channel;
        }

        private void close() throws IOException {
            if (channel != null) {
                openChannels.decrementAndGet();
                java.nio.channels.FileChannel c = channel;
                channel = null;
                c.close();
            }
        }

        @Override
        public void write(long offset, byte[] bytes, int off, int len) throws IOException {
            java.nio.channels.FileChannel c;
            synchronized (this) {
                c = channel();
                writing++;
            }
            long end = offset;
            try {
                end = ContentWriter.writeAt(c, offset, bytes, off, len, sparse);
            } catch (IOException e) {
                // "No space left on device" alone did not say which file system was full: the target's or the temp dir's
                throw e.getClass() == IOException.class ? new IOException("cannot write " + dest + ": " + e.getMessage(), e) : e;
            } finally {
                synchronized (this) {
                    extent = Math.max(extent, end);
                    if (--writing == 0 && openChannels.get() > MAX_OPEN) {
                        close();
                    }
                }
            }
        }

        @Override
        public synchronized void complete() throws IOException {
            boolean published = false;
            try {
                java.nio.channels.FileChannel c = channel();
                if (extent < length) {
                    // ends in a hole that was not made when it was created: one zero byte at the end sets the length
                    ContentWriter.writeAt(c, length - 1, new byte[1], 0, 1, false);
                }
                close();
                applyMetadata(temp, tempBytes(entry, temp), entry, true, modeSet);
                Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                published = true;
            } finally {
                if (!published) {
                    discard();
                }
                if (temp != null) {
                    inProgress.remove(temp);
                }
            }
        }

        @Override
        public synchronized void discard() {
            try {
                close();
                if (created) {
                    Files.deleteIfExists(temp);
                }
            } catch (IOException e) {
                LOG.warn("cannot remove the partial file {}: {}", temp, reason(e));
            }
            if (temp != null) {
                inProgress.remove(temp);
            }
        }
    }

    private static final java.util.Set<StandardOpenOption> CREATE_NEW_WRITE =
            java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    private static final FileAttribute<?>[] NO_ATTRIBUTES = new FileAttribute<?>[0];
    /** The process's umask (read once from /proc/self/status), or -1 when it cannot be known. */
    private static final int UMASK = readUmask();
    private final Map<Integer, FileAttribute<?>[]> creationModes = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The attribute that creates a regular file with its entry's mode already, so that no chmod follows (one system
     * call of the six a small file costs), or none when the mode must be set by chmod: when the umask would take bits
     * of it or is unknown, when the directory gives new files a default ACL (their mode then comes from it), for the
     * setuid, setgid and sticky bits (the mode given to open() is for permissions), and for a mode without the owner's
     * read and write (a file in pieces may be opened again to write). The result is the same mode, set at creation.
     */
    private FileAttribute<?>[] creationMode(Path dest, Entry entry) {
        if (UMASK < 0 || entry.mode().isEmpty() || posix.isEmpty()) {
            return NO_ATTRIBUTES;
        }
        int mode = entry.mode().getAsInt() & 07777;
        if ((mode & 07000) != 0 || (mode & 0600) != 0600 || (mode & UMASK) != 0 || inheritsAcl(dest.getParent())) {
            return NO_ATTRIBUTES;
        }
        return creationModes.computeIfAbsent(mode, m -> new FileAttribute<?>[] {
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(FileAttributes.toPermissions(m))});
    }

    private static int readUmask() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Umask:")) {
                    return Integer.parseInt(line.substring("Umask:".length()).trim(), 8);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("umask unknown: {}", e.toString());
        }
        return -1;
    }

    /** Writes {@code head} then {@code rest} to a temporary name, applies metadata, renames into place. */
    private void publish(Path dest, Entry entry, byte[] head, InputStream rest) throws IOException {
        Path temp = dest.getParent().resolve(tempPrefix + tempCounter.incrementAndGet());
        inProgress.add(temp);
        boolean published = false;
        try {
            FileAttribute<?>[] mode = creationMode(dest, entry);
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(temp, CREATE_NEW_WRITE, mode)) {
                ContentWriter out = new ContentWriter(channel, sparse);
                if (head != null) {
                    out.write(head, 0, head.length);
                }
                if (rest != null) {
                    byte[] buffer = new byte[256 << 10];
                    int n;
                    while ((n = rest.readNBytes(buffer, 0, buffer.length)) > 0) {
                        out.write(buffer, 0, n);
                    }
                }
                out.finish();
            }
            applyMetadata(temp, tempBytes(entry, temp), entry, true, mode.length > 0);
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            published = true;
        } finally {
            if (!published) {
                Files.deleteIfExists(temp);
            }
            inProgress.remove(temp);
        }
    }

    private void acquire(int bytes) throws IOException {
        try {
            inFlight.acquire(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("the restore was interrupted");
        }
    }

    /** Rethrows the first failure of a worker; with {@code all}, first waits for every pending write. */
    private void throwFailures(boolean all) throws IOException {
        java.util.Iterator<Future<Void>> it = pending.iterator();
        while (it.hasNext()) {
            Future<Void> f = it.next();
            if (!all && !f.isDone()) {
                continue;
            }
            try {
                f.get();
                it.remove();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("the restore was interrupted");
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException(cause);
            }
        }
    }

    private void writeSymlink(Path dest, Entry entry) throws IOException {
        ensureParent(dest);
        makeWay(dest, entry);
        notReady(dest);
        if (!freshDirectories.contains(dest.getParent())) {
            Files.deleteIfExists(dest);
        }
        byte[] target = FileNames.encode(entry.linkTarget().orElseThrow());
        byte[] destBytes = bytesOf(entry.path());
        if (posix.isPresent()) {
            posix.get().symlink(target, destBytes);
        } else {
            Files.createSymbolicLink(dest, PathBytes.linkTarget(target));
        }
        symlinks.add(dest);
        applyOwner(dest, entry, true, true);
        setXattrs(dest, destBytes, entry);
        if (entry.modified().isPresent() || entry.accessed().isPresent()) {
            if (posix.isPresent()) {
                try {
                    posix.get().setTimes(destBytes, entry.accessed().orElse(null), entry.modified().orElse(null));
                    return;
                } catch (Posix.NativeException e) {
                    LOG.debug("utimensat {}: {}", dest, e.getMessage());
                }
            }
            try {
                // the JDK sets a link's own times through lutimes(): to the microsecond
                Files.getFileAttributeView(dest, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(entry.modified().map(FileTime::from).orElse(null), entry.accessed().map(FileTime::from).orElse(null), null);
            } catch (IOException | UnsupportedOperationException e) {
                warnings.warn("symlink-time", entry.path(), "the times of symbolic links cannot be set here (" + e + ")");
            }
        }
    }

    /** A FIFO or device node: made at a temporary name with its metadata, then renamed into place. */
    private void writeSpecial(Path dest, Entry entry) throws IOException {
        ensureParent(dest);
        makeWay(dest, entry);
        String kind = entry.type() == EntryType.FIFO ? "fifo" : "device";
        String what = entry.type() == EntryType.FIFO ? "FIFOs" : "device nodes";
        if (posix.isEmpty()) {
            warnings.warn(kind, entry.path(), what + " cannot be made without native access; not restored");
            unrestored.add(entry.path());
            return;
        }
        Path temp = dest.getParent().resolve(tempPrefix + tempCounter.incrementAndGet());
        byte[] tempBytes = tempBytes(entry, temp);
        int type = switch (entry.type()) {
            case CHAR_DEVICE -> Posix.S_IFCHR;
            case BLOCK_DEVICE -> Posix.S_IFBLK;
            default -> Posix.S_IFIFO;
        };
        try {
            posix.get().mknod(tempBytes, type, 0600, entry.device().orElse(0));
        } catch (Posix.NativeException e) {
            warnings.warn(kind, entry.path(), what + " cannot be made here (" + e.getMessage() + (e.notPermitted()
                    && type != Posix.S_IFIFO ? "; only root can make them" : "") + "); not restored");
            unrestored.add(entry.path());
            return;
        }
        inProgress.add(temp);
        boolean published = false;
        try {
            applyMetadata(temp, tempBytes, entry, true, false);
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            published = true;
        } finally {
            if (!published) {
                Files.deleteIfExists(temp);
            }
            inProgress.remove(temp);
        }
    }

    /** The bytes of a temporary name beside the entry's destination. */
    private byte[] tempBytes(Entry entry, Path temp) {
        return PathBytes.child(PathBytes.parent(bytesOf(entry.path())), PathBytes.name(temp));
    }

    /**
     * Owner, mode (unless {@code modeSet}: the file was created with it, see {@link #creationMode}), extended
     * attributes (ACLs among them) and times, in that order: chown clears file capabilities and
     * setuid bits, so it comes first; the mode comes before the ACL, because a chmod after an ACL rewrites its mask
     * (the group bits of a file with an ACL are its mask); times come last, as setting anything else may change them.
     */
    private void applyMetadata(Path path, byte[] bytes, Entry entry, boolean createdHere, boolean modeSet)
            throws IOException {
        if (posix.isPresent() && inheritsAcl(path.getParent())) {
            // the new file took the directory's default ACL: keep only what the entry has
            for (String acl : List.of(ExtendedAttribute.ACL_ACCESS, ExtendedAttribute.ACL_DEFAULT)) {
                if (entry.xattrs().stream().noneMatch(x -> x.name().equals(acl))) {
                    posix.get().removeXattr(bytes, acl);
                }
            }
        }
        if (!createdHere && entry.type() == EntryType.DIRECTORY && posix.isPresent()) {
            removeStaleXattrs(path, bytes, entry);
        }
        applyOwner(path, entry, false, createdHere);
        if (entry.mode().isPresent() && !modeSet) {
            FileAttributes.setMode(path, entry.mode().getAsInt());
        }
        setXattrs(path, bytes, entry);
        if (entry.modified().isPresent() || entry.accessed().isPresent()) {
            if (posix.isPresent()) {
                // utimensat by name: the JDK's setTimes opens the file, which blocks on a FIFO
                posix.get().setTimes(bytes, entry.accessed().orElse(null), entry.modified().orElse(null));
            } else if (entry.type() == EntryType.REGULAR || entry.type() == EntryType.DIRECTORY) {
                Files.getFileAttributeView(path, BasicFileAttributeView.class)
                        .setTimes(entry.modified().map(FileTime::from).orElse(null), entry.accessed().map(FileTime::from).orElse(null), null);
            }
        }
    }

    /**
     * Removes from a directory that was there before the restore the user attributes and POSIX ACLs its entry does
     * not have: files written are new, so they come back exact, and a kept directory or file must too (an access ACL granting
     * another user stayed on it). {@code security.*} (SELinux labels) and {@code trusted.*} (overlayfs' own) belong to
     * the system the directory is on and stay.
     */
    private void removeStaleXattrs(Path path, byte[] bytes, Entry entry) {
        List<ExtendedAttribute> present;
        try {
            present = posix.get().xattrs(bytes);
        } catch (Posix.NativeException e) {
            return;   // a file system without attributes has none to remove
        }
        for (ExtendedAttribute x : present) {
            if ((x.isAcl() || x.namespace().equals("user"))
                    && entry.xattrs().stream().noneMatch(kept -> kept.name().equals(x.name()))) {
                try {
                    posix.get().removeXattr(bytes, x.name());
                } catch (Posix.NativeException e) {
                    warnings.warn(x.isAcl() ? "acl-stale" : "xattr-stale", entry.path(), (x.isAcl() ? "a POSIX ACL"
                            : "the extended attribute " + x.name()) + " the snapshot does not have cannot be removed ("
                            + e.getMessage() + ")");
                }
            }
        }
    }

    /**
     * Sets the entry's extended attributes. One that cannot be set is a warning once per kind (user, security,
     * trusted, ACL) for the whole restore; an ACL that cannot be set leaves the group bits at the ACL's group entry, not
     * at its mask, so a restore never gives the group more than it had.
     */
    private void setXattrs(Path path, byte[] bytes, Entry entry) throws IOException {
        if (entry.xattrs().isEmpty()) {
            return;
        }
        for (ExtendedAttribute x : entry.xattrs()) {
            String kind = x.isAcl() ? "acl" : "xattr-" + x.namespace();
            String what = x.isAcl() ? "POSIX ACLs" : "extended attributes of the " + x.namespace() + " namespace";
            if (posix.isEmpty()) {
                warnings.warn(kind, entry.path(), what + " cannot be restored without native access");
            } else if (!restoreOwners && (x.namespace().equals("trusted") || x.namespace().equals("security"))) {
                warnings.warn(kind, entry.path(), what + " are restored only when running as root; not restored");
                continue;
            } else {
                try {
                    posix.get().setXattr(bytes, x);
                    continue;
                } catch (Posix.NativeException e) {
                    if (e.errno() == Posix.ENOENT) {
                        throw e;
                    }
                    warnings.warn(kind, entry.path(), what + " cannot be restored here (" + e.getMessage() + "); not restored");
                }
            }
            if (x.name().equals(ExtendedAttribute.ACL_ACCESS) && entry.mode().isPresent()) {
                OptionalInt groupObj = Acl.groupObjPermissions(x.value());
                if (groupObj.isPresent() && entry.type() != EntryType.SYMLINK) {
                    FileAttributes.setMode(path, (entry.mode().getAsInt() & ~070) | (groupObj.getAsInt() << 3));
                }
            }
        }
    }

    /** Whether entries made in {@code directory} now inherit a default ACL (cached per directory). */
    private boolean inheritsAcl(Path directory) {
        if (directory == null) {
            return false;
        }
        synchronized (inheritsAcl) {
            Boolean known = inheritsAcl.get(directory);
            if (known != null) {
                return known;
            }
        }
        boolean inherits;
        if (freshDirectories.contains(directory) && !directory.equals(base)) {
            inherits = inheritsAcl(directory.getParent());
        } else {
            try {
                inherits = posix.get().xattr(PathBytes.of(directory), ExtendedAttribute.ACL_DEFAULT).isPresent();
            } catch (Posix.NativeException e) {
                inherits = false;
            }
        }
        synchronized (inheritsAcl) {
            inheritsAcl.put(directory, inherits);
        }
        return inherits;
    }


    /** Removes a directory that stands where a file or link is restored (only in mirror mode, when it is not empty). */
    private void clearWay(Path dest, Entry entry) throws IOException {
        if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.delete(dest);
                if (mirror) {
                    replacedByMirror.incrementAndGet(); // as the dry run counts it
                }
            } catch (DirectoryNotEmptyException e) {
                if (!mirror) {
                    // One entry not restored, as any the target cannot take: the rest is restored and the directories
                    // get their metadata. It stopped the restore part way, after it had changed the target, with a
                    // message that read as if nothing was done.
                    throw new java.nio.file.FileSystemException(dest.toString(), null, "a non-empty directory is in the"
                            + " way (restore with --mirror to replace it, or into an empty directory)");
                }
                Optional<Path> protectedInside = keptOutInside(dest);
                if (protectedInside.isPresent()) {
                    // --mirror must not destroy what the backup's own rules kept out of the snapshot: the entry is
                    // not restored instead (it deleted an excluded log while saying it kept it)
                    throw new java.nio.file.FileSystemException(dest.toString(), null, "a directory is in the way that"
                            + " holds what the backup's rules kept out of the snapshot (" + shown(protectedInside.get())
                            + "); it is left as it is");
                }
                replacedByMirror.addAndGet(deleteTree(dest));
                LOG.info("deleted {}/ and all below it: a directory where the snapshot has a {}", shown(dest),
                        entry.type() == EntryType.SYMLINK ? "link" : "file");
            }
        }
    }

    /** A temporary name of a restore: the prefix, a random hex number per restore, a counter. */
    private static final java.util.regex.Pattern TEMP_NAME =
            java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(TEMP_PREFIX) + "[0-9a-f]{1,16}-[0-9]+");

    /**
     * Removes, from the snapshot's directories that were there before this restore, the temporary files of an earlier
     * restore that was killed (a restore removes its own when it fails, but a kill -9 leaves them: a re-run left
     * 60 MB of them in place). One listing per such directory; none for the directories this restore made. A file of
     * the snapshot with such a name is its own, never removed (explorers' E-F5: it was counted kept, then deleted).
     */
    private void removeLeftTemporaryFiles() {
        for (DirectoryMeta d : directories) {
            if (freshDirectories.contains(d.path())) {
                continue;
            }
            try (java.nio.file.DirectoryStream<Path> temps = Files.newDirectoryStream(d.path(), p -> {
                String name = p.getFileName().toString();
                return name.startsWith(TEMP_PREFIX) && !name.startsWith(tempPrefix) && TEMP_NAME.matcher(name).matches();
            })) {
                for (Path temp : temps) {
                    if (Files.isRegularFile(temp, LinkOption.NOFOLLOW_LINKS) && !snapshotTempNames.contains(temp)) {
                        Files.delete(temp);
                        LOG.info("removed {}: a partial file of an earlier restore that did not finish", shown(temp));
                    }
                }
            } catch (IOException e) {
                LOG.debug("cannot look for partial files in {}: {}", d.path(), e.toString());
            }
        }
    }

    /** The backup's exclude and include patterns, from the snapshot's facts. */
    private Globs[] backupRules() {
        Globs[] rules = backupRules;
        if (rules == null) {
            rules = new Globs[] {Globs.of(context.snapshot().facts(Globs.EXCLUDE_FACT).values()),
                    Globs.of(context.snapshot().facts(Globs.INCLUDE_FACT).values())};
            backupRules = rules;
        }
        return rules;
    }

    private volatile Globs[] backupRules;

    /** The first entry below {@code directory} that the backup's rules kept out of the snapshot, if any. */
    private Optional<Path> keptOutInside(Path directory) throws IOException {
        Globs excludes = backupRules()[0];
        Globs includes = backupRules()[1];
        if (excludes.isEmpty() && includes.isEmpty()) {
            return Optional.empty();
        }
        Path root = null;
        for (String r : context.snapshot().facts("fs.root.").values()) {
            Path rootPath = r.equals("/") ? base : toPath(r);
            if (directory.startsWith(rootPath)) {
                root = backedUpAt(rootPath);
                break;
            }
        }
        if (root == null) {
            return Optional.empty();
        }
        Path originalRoot = root;
        try (java.util.stream.Stream<Path> below = Files.walk(directory)) {
            return below.filter(p -> !p.equals(directory)).filter(p -> {
                Path was = backedUpAt(p);
                if (excludes.matches(was, originalRoot)) {
                    return true;
                }
                if (includes.isEmpty()) {
                    return false;
                }
                for (Path q = was; q != null && q.startsWith(originalRoot); q = q.getParent()) {
                    if (includes.matches(q, originalRoot)) {
                        return false;
                    }
                }
                return true;
            }).findFirst();
        }
    }

    /** @param createdHere whether this restore created {@code path}, so it has the owner new files get */
    private void applyOwner(Path path, Entry entry, boolean noFollow, boolean createdHere) {
        if (!restoreOwners || (createdHere && ownedAsCreated(path, entry))) {
            return;
        }
        LinkOption[] options = noFollow ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        try {
            Optional<UserPrincipal> user = numericOwners && entry.uid().isPresent() ? Optional.empty()
                    : entry.owner().flatMap(name -> users.computeIfAbsent(name, this::lookupUser));
            Optional<GroupPrincipal> group = numericOwners && entry.gid().isPresent() ? Optional.empty()
                    : entry.group().flatMap(name -> groups.computeIfAbsent(name, this::lookupGroup));
            PosixFileAttributeView view = null;
            if (user.isPresent()) {
                view = Files.getFileAttributeView(path, PosixFileAttributeView.class, options);
                view.setOwner(user.get());
            } else if (entry.uid().isPresent()) {
                Files.setAttribute(path, "unix:uid", entry.uid().getAsInt(), options);
            }
            if (group.isPresent()) {
                if (view == null) {
                    view = Files.getFileAttributeView(path, PosixFileAttributeView.class, options);
                }
                view.setGroup(group.get());
            } else if (entry.gid().isPresent()) {
                Files.setAttribute(path, "unix:gid", entry.gid().getAsInt(), options);
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            LOG.warn("cannot restore the owner of {}: {}", path, reason(e));
        }
    }

    /**
     * What went wrong, for a warning that names the path itself: "operation not permitted" (an immutable file's owner
     * warning said "java.nio.file.FileSystemException: /path: Operation not permitted").
     */
    static String reason(Exception e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e instanceof IOException io ? TreeReader.reason(io) : String.valueOf(e.getMessage());
    }

    /** The owner and group new files get here, learned from the first file this restore creates. */
    private volatile String[] createdAs;

    /**
     * Whether {@code path}, just created by this restore, already has the entry's owner and group (as most restored
     * files do: a root restore of root's files), so that no chown is needed. Learns what new files get from the first
     * path it is asked about, which this restore created.
     */
    private boolean ownedAsCreated(Path path, Entry entry) {
        String[] created = createdAs;
        if (created == null) {
            try {
                Map<String, Object> a = Files.readAttributes(path, "unix:uid,gid,owner,group", LinkOption.NOFOLLOW_LINKS);
                created = new String[] {String.valueOf(a.get("uid")), String.valueOf(a.get("gid")),
                        String.valueOf(a.get("owner")), String.valueOf(a.get("group"))};
                createdAs = created;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        if (numericOwners && entry.uid().isPresent() && entry.gid().isPresent()) {
            return String.valueOf(entry.uid().getAsInt()).equals(created[0])
                    && String.valueOf(entry.gid().getAsInt()).equals(created[1]);
        }
        boolean user = entry.owner().isPresent() ? entry.owner().get().equals(created[2])
                : entry.uid().isPresent() && String.valueOf(entry.uid().getAsInt()).equals(created[0]);
        boolean group = entry.group().isPresent() ? entry.group().get().equals(created[3])
                : entry.gid().isPresent() && String.valueOf(entry.gid().getAsInt()).equals(created[1]);
        return user && group;
    }

    /** User and group names are looked up once per restore (each lookup reads the system's user database). */
    private Optional<UserPrincipal> lookupUser(String name) {
        try {
            return Optional.of(base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name));
        } catch (IOException unknown) {
            return Optional.empty(); // fall back to the numeric id
        }
    }

    private Optional<GroupPrincipal> lookupGroup(String name) {
        try {
            return Optional.of(base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(name));
        } catch (IOException unknown) {
            return Optional.empty();
        }
    }

    public void finish() throws IOException {
        try {
            throwFailures(true);
        } finally {
            writers.shutdown();
        }
        removeLeftTemporaryFiles();
        if (mirror) {
            deleteExtras(false, path -> { });
        }
        // Directory metadata last and deepest first: writing into a directory changes its modification time.
        // Default ACLs are set here too, after the directory's entries were made, so none of them inherited it.
        for (int i = directories.size() - 1; i >= 0; i--) {
            DirectoryMeta d = directories.get(i);
            if (keepsItsOwnMetadata(d)) {
                continue;
            }
            applyMetadata(d.path(), bytesOf(d.entry().path()), d.entry(), freshDirectories.contains(d.path()), false);
        }
        warnings.summarize();
    }

    /**
     * Deletes what lies under the snapshot's roots (and within the selection) but is not in the snapshot, except what
     * the backup's own rules kept out of it (its exclude patterns, and with include patterns what none of them took
     * in): those were never meant to be in the snapshot, and rsync's {@code --delete} and restic's
     * {@code restore --delete} leave what their excludes match alone too. A directory that is not in the snapshot is
     * emptied of the rest and removed unless something kept is left in it. Each deletion and each kept entry is logged
     * (information: the CLI's {@code -v}), and the count of deletions once. In a dry run ({@code dryRun}) nothing is
     * deleted, and {@code removed} is told each path that would be.
     */
    private void deleteExtras(boolean dryRun, java.util.function.Consumer<String> removed) throws IOException {
        Globs excludes = Globs.of(context.snapshot().facts(Globs.EXCLUDE_FACT).values());
        Globs includes = Globs.of(context.snapshot().facts(Globs.INCLUDE_FACT).values());
        int[] deleted = {0};
        int[] kept = {0};
        for (String root : context.snapshot().facts("fs.root.").values()) {
            Path rootPath = root.equals("/") ? base : toPath(root);
            if (!Files.isDirectory(rootPath, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            // The rules match the entries' original paths, wherever this restore writes them.
            Path originalRoot = backedUpAt(rootPath);
            /** A directory being walked: whether the backup's rules take in what is below it, and whether it keeps anything. */
            final class Frame {
                final boolean included;
                boolean keepsSomething;

                Frame(boolean included) {
                    this.included = included;
                }
            }
            java.util.ArrayDeque<Frame> frames = new java.util.ArrayDeque<>();
            Files.walkFileTree(rootPath, new SimpleFileVisitor<>() {
                private void remove(Path path, boolean directory) throws IOException {
                    if (dryRun) {
                        deleted[0]++;
                        removed.accept(shown(path) + (directory ? "/" : ""));
                        return;
                    }
                    try {
                        try {
                            Files.delete(path);
                        } catch (java.nio.file.AccessDeniedException denied) {
                            // the user's own read-only directory (0500): theirs to open, as a restore into it does
                            openToOwner(path.getParent());
                            Files.delete(path);
                        }
                    } catch (java.nio.file.AccessDeniedException | DirectoryNotEmptyException left) {
                        // one entry the mirror cannot delete stops nothing else: said, and the rest goes on
                        warnings.warn("mirror", entryPathOf(path), "not in the snapshot, but cannot be deleted ("
                                + (left instanceof DirectoryNotEmptyException ? "not empty" : "permission denied") + ")");
                        if (!frames.isEmpty()) {
                            frames.peek().keepsSomething = true;
                        }
                        return;
                    }
                    deleted[0]++;
                    LOG.info("deleted {}{}: not in the snapshot", shown(path), directory ? "/" : "");
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException failed) throws IOException {
                    if (failed instanceof java.nio.file.AccessDeniedException) {
                        // a directory this user may not list: what is in it stays
                        warnings.warn("mirror", entryPathOf(file), "cannot be read (permission denied); what is in it"
                                + " is not deleted");
                        if (!frames.isEmpty()) {
                            frames.peek().keepsSomething = true;
                        }
                        return FileVisitResult.CONTINUE;
                    }
                    throw failed;
                }

                private void keep(Path path, String why) {
                    if (!frames.isEmpty()) {
                        frames.peek().keepsSomething = true;
                    }
                    if (isExtra(relative(path))) {
                        kept[0]++;
                        LOG.info("kept {}: not in the snapshot, but {}", shown(path), why);
                    }
                }

                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.equals(rootPath)) {
                        frames.push(new Frame(includes.isEmpty() || includes.matches(originalRoot, originalRoot)));
                        return FileVisitResult.CONTINUE;
                    }
                    if (replacedInPlan.contains(dir)) {
                        frames.peek().keepsSomething = true;
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    Path was = backedUpAt(dir);
                    if (excludes.matches(was, originalRoot)) {
                        keep(dir, "the backup excluded it");
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    frames.push(new Frame(frames.peek().included || includes.matches(was, originalRoot)));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Path was = backedUpAt(file);
                    if (!isExtra(relative(file))) {
                        frames.peek().keepsSomething = true;
                    } else if (excludes.matches(was, originalRoot)) {
                        keep(file, "the backup excluded it");
                    } else if (!frames.peek().included && !includes.matches(was, originalRoot)) {
                        keep(file, "the backup's include patterns do not take it in");
                    } else {
                        remove(file, false);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failed) throws IOException {
                    Frame frame = frames.pop();
                    if (failed != null) {
                        if (!(failed instanceof java.nio.file.AccessDeniedException)) {
                            throw failed;
                        }
                        warnings.warn("mirror", entryPathOf(dir), "cannot be read to the end (permission denied); what"
                                + " is in it is not deleted");
                        frame.keepsSomething = true;
                    }
                    if (dir.equals(rootPath)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (!isExtra(relative(dir))) {
                        frames.peek().keepsSomething = true;
                    } else if (!frame.included) {
                        keep(dir, "the backup's include patterns do not take it in");
                    } else if (frame.keepsSomething) {
                        keep(dir, "it holds what the backup's rules kept out");
                    } else {
                        remove(dir, true);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        // what a file of the snapshot replaced (a directory, all below it) counts as the dry run counts it
        deleted[0] += dryRun ? 0 : replacedByMirror.get();
        if (!dryRun && (deleted[0] > 0 || kept[0] > 0)) {
            LOG.info("--mirror deleted {} entr{} not in the snapshot{}", deleted[0], deleted[0] == 1 ? "y" : "ies",
                    kept[0] == 0 ? "" : " and kept " + kept[0] + " that the backup's rules left out of it");
        }
    }

    /**
     * Whether {@code d} is a directory above the snapshot's roots that was there before the restore (an in-place
     * restore of {@code /home/u/docs}: {@code /home}, {@code /home/u}). The snapshot holds those only so that a restore
     * elsewhere makes them with their metadata; one that is there is not the backup's to change. Setting it anyway
     * failed every in-place restore of a user's own tree (they may not touch {@code /home}), and as root rolled the
     * mode, times and attributes of {@code /srv} back to the day of the backup.
     */
    private boolean keepsItsOwnMetadata(DirectoryMeta d) {
        if (freshDirectories.contains(d.path())) {
            return false;
        }
        String path = d.entry().path();
        for (String root : context.snapshot().facts("fs.root.").values()) {
            if (root.equals("/") || !root.startsWith(path + "/")) {
                continue;
            }
            return true;
        }
        return false;
    }

    /** A path below the base as messages show it (bytes that are not UTF-8 as {@code \xff}). */
    private String shown(Path path) {
        String entry = FileNames.display(entryPathOf(path));
        return (baseBytes.length == 1 ? "/" : base + "/") + entry;
    }

    /** Where {@code path}, below the base, was when it was backed up. */
    private Path backedUpAt(Path path) {
        return original ? path : Path.of("/").resolve(base.relativize(path));
    }

    private boolean isExtra(String entryPath) {
        return !wasRestored(entryPath) && context.selection().test(entryPath);
    }

    private String relative(Path p) {
        return entryPathOf(p);
    }

    /** Deletes {@code root} and all below it; returns how many entries that was. */
    private static int deleteTree(Path root) throws IOException {
        int[] deleted = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                deleted[0]++;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                deleted[0]++;
                return FileVisitResult.CONTINUE;
            }
        });
        return deleted[0];
    }

    public void abort() {
        // Files written in pieces make no temporary file from now on.
        creating.writeLock().lock();
        try {
            aborted = true;
        } finally {
            creating.writeLock().unlock();
        }
        // Let running writes end (each deletes its own temporary file when it fails), start no more.
        pending.forEach(f -> f.cancel(false));
        writers.shutdown();
        try {
            writers.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Path temp : inProgress) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                LOG.warn("cannot remove the partial file {}: {}", temp, reason(e));
            }
        }
        // The directories made so far still get their mode, owner, ACLs and times (deepest first, as finish does): a
        // restore that failed part way left every one 0755 and root's, so a private (0700) directory of the snapshot
        // came back open to every user, around files that were restored.
        for (int i = directories.size() - 1; i >= 0; i--) {
            DirectoryMeta d = directories.get(i);
            if (keepsItsOwnMetadata(d)) {
                continue;
            }
            try {
                applyMetadata(d.path(), bytesOf(d.entry().path()), d.entry(), freshDirectories.contains(d.path()), false);
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot set the metadata of {}: {}", d.path(), e.getMessage());
            }
        }
    }

    private static boolean runningAsRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
