package com.mintreplica.backup.testkit.fs;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

/**
 * A directory tree made to break backup tools, for the tests of every file-tree source and target: names that are not
 * UTF-8 (and two that a lossy decoding would merge), Unicode, newlines and spaces in names, hard links across
 * directories, extended attributes in the user namespace (and trusted and security as root), access and default
 * POSIX ACLs, a FIFO, a socket, device nodes (as root), a large sparse file and a file of written zeros, symbolic
 * links (dangling, to a directory, with a target that is not UTF-8), setuid and sticky modes, another owner (as root),
 * and nanosecond times on files, directories and links.
 *
 * <p>Names are made from bytes, so the tree builds in any JVM locale. Parts that need a tool ({@code setfattr},
 * {@code setfacl} from Debian's attr and acl packages), root, or a file system that supports them are made only where
 * possible: {@link #parts()} says which were. Describe it with {@link TreeFacts}.
 */
public final class HostileTree {
    /** What a tree can hold; {@link #parts()} is what this one holds. */
    public enum Part {
        NON_UTF8_NAMES, UNICODE_NAMES, ODD_NAMES, HARD_LINKS, USER_XATTRS, TRUSTED_XATTRS, SECURITY_XATTRS, ACLS,
        FIFO, SOCKET, DEVICES, SPARSE_FILE, SYMLINKS, NANOSECOND_TIMES, OWNERS
    }

    /** A nanosecond time the tree's files, directories and links carry. */
    public static final Instant TIME = Instant.parse("2001-09-09T01:46:40.123456789Z");

    private final Path root;
    private final long sparseSize;
    private final Set<Part> parts = EnumSet.noneOf(Part.class);

    private HostileTree(Path root, long sparseSize) {
        this.root = root;
        this.sparseSize = sparseSize;
    }

    /** Makes the tree in {@code root} (created; should be empty), with a sparse file of {@code sparseSize} bytes. */
    public static HostileTree create(Path root, long sparseSize) throws IOException {
        HostileTree tree = new HostileTree(root.toAbsolutePath(), sparseSize);
        Files.createDirectories(root);
        tree.build();
        return tree;
    }

    public Path root() {
        return root;
    }

    /** The parts this tree holds (some need root, tools or file-system support). */
    public Set<Part> parts() {
        return Collections.unmodifiableSet(parts);
    }

    /** The sparse file: data at its start and in its middle, holes elsewhere (it ends in a hole). */
    public Path sparseFile() {
        return root.resolve("sparse/big.img");
    }

    public long sparseSize() {
        return sparseSize;
    }

    /** The bytes of the sparse file's data blocks: at offset 0 and at half its size, 4 KiB each. */
    public static byte[] sparseData(int which) {
        byte[] b = new byte[4096];
        new Random(100 + which).nextBytes(b);
        return b;
    }

    /** Whether this process runs as root (device nodes, trusted and security attributes, other owners). */
    public static boolean runningAsRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void build() throws IOException {
        names();
        hardLinks();
        xattrs();
        acls();
        special();
        sparse();
        symlinks();
        modesAndOwners();
        times();
    }

    private void names() throws IOException {
        Path names = dir("names");
        write(at(names, bytes("bad-", 0xff, 0xfe, ".bin")), "not UTF-8\n");
        // the bytes of U+FFFD twice: what a lossy decoding turns the name above into
        write(at(names, "bad-\ufffd\ufffd.bin".getBytes(StandardCharsets.UTF_8)), "replacement characters\n");
        Path latin1 = at(names, bytes("latin1-", 0xe9, 't', 0xe9));
        Files.createDirectory(latin1);
        write(latin1.resolve("inside.txt"), "in a Latin-1 directory\n");
        parts.add(Part.NON_UTF8_NAMES);
        Path unicode = at(names, "ünïcødé".getBytes(StandardCharsets.UTF_8));
        Files.createDirectory(unicode);
        write(at(unicode, "café €.txt".getBytes(StandardCharsets.UTF_8)), "€ 12,50\n");
        write(at(names, "😀 emoji.csv".getBytes(StandardCharsets.UTF_8)), "amount\n1\n");
        write(at(names, "日本語 ファイル".getBytes(StandardCharsets.UTF_8)), "kanji\n");
        parts.add(Part.UNICODE_NAMES);
        write(at(names, "new\nline and  two spaces.txt".getBytes(StandardCharsets.US_ASCII)), "newline\n");
        write(at(names, " leading space".getBytes(StandardCharsets.US_ASCII)), "leading\n");
        write(at(names, "trailing space ".getBytes(StandardCharsets.US_ASCII)), "trailing\n");
        write(at(names, "percent%20 #hash ?q=1&x.txt".getBytes(StandardCharsets.US_ASCII)), "uri characters\n");
        write(at(names, "back\\slash 'quote' \"double\"".getBytes(StandardCharsets.US_ASCII)), "quotes\n");
        parts.add(Part.ODD_NAMES);
    }

