package com.mintreplica.backup.fs.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The C library's {@code open}, {@code read}, {@code posix_fadvise} and {@code close}, directly mapped (a call costs
 * far less than through a JNA proxy), for the two things the JDK cannot ask of a file: reads that leave its access
 * time alone ({@link SourceFileStream}) and read-ahead of small files ({@link Prefetcher}). Linux on x86-64 and
 * aarch64 only (the flag values below are theirs); elsewhere, or without JNA, {@link #AVAILABLE} is false and callers
 * keep the JDK's way.
 */
final class Fd {
    private static final Logger LOG = LoggerFactory.getLogger(Fd.class);

    static final int O_RDONLY = 0;
    static final int O_NOCTTY = 0400;
    static final int O_NONBLOCK = 04000;
    static final int O_NOATIME = 01000000;
    static final int O_CLOEXEC = 02000000;
    /** O_NOFOLLOW, the one flag of these whose value differs between the two platforms; 0 elsewhere. */
    static final int O_NOFOLLOW = switch (System.getProperty("os.arch", "")) {
        case "amd64", "x86_64" -> 0400000;
        case "aarch64" -> 0100000;
        default -> 0;
    };
    /** O_DIRECTORY, which differs between the two platforms too. */
    static final int O_DIRECTORY = O_NOFOLLOW == 0400000 ? 0200000 : 040000;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOTDIR = 20;
    static final int ELOOP = 40;

    static final boolean AVAILABLE = register();

    private Fd() {
    }

    static native int open(byte[] path, int flags) throws LastErrorException;

    static native long read(int fd, Pointer buffer, long count) throws LastErrorException;

    static native int posix_fadvise(int fd, long offset, long length, int advice);

    static native int close(int fd);

    /**
     * Opens {@code path} (whose bytes are {@code bytes}) with {@code flags} and {@code O_NOATIME}: reading it then
     * leaves its access time alone. The kernel grants that to the file's owner and to a process with {@code
     * CAP_FOWNER}; for another owner's file (EPERM) it is opened again without, as any reader opens it. Throws what
     * the JDK throws for a missing or unreadable file ({@link java.nio.file.NoSuchFileException}, {@link
     * java.nio.file.AccessDeniedException}, {@link java.nio.file.NotDirectoryException}).
     */
    static int openNoAtime(java.nio.file.Path path, byte[] bytes, int flags) throws java.io.IOException {
        byte[] c = PathBytes.c(bytes);
        try {
            return open(c, flags | O_NOATIME);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != Posix.EPERM) {
                throw failure("open", path, bytes, e.getErrorCode());
            }
        }
        try {
            return open(c, flags);
        } catch (LastErrorException e) {
            throw failure("open", path, bytes, e.getErrorCode());
        }
    }

    /** The exception the JDK would throw for {@code errno}, or a {@link Posix.NativeException} naming the call. */
    static java.io.IOException failure(String call, java.nio.file.Path path, byte[] bytes, int errno) {
        return switch (errno) {
            case Posix.ENOENT -> new java.nio.file.NoSuchFileException(path.toString());
            // Opened with O_NOFOLLOW: what was listed is gone, a symbolic link in its place is not what was listed.
            case ELOOP -> new java.nio.file.NoSuchFileException(path.toString(), null,
                    "replaced by a symbolic link since it was listed");
            case Posix.EACCES -> new java.nio.file.AccessDeniedException(path.toString());
            case ENOTDIR -> new java.nio.file.NotDirectoryException(path.toString());
            default -> new Posix.NativeException(call, bytes, errno);
        };
    }

    /** glibc's getdents64 (2.30 and later), apart: where it is missing, the rest is still there. */
    static final class Dirents {
        static final boolean AVAILABLE = Fd.AVAILABLE && register();

        private Dirents() {
        }

        static native long getdents64(int fd, Pointer buffer, long count) throws LastErrorException;

        private static boolean register() {
            try {
                Native.register(Dirents.class, NativeLibrary.getInstance("c"));
                return true;
            } catch (Throwable e) { // an older C library
                LOG.debug("no getdents64: {}", e.toString());
                return false;
            }
        }
    }

    /**
     * glibc's statx (2.28 and later), apart like {@link Dirents}. Its {@code struct statx} has one layout on every
     * platform (unlike {@code struct stat}), read by {@link FileAttributes}.
     */
    static final class Statx {
        static final boolean AVAILABLE = Fd.AVAILABLE && !Boolean.getBoolean("mint.backup.fs.noStatx") && register();
        static final int AT_FDCWD = -100;
        static final int AT_SYMLINK_NOFOLLOW = 0x100;
        /** STATX_BASIC_STATS: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks. */
        static final int BASIC_STATS = 0x7ff;
        static final int SIZE = 256;

        private Statx() {
        }

        static native int statx(int dirfd, byte[] path, int flags, int mask, Pointer buffer) throws LastErrorException;

        private static boolean register() {
            try {
                Native.register(Statx.class, NativeLibrary.getInstance("c"));
                return true;
            } catch (Throwable e) { // an older C library
                LOG.debug("no statx: {}", e.toString());
                return false;
            }
        }
    }

    private static boolean register() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || O_NOFOLLOW == 0 || Boolean.getBoolean("mint.backup.fs.noNative")) {
            return false;
        }
        try {
            Native.register(Fd.class, NativeLibrary.getInstance("c"));
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError: JNA cannot load here
            LOG.debug("no direct open/read/posix_fadvise: {}", e.toString());
            return false;
        }
    }
}
