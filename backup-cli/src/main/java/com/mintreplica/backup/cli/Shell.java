package com.mintreplica.backup.cli;

import java.util.regex.Pattern;

/** Quoting for commands the CLI prints for a person to paste into a POSIX shell. */
final class Shell {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private Shell() {
    }

    /**
     * {@code value} as one shell word: unchanged when it holds only characters no shell treats specially, else in
     * single quotes (a single quote inside becomes {@code '\''}).
     */
    static String quote(String value) {
        if (!value.isEmpty() && PLAIN.matcher(value).matches()) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
