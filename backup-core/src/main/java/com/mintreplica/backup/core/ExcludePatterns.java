package com.mintreplica.backup.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Patterns over entry paths, as restic's {@code --exclude} of {@code restore} and {@code rewrite} (a path is
 * excluded when a pattern matches it or a directory above it) and its {@code find} (the path itself). A trailing {@code /} is ignored; an empty pattern is
 * refused.
 */
final class ExcludePatterns {
    private final List<Glob> globs;

    private ExcludePatterns(List<Glob> globs) {
        this.globs = List.copyOf(globs);
    }

    static ExcludePatterns of(Collection<String> patterns) {
        List<Glob> globs = new ArrayList<>();
        for (String p : patterns) {
            if (p == null || p.isBlank()) {
                throw new InvalidInputException("a pattern is empty");
            }
            if (p.indexOf('\uFFFD') >= 0) {
                // what the JVM makes of bytes that are not UTF-8 on its command line: they cannot match the name
                throw new InvalidInputException("the pattern '" + p + "' holds bytes that are not UTF-8, which the"
                        + " command line cannot pass on: write each as \\xNN, as `ls` and `mint-backup ls` show them"
                        + " (name-\\xff.bin)");
            }
            // a trailing slash names a directory; the pattern is the same without it (restic cleans it away)
            String cleaned = p.length() > 1 && p.endsWith("/") ? p.replaceAll("/+$", "") : p;
            globs.add(Glob.of(cleaned.isEmpty() ? "/" : cleaned));
        }
        return new ExcludePatterns(globs);
    }

    boolean isEmpty() {
        return globs.isEmpty();
    }

    /** The patterns of both. */
    ExcludePatterns and(ExcludePatterns other) {
        List<Glob> all = new ArrayList<>(globs);
        all.addAll(other.globs);
        return new ExcludePatterns(all);
    }

    /** Whether a pattern matches {@code path} itself. */
    boolean matches(String path) {
        for (Glob g : globs) {
            if (g.matchesEntry(path)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a pattern matches {@code path} or a directory above it. */
    boolean excludes(String path) {
        for (int end = path.indexOf('/'); ; end = path.indexOf('/', end + 1)) {
            String prefix = end < 0 ? path : path.substring(0, end);
            for (Glob g : globs) {
                if (g.matchesEntry(prefix)) {
                    return true;
                }
            }
            if (end < 0) {
                return false;
            }
        }
    }
}
