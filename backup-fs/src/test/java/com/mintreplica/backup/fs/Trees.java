package com.mintreplica.backup.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Builds test trees and compares two trees: names, types, content, link targets, modes, mtimes, owners. */
final class Trees {
    private Trees() {
    }

    /** A description of everything below {@code root}, by relative path. */
    static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                String rel = root.relativize(p).toString();
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,isSymbolicLink,isDirectory,size", LinkOption.NOFOLLOW_LINKS);
                StringBuilder sb = new StringBuilder();
                if ((Boolean) a.get("isSymbolicLink")) {
                    sb.append("link -> ").append(Files.readSymbolicLink(p));
                } else if ((Boolean) a.get("isDirectory")) {
                    sb.append("dir");
                } else {
                    sb.append("file ").append(a.get("size")).append(" sha256=").append(sha256(p));
                }
                if (!(Boolean) a.get("isSymbolicLink")) {
                    sb.append(" mode=").append(Integer.toOctalString((Integer) a.get("mode") & 07777));
                    sb.append(" mtime=").append(((FileTime) a.get("lastModifiedTime")).toInstant());
                }
                sb.append(" uid=").append(a.get("uid")).append(" gid=").append(a.get("gid"));
                out.put(rel, sb.toString());
            }
        }
        return out;
    }

    static void assertSameTree(Path expected, Path actual) throws IOException {
        assertThat(describe(actual)).containsExactlyEntriesOf(describe(expected));
    }

    static String sha256(Path file) throws IOException {
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

    static void writeRandom(Path file, long size, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        Random random = new Random(seed);
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                random.nextBytes(buf);
                int n = (int) Math.min(buf.length, left);
                out.write(buf, 0, n);
                left -= n;
            }
        }
    }

    static void setTime(Path p, String instant) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.parse(instant)));
    }

    /** The directory a {@code DirectoryTarget.to(restoreDir)} restore puts {@code root}'s content in. */
    static Path restoredRoot(Path restoreDir, Path root) {
        return restoreDir.resolve(root.toAbsolutePath().toString().substring(1));
    }
}
