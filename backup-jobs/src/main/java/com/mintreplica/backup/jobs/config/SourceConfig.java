package com.mintreplica.backup.jobs.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a job backs up: either files ({@code paths}, with {@code exclude} and {@code include} globs) or a location a
 * {@code SourceProvider} opens ({@code postgresql://...}, {@code mongodb://...}), with its options.
 *
 * @param location a source URI; empty for a files source
 * @param paths directories and files; empty for a URI source
 * @param exclude globs of files to leave out
 * @param include globs of the only files to back up
 * @param options the provider's options (for PostgreSQL {@code format}, {@code jobs}, ...)
 * @param environment variables the provider reads (libpq's {@code PGSSLMODE}, {@code PGPASSWORD}), over the
 *     process environment; values are literals or references
 * @param password the password, by reference: passed as {@code PGPASSWORD} to PostgreSQL, put into the connection
 *     string of other sources; never logged
 */
public record SourceConfig(Optional<String> location, List<Path> paths, List<String> exclude, List<String> include,
                           Map<String, String> options, Map<String, SecretRef> environment, Optional<SecretRef> password) {
    public SourceConfig {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(password, "password");
        paths = List.copyOf(paths);
        exclude = List.copyOf(exclude);
        include = List.copyOf(include);
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
    }

    /** Directories and files. */
    public static Builder paths(Path... values) {
        Builder b = new Builder();
        b.paths.addAll(List.of(values));
        return b;
    }

    /** A source URI such as {@code postgresql://backup@db/mint}. */
    public static Builder location(String uri) {
        Builder b = new Builder();
        b.location = uri;
        return b;
    }

    /** Whether this is a files source. */
    public boolean isFiles() {
        return location.isEmpty();
    }

    /** Builds a {@link SourceConfig}. */
    public static final class Builder {
        private String location;
        private final List<Path> paths = new ArrayList<>();
        private final List<String> exclude = new ArrayList<>();
        private final List<String> include = new ArrayList<>();
        private final Map<String, String> options = new LinkedHashMap<>();
        private final Map<String, SecretRef> environment = new LinkedHashMap<>();
        private SecretRef password;

        private Builder() {
        }

        public Builder exclude(String... globs) {
            exclude.addAll(List.of(globs));
            return this;
        }

        public Builder include(String... globs) {
            include.addAll(List.of(globs));
            return this;
        }

        public Builder option(String name, String value) {
            options.put(name, value);
            return this;
        }

        public Builder environment(String variable, SecretRef value) {
            environment.put(variable, value);
            return this;
        }

        public Builder password(SecretRef value) {
            password = value;
            return this;
        }

        public SourceConfig build() {
            return new SourceConfig(Optional.ofNullable(location), paths, exclude, include, options, environment,
                    Optional.ofNullable(password));
        }
    }
}
