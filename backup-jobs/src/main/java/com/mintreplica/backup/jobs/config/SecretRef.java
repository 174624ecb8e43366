package com.mintreplica.backup.jobs.config;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where a secret (or another setting) is found, read only when a job runs: {@code env:NAME} (an environment variable)
 * or {@code file:/run/secrets/pg} (the first line of a file). A config never needs a secret inline: fields that hold
 * passwords and passphrases accept only these two forms. A {@link #literal} is for settings that are not secret,
 * such as {@code PGSSLMODE: require} in a source's environment.
 *
 * @param kind where to look
 * @param name the variable name, file path, or (for literals) the value itself
 */
public record SecretRef(Kind kind, String name) {

    /** Where a value comes from. */
    public enum Kind {
        /** An environment variable of the process (or of the environment the runner is given). */
        ENV,
        /** The first line of a file. */
        FILE,
        /** The text itself; never used for fields that hold secrets. */
        LITERAL
    }

    public SecretRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (kind != Kind.LITERAL && name.isBlank()) {
            throw new InvalidInputException("a secret reference " + kind.name().toLowerCase(java.util.Locale.ROOT)
                    + ": needs a name after the colon");
        }
    }

    /** {@code env:NAME}. */
    public static SecretRef env(String variable) {
        return new SecretRef(Kind.ENV, variable);
    }

    /** {@code file:/path}. */
    public static SecretRef file(Path path) {
        return new SecretRef(Kind.FILE, path.toString());
    }

    /** A plain value, for settings that are not secret. */
    public static SecretRef literal(String value) {
        return new SecretRef(Kind.LITERAL, value);
    }

    /** Whether {@code text} is written as a reference ({@code env:} or {@code file:}). */
    public static boolean isReference(String text) {
        return text.startsWith("env:") || text.startsWith("file:");
    }

    /**
     * Parses {@code env:NAME} or {@code file:/path}.
     *
     * @throws InvalidInputException for anything else, saying that secrets are given by reference
     */
    public static SecretRef parse(String text) {
        if (text.startsWith("env:")) {
            String variable = text.substring(4).trim();
            if (!variable.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new InvalidInputException("'" + text + "' does not name an environment variable: use env:NAME");
            }
            return env(variable);
        }
        if (text.startsWith("file:")) {
            String path = text.substring(5).trim();
            if (path.startsWith("//")) {
                path = path.substring(2); // file:///run/x
            }
            if (path.isEmpty()) {
                throw new InvalidInputException("'file:' names no file: use file:/run/secrets/NAME");
            }
            return file(Path.of(path));
        }
        throw new InvalidInputException("secrets are given by reference, never inline: use env:NAME (an environment"
                + " variable) or file:/path (a file whose first line is the secret)");
    }

    /** Parses a reference, or takes {@code text} as a literal when it is not written as one. */
    public static SecretRef parseOrLiteral(String text) {
        return isReference(text) ? parse(text) : literal(text);
    }

    /**
     * Reads the value.
     *
     * @param environment the environment variables to look in (the process environment at the edge)
     * @param field what the value is for, named in messages
     * @throws InvalidInputException when the variable is unset or the file unreadable; the message names the variable
     *     or file and the field, never a value
     */
    public Secret resolve(Map<String, String> environment, String field) {
        switch (kind) {
            case LITERAL:
                return Secret.of(name);
            case ENV: {
                String value = environment.get(name);
                if (value == null) {
                    throw new InvalidInputException(field + " refers to the environment variable " + name
                            + ", which is not set: set it, or refer to a file with file:/path");
                }
                return Secret.of(value);
            }
            default: {
                Path path = Path.of(name);
                try {
                    String content = Files.readString(path, StandardCharsets.UTF_8);
                    int nl = content.indexOf('\n');
                    String line = nl < 0 ? content : content.substring(0, nl);
                    return Secret.of(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
                } catch (IOException e) {
                    throw new InvalidInputException(field + " refers to the file " + path + ", which cannot be read ("
                            + e.getClass().getSimpleName() + "): create it with the secret on its first line, readable"
                            + " by this user only");
                }
            }
        }
    }

    /** {@code env:NAME}, {@code file:/path}, or {@code ***} for a literal (it might be a secret after all). */
    @Override
    public String toString() {
        return switch (kind) {
            case ENV -> "env:" + name;
            case FILE -> "file:" + name;
            case LITERAL -> "***";
        };
    }
}
