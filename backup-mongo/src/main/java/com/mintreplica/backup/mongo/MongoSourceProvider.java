package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.mongo.internal.MongoChecks;
import com.mintreplica.backup.mongo.internal.MongoScratch;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Opens {@link MongoSource}s and {@link MongoTarget}s from {@code mongodb://} and {@code mongodb+srv://} locations for
 * the CLI and config files: {@code mint-backup backup --repo R mongodb://db1,db2/?replicaSet=rs0}.
 *
 * <p>Source options: {@code databases} (comma-separated names), {@code include} and {@code exclude} (comma-separated
 * namespace patterns such as {@code mint.ledger*}), {@code batch-size}, {@code consistency}
 * ({@code auto}, {@code snapshot}, {@code none}). Target options: {@code target-database}, {@code drop},
 * {@code merge}, {@code original-names} ({@code true}/{@code false}; empty means true), {@code batch-size},
 * {@code fail-on-mismatch}. A restore needs a location: a snapshot records its hosts but never credentials.
 *
 * <p>A target location that names a database ({@code mongodb://host/restored}) restores into that database, as
 * {@code mongorestore --uri} does (and as {@code target-database} does; giving both with different names is refused);
 * one that names none restores under the snapshot's own database names, which {@code original-names=true} must
 * allow. A target database that holds collections needs {@code drop=true} or {@code merge=true}. See
 * {@link MongoTarget}.
 *
 * <p>{@code mongodump:DIR} locations name a mongodump directory: as a source it is imported
 * ({@link MongoDumpSource}), as a target the snapshot is exported there ({@link MongoDumpTarget}), which is also what
 * {@link #directoryTarget} gives {@code restore --target DIR}.
 *
 * <p>Passwords stay out of command lines: when the location names a user without a password, the password is taken
 * from the environment variable {@value #PASSWORD_ENV} (of the environment given to {@link #withEnvironment}).
 */
public final class MongoSourceProvider implements SourceProvider {
    /** The environment variable that holds the password for a location that names only the user. */
    public static final String PASSWORD_ENV = "MINT_BACKUP_MONGODB_PASSWORD";
    /** The scheme of a mongodump directory: {@code mongodump:/srv/dumps/2026-11-24} (a source to import, or a target). */
    public static final String DUMP_SCHEME = "mongodump";

    private static final Set<String> SOURCE_OPTIONS = Set.of("databases", "include", "exclude", "batch-size", "consistency");
    private static final Set<String> TARGET_OPTIONS = Set.of("target-database", "drop", "merge", "original-names",
            "batch-size", "fail-on-mismatch");

    private final Map<String, String> environment;

    /** The provider {@code ServiceLoader} creates: the process environment. */
    public MongoSourceProvider() {
        this(System.getenv());
    }

    /** A provider taking {@value #PASSWORD_ENV} from {@code environment}. */
    public MongoSourceProvider(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public SourceProvider withEnvironment(Map<String, String> value) {
        return new MongoSourceProvider(value);
    }

    /** The password from the environment when the location names a user but no password. */
    private Optional<Secret> environmentPassword(URI location) {
        String userInfo = location.getRawUserInfo();
        if (userInfo == null || userInfo.contains(":") || environment.get(PASSWORD_ENV) == null) {
            return Optional.empty();
        }
        return Optional.of(Secret.of(environment.get(PASSWORD_ENV)));
    }

    private static String withoutUser(URI location) {
        String s = location.toString();
        return s.replaceFirst("^(mongodb(\\+srv)?://)[^@/]*@", "$1");
    }

    private static String user(URI location) {
        return java.net.URLDecoder.decode(location.getRawUserInfo(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The password of a config's {@code password:} goes into the connection, never into its URI. */
    @Override
    public Optional<String> passwordVariable() {
        return Optional.of(PASSWORD_ENV);
    }

    /**
     * Drills restore each database of the snapshot into a new one on the job's server or the drill's, and check every
     * collection's document count.
     */
    @Override
    public Optional<DrillSupport> drills() {
        return Optional.of(new DrillSupport() {
            @Override
            public Set<String> checks() {
                return Set.of(MongoScratch.DOCUMENT_COUNTS);
            }

            @Override
            public boolean directoryTarget() {
                return false;
            }

            @Override
            public Scratch scratch(Request request) throws IOException {
                String server = request.target().or(request::sourceLocation).orElseThrow();
                return MongoScratch.create(server, request.environment(), request.options(), request.snapshot(),
                        request.entries());
            }
        });
    }

    /** The server answers and the login works. */
    @Override
    public Optional<Preflight> preflight() {
        return Optional.of(new MongoChecks());
    }

    /**
     * A server URI that names no database restores each database under its own name (the target still refuses
     * databases that hold collections).
     */
    @Override
    public Map<String, String> recoveryOptions(Snapshot latest, URI server, boolean chosen) {
        String path = server.getRawPath();
        return path == null || path.length() <= 1 ? Map.of("original-names", "true") : Map.of();
    }

    @Override
    public String targetExample() {
        return "a server such as mongodb://new-mongo:27017/";
    }

    @Override
    public String kind() {
        return MongoSource.KIND;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("mongodb", "mongodb+srv", DUMP_SCHEME);
    }

    @Override
    public String module() {
        return "backup-mongo";
    }

    @Override
    public Source source(URI location, Map<String, String> options) {
        if (DUMP_SCHEME.equals(location.getScheme())) {
            check(options, Set.of(), "mongodump import");
            return MongoDumpSource.of(dumpDirectory(location));
        }
        check(options, SOURCE_OPTIONS, "source");
        MongoSource.Builder b = MongoSource.builder().connectionString(Secret.of(location.toString()));
        environmentPassword(location).ifPresent(password -> b.connectionString(Secret.of(withoutUser(location)))
                .credentials(user(location), password));
        list(options.get("databases")).ifPresent(b::databases);
        list(options.get("include")).ifPresent(b::include);
        list(options.get("exclude")).ifPresent(b::exclude);
        if (options.containsKey("batch-size")) {
            b.batchSize(integer("batch-size", options.get("batch-size")));
        }
        if (options.containsKey("consistency")) {
            String value = options.get("consistency").trim().toUpperCase(Locale.ROOT);
            try {
                b.consistency(MongoSource.Consistency.valueOf(value));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("option consistency is '" + options.get("consistency")
                        + "': give auto, snapshot or none");
            }
        }
        return b.build();
    }

    @Override
    public RestoreTarget target(Optional<URI> location, Map<String, String> options) {
        check(options, TARGET_OPTIONS, "restore target");
        URI uri = location.orElseThrow(() -> new InvalidInputException("a MongoDB restore needs a target such as"
                + " --target mongodb://host/: snapshots record where they came from, but never the credentials"));
        if (DUMP_SCHEME.equals(uri.getScheme())) {
            return directoryTarget(dumpDirectory(uri), options).orElseThrow();
        }
        MongoTarget.Builder b = MongoTarget.builder().connectionString(Secret.of(uri.toString()));
        environmentPassword(uri).ifPresent(password -> b.connectionString(Secret.of(withoutUser(uri)))
                .credentials(user(uri), password));
        Optional<String> named = uriDatabase(uri);
        Optional<String> option = Optional.ofNullable(options.get("target-database")).map(String::trim);
        if (named.isPresent() && option.isPresent() && !named.get().equals(option.get())) {
            throw new InvalidInputException("the target " + redacted(uri) + " names database " + named.get()
                    + ", but target-database is " + option.get() + ": give the database once, in the URI or as"
                    + " target-database");
        }
        named.or(() -> option).ifPresent(b::targetDatabase);
        if (options.containsKey("drop")) {
            b.drop(bool("drop", options.get("drop")));
        }
        if (options.containsKey("merge")) {
            b.merge(bool("merge", options.get("merge")));
        }
        if (options.containsKey("original-names")) {
            b.originalNames(bool("original-names", options.get("original-names")));
        }
        if (options.containsKey("batch-size")) {
            b.batchSize(integer("batch-size", options.get("batch-size")));
        }
        if (options.containsKey("fail-on-mismatch")) {
            b.failOnMismatch(bool("fail-on-mismatch", options.get("fail-on-mismatch")));
        }
        return b.build();
    }

    /** A mongodump directory: {@code mongodump:/abs/dir}, {@code mongodump:///abs/dir} or {@code mongodump:relative/dir}. */
    private static Path dumpDirectory(URI location) {
        String path = location.getPath() != null && !location.getPath().isEmpty() ? location.getPath()
                : location.getSchemeSpecificPart();
        if (path == null || path.isEmpty()) {
            throw new InvalidInputException("'" + location + "' names no directory: give mongodump:/path/to/dump");
        }
        return Path.of(path);
    }

    /** A mongodump directory export ({@link MongoDumpTarget}): {@code restore SNAPSHOT --target DIR}. */
    @Override
    public Optional<RestoreTarget> directoryTarget(Path directory, Map<String, String> options) {
        check(options, Set.of(), "mongodump export");
        return Optional.of(MongoDumpTarget.to(directory));
    }

    /** The database a connection string's path names ({@code mongodb://host/NAME?...}), if any. */
    static Optional<String> uriDatabase(URI location) {
        String path = location.getRawPath();
        if (path == null || path.length() <= 1) {
            return Optional.empty();
        }
        String name = java.net.URLDecoder.decode(path.substring(1), java.nio.charset.StandardCharsets.UTF_8);
        return name.isEmpty() ? Optional.empty() : Optional.of(name);
    }

    private static String redacted(URI location) {
        return com.mintreplica.backup.core.sink.Sinks.redact(location.toString());
    }

    @Override
    public Optional<RestoreTarget> verifier(Map<String, String> options) {
        check(options, Set.of(), "verifier");
        return Optional.of(MongoVerifier.create());
    }

    private static void check(Map<String, String> options, Set<String> known, String what) {
        for (String key : options.keySet()) {
            if (!known.contains(key)) {
                throw new InvalidInputException("the MongoDB " + what + " has no option '" + key + "'"
                        + (known.isEmpty() ? ": it takes none" : ": it knows " + new TreeSet<>(known)));
            }
        }
    }

    private static Optional<String[]> list(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String[] parts = Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toArray(String[]::new);
        return Optional.of(parts);
    }

    private static int integer(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException("option " + name + " is '" + value + "': give a whole number");
        }
    }

    private static boolean bool(String name, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "", "true", "yes" -> true;
            case "false", "no" -> false;
            default -> throw new InvalidInputException("option " + name + " is '" + value + "': give true or false");
        };
    }
}