    private void hardLinks() throws IOException {
        Path first = root.resolve("links/a/first.txt");
        Files.createDirectories(first.getParent());
        Files.createDirectories(root.resolve("links/b"));
        write(first, "one file, three names\n");
        Files.createLink(root.resolve("links/b/second.txt"), first);
        Files.createLink(root.resolve("links/b/third.txt"), first);
        parts.add(Part.HARD_LINKS);
    }

    private void xattrs() throws IOException {
        Path dir = dir("xattrs");
        Path file = dir.resolve("tagged.txt");
        write(file, "with attributes\n");
        Path tagged = dir.resolve("tagged-dir");
        Files.createDirectory(tagged);
        if (!Tools.installed("setfattr")) {
            return;
        }
        try {
            Tools.run(root, "setfattr", "-n", "user.mime_type", "-v", "text/plain", rel(file));
            Tools.run(root, "setfattr", "-n", "user.binary", "-v", "0x00ff10", rel(file));
            Tools.run(root, "setfattr", "-n", "user.empty", rel(file));
            Tools.run(root, "setfattr", "-n", "user.dir", "-v", "yes", rel(tagged));
            parts.add(Part.USER_XATTRS);
        } catch (IOException unsupported) {
            // the file system has no user attributes (tmpfs before Linux 6.6)
        }
        if (runningAsRoot()) {
            try {
                Tools.run(root, "setfattr", "-n", "trusted.note", "-v", "root only", rel(file));
                parts.add(Part.TRUSTED_XATTRS);
            } catch (IOException unsupported) {
                // not on this file system
            }
            try {
                Tools.run(root, "setfattr", "-n", "security.mint-test", "-v", "0x0102", rel(file));
                parts.add(Part.SECURITY_XATTRS);
            } catch (IOException unsupported) {
                // not on this file system
            }
        }
    }

    private void acls() throws IOException {
        Path dir = dir("acl");
        Path file = dir.resolve("shared.txt");
        write(file, "user nobody may write; the group may only read\n");
        Path inherit = dir.resolve("inherit");
        Files.createDirectory(inherit);
        write(inherit.resolve("before.txt"), "made before the default ACL: has no ACL\n");
        if (!Tools.installed("setfacl")) {
            return;
        }
        try {
            Files.setAttribute(file, "unix:mode", 0640);
            // mask rwx: the mode's group bits show the mask (rwx), the owning group itself has r-- only
            Tools.run(root, "setfacl", "-m", "u:nobody:rwx,g::r--", rel(file));
            Tools.run(root, "setfacl", "-m", "u:nobody:rx", rel(inherit));
            Tools.run(root, "setfacl", "-d", "-m", "u:nobody:rwx,g::r-x,o::---", rel(inherit));
            write(inherit.resolve("after.txt"), "made after the default ACL: inherited it\n");
            parts.add(Part.ACLS);
        } catch (IOException unsupported) {
            // no ACLs on this file system
        }
    }

    private void special() throws IOException {
        Path dir = dir("special");
        try {
            Tools.run(dir, "mkfifo", "-m", "0640", "fifo");
            parts.add(Part.FIFO);
        } catch (IOException e) {
            // no mkfifo here
        }
        try (ServerSocketChannel socket = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            socket.bind(UnixDomainSocketAddress.of(dir.resolve("socket")));
            parts.add(Part.SOCKET);
        } catch (IOException | UnsupportedOperationException e) {
            // no Unix sockets here
        }
        if (runningAsRoot()) {
            try {
                Tools.run(dir, "mknod", "-m", "0666", "null", "c", "1", "3");
                Tools.run(dir, "mknod", "-m", "0660", "loop", "b", "7", "200");
                parts.add(Part.DEVICES);
            } catch (IOException e) {
                // a container without CAP_MKNOD
            }
        }
    }

