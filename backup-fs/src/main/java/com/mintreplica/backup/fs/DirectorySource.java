package com.mintreplica.backup.fs;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.fs.internal.TreeReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One or more directory trees (or single files) as a backup source.
 *
 * <p>Entries are named by their absolute path without the leading {@code /} ({@code /etc/mint/app.yaml} becomes
 * {@code etc/mint/app.yaml}), so a restore to the original location and a restore into another directory both know
 * where each file goes. The directories above each root are entries too (with their metadata). Within a tree,
 * directories come before their contents and names are in sorted order; the roots are walked in sorted order, so the
 * entries below any directory come together, as {@link SourceReader} asks.
 *
 * <ul>
 *   <li>Regular files, directories (empty ones too) and symbolic links (stored as links, never followed); POSIX
 *       permissions, modification times, owners. Sockets, FIFOs and devices are skipped with a warning.</li>
 *   <li>A file that changes while it is read, or vanishes, or cannot be read, is reported as a warning in the
 *       snapshot; the backup goes on.</li>
 *   <li>Each file's change token is its size, modification time and inode: a file where all three are unchanged since
 *       the parent snapshot is not read again (restic's rule).</li>
 *   <li>Excludes and includes are globs ({@code *.log}, {@code cache/**}, {@code /var/log/mint/*.gz}) matched against
 *       the file name, the path below the root, and the absolute path. An excluded directory is not descended into.
 *       With includes, only matching files (and what lies in matching directories) are backed up, with the
 *       directories above them.</li>
 * </ul>
 */
public final class DirectorySource implements Source {
    private final List<Path> roots;
    private final List<String> includes;
    private final List<String> excludes;

    private DirectorySource(Builder b) {
        if (b.roots.isEmpty()) {
            throw new InvalidInputException("a directory source needs at least one path to back up");
        }
        // A root inside another root is already part of it: walking it again would list its entries twice.
        List<Path> kept = new ArrayList<>();
        for (Path root : b.roots) {
            if (kept.stream().noneMatch(root::startsWith)) {
                kept.add(root);
            }
        }
        this.roots = List.copyOf(kept);
        this.includes = List.copyOf(b.includes);
        this.excludes = List.copyOf(b.excludes);
    }

    /** The trees at {@code roots}, without includes or excludes. */
    public static DirectorySource of(Path... roots) {
        return builder().roots(Arrays.asList(roots)).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The absolute, normalized roots, sorted; a root inside another one is left out (the outer one holds it). */
    public List<Path> roots() {
        return roots;
    }

    @Override
    public SourceId id() {
        return new SourceId("fs", roots.stream().map(DirectorySource::idOf).collect(Collectors.joining(",")));
    }

    /**
     * A root as the source's id names it: its path, or, when the JVM could not decode it (a byte that is not valid
     * UTF-8 became U+FFFD in {@code toString()}), its exact bytes with such a byte written {@code \xff}. Two roots
     * that differ only in such a byte had one id, so their snapshots shared one parent chain and one retention group:
     * a prune of one deleted the other's snapshots (explorers' E-F1).
     */
    static String idOf(Path root) {
        String path = root.toString();
        if (path.indexOf('\ufffd') < 0) {
            return path;
        }
        return com.mintreplica.backup.core.source.FileNames.display(
                com.mintreplica.backup.core.source.FileNames.decode(com.mintreplica.backup.fs.internal.PathBytes.of(root)));
    }

    @Override
    public SourceReader open(BackupContext context) {
        return new TreeReader(roots, includes, excludes, context);
    }

    @Override
    public String toString() {
        return "DirectorySource" + roots;
    }

    /** Builds a {@link DirectorySource}. */
    public static final class Builder {
        private final TreeSet<Path> roots = new TreeSet<>();
        private final List<String> includes = new ArrayList<>();
        private final List<String> excludes = new ArrayList<>();

        private Builder() {
        }

        /** A tree (or a single file) to back up. Relative paths are resolved against the working directory. */
        public Builder root(Path root) {
            roots.add(root.toAbsolutePath().normalize());
            return this;
        }

        public Builder roots(Collection<Path> values) {
            values.forEach(this::root);
            return this;
        }

        /** Backs up only what matches one of the include globs. */
        public Builder include(String glob) {
            includes.add(checkGlob(glob));
            return this;
        }

        /** Leaves out what matches the glob. */
        public Builder exclude(String glob) {
            excludes.add(checkGlob(glob));
            return this;
        }

        public Builder excludes(Collection<String> globs) {
            globs.forEach(this::exclude);
            return this;
        }

        public Builder includes(Collection<String> globs) {
            globs.forEach(this::include);
            return this;
        }

        public DirectorySource build() {
            return new DirectorySource(this);
        }

        private static String checkGlob(String glob) {
            if (glob == null || glob.isBlank()) {
                throw new InvalidInputException("an include or exclude pattern is empty");
            }
            try {
                java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + glob);
            } catch (RuntimeException e) {
                throw new InvalidInputException("'" + glob + "' is not a valid glob pattern: " + e.getMessage());
            }
            return glob;
        }
    }
}
