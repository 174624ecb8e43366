package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.fs.DirectoryTarget;
import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.Scratch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A new directory ({@code mint-backup-drill-<drill>-<random>}, mode 0700) under the drill's base directory; the
 * snapshot's paths are restored below it, each file hashed as the repository hands it over and again from the disk
 * afterwards. Removed with everything in it, read-only directories included.
 */
final class DirectoryScratch implements Scratch {
    static final String FILE_HASHES = "file-hashes";
    private static final int SHOWN = 10;

    private final Path directory;
    private final HashingTarget target;
    private final List<String> regularPaths;
    private final boolean hashes;

    private DirectoryScratch(Path directory, List<String> regularPaths, boolean hashes) {
        this.directory = directory;
        this.target = new HashingTarget(DirectoryTarget.to(directory));
        this.regularPaths = regularPaths;
        this.hashes = hashes;
    }

    /**
     * Makes the scratch directory under {@code base} (created when missing).
     *
     * @param entries the snapshot's entries, to check that every file was restored
     * @param hashes whether to check file hashes
     */
    static DirectoryScratch create(Path base, String drill, List<Entry> entries, boolean hashes) throws IOException {
        Files.createDirectories(base);
        String safe = drill.replaceAll("[^A-Za-z0-9._-]", "_");
        Path directory = Files.createTempDirectory(base, "mint-backup-drill-" + safe + "-");
        List<String> regular = entries.stream().filter(e -> e.type() == EntryType.REGULAR).map(Entry::path).toList();
        return new DirectoryScratch(directory, regular, hashes);
    }

    @Override
    public String kind() {
        return "fs";
    }

    @Override
    public String describe() {
        return directory.toString();
    }

    @Override
    public Optional<Path> directory() {
        return Optional.of(directory);
    }

    @Override
    public List<Part> parts() {
        return List.of(new Part(List.of(), target));
    }

    @Override
    public List<DrillCheck> checks(Optional<RestoreResult> result, Optional<Exception> failure) {
        List<DrillCheck> out = new ArrayList<>();
        if (!hashes) {
            return out;
        }
        if (failure.isPresent()) {
            out.add(DrillCheck.skipped(FILE_HASHES, "the restore failed"));
            return out;
        }
        out.add(fileHashes());
        return out;
    }

    private DrillCheck fileHashes() {
        Map<String, HashingTarget.Content> restored = target.contents();
        List<String> problems = new ArrayList<>();
        for (String path : regularPaths) {
            if (!restored.containsKey(path)) {
                problems.add(path + ": in the snapshot, not restored");
            }
        }
        long bytes = 0;
        for (Map.Entry<String, HashingTarget.Content> e : restored.entrySet()) {
            Path file = directory.resolve(e.getKey());
            try {
                String[] onDisk = hash(file);
                bytes += e.getValue().length();
                if (!onDisk[0].equals(e.getValue().sha256())) {
                    problems.add(e.getKey() + ": the restored file has SHA-256 " + onDisk[0] + " and " + onDisk[1]
                            + " bytes, the snapshot's content " + e.getValue().sha256() + " and " + e.getValue().length()
                            + " bytes");
                }
            } catch (NoSuchFileException missing) {
                problems.add(e.getKey() + ": restored, but not on disk");
            } catch (IOException io) {
                problems.add(e.getKey() + ": cannot read the restored file: " + String.valueOf(io.getMessage()));
            }
        }
        if (problems.isEmpty()) {
            return DrillCheck.passed(FILE_HASHES, "all " + restored.size() + " files (" + bytes
                    + " bytes) have the snapshot's SHA-256");
        }
        StringBuilder detail = new StringBuilder(problems.size() + " of " + Math.max(regularPaths.size(), restored.size())
                + " files differ from the snapshot:");
        problems.stream().limit(SHOWN).forEach(p -> detail.append("\n").append(p));
        if (problems.size() > SHOWN) {
            detail.append("\n... and ").append(problems.size() - SHOWN).append(" more");
        }
        return DrillCheck.failed(FILE_HASHES, detail.toString());
    }

    private static String[] hash(Path file) throws IOException {
        MessageDigest sha = HashingTarget.sha256();
        long n;
        try (InputStream in = new DigestInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), sha)) {
            n = in.transferTo(OutputStream.nullOutputStream());
        }
        return new String[] {HexFormat.of().formatHex(sha.digest()), Long.toString(n)};
    }

    @Override
    public String remove() throws IOException {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            return "nothing to remove";
        }
        long[] count = {0};
        // Restored directories keep their modes: one without write permission would keep its content.
        try (Stream<Path> all = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                    if (perms.addAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                            PosixFilePermission.OWNER_EXECUTE))) {
                        Files.setPosixFilePermissions(p, perms);
                    }
                }
            }
        }
        try (Stream<Path> all = Files.walk(directory)) {
            List<Path> paths = all.sorted(Comparator.reverseOrder()).toList();
            for (Path p : paths) {
                Files.delete(p);
                count[0]++;
            }
        }
        if (Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(directory + " is still there after deleting it: remove it by hand");
        }
        return "deleted " + directory + " (" + count[0] + " files and directories)";
    }
}
