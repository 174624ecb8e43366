package com.mintreplica.backup.testkit.fs;

import com.mintreplica.backup.core.source.FileNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Everything a restore should bring back of a tree, read independently of the code under test: names as bytes (from
 * {@link Path#toUri()}), type, permission bits, owner, size, content hash, modification time to the nanosecond, link
 * target bytes, device number, hard-link groups, and every extended attribute with POSIX ACLs (read by the
 * {@code getfattr} tool, when installed). Access times are left out: reading a tree to describe it changes them.
 *
 * <p>{@link #describe(Path)} gives, per path below the root (a {@link FileNames} string), a sorted map of attribute
 * name to value; {@link #differences} compares two descriptions attribute by attribute.
 */
public final class TreeFacts {
    /** The attributes a description has, in the order they are listed. */
    public static final List<String> ATTRIBUTES = List.of("type", "mode", "uid", "gid", "size", "sha256", "mtime",
            "link", "rdev", "hardlink", "xattrs");

    private TreeFacts() {
    }

    /** Whether extended attributes can be described here ({@code getfattr} from Debian's attr package). */
    public static boolean canReadXattrs() {
        return Tools.installed("getfattr");
    }

    /** The description of every path below {@code root} (not the root itself). */
    public static Map<String, Map<String, String>> describe(Path root) throws IOException {
        Map<String, Map<String, String>> out = new TreeMap<>();
        Map<String, String> firstByInode = new TreeMap<>();
        List<Object[]> files = new ArrayList<>();
        walk(root, root, "", out, firstByInode, files);
        // Hash after every stat, so that reading content changes nothing that was described.
        for (Object[] f : files) {
            out.get((String) f[0]).put("sha256", sha256((Path) f[1]));
        }
        if (canReadXattrs()) {
            Map<String, String> xattrs = xattrs(root);
            for (Map.Entry<String, Map<String, String>> e : out.entrySet()) {
                e.getValue().put("xattrs", xattrs.getOrDefault(e.getKey(), ""));
            }
        }
        return out;
    }

    private static void walk(Path root, Path dir, String prefix, Map<String, Map<String, String>> out,
                             Map<String, String> firstByInode, List<Object[]> files) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(children::add);
        }
        children.sort((a, b) -> java.util.Arrays.compareUnsigned(nameBytes(a), nameBytes(b)));
        for (Path child : children) {
            String rel = prefix + FileNames.decode(nameBytes(child));
            Map<String, Object> a = Files.readAttributes(child, "unix:mode,uid,gid,size,lastModifiedTime,rdev,ino,dev,nlink",
                    LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            String type = switch (mode & 0170000) {
                case 0100000 -> "file";
                case 0040000 -> "dir";
                case 0120000 -> "symlink";
                case 0010000 -> "fifo";
                case 0020000 -> "chardev";
                case 0060000 -> "blockdev";
                case 0140000 -> "socket";
                default -> "other";
            };
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("type", type);
            if (!type.equals("symlink")) {
                facts.put("mode", Integer.toOctalString(mode & 07777));
            }
            facts.put("uid", String.valueOf(a.get("uid")));
            facts.put("gid", String.valueOf(a.get("gid")));
            facts.put("mtime", String.valueOf(((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS)));
            switch (type) {
                case "file" -> {
                    facts.put("size", String.valueOf(a.get("size")));
                    files.add(new Object[] {rel, child});
                }
                case "symlink" -> facts.put("link", HexFormat.of().formatHex(linkBytes(child)));
                case "chardev", "blockdev" -> facts.put("rdev", String.valueOf(a.get("rdev")));
                default -> {
                }
            }
            if (!type.equals("dir") && ((Number) a.get("nlink")).intValue() > 1) {
                String key = a.get("dev") + ":" + a.get("ino");
                String first = firstByInode.putIfAbsent(key, rel);
                facts.put("hardlink", first == null ? "" : first);
            }
            out.put(rel, facts);
            if (type.equals("dir")) {
                walk(root, child, rel + "/", out, firstByInode, files);
            }
        }
    }

    /**
     * Differences from {@code expected} in {@code actual}, as {@code path: attribute: expected -> actual} lines; only
     * the attributes in {@code attributes} are compared. A path missing on one side is one line.
     */
    public static List<String> differences(Map<String, Map<String, String>> expected, Map<String, Map<String, String>> actual,
                                           List<String> attributes) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> e : expected.entrySet()) {
            Map<String, String> other = actual.get(e.getKey());
            String shown = FileNames.display(e.getKey());
            if (other == null) {
                out.add(shown + ": missing");
                continue;
            }
            for (String attribute : attributes) {
                String want = e.getValue().get(attribute);
                String got = other.get(attribute);
                if (!java.util.Objects.equals(want, got)) {
                    out.add(shown + ": " + attribute + ": " + want + " -> " + got);
                }
            }
        }
        for (String path : actual.keySet()) {
            if (!expected.containsKey(path)) {
                out.add(FileNames.display(path) + ": not expected");
            }
        }
        return out;
    }

    /** The bytes of a listed path's last name, from its URI (exact whatever the JVM's locale). */
    static byte[] nameBytes(Path p) {
        String raw = p.toAbsolutePath().toUri().getRawPath();
        if (raw.endsWith("/")) {
            raw = raw.substring(0, raw.length() - 1);
        }
        return percentDecode(raw.substring(raw.lastIndexOf('/') + 1));
    }

    private static byte[] linkBytes(Path link) throws IOException {
        Path target = Files.readSymbolicLink(link);
        String s = target.toString();
        if (s.chars().allMatch(c -> c < 0x80)) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }
        // Under a directory that does not exist, toUri() adds no trailing slash of its own.
        Path anchor = Path.of("/nonexistent-anchor-for-tree-facts");
        String raw = (target.isAbsolute() ? target : anchor.resolve(target)).toUri().getRawPath();
        byte[] bytes = percentDecode(raw);
        int skip = target.isAbsolute() ? 0 : anchor.toString().length() + 1;
        return java.util.Arrays.copyOfRange(bytes, skip, bytes.length);
    }

    static byte[] percentDecode(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
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

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code getfattr -R -d -m - -h -e hex}: every attribute of every path, by path relative to {@code root}. */
    private static Map<String, String> xattrs(Path root) throws IOException {
        byte[] output = Tools.run(root, "getfattr", "-R", "-d", "-m", "-", "-h", "-e", "hex", ".");
        Map<String, String> out = new TreeMap<>();
        String current = null;
        StringBuilder values = new StringBuilder();
        int start = 0;
        for (int i = 0; i <= output.length; i++) {
            if (i < output.length && output[i] != '\n') {
                continue;
            }
            byte[] line = java.util.Arrays.copyOfRange(output, start, i);
            start = i + 1;
            String text = new String(line, StandardCharsets.ISO_8859_1);
            if (text.startsWith("# file: ")) {
                if (current != null) {
                    out.put(current, values.toString());
                }
                byte[] name = unescape(java.util.Arrays.copyOfRange(line, 8, line.length));
                String rel = FileNames.decode(name);
                current = rel.startsWith("./") ? rel.substring(2) : rel;
                values.setLength(0);
            } else if (!text.isEmpty() && current != null) {
                values.append(values.length() == 0 ? "" : " ").append(text);
            }
        }
        if (current != null) {
            out.put(current, values.toString());
        }
        return out;
    }

    /** getfattr's escapes in names: {@code \ooo} for a byte, {@code \\} for a backslash. */
    private static byte[] unescape(byte[] s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length; i++) {
            if (s[i] == '\\' && isOctal(s, i + 1)) {
                out.write(Integer.parseInt(new String(s, i + 1, 3, StandardCharsets.US_ASCII), 8));
                i += 3;
            } else if (s[i] == '\\' && i + 1 < s.length && s[i + 1] == '\\') {
                out.write('\\');
                i++;
            } else {
                out.write(s[i]);
            }
        }
        return out.toByteArray();
    }

    private static boolean isOctal(byte[] s, int from) {
        if (from + 3 > s.length) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s[i] < '0' || s[i] > '7') {
                return false;
            }
        }
        return true;
    }
}
