package com.mintreplica.backup.storage.s3;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkOptions;
import com.mintreplica.backup.core.sink.SinkProvider;
import com.mintreplica.backup.core.sink.Sinks;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Opens {@code s3://bucket/prefix} repository URIs as {@link S3Sink}s, so the CLI and the config file accept them
 * wherever they take {@code --repo}. Query parameters:
 * <ul>
 *   <li>{@code region=eu-west-1}; {@code endpoint=http://127.0.0.1:9000} and {@code pathStyle=true} for
 *       S3-compatible stores;</li>
 *   <li>{@code storageClass=STANDARD_IA} (for data; other kinds stay in the bucket's default class);</li>
 *   <li>{@code sse=aes256} or {@code sse=kms} with {@code kmsKeyId=...};</li>
 *   <li>{@code objectLock=governance:30d} or {@code compliance:365d};</li>
 *   <li>{@code partSize=16MiB}, {@code parallelUploads=8}, {@code atomicCreate=false};</li>
 *   <li>{@code retryFor=15m} (how long a failing request is retried; wins over what the caller asks through
 *       {@link SinkOptions}), {@code maxAttempts=10} (a cap on tries within it; default none).</li>
 * </ul>
 * Credentials come only from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
 * container or instance roles), never from the URI: a URI with user info is refused, since URIs end up in logs.
 */
public final class S3SinkProvider implements SinkProvider {
    private static final Set<String> KNOWN = Set.of("region", "endpoint", "pathstyle", "storageclass", "sse", "kmskeyid",
            "objectlock", "partsize", "paralleluploads", "maxattempts", "retryfor", "atomiccreate");

    @Override
    public Set<String> schemes() {
        return Set.of("s3");
    }

    @Override
    public String module() {
        return "backup-storage-s3";
    }

    @Override
    public Sink open(URI uri) {
        return configure(uri).build();
    }

    @Override
    public Sink open(URI uri, SinkOptions options) {
        return configure(uri, options).build();
    }

    /** The builder {@link #open} uses, for callers that add what a URI cannot carry (credentials, an executor). */
    public static S3Sink.Builder configure(URI uri) {
        return configure(uri, SinkOptions.defaults());
    }

    private static S3Sink.Builder configure(URI uri, SinkOptions options) {
        String shown = Sinks.redact(uri.toString());
        if (uri.getRawUserInfo() != null) {
            throw new InvalidInputException("'" + shown + "' carries credentials: remove them from the URI and give them "
                    + "through the AWS default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)");
        }
        String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
        if (bucket == null || bucket.isBlank()) {
            throw new InvalidInputException("'" + shown + "' names no bucket: use s3://bucket/prefix");
        }
        S3Sink.Builder b = S3Sink.builder().bucket(bucket).prefix(uri.getPath() == null ? "" : uri.getPath());
        options.retryFor().ifPresent(b::retryFor); // before the URI's parameters, which win
        Map<String, String> params = query(uri.getRawQuery());
        for (Map.Entry<String, String> p : params.entrySet()) {
            String key = p.getKey().toLowerCase(Locale.ROOT);
            String value = p.getValue();
            if (!KNOWN.contains(key)) {
                throw new InvalidInputException("unknown parameter '" + p.getKey() + "' in '" + shown + "': known are region, "
                        + "endpoint, pathStyle, storageClass, sse, kmsKeyId, objectLock, partSize, parallelUploads, "
                        + "maxAttempts, retryFor, atomicCreate");
            }
            switch (key) {
                case "region" -> b.region(value);
                case "endpoint" -> b.endpoint(URI.create(value));
                case "pathstyle" -> b.pathStyle(bool(p.getKey(), value, shown));
                case "storageclass" -> b.storageClass(ObjectKind.DATA, value);
                case "sse" -> {
                    switch (value.toLowerCase(Locale.ROOT)) {
                        case "aes256", "s3" -> b.serverSideEncryption(S3ServerSideEncryption.s3Managed());
                        case "kms", "aws:kms" -> b.serverSideEncryption(params.containsKey("kmsKeyId")
                                ? S3ServerSideEncryption.kms(params.get("kmsKeyId")) : S3ServerSideEncryption.kms());
                        case "none" -> b.serverSideEncryption(S3ServerSideEncryption.none());
                        default -> throw new InvalidInputException("sse=" + value + " in '" + shown
                                + "' is not known: use sse=aes256 or sse=kms (with kmsKeyId=...)");
                    }
                }
                case "kmskeyid" -> {
                    if (!params.containsKey("sse")) {
                        throw new InvalidInputException("kmsKeyId in '" + shown + "' needs sse=kms");
                    }
                }
                case "objectlock" -> b.objectLock(objectLock(value, shown));
                case "partsize" -> b.partSize((int) size(value, shown));
                case "paralleluploads" -> b.parallelUploads(integer(p.getKey(), value, shown));
                case "maxattempts" -> b.maxAttempts(integer(p.getKey(), value, shown));
                case "retryfor" -> b.retryFor(Sinks.durationParameter(p.getKey(), value, shown));
                case "atomiccreate" -> b.atomicCreate(bool(p.getKey(), value, shown));
                default -> throw new IllegalStateException(key);
            }
        }
        return b;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private static boolean bool(String name, String value, String shown) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "" -> true;
            case "false", "no", "0" -> false;
            default -> throw new InvalidInputException(name + "=" + value + " in '" + shown + "' is not true or false");
        };
    }

    private static int integer(String name, String value, String shown) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(name + "=" + value + " in '" + shown + "' is not a number");
        }
    }

    private static long size(String value, String shown) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        for (String[] u : new String[][] {{"mib", "1048576"}, {"mb", "1048576"}, {"m", "1048576"}, {"kib", "1024"}, {"k", "1024"}}) {
            if (v.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                v = v.substring(0, v.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            return Long.parseLong(v) * unit;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("partSize=" + value + " in '" + shown + "' is not a size such as 16MiB");
        }
    }

    private static S3ObjectLock objectLock(String value, String shown) {
        String[] parts = value.split(":");
        if (parts.length != 2) {
            throw new InvalidInputException("objectLock=" + value + " in '" + shown + "' is not mode:days, e.g. governance:30d");
        }
        String days = parts[1].toLowerCase(Locale.ROOT);
        if (days.endsWith("d")) {
            days = days.substring(0, days.length() - 1);
        }
        try {
            S3ObjectLock.Mode mode = S3ObjectLock.Mode.valueOf(parts[0].toUpperCase(Locale.ROOT));
            return new S3ObjectLock(mode, Duration.ofDays(Long.parseLong(days)));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("objectLock=" + value + " in '" + shown
                    + "' is not mode:days with mode governance or compliance, e.g. governance:30d");
        }
    }
}
