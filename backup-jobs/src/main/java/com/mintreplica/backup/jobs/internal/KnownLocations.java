package com.mintreplica.backup.jobs.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which repository (by id) each location held when this host's jobs last opened it, kept in the runner's cache
 * directory ({@code locations/SHA-256 of the location}: a location may hold credentials, so it is never written).
 * A job creates its repository when it is missing ({@code create}, true by default); a location that held one before
 * and is empty now is a backup disk that is not mounted, or a bucket that was emptied, and must not silently get a new
 * repository (on the root file system, under the mount point). Losing this record (the cache cleared) loses only that
 * protection.
 */
public final class KnownLocations {
    private static final Logger LOG = LoggerFactory.getLogger(KnownLocations.class);
    private static final Pattern ID = Pattern.compile("[0-9A-Za-z._-]{1,128}");

    private final Optional<Path> directory;

    public KnownLocations(Optional<Path> cacheDirectory) {
        this.directory = cacheDirectory.map(c -> c.resolve("locations"));
    }

    /** The id of the repository jobs on this host last opened at {@code location}, when known. */
    public Optional<String> idAt(String location) {
        if (directory.isEmpty()) {
            return Optional.empty();
        }
        Path file = directory.get().resolve(key(location));
        try {
            String id = Files.readString(file, StandardCharsets.UTF_8).strip();
            return ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
        } catch (java.nio.file.NoSuchFileException none) {
            return Optional.empty();
        } catch (IOException | RuntimeException unreadable) {
            LOG.debug("cannot read {}: {}", file, unreadable.toString());
            return Optional.empty();
        }
    }

    /** Records that {@code location} holds the repository {@code id} (best effort: a cache that cannot be written is no failure). */
    public void remember(String location, String id) {
        if (directory.isEmpty() || idAt(location).filter(id::equals).isPresent()) {
            return;
        }
        try {
            Files.createDirectories(directory.get());
            Path file = directory.get().resolve(key(location));
            Path temp = Files.createTempFile(directory.get(), ".location-", ".tmp");
            try {
                Files.writeString(temp, id + "\n", StandardCharsets.UTF_8);
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot record the repository at a location in {}: {}", directory.get(), e.toString());
        }
    }

    private static String key(String location) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(location.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
