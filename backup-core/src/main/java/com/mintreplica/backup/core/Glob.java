package com.mintreplica.backup.core;

import java.util.regex.Pattern;

/**
 * A shell-style glob over entry paths ({@code /}-separated strings, any characters): {@code *} and {@code ?} within a
 * name, {@code **} across names, {@code [...]} (with {@code !} or {@code ^} to negate) and {@code {a,b}}. Matched on
 * strings, not on {@link java.nio.file.Path}s, so names that are not valid in the JVM's file-name encoding (snapshot
 * paths hold any bytes) still match.
 */
final class Glob {
    private final String text;
    private final Pattern pattern;

    private Glob(String text, Pattern pattern) {
        this.text = text;
        this.pattern = pattern;
    }

    static Glob of(String glob) {
        StringBuilder re = new StringBuilder();
        int braces = 0;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                        re.append(".*");
                        i++;
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> {
                    int close = glob.indexOf(']', i + 2);
                    if (close < 0) {
                        throw new InvalidInputException("the pattern '" + glob + "' has a '[' without its ']' (\\[ is a"
                                + " plain '[')");
                    } else {
                        String body = glob.substring(i + 1, close);
                        if (body.startsWith("!") || body.startsWith("^")) {
                            body = "^" + body.substring(1);
                        }
                        re.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                        i = close;
                    }
                }
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    if (braces > 0) {
                        braces--;
                        re.append(')');
                    } else {
                        re.append("\\}");
                    }
                }
                case ',' -> re.append(braces > 0 ? "|" : ",");
                case '\\' -> {
                    if (i + 3 < glob.length() && glob.charAt(i + 1) == 'x' && Character.digit(glob.charAt(i + 2), 16) >= 0
                            && Character.digit(glob.charAt(i + 3), 16) >= 0) {
                        // a byte as `ls` shows it (caf\xe9): that byte, a name that is not UTF-8
                        re.append(Pattern.quote(com.mintreplica.backup.core.source.FileNames.parseDisplayed(
                                glob.substring(i, i + 4))));
                        i += 3;
                    } else if (i + 1 < glob.length() && (glob.charAt(i + 1) == 'n' || glob.charAt(i + 1) == 't')) {
                        // a newline or a tab in a name, as `ls` (and our listings) show them
                        re.append(Pattern.quote(glob.charAt(++i) == 'n' ? "\n" : "\t"));
                    } else if (i + 1 < glob.length()) {
                        re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                    } else {
                        re.append("\\\\");
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        if (braces > 0) {
            throw new InvalidInputException("the pattern '" + glob + "' has a '{' without its '}'");
        }
        return new Glob(glob, Pattern.compile(re.toString(), Pattern.DOTALL));
    }

    boolean matches(String path) {
        return pattern.matcher(path).matches();
    }

    /**
     * Whether the glob matches the entry at {@code path} (as the snapshot lists it, relative) as restic's patterns
     * do: one with a leading {@code /} the whole path; one without a {@code /} the entry's name; another the path's
     * end from any directory on ({@code a/b} matches {@code x/a/b}).
     */
    boolean matchesEntry(String path) {
        if (text.startsWith("/")) {
            return matches("/" + path);
        }
        if (text.indexOf('/') < 0) {
            return matches(path.substring(path.lastIndexOf('/') + 1));
        }
        for (int start = 0; ; ) {
            if (matches(path.substring(start))) {
                return true;
            }
            int slash = path.indexOf('/', start);
            if (slash < 0) {
                return false;
            }
            start = slash + 1;
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
