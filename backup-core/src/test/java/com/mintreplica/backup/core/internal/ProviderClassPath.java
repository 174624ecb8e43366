package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A class loader that sees, on top of the test class path, a {@code META-INF/services} file for {@code service} that
 * lists {@code providers} (class names, in order): so a test can put a broken provider before a working one.
 */
public final class ProviderClassPath {
    /** A class name that no jar holds. */
    public static final String MISSING = "com.mintreplica.backup.nowhere.MissingProvider";

    private ProviderClassPath() {
    }

    public static URLClassLoader with(Path dir, Class<?> service, String... providers) {
        try {
            Path file = dir.resolve("META-INF/services/" + service.getName());
            Files.createDirectories(file.getParent());
            Files.writeString(file, String.join("\n", providers) + "\n", StandardCharsets.UTF_8);
            return new URLClassLoader(new URL[] {dir.toUri().toURL()}, ProviderClassPath.class.getClassLoader());
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
