package com.mintreplica.backup.fs.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A directory's names, listed without changing the directory's access time: opened with {@code O_NOATIME} (see
 * {@link Fd#openNoAtime}) and read with {@code getdents64}, which the JDK's directory stream cannot do (it lists
 * through {@code opendir}, and on a {@code relatime} mount the first listing after a change set the access time of
 * every directory a backup walked, so the next backup stored every directory's parent tree again).
 *
 * <p>The kernel's records are parsed here: {@code d_ino} (8 bytes), {@code d_off} (8), {@code d_reclen} (2),
 * {@code d_type} (1), then the NUL-terminated name; {@code .} and {@code ..} are left out. The names are the exact
 * bytes, whatever the locale. Where glibc has no {@code getdents64} ({@link #AVAILABLE} false) the caller lists with
 * the JDK.
 */
final class SourceDirectory {
    static final boolean AVAILABLE = Fd.Dirents.AVAILABLE;
    private static final int BUFFER = 64 << 10;
    /** The walk saw a directory: a symbolic link that took its name since is not followed (it counts as vanished). */
    private static final int FLAGS = Fd.O_RDONLY | Fd.O_DIRECTORY | Fd.O_NOFOLLOW | Fd.O_NOCTTY | Fd.O_CLOEXEC;
    private static final BlockingQueue<Memory> FREE = new ArrayBlockingQueue<>(2);

    private SourceDirectory() {
    }

    /** The names in {@code directory} (whose bytes are {@code bytes}), in the order the file system gives them. */
    static List<byte[]> names(Path directory, byte[] bytes) throws IOException {
        return list(directory, bytes, false).names();
    }

    /**
     * A directory's names and, when asked to keep it ({@code keepOpen}), its open descriptor (-1 otherwise), through
     * which the walk stats the directory's entries by name ({@link FileAttributes#read(Path, byte[], int,
     * FileAttributes.Names)}). The caller closes a kept descriptor with {@link Fd#close}.
     */
    record Listing(List<byte[]> names, int fd) {
    }

    static Listing list(Path directory, byte[] bytes, boolean keepOpen) throws IOException {
        int fd = Fd.openNoAtime(directory, bytes, FLAGS);
        Memory memory = FREE.poll();
        if (memory == null) {
            memory = new Memory(BUFFER);
        }
        boolean kept = false;
        try {
            List<byte[]> names = new ArrayList<>();
            byte[] chunk = new byte[BUFFER];
            while (true) {
                long n;
                try {
                    n = Fd.Dirents.getdents64(fd, memory, BUFFER);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == Fd.EINTR) {
                        continue;
                    }
                    throw Fd.failure("getdents64", directory, bytes, e.getErrorCode());
                }
                if (n <= 0) {
                    kept = keepOpen;
                    return new Listing(names, kept ? fd : -1);
                }
                memory.read(0, chunk, 0, (int) n);
                parse(chunk, (int) n, names);
            }
        } finally {
            if (!kept) {
                Fd.close(fd);
            }
            FREE.offer(memory);
        }
    }

    /** Adds the names of the records in {@code chunk[0, length)}. */
    static void parse(byte[] chunk, int length, List<byte[]> names) {
        ByteBuffer b = ByteBuffer.wrap(chunk, 0, length).order(ByteOrder.nativeOrder());
        int at = 0;
        while (at + 19 < length) {
            int reclen = Short.toUnsignedInt(b.getShort(at + 16));
            if (reclen == 0) {
                return; // not a record: never from the kernel
            }
            int start = at + 19;
            int end = start;
            int limit = Math.min(at + reclen, length);
            while (end < limit && chunk[end] != 0) {
                end++;
            }
            int len = end - start;
            boolean dots = (len == 1 && chunk[start] == '.') || (len == 2 && chunk[start] == '.' && chunk[start + 1] == '.');
            if (len > 0 && !dots) {
                names.add(java.util.Arrays.copyOfRange(chunk, start, end));
            }
            at += reclen;
        }
    }
}
