package com.mintreplica.backup.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A password, passphrase or token. Its {@link #toString()} is redacted, so a secret that ends up in a log line, an
 * exception message or a manifest by mistake shows as {@code ***}. The value is read only where it is used.
 */
public final class Secret {
    private final char[] value;

    private Secret(char[] value) {
        this.value = value;
    }

    /** A secret holding a copy of the given characters. */
    public static Secret of(char[] value) {
        return new Secret(Objects.requireNonNull(value, "value").clone());
    }

    /** A secret holding the given string. */
    public static Secret of(String value) {
        return new Secret(Objects.requireNonNull(value, "value").toCharArray());
    }

    /** A copy of the characters; callers should clear it after use. */
    public char[] chars() {
        return value.clone();
    }

    /** The value as a string, for APIs that only take strings (environment variables, JDBC properties). */
    public String reveal() {
        return new String(value);
    }

    /** The value in UTF-8. */
    public byte[] utf8() {
        return reveal().getBytes(StandardCharsets.UTF_8);
    }

    public boolean isEmpty() {
        return value.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "***";
    }
}
