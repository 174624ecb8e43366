package com.mintreplica.backup.core.sink;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ServiceProviders;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Opens a Sink from a repository location: a directory path, a {@code file:} URI, or a URI whose scheme a
 * {@link SinkProvider} on the class path opens ({@code s3://}, {@code gs://}).
 */
public final class Sinks {
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)(^|&)([^=&]*(secret|password|passwd|token|key|credential|signature)[^=&]*)=[^&]*");

    private Sinks() {
    }

    /**
     * Opens the Sink for {@code location}. A location without a scheme is a local directory.
     *
     * @throws UnsupportedException when no module on the class path handles the URI's scheme; the message names the
     *     module to add and the schemes that are available
     */
    public static Sink open(String location) {
        if (location == null || location.isBlank()) {
            throw new InvalidInputException("the repository location is empty: give a directory or a URI such as file:///srv/backup");
        }
        if (!SCHEME.matcher(location).matches() && !location.startsWith("file:")) {
            return new LocalDirectorySink(Path.of(location));
        }
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            throw new InvalidInputException("'" + redact(location) + "' is not a valid repository URI: " + e.getReason());
        }
        return open(uri);
    }

    /** Opens the Sink for {@code uri}; see {@link #open(String)}. */
    public static Sink open(URI uri) {
        return open(uri, Sinks.class.getClassLoader());
    }

    /** {@link #open(URI)} with the providers {@code loader} finds (tests). */
    static Sink open(URI uri, ClassLoader loader) {
        String scheme = uri.getScheme() == null ? "file" : uri.getScheme().toLowerCase(Locale.ROOT);
        TreeSet<String> available = new TreeSet<>();
        ServiceProviders.Loaded<SinkProvider> loaded = ServiceProviders.load(SinkProvider.class, loader);
        for (SinkProvider provider : loaded.providers()) {
            if (provider.schemes().contains(scheme)) {
                try {
                    return provider.open(uri);
                } catch (IOException e) {
                    throw new BackupException("cannot open the repository at " + redact(uri.toString()) + ": " + e.getMessage(), e);
                }
            }
            available.addAll(provider.schemes());
        }
        String hint = switch (scheme) {
            case "s3" -> " Add the module com.mintreplica.backup:backup-storage-s3 to the class path.";
            case "gs" -> " Add the module com.mintreplica.backup:backup-storage-gcs to the class path.";
            default -> "";
        };
        throw new UnsupportedException("no Sink handles '" + scheme + "://' repositories." + hint
                + " Schemes available: " + available + "." + loaded.failureNote());
    }

    /**
     * The location without user info or secret-looking query parameters, for logs and messages:
     * {@code s3://key:secret@bucket/p?token=x} becomes {@code s3://***@bucket/p?token=***}.
     */
    public static String redact(String location) {
        if (location == null) {
            return null;
        }
        String out = location.replaceAll("(?<=://)[^/@]*@", "***@");
        int q = out.indexOf('?');
        if (q >= 0) {
            String query = SECRET_PARAM.matcher(out.substring(q + 1)).replaceAll("$1$2=***");
            out = out.substring(0, q + 1) + query;
        }
        return out;
    }
}
