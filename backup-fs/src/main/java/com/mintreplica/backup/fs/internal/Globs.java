package com.mintreplica.backup.fs.internal;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Collection;
import java.util.List;

/**
 * A backup's include or exclude patterns, and how a path is matched against them: a pattern matches an entry by its
 * file name, its absolute path, its path from the backed-up root's parent, or its path below the root. One class, so a
 * restore that mirrors applies the very rules the backup recorded in the snapshot (facts {@code fs.exclude.N} and
 * {@code fs.include.N}).
 */
final class Globs {
    /** Snapshot fact prefixes under which a backup records its patterns. */
    static final String EXCLUDE_FACT = "fs.exclude.";
    static final String INCLUDE_FACT = "fs.include.";

    private final List<PathMatcher> matchers;

    private Globs(List<PathMatcher> matchers) {
        this.matchers = matchers;
    }

    static Globs of(Collection<String> globs) {
        return new Globs(globs.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList());
    }

    boolean isEmpty() {
        return matchers.isEmpty();
    }

    /** Whether a pattern matches {@code path} (absolute), an entry at or below the backed-up {@code root}. */
    boolean matches(Path path, Path root) {
        if (matchers.isEmpty()) {
            return false;
        }
        Path name = path.getFileName();
        Path relative = root.getParent() == null ? path : root.getParent().relativize(path);
        Path belowRoot = path.startsWith(root) && !path.equals(root) ? root.relativize(path) : null;
        for (PathMatcher m : matchers) {
            if ((name != null && m.matches(name)) || m.matches(path) || m.matches(relative)
                    || (belowRoot != null && m.matches(belowRoot))) {
                return true;
            }
        }
        return false;
    }
}
