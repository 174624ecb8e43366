package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;

/**
 * The file handling the local caches share ({@link LocalCache}, a reader's; {@link WriterIndexCache}, a writer's): a
 * cache is never the source of truth, so every failure here is logged at debug and answered with "not cached".
 */
final class CacheFiles {
    /** How old a file left half-written (a killed process's) must be before a clean-up removes it. */
    private static final long PARTIAL_SECONDS = 3600;

    private CacheFiles() {
    }

    /** The bytes of {@code file}; null when it does not exist or cannot be read (logged as {@code what}). */
    static byte[] readIfPresent(Path file, Logger log, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            log.debug("cannot read {} {}: {}", what, file, e.toString());
            return null;
        }
    }

    /**
     * Writes {@code parts} to a new file beside {@code file} (0600 where POSIX: {@code createTempFile}'s) and renames
     * it over {@code file}, so a reader sees the old file or the whole new one; of two writers the last one wins.
     */
    static void writeAside(Path file, String prefix, byte[]... parts) throws IOException {
        Path temp = Files.createTempFile(file.getParent(), prefix, "");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                for (byte[] part : parts) {
                    out.write(part);
                }
            }
            move(temp, file);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Renames {@code temp} over {@code file}, atomically where the file system can. */
    static void move(Path temp, Path file) throws IOException {
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes {@code dir} private to the user where the file system can. */
    static void trySetPrivate(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system, or not ours: what the caches hold is sealed either way
        }
    }

    /**
     * The file under {@code directory} of the index object {@code name} ({@code index/<hex>}: the file is named by the
     * hex), or null for a name not of that form (never a path outside {@code directory}).
     */
    static Path indexObjectFile(Path directory, String name) {
        if (!name.startsWith(IndexFile.PREFIX)) {
            return null;
        }
        String hex = name.substring(IndexFile.PREFIX.length());
        if (hex.isEmpty() || hex.length() > 128) {
            return null;
        }
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return null;
            }
        }
        return directory.resolve(hex);
    }

    /**
     * Removes the files of {@code directory} that are not those of the index objects {@code listed}, and files left
     * half-written (their names start with a dot) an hour ago or more.
     */
    static void retainIndexObjects(Path directory, Set<String> listed, Logger log) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        Set<String> keep = new HashSet<>();
        for (String name : listed) {
            Path file = indexObjectFile(directory, name);
            if (file != null) {
                keep.add(file.getFileName().toString());
            }
        }
        Instant partialBefore = Instant.now().minusSeconds(PARTIAL_SECONDS);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                // a file being written (by another process too) is renamed soon: removed only when left over
                boolean partial = n.startsWith(".");
                if (partial ? Files.getLastModifiedTime(f).toInstant().isBefore(partialBefore) : !keep.contains(n)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("cannot clean the cached index objects in {}: {}", directory, e.toString());
        }
    }
}
