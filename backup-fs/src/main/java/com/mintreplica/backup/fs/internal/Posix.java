package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.source.ExtendedAttribute;
import com.mintreplica.backup.core.source.FileNames;
import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The few C library calls the JDK has no API for, through JNA: extended attributes of any namespace (POSIX ACLs are
 * the {@code system.posix_acl_*} attributes), {@code mknod}/{@code mkfifo}, {@code utimensat} without following a
 * symbolic link (nanosecond symlink times), and {@code readlink}/{@code symlink} with exact bytes. Paths are passed as
 * bytes, never as strings, so the JVM's locale plays no part. Linux on 64-bit platforms only; elsewhere, or when JNA
 * cannot load its native part, {@link #get()} is empty and callers keep what the JDK can do (one warning per process).
 */
public final class Posix {
    private static final Logger LOG = LoggerFactory.getLogger(Posix.class);

    public static final int ENOENT = 2;
    public static final int EPERM = 1;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int ERANGE = 34;
    public static final int ENODATA = 61;
    public static final int ENOTSUP = 95;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;

    /** The C library's functions this class uses; every path is a NUL-terminated byte array. */
    interface LibC extends Library {
        NativeLong llistxattr(byte[] path, byte[] list, NativeLong size) throws LastErrorException;

        NativeLong lgetxattr(byte[] path, byte[] name, byte[] value, NativeLong size) throws LastErrorException;

        int lsetxattr(byte[] path, byte[] name, byte[] value, NativeLong size, int flags) throws LastErrorException;

        int lremovexattr(byte[] path, byte[] name) throws LastErrorException;

        int mknod(byte[] path, int mode, long dev) throws LastErrorException;

        int mkfifo(byte[] path, int mode) throws LastErrorException;

        int utimensat(int dirfd, byte[] path, long[] times, int flags) throws LastErrorException;

        NativeLong readlink(byte[] path, byte[] buffer, NativeLong size) throws LastErrorException;

        int symlink(byte[] target, byte[] linkPath) throws LastErrorException;

        int truncate(byte[] path, long length) throws LastErrorException;
    }

    /**
     * The calls made for every file of a walk, directly mapped: a call through the {@link LibC} proxy (reflection,
     * argument conversion) cost several times the system call itself, 2% of a first backup of small files.
     */
    private static final class Direct {
        static final boolean AVAILABLE = register();

        static native long llistxattr(byte[] path, byte[] list, long size) throws LastErrorException;

        /** A restore sets the times of every entry it makes: one call per file, as llistxattr in a backup. */
        static native int utimensat(int dirfd, byte[] path, long[] times, int flags) throws LastErrorException;

        private static boolean register() {
            try {
                Native.register(Direct.class, com.sun.jna.NativeLibrary.getInstance("c"));
                return true;
            } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError: the proxy is used instead
                LOG.debug("no direct mapping of llistxattr and utimensat: {}", e.toString());
                return false;
            }
        }
    }

    /** A failed call, with its errno. */
    public static final class NativeException extends IOException {
        private final int errno;

        NativeException(String call, byte[] path, int errno) {
            super(call + " " + FileNames.display(FileNames.decode(path)) + ": " + describe(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }

        /** What went wrong, in words, without the call and the path: "file name too long". */
        public String reason() {
            return describe(errno);
        }

        /** Whether the file system (or its mount options) does not support what was asked. */
        public boolean unsupported() {
            return errno == ENOTSUP;
        }

        /** Whether the caller lacks the privilege (not root, or a missing capability). */
        public boolean notPermitted() {
            return errno == EPERM || errno == EACCES;
        }

        private static String describe(int errno) {
            return switch (errno) {
                case EPERM -> "operation not permitted";
                case EACCES -> "permission denied";
                case ENOENT -> "no such file or directory";
                case EEXIST -> "file exists";
                case ENODATA -> "no such attribute";
                case ENOTSUP -> "not supported by the file system";
                case ERANGE -> "result too large";
                case 5 -> "input/output error";
                case 6 -> "no such device or address";
                case 19 -> "no such device";
                case 20 -> "not a directory";
                case 22 -> "invalid argument";
                case 28 -> "no space left on device";
                case 36 -> "file name too long";
                case 21 -> "is a directory";
                case 40 -> "too many levels of symbolic links";
                default -> "errno " + errno;
            };
        }
    }

    private static final Optional<Posix> INSTANCE = load();

    private final LibC libc;

    private Posix(LibC libc) {
        this.libc = libc;
    }

    /** The native layer, or empty when it cannot be used here (the reason was logged once). */
    public static Optional<Posix> get() {
        return INSTANCE;
    }

    private static Optional<Posix> load() {
        if (Boolean.getBoolean("mint.backup.fs.noNative")) {
            LOG.warn("native file access is turned off (mint.backup.fs.noNative): extended attributes, ACLs, FIFOs, device"
                    + " nodes and nanosecond symlink times are not backed up or restored");
            return Optional.empty();
        }
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            LOG.debug("no native file access on {}", os);
            return Optional.empty();
        }
        try {
            if (Native.LONG_SIZE != 8) {
                LOG.warn("native file access needs a 64-bit platform: extended attributes, ACLs, FIFOs, device nodes and"
                        + " nanosecond symlink times are not backed up or restored");
                return Optional.empty();
            }
            return Optional.of(new Posix(Native.load("c", LibC.class)));
        } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError: JNA cannot load here
            LOG.warn("native file access (JNA) cannot load ({}): extended attributes, ACLs, FIFOs, device nodes and"
                    + " nanosecond symlink times are not backed up or restored", e.toString());
            return Optional.empty();
        }
    }

    /** Every extended attribute of {@code path} (not following a symbolic link), sorted by name. */
    public List<ExtendedAttribute> xattrs(byte[] path) throws NativeException {
        byte[] p = PathBytes.c(path);
        byte[] list = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            long size;
            try {
                // Most files have none: this first call is the only one for them, so it goes the direct way.
                size = Direct.AVAILABLE ? Direct.llistxattr(p, null, 0) : libc.llistxattr(p, null, new NativeLong(0)).longValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ENOTSUP) {
                    return List.of();
                }
                throw new NativeException("llistxattr", path, e.getErrorCode());
            }
            if (size == 0) {
                return List.of();
            }
            list = new byte[(int) size];
            try {
                long n = libc.llistxattr(p, list, new NativeLong(list.length)).longValue();
                list = java.util.Arrays.copyOf(list, (int) n);
                break;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != ERANGE) { // ERANGE: an attribute was added in between; ask again
                    throw new NativeException("llistxattr", path, e.getErrorCode());
                }
                list = null;
            }
        }
        if (list == null) {
            return List.of();
        }
        List<ExtendedAttribute> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < list.length; i++) {
            if (list[i] == 0) {
                if (i > start) {
                    byte[] name = java.util.Arrays.copyOfRange(list, start, i);
                    Optional<byte[]> value = xattr(p, path, name);
                    value.ifPresent(v -> out.add(new ExtendedAttribute(FileNames.decode(name), v)));
                }
                start = i + 1;
            }
        }
        out.sort(java.util.Comparator.comparing(ExtendedAttribute::name));
        return out;
    }

    /** One attribute's value; empty when it is gone. */
    public Optional<byte[]> xattr(byte[] path, String name) throws NativeException {
        return xattr(PathBytes.c(path), path, FileNames.encode(name));
    }

    private Optional<byte[]> xattr(byte[] p, byte[] path, byte[] name) throws NativeException {
        byte[] n = PathBytes.c(name);
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                long size = libc.lgetxattr(p, n, null, new NativeLong(0)).longValue();
                byte[] value = new byte[(int) size];
                if (size == 0) {
                    return Optional.of(value);
                }
                long got = libc.lgetxattr(p, n, value, new NativeLong(value.length)).longValue();
                return Optional.of(java.util.Arrays.copyOf(value, (int) got));
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ENODATA) {
                    return Optional.empty();
                }
                if (e.getErrorCode() != ERANGE) {
                    throw new NativeException("lgetxattr " + FileNames.display(FileNames.decode(name)), path, e.getErrorCode());
                }
            }
        }
        return Optional.empty();
    }

    /** Sets one attribute (not following a symbolic link). */
    public void setXattr(byte[] path, ExtendedAttribute attribute) throws NativeException {
        byte[] value = attribute.value();
        try {
            libc.lsetxattr(PathBytes.c(path), PathBytes.c(FileNames.encode(attribute.name())), value,
                    new NativeLong(value.length), 0);
        } catch (LastErrorException e) {
            throw new NativeException("lsetxattr " + FileNames.display(attribute.name()), path, e.getErrorCode());
        }
    }

    /** Removes one attribute; nothing when it is not there. */
    public void removeXattr(byte[] path, String name) throws NativeException {
        try {
            libc.lremovexattr(PathBytes.c(path), PathBytes.c(FileNames.encode(name)));
        } catch (LastErrorException e) {
            if (e.getErrorCode() != ENODATA) {
                throw new NativeException("lremovexattr " + FileNames.display(name), path, e.getErrorCode());
            }
        }
    }

    /** Makes a FIFO ({@code type} {@link #S_IFIFO}) or a device node ({@link #S_IFCHR}, {@link #S_IFBLK}). */
    public void mknod(byte[] path, int type, int permissions, long device) throws NativeException {
        try {
            if (type == S_IFIFO) {
                libc.mkfifo(PathBytes.c(path), permissions);
            } else {
                libc.mknod(PathBytes.c(path), type | permissions, device);
            }
        } catch (LastErrorException e) {
            throw new NativeException(type == S_IFIFO ? "mkfifo" : "mknod", path, e.getErrorCode());
        }
    }

    /** Sets a regular file's length: a longer file gets a hole at its end, which takes no space. */
    public void truncate(byte[] path, long length) throws NativeException {
        try {
            libc.truncate(PathBytes.c(path), length);
        } catch (LastErrorException e) {
            throw new NativeException("truncate", path, e.getErrorCode());
        }
    }

    /** Sets the access and modification times to the nanosecond, without following a symbolic link. */
    public void setTimes(byte[] path, Instant accessed, Instant modified) throws NativeException {
        final long omit = (1L << 30) - 2; // UTIME_OMIT
        long[] times = {
            accessed == null ? 0 : accessed.getEpochSecond(), accessed == null ? omit : accessed.getNano(),
            modified == null ? 0 : modified.getEpochSecond(), modified == null ? omit : modified.getNano()};
        try {
            byte[] p = PathBytes.c(path);
            if (Direct.AVAILABLE) {
                Direct.utimensat(AT_FDCWD, p, times, AT_SYMLINK_NOFOLLOW);
            } else {
                libc.utimensat(AT_FDCWD, p, times, AT_SYMLINK_NOFOLLOW);
            }
        } catch (LastErrorException e) {
            throw new NativeException("utimensat", path, e.getErrorCode());
        }
    }

    /** A symbolic link's target, byte for byte. */
    public byte[] readlink(byte[] path) throws NativeException {
        byte[] p = PathBytes.c(path);
        for (int size = 4096; ; size *= 4) {
            byte[] buffer = new byte[size];
            try {
                long n = libc.readlink(p, buffer, new NativeLong(size)).longValue();
                if (n < size) {
                    return java.util.Arrays.copyOf(buffer, (int) n);
                }
            } catch (LastErrorException e) {
                throw new NativeException("readlink", path, e.getErrorCode());
            }
            if (size > (1 << 20)) {
                throw new NativeException("readlink", path, ERANGE);
            }
        }
    }

    /** Makes a symbolic link at {@code path} with exactly {@code target}. */
    public void symlink(byte[] target, byte[] path) throws NativeException {
        try {
            libc.symlink(PathBytes.c(target), PathBytes.c(path));
        } catch (LastErrorException e) {
            throw new NativeException("symlink", path, e.getErrorCode());
        }
    }
}
