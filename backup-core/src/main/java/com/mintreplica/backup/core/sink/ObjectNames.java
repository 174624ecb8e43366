package com.mintreplica.backup.core.sink;

import java.util.Objects;

/** Helpers for Sink implementations: the rules for object names and key prefixes that every Sink applies. */
public final class ObjectNames {
    private ObjectNames() {
    }

    /**
     * {@code name} checked against the {@link Sink} naming rules: not empty (unless it is a listing prefix), no
     * leading {@code /} or {@code .}, no empty or dot-first segments.
     *
     * @throws IllegalArgumentException naming the bad name
     */
    public static String check(String name, boolean isPrefix) {
        Objects.requireNonNull(name, "name");
        if (!isPrefix && name.isEmpty()) {
            throw new IllegalArgumentException("an object name is empty");
        }
        if (name.startsWith("/") || name.startsWith(".") || name.contains("/.") || name.contains("//")) {
            throw new IllegalArgumentException("invalid object name: '" + name + "'");
        }
        return name;
    }

    /**
     * A key prefix in a bucket, without leading slashes and with exactly one trailing slash ({@code ""} for none):
     * {@code /backups/mint/} and {@code backups/mint} both become {@code backups/mint/}.
     */
    public static String normalizePrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        String p = prefix;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? "" : p + "/";
    }
}
