package com.mintreplica.backup.fs.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private static final Logger LOG = LoggerFactory.getLogger(Prefetcher.class);
    static final long MAX_FILE = 1 << 20;
    private static final int POSIX_FADV_WILLNEED = 3;
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
        return Native0.OPEN_FLAGS == 0 ? null : new Prefetcher();
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
            int fd = Native0.open(PathBytes.c(target.bytes()), Native0.OPEN_FLAGS);
            try {
                Native0.posix_fadvise(fd, 0, a.size(), POSIX_FADV_WILLNEED);
                asked++;
            } finally {
                Native0.close(fd);
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

    /** The C library's open, posix_fadvise and close, directly mapped (a call costs far less than through a proxy). */
    private static final class Native0 {
        /** O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC for this platform; 0 when not available. */
        static final int OPEN_FLAGS = register();

        static native int open(byte[] path, int flags) throws LastErrorException;

        static native int posix_fadvise(int fd, long offset, long length, int advice);

        static native int close(int fd);

        private static int register() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            int noFollow = switch (arch) {
                case "amd64", "x86_64" -> 0400000;
                case "aarch64" -> 0100000;
                default -> 0;
            };
            if (!os.contains("linux") || noFollow == 0 || Boolean.getBoolean("mint.backup.fs.noNative")) {
                return 0;
            }
            try {
                Native.register(Native0.class, NativeLibrary.getInstance("c"));
                return 04000 | noFollow | 0400 | 02000000;
            } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError: JNA cannot load here
                LOG.debug("no read-ahead of small files: {}", e.toString());
                return 0;
            }
        }
    }
}
