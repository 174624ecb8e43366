package com.mintreplica.backup.fs.internal;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Asks the kernel to read the next small files of a directory walk into the page cache before the backup's reader
 * gets to them ({@code posix_fadvise(POSIX_FADV_WILLNEED)}, which starts the reads and does not wait for them).
 *
 * <p>Why: a backup reads its files one after another on one thread. From cold caches each small file's read waits for
 * the disk, and the reader pays the submission of each read itself (on a VM, a notification of the virtual disk: the
 * largest single cost of a first backup of many small files). restic reads two files at a time. Handed a window of the
 * files ahead, this thread checks that each is a regular file (the stat also brings its inode in, which the reader's
 * own stat then finds) and asks for its content, so the reads overlap each other and the reader's work.
 *
 * <p>Only files up to {@link #MAX_FILE} are asked for (a large file's own sequential read-ahead is enough, and asking
 * for all of it could push out what is cached), only when the walk reads files (an unchanged backup reuses them and
 * reads none: {@link TreeReader} asks for a window only after the last file handed out was opened), and never more
 * than a few windows ahead (a full queue drops the window). Nothing depends on it: a file it could not ask for is read
 * as before. Linux on x86-64 and aarch64 with JNA only; elsewhere {@link #start()} returns null.
 */
final class Prefetcher implements AutoCloseable {
    static final long MAX_FILE = 1 << 20;
    private static final int POSIX_FADV_WILLNEED = 3;
    /** Never waits on a FIFO that replaced a listed file, never follows a link that did. */
    private static final int OPEN_FLAGS = Fd.O_RDONLY | Fd.O_NONBLOCK | Fd.O_NOFOLLOW | Fd.O_NOCTTY | Fd.O_CLOEXEC;
    private static final List<Target> STOP = List.of();

    /** A path as the walk listed it, and its bytes (as the C library takes it, without the final NUL). */
    record Target(Path path, byte[] bytes) {
    }

    /** How long the thread waits for a window before it ends (the next window starts another). */
    static final long IDLE_NANOS = 30_000_000_000L;

    private final BlockingQueue<List<Target>> windows = new ArrayBlockingQueue<>(4);
    /** The running thread, or null; changed under this object's lock. */
    private Thread thread;
    private boolean closed;
    /** Files asked for, for tests. */
    private volatile long asked;

    private Prefetcher() {
    }

    /** A running prefetcher, or null where the native calls are not available. */
    static Prefetcher start() {
        return Fd.AVAILABLE ? new Prefetcher() : null;
    }

    /** Hands over a window of paths (in walk order); drops it when the thread is still busy with earlier ones. */
    synchronized void offer(List<Target> targets) {
        if (targets.isEmpty() || closed) {
            return;
        }
        windows.offer(targets);
        if (thread == null) {
            thread = new Thread(this::run, "mint-backup-prefetch");
            thread.setDaemon(true);
            thread.start();
        }
    }

    long asked() {
        return asked;
    }

    private void run() {
        try {
            while (true) {
                List<Target> window = windows.poll(IDLE_NANOS, java.util.concurrent.TimeUnit.NANOSECONDS);
                if (window == null) {
                    synchronized (this) {
                        if (windows.isEmpty()) {
                            thread = null;
                            return;
                        }
                    }
                    continue;
                }
                if (window == STOP) {
                    return;
                }
                for (Target target : window) {
                    willNeed(target);
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private void willNeed(Target target) {
        try {
            BasicFileAttributes a = Files.readAttributes(target.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile() || a.size() == 0 || a.size() > MAX_FILE) {
                return;
            }
            int fd = Fd.open(PathBytes.c(target.bytes()), OPEN_FLAGS);
            try {
                Fd.posix_fadvise(fd, 0, a.size(), POSIX_FADV_WILLNEED);
                asked++;
            } finally {
                Fd.close(fd);
            }
        } catch (Exception | LinkageError e) {
            // vanished, not readable, replaced: the reader finds out and says so
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        windows.clear();
        if (thread != null && !windows.offer(STOP)) {
            thread.interrupt();
        }
    }
}
