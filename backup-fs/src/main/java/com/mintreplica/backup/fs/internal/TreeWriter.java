package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
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
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
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
    private final boolean original;
    private final boolean mirror;
    private final RestoreContext context;
    private final boolean restoreOwners;
    private final Set<String> restored = new HashSet<>();
    private final Set<String> symlinks = new HashSet<>();
    private final List<DirectoryMeta> directories = new ArrayList<>();
    private final Map<String, Optional<UserPrincipal>> users = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<Path> readyDirectories = new HashSet<>();
    /** Directories this restore created: nothing was in them before, so nothing can stand in an entry's way. */
    private final Set<Path> freshDirectories = new HashSet<>();
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

    private record DirectoryMeta(Path path, Entry entry) {
    }

    public TreeWriter(Path base, boolean original, boolean mirror, RestoreContext context) throws IOException {
        this.base = base;
        this.original = original;
        this.mirror = mirror;
        this.context = context;
        this.restoreOwners = runningAsRoot();
        if (Files.exists(base, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(base)) {
            throw new InvalidInputException("cannot restore into '" + base + "': it exists and is not a directory");
        }
        Files.createDirectories(base);
        // The writers belong to this restore: stopped by finish() or abort().
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        this.writers = java.util.concurrent.Executors.newFixedThreadPool(WRITERS, r -> {
            Thread t = new Thread(r, "mint-backup-restore-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public void write(Entry entry, InputStream content) throws IOException {
        Path dest = destination(entry.path());
        restored.add(entry.path());
        switch (entry.type()) {
            case DIRECTORY -> writeDirectory(dest, entry);
            case REGULAR -> writeFile(dest, entry, content);
            case SYMLINK -> writeSymlink(dest, entry);
        }
    }

    /** Where an entry goes, refusing paths that would leave the target or pass through a link this restore made. */
    private Path destination(String entryPath) throws IOException {
        Path dest = base.resolve(entryPath).normalize();
        if (!dest.startsWith(base) || dest.equals(base)) {
            throw new InvalidInputException("entry '" + entryPath + "' would be restored outside '" + base + "'; refused");
        }
        // Every directory between the base and the entry must be a real directory: never write through a symlink.
        // Directories this restore made or checked are remembered, so each is looked at once, not once per file.
        String[] parts = entryPath.split("/");
        StringBuilder prefix = new StringBuilder();
        Path current = base;
        for (int i = 0; i < parts.length - 1; i++) {
            prefix.append(i == 0 ? "" : "/").append(parts[i]);
            current = current.resolve(parts[i]);
            if (readyDirectories.contains(current)) {
                continue;
            }
            boolean madeHere = symlinks.contains(prefix.toString());
            boolean linkOnDisk = Files.isSymbolicLink(current);
            if (madeHere || (linkOnDisk && !original)) {
                throw new InvalidInputException("entry '" + entryPath + "' would be written through the symbolic link '"
                        + prefix + "'; refused (a snapshot must not write outside its target)");
            }
            if (!linkOnDisk && Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
                readyDirectories.add(current);
            }
        }
        return dest;
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
        }
        Files.createDirectories(dest);
        readyDirectories.add(dest);
        directories.add(new DirectoryMeta(dest, entry));
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
                pending.add(writers.submit(() -> {
                    try {
                        publish(dest, entry, data, null);
                    } finally {
                        inFlight.release(data.length);
                    }
                    return null;
                }));
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

    /** Writes {@code head} then {@code rest} to a temporary name, applies metadata, renames into place. */
    private void publish(Path dest, Entry entry, byte[] head, InputStream rest) throws IOException {
        Path temp = dest.getParent().resolve(tempPrefix + tempCounter.incrementAndGet());
        inProgress.add(temp);
        boolean published = false;
        try {
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                if (head != null) {
                    out.write(head);
                }
                if (rest != null) {
                    rest.transferTo(out);
                }
            }
            applyOwner(temp, entry, false, true);
            if (entry.mode().isPresent()) {
                FileAttributes.setMode(temp, entry.mode().getAsInt());
            }
            if (entry.modified().isPresent()) {
                Files.setLastModifiedTime(temp, FileTime.from(entry.modified().get()));
            }
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
        readyDirectories.remove(dest);
        if (!freshDirectories.contains(dest.getParent())) {
            Files.deleteIfExists(dest);
        }
        Files.createSymbolicLink(dest, Path.of(entry.linkTarget().orElseThrow()));
        symlinks.add(entry.path());
        applyOwner(dest, entry, true, true);
        if (entry.modified().isPresent()) {
            try {
                Files.getFileAttributeView(dest, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(FileTime.from(entry.modified().get()), null, null);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debug("cannot set the time of symlink {}: {}", dest, e.toString());
            }
        }
    }

    /** Removes a directory that stands where a file or link is restored (only in mirror mode, when it is not empty). */
    private void clearWay(Path dest, Entry entry) throws IOException {
        if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.delete(dest);
            } catch (DirectoryNotEmptyException e) {
                if (!mirror) {
                    throw new InvalidInputException("cannot restore '" + entry.path() + "': a non-empty directory is in the way at '"
                            + dest + "' (restore with --mirror to replace it, or into an empty directory)");
                }
                deleteTree(dest);
            }
        }
    }

    /** @param createdHere whether this restore created {@code path}, so it has the owner new files get */
    private void applyOwner(Path path, Entry entry, boolean noFollow, boolean createdHere) {
        if (!restoreOwners || (createdHere && ownedAsCreated(path, entry))) {
            return;
        }
        LinkOption[] options = noFollow ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        try {
            Optional<UserPrincipal> user = entry.owner().flatMap(name -> users.computeIfAbsent(name, this::lookupUser));
            Optional<GroupPrincipal> group = entry.group().flatMap(name -> groups.computeIfAbsent(name, this::lookupGroup));
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
            LOG.warn("cannot restore the owner of {}: {}", path, e.toString());
        }
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
        if (mirror) {
            deleteExtras();
        }
        // Directory metadata last and deepest first: writing into a directory changes its modification time.
        for (int i = directories.size() - 1; i >= 0; i--) {
            DirectoryMeta d = directories.get(i);
            applyOwner(d.path(), d.entry(), true, freshDirectories.contains(d.path()));
            if (d.entry().mode().isPresent()) {
                FileAttributes.setMode(d.path(), d.entry().mode().getAsInt());
            }
            if (d.entry().modified().isPresent()) {
                Files.setLastModifiedTime(d.path(), FileTime.from(d.entry().modified().get()));
            }
        }
    }

    /** Deletes what lies under the snapshot's roots (and within the selection) but is not in the snapshot. */
    private void deleteExtras() throws IOException {
        for (String root : context.snapshot().facts("fs.root.").values()) {
            Path rootPath = root.equals("/") ? base : base.resolve(root);
            if (!Files.isDirectory(rootPath, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            Files.walkFileTree(rootPath, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    String p = relative(dir);
                    if (!dir.equals(rootPath) && isExtra(p)) {
                        deleteTree(dir);
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (isExtra(relative(file))) {
                        Files.delete(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }

    private boolean isExtra(String entryPath) {
        return !restored.contains(entryPath) && context.selection().test(entryPath);
    }

    private String relative(Path p) {
        return base.relativize(p).toString();
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    public void abort() {
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
                LOG.warn("cannot remove the partial file {}: {}", temp, e.toString());
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
