package com.mintreplica.backup.fs.internal;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The exact bytes of a path, and a path from exact bytes, in any locale and without native code.
 *
 * <p>On Linux the JDK's {@code UnixPath} keeps the bytes it got from the kernel (a directory listing, readlink), and
 * only its {@code toString()} decodes them with the JVM's file-name encoding ({@code sun.jnu.encoding}, which is
 * ASCII when {@code LANG} is unset): lossy for names that are not valid in that encoding, and converting such a string
 * back to a path fails. {@link Path#toUri()} percent-encodes the raw bytes instead, and {@link Path#of(URI)} decodes
 * {@code %XX} back into raw bytes: both exact. Names that are plain ASCII take a fast path through the string.
 */
public final class PathBytes {
    private PathBytes() {
    }

    /** The bytes of an absolute path. */
    public static byte[] of(Path absolute) {
        String s = absolute.toString();
        if (isAscii(s)) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        // toUri() appends '/' to a directory; the string form tells whether the path itself ends with one.
        byte[] bytes = percentDecode(absolute.toAbsolutePath().toUri().getRawPath());
        if (bytes.length > 1 && bytes[bytes.length - 1] == '/' && !s.endsWith("/")) {
            return java.util.Arrays.copyOf(bytes, bytes.length - 1);
        }
        return bytes;
    }

    /** The bytes of the last name of {@code path} (a child from a directory listing). */
    public static byte[] name(Path path) {
        String s = path.getFileName().toString();
        if (isAscii(s)) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        byte[] all = of(path.toAbsolutePath());
        int slash = all.length - 1;
        while (slash >= 0 && all[slash] != '/') {
            slash--;
        }
        return java.util.Arrays.copyOfRange(all, slash + 1, all.length);
    }

    /** A file name (one segment, no slash) from its bytes, to resolve against its directory. */
    public static Path name(byte[] name) {
        if (isAscii(name)) {
            return Path.of(new String(name, StandardCharsets.ISO_8859_1));
        }
        return path(concat(new byte[] {'/'}, name)).getFileName();
    }

    /** The path of absolute {@code bytes} (no {@code .} or {@code ..} segments are resolved). */
    public static Path path(byte[] absolute) {
        if (absolute.length == 0 || absolute[0] != '/') {
            throw new IllegalArgumentException("not an absolute path");
        }
        if (isAscii(absolute)) {
            return Path.of(new String(absolute, StandardCharsets.ISO_8859_1));
        }
        return Path.of(URI.create("file://" + percentEncode(absolute)));
    }

    /**
     * A relative or absolute path (a symbolic link's target) from its bytes, one name at a time, so that {@code ..}
     * segments stay as they are. Repeated and trailing slashes are not kept (only the native layer keeps those).
     */
    public static Path linkTarget(byte[] bytes) {
        if (isAscii(bytes)) {
            return Path.of(new String(bytes, StandardCharsets.ISO_8859_1));
        }
        Path out = null;
        int start = 0;
        if (bytes.length > 0 && bytes[0] == '/') {
            out = Path.of("/");
            start = 1;
        }
        for (int i = start; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '/') {
                if (i > start) {
                    Path name = name(java.util.Arrays.copyOfRange(bytes, start, i));
                    out = out == null ? name : out.resolve(name);
                }
                start = i + 1;
            }
        }
        return out == null ? Path.of("") : out;
    }

    /** {@code parent + "/" + name}, without a doubled slash under the root directory. */
    public static byte[] child(byte[] parent, byte[] name) {
        if (parent.length == 1 && parent[0] == '/') {
            return concat(parent, name);
        }
        byte[] out = new byte[parent.length + 1 + name.length];
        System.arraycopy(parent, 0, out, 0, parent.length);
        out[parent.length] = '/';
        System.arraycopy(name, 0, out, parent.length + 1, name.length);
        return out;
    }

    /** The bytes of the parent of an absolute path's bytes. */
    public static byte[] parent(byte[] absolute) {
        int slash = absolute.length - 1;
        while (slash > 0 && absolute[slash] != '/') {
            slash--;
        }
        return slash == 0 ? new byte[] {'/'} : java.util.Arrays.copyOf(absolute, slash);
    }

    /** The last name of an absolute path's bytes, NUL-terminated: for C calls relative to its directory's descriptor. */
    static byte[] cLastName(byte[] absolute) {
        int slash = absolute.length - 1;
        while (slash >= 0 && absolute[slash] != '/') {
            slash--;
        }
        return java.util.Arrays.copyOfRange(absolute, slash + 1, absolute.length + 1);
    }

    /** NUL-terminated, for C. */
    public static byte[] c(byte[] bytes) {
        return java.util.Arrays.copyOf(bytes, bytes.length + 1);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAscii(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] percentDecode(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static String percentEncode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-'
                    || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return sb.toString();
    }
}
