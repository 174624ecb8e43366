package com.mintreplica.backup.core.source;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ServiceProviders;
import com.mintreplica.backup.core.sink.Sinks;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Finds the {@link SourceProvider} for a location or a source kind. */
public final class Sources {
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");

    private Sources() {
    }

    /**
     * The URI of a location: URIs stay as they are, plain paths become {@code file:} URIs of their absolute form.
     */
    public static URI toUri(String location) {
        if (location == null || location.isBlank()) {
            throw new InvalidInputException("a source location is empty");
        }
        if (SCHEME.matcher(location).matches() && location.indexOf(':') > 1) {
            try {
                return new URI(location);
            } catch (URISyntaxException e) {
                throw new InvalidInputException("'" + Sinks.redact(location) + "' is not a valid URI: " + e.getReason());
            }
        }
        return absolute(Path.of(location)).normalize().toUri();
    }

    /**
     * {@code path} made absolute against the process's working directory. The JDK names that directory by the string it
     * decoded at start ({@code user.dir}): where the directory's name is not valid UTF-8, that string has U+FFFD for the
     * bytes it could not decode and names a directory that does not exist, and a relative source path failed with "no
     * such file or directory" (explorers' E-F2). Linux keeps the directory's exact bytes in {@code /proc/self/cwd}.
     */
    static Path absolute(Path path) {
        Path absolute = path.toAbsolutePath();
        if (path.isAbsolute() || Path.of("").toAbsolutePath().toString().indexOf('\ufffd') < 0) {
            return absolute;
        }
        try {
            Path cwd = java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/cwd"));
            return cwd.isAbsolute() ? cwd.resolve(path) : absolute;
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            return absolute;
        }
    }

    /**
     * The provider for a location's scheme ({@code file} for plain paths).
     *
     * @throws UnsupportedException naming the module to add when none is on the class path
     */
    public static SourceProvider forLocation(URI location) {
        return forLocation(location, Sources.class.getClassLoader());
    }

    /** {@link #forLocation(URI)} with the providers {@code loader} finds (tests). */
    static SourceProvider forLocation(URI location, ClassLoader loader) {
        String scheme = location.getScheme() == null ? "file" : location.getScheme().toLowerCase(Locale.ROOT);
        TreeSet<String> available = new TreeSet<>();
        ServiceProviders.Loaded<SourceProvider> loaded = ServiceProviders.load(SourceProvider.class, loader);
        for (SourceProvider p : loaded.providers()) {
            if (p.schemes().contains(scheme)) {
                return p;
            }
            available.addAll(p.schemes());
        }
        throw new UnsupportedException("no source handles '" + scheme + ":' locations" + moduleHint(scheme)
                + ". Available: " + available + "." + loaded.failureNote());
    }

    /** Every source provider on the class path (those that fail to load are left out, and logged). */
    public static java.util.List<SourceProvider> all() {
        return ServiceProviders.load(SourceProvider.class, Sources.class.getClassLoader()).providers();
    }

    /** The provider for a recorded source kind, if its module is on the class path. */
    public static Optional<SourceProvider> forKind(String kind) {
        return forKind(kind, Sources.class.getClassLoader());
    }

    /** {@link #forKind(String)} with the providers {@code loader} finds (tests). */
    static Optional<SourceProvider> forKind(String kind, ClassLoader loader) {
        for (SourceProvider p : ServiceProviders.load(SourceProvider.class, loader).providers()) {
            if (p.kind().equals(kind)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Like {@link #forKind} but fails with a message naming the module to add.
     */
    public static SourceProvider requireKind(String kind) {
        return forKind(kind).orElseThrow(() -> new UnsupportedException("snapshots of kind '" + kind
                + "' need a module that is not on the class path" + moduleHint(kind)));
    }

    private static String moduleHint(String schemeOrKind) {
        return switch (schemeOrKind) {
            case "file", "fs" -> ": add com.mintreplica.backup:backup-fs";
            case "postgresql", "postgres", "jdbc", "postgresql-physical" -> ": add com.mintreplica.backup:backup-postgres";
            case "mongodb", "mongodb+srv", "mongodump" -> ": add com.mintreplica.backup:backup-mongo";
            default -> "";
        };
    }
}
