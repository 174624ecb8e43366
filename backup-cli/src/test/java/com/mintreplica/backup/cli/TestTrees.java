package com.mintreplica.backup.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Generated trees for the acceptance tests: a mix of large, medium and small files of random content. */
final class TestTrees {
    private TestTrees() {
    }

    /**
     * Writes about {@code totalBytes} in a mixed tree: 40% in a few large files, 30% in medium ones, 30% in many small
     * ones, spread over nested directories. Returns the regular files written.
     */
    static List<Path> mixedTree(Path root, long totalBytes, long seed) throws IOException {
        Random random = new Random(seed);
        List<Path> files = new ArrayList<>();
        long large = totalBytes * 40 / 100;
        long medium = totalBytes * 30 / 100;
        long small = totalBytes - large - medium;
        int n = 0;
        for (long left = large; left > 0; n++) {
            long size = Math.min(left, 64L << 20);
            files.add(write(root.resolve("large/file-" + n + ".bin"), size, random));
            left -= size;
        }
        for (long left = medium; left > 0; n++) {
            long size = Math.min(left, (1L << 20) + random.nextInt(4 << 20));
            files.add(write(root.resolve("medium/d" + (n % 10) + "/file-" + n + ".dat"), size, random));
            left -= size;
        }
        for (long left = small; left > 0; n++) {
            long size = Math.min(left, 1 + random.nextInt(200 << 10));
            files.add(write(root.resolve("small/d" + (n % 37) + "/e" + (n % 5) + "/f-" + n + ".txt"), size, random));
            left -= size;
        }
        Files.createDirectories(root.resolve("empty/dir"));
        return files;
    }

    static Path write(Path file, long size, Random random) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] buffer = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                random.nextBytes(buffer);
                int n = (int) Math.min(buffer.length, left);
                out.write(buffer, 0, n);
                left -= n;
            }
        }
        return file;
    }

    /** Overwrites 4 KiB in the middle of a file (or the whole file when smaller), as an edit would. */
    static void edit(Path file, Random random) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long length = raf.length();
            int n = (int) Math.min(4096, length);
            byte[] patch = new byte[n];
            random.nextBytes(patch);
            raf.seek(Math.max(0, length / 2 - n / 2));
            raf.write(patch);
        }
    }

    static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}
