package com.mintreplica.backup.core.sink;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ServiceProviders;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens a Sink from a repository location: a directory path, a {@code file:} URI, or a URI whose scheme a
 * {@link SinkProvider} on the class path opens ({@code s3://}, {@code gs://}).
 */
public final class Sinks {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)|0");
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
        return open(location, SinkOptions.defaults());
    }

    /**
     * Opens the Sink for {@code location} with what the caller asks beyond the location, for example a shorter
     * retry budget for a command PostgreSQL runs and retries itself; see {@link #open(String)}.
     */
    public static Sink open(String location, SinkOptions options) {
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
        return open(uri, options, Sinks.class.getClassLoader());
    }

    /** Opens the Sink for {@code uri}; see {@link #open(String)}. */
    public static Sink open(URI uri) {
        return open(uri, SinkOptions.defaults(), Sinks.class.getClassLoader());
    }

    /** {@link #open(URI)} with the providers {@code loader} finds (tests). */
    static Sink open(URI uri, ClassLoader loader) {
        return open(uri, SinkOptions.defaults(), loader);
    }

    private static Sink open(URI uri, SinkOptions options, ClassLoader loader) {
        Objects.requireNonNull(options, "options");
        String scheme = uri.getScheme() == null ? "file" : uri.getScheme().toLowerCase(Locale.ROOT);
        TreeSet<String> available = new TreeSet<>();
        ServiceProviders.Loaded<SinkProvider> loaded = ServiceProviders.load(SinkProvider.class, loader);
        for (SinkProvider provider : loaded.providers()) {
            if (provider.schemes().contains(scheme)) {
                try {
                    return provider.open(uri, options);
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
     * A duration given as a parameter of a repository URI, for providers: {@code 500ms}, {@code 90s}, {@code 15m},
     * {@code 1h}, {@code 0}, or ISO-8601 ({@code PT15M}).
     *
     * @throws InvalidInputException naming the parameter and the location ({@code shown}, already redacted)
     */
    public static Duration durationParameter(String name, String value, String shown) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        try {
            Matcher m = DURATION.matcher(v);
            if (m.matches()) {
                if (m.group(1) == null) {
                    return Duration.ZERO;
                }
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            }
            Duration d = Duration.parse(v.toUpperCase(Locale.ROOT));
            if (!d.isNegative()) {
                return d;
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            // reported below
        }
        throw new InvalidInputException(name + "=" + value + " in '" + shown + "' is not a duration: write e.g. 90s, 15m or 1h");
    }

    /**
     * A duration as a repository URI writes it ({@link #durationParameter} reads it back): {@code 15m}, {@code 90s},
     * {@code 500ms}, {@code 0s}. For messages that name a parameter's value, such as a retry budget.
     */
    public static String durationText(Duration d) {
        if (d.toMillis() % 1000 != 0) {
            return d.toMillis() + "ms";
        }
        long s = d.toSeconds();
        return s % 60 == 0 && s > 0 ? s / 60 + "m" : s + "s";
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