    private void sparse() throws IOException {
        Path dir = dir("sparse");
        try (FileChannel ch = FileChannel.open(sparseFile(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(sparseData(0)), 0);
            ch.write(ByteBuffer.wrap(sparseData(1)), sparseSize / 2 / 4096 * 4096);
        }
        try (RandomAccessFile f = new RandomAccessFile(sparseFile().toString(), "rw")) {
            f.setLength(sparseSize);
        }
        // 8 MiB of zeros, written (allocated): a restore may make it a hole, and it costs nothing to store
        Files.write(dir.resolve("zeros.bin"), new byte[8 << 20]);
        parts.add(Part.SPARSE_FILE);
    }

    private void symlinks() throws IOException {
        Path dir = dir("symlinks");
        Files.createSymbolicLink(dir.resolve("dangling"), Path.of("does/not/exist"));
        Files.createSymbolicLink(dir.resolve("to-dir"), Path.of("../links"));
        Files.createSymbolicLink(dir.resolve("relative"), Path.of("../links/a/first.txt"));
        Files.createSymbolicLink(dir.resolve("absolute"), Path.of("/etc/hostname"));
        Path target = Path.of(URI.create("file:///target-%FF-not-utf8"));
        Files.createSymbolicLink(dir.resolve("non-utf8-target"), Path.of("/").relativize(target));
        parts.add(Part.SYMLINKS);
    }

    private void modesAndOwners() throws IOException {
        Path dir = dir("modes");
        Path setuid = dir.resolve("setuid.sh");
        write(setuid, "#!/bin/sh\necho ok\n");
        Files.setAttribute(setuid, "unix:mode", 04755);
        Path sticky = dir.resolve("sticky");
        Files.createDirectory(sticky);
        Files.setAttribute(sticky, "unix:mode", 01777);
        Path secret = dir.resolve("secret.txt");
        write(secret, "0600\n");
        Files.setAttribute(secret, "unix:mode", 0600);
        if (runningAsRoot()) {
            Path other = dir.resolve("owned-by-nobody.txt");
            write(other, "uid 65534\n");
            Files.setAttribute(other, "unix:uid", 65534);
            Files.setAttribute(other, "unix:gid", 65534);
            parts.add(Part.OWNERS);
        }
    }

    private void times() throws IOException {
        Files.setLastModifiedTime(root.resolve("links/a/first.txt"), FileTime.from(TIME));
        Files.setLastModifiedTime(root.resolve("modes/secret.txt"), FileTime.from(TIME.plusNanos(1)));
        try {
            // the JDK sets a link's own time only to the microsecond: touch -h sets nanoseconds
            Tools.run(root, "touch", "-h", "-d", "@" + TIME.getEpochSecond() + "." + String.format("%09d", TIME.getNano() + 2),
                    "symlinks/dangling");
        } catch (IOException e) {
            // no GNU touch
        }
        // Directories last, deepest first: adding entries to a directory changes its time.
        try (var paths = Files.walk(root)) {
            var dirs = paths.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted(
                    java.util.Comparator.comparingInt(Path::getNameCount).reversed()).toList();
            int i = 0;
            for (Path d : dirs) {
                Files.setLastModifiedTime(d, FileTime.from(TIME.plusSeconds(3600).plusNanos(i++)));
            }
        }
        parts.add(Part.NANOSECOND_TIMES);
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(root.resolve(name));
    }

    private String rel(Path p) {
        return root.relativize(p).toString();
    }

    private static void write(Path file, String content) throws IOException {
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    /** A child of {@code dir} named by exactly {@code name}'s bytes. */
    public static Path at(Path dir, byte[] name) {
        byte[] parent = TreeFacts.percentDecode(dir.toAbsolutePath().toUri().getRawPath());
        StringBuilder uri = new StringBuilder("file://");
        for (byte[] part : new byte[][] {parent, name}) {
            for (byte b : part) {
                int c = b & 0xFF;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '-' || c == '_') {
                    uri.append((char) c);
                } else {
                    uri.append('%').append(String.format("%02X", c));
                }
            }
            if (part == parent && (parent.length == 0 || parent[parent.length - 1] != '/')) {
                uri.append('/');
            }
        }
        return Path.of(URI.create(uri.toString()));
    }

    /** Bytes from ASCII text and single byte values: {@code bytes("bad-", 0xff, ".bin")}. */
    public static byte[] bytes(Object... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) {
                out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            } else if (p instanceof Character c) {
                out.write(c);
            } else {
                out.write((Integer) p);
            }
        }
        return out.toByteArray();
    }
}
