package com.mintreplica.backup.storage.gcs;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkOptions;
import com.mintreplica.backup.core.sink.SinkProvider;
import com.mintreplica.backup.core.sink.Sinks;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Opens {@code gs://bucket/prefix} repository URIs as {@link GcsSink}s. Query parameters: {@code storageClass=NEARLINE}
 * (for data), {@code project=...}, {@code host=http://127.0.0.1:4443} (an emulator), {@code chunkSize=16MiB},
 * {@code retryFor=15m} (how long a failing request is retried; wins over what the caller asks through
 * {@link SinkOptions}), {@code maxAttempts=10} (a cap on tries within it; default none).
 * Credentials come only from Application Default Credentials, never from the URI: a URI with user info is refused.
 */
public final class GcsSinkProvider implements SinkProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("gs");
    }

    @Override
    public String module() {
        return "backup-storage-gcs";
    }

    @Override
    public Sink open(URI uri) {
        return configure(uri).build();
    }

    @Override
    public Sink open(URI uri, SinkOptions options) {
        return configure(uri, options).build();
    }

    /** The builder {@link #open} uses, for callers that add what a URI cannot carry (a client). */
    public static GcsSink.Builder configure(URI uri) {
        return configure(uri, SinkOptions.defaults());
    }

    private static GcsSink.Builder configure(URI uri, SinkOptions options) {
        String shown = Sinks.redact(uri.toString());
        if (uri.getRawUserInfo() != null) {
            throw new InvalidInputException("'" + shown + "' carries credentials: remove them from the URI and use "
                    + "Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`)");
        }
        String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
        if (bucket == null || bucket.isBlank()) {
            throw new InvalidInputException("'" + shown + "' names no bucket: use gs://bucket/prefix");
        }
        GcsSink.Builder b = GcsSink.builder().bucket(bucket).prefix(uri.getPath() == null ? "" : uri.getPath());
        options.retryFor().ifPresent(b::retryFor); // before the URI's parameters, which win
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                switch (key.toLowerCase(Locale.ROOT)) {
                    case "storageclass" -> b.storageClass(ObjectKind.DATA, value);
                    case "project" -> b.projectId(value);
                    case "host" -> b.host(value);
                    case "chunksize" -> b.chunkSize(size(value, shown));
                    case "retryfor" -> b.retryFor(Sinks.durationParameter(key, value, shown));
                    case "maxattempts" -> b.maxAttempts(attempts(value, shown));
                    default -> throw new InvalidInputException("unknown parameter '" + key + "' in '" + shown
                            + "': known are storageClass, project, host, chunkSize, retryFor, maxAttempts");
                }
            }
        }
        return b;
    }

    private static int attempts(String value, String shown) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException("maxAttempts=" + value + " in '" + shown + "' is not a whole number");
        }
    }

    private static int size(String value, String shown) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        int unit = 1;
        if (v.endsWith("mib") || v.endsWith("mb")) {
            unit = 1024 * 1024;
            v = v.substring(0, v.length() - (v.endsWith("mib") ? 3 : 2));
        } else if (v.endsWith("kib") || v.endsWith("kb")) {
            unit = 1024;
            v = v.substring(0, v.length() - (v.endsWith("kib") ? 3 : 2));
        }
        try {
            return Integer.parseInt(v.trim()) * unit;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("chunkSize=" + value + " in '" + shown + "' is not a size such as 16MiB");
        }
    }
}
