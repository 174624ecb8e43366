package com.mintreplica.backup.postgres;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.postgres.internal.ConnectionUri;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.postgres.internal.PostgresChecks;
import com.mintreplica.backup.postgres.internal.PostgresScratch;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Opens PostgreSQL sources and targets from {@code postgresql://}, {@code postgres://} and
 * {@code jdbc:postgresql://} locations for the CLI and the config file. Registered in {@code META-INF/services}.
 *
 * <p>Options (all optional; the module README describes them): for a backup {@code format} (custom or directory),
 * {@code jobs}, {@code globals}, {@code compression}, {@code pg-bin-dir}, {@code temp-dir}; for a restore
 * {@code target-database}, {@code jobs}, {@code terminate-sessions}, {@code replace}, {@code no-owner},
 * {@code globals}, {@code pg-bin-dir}, {@code temp-dir}; for verify {@code pg-bin-dir}, {@code temp-dir},
 * {@code read-data}; for status, doctor and metrics {@code wal-stall-after} (a duration such as {@code 15m}: checks
 * WAL archiving, see {@code docs/postgresql-pitr.md}) and {@code wal-cluster} (the WAL archive's name, default the
 * job's); for the daemon {@code wal-receive}, {@code wal-slot}, {@code wal-create-slot}. An option name it does not
 * know fails; an option of another operation is ignored, so one set of options can serve backup, restore and verify.
 *
 * <p>The libpq environment and {@code ~/.pgpass} are read from {@link System#getenv()}, or from the map given to
 * {@link #PostgresSourceProvider(Map)}.
 */
public final class PostgresSourceProvider implements SourceProvider {
    private static final Set<String> SOURCE_OPTIONS = Set.of("format", "jobs", "globals", "compression", "pg-bin-dir",
            "temp-dir");
    private static final Set<String> TARGET_OPTIONS = Set.of("target-database", "jobs", "terminate-sessions", "replace",
            "no-owner", "globals", "pg-bin-dir", "temp-dir");
    private static final Set<String> VERIFY_OPTIONS = Set.of("pg-bin-dir", "temp-dir", "read-data");
    /**
     * Continuous archiving: when archiving counts as stalled (status, doctor, metrics), the archive's name, and whether
     * the daemon streams the job's WAL (wal-receive) through which slot.
     */
    private static final Set<String> CONTINUITY_OPTIONS = Set.of("wal-stall-after", "wal-cluster", "wal-receive",
            "wal-slot", "wal-create-slot");

    private final Map<String, String> environment;

    /** The provider {@code ServiceLoader} creates: the process environment. */
    public PostgresSourceProvider() {
        this(System.getenv());
    }

    @Override
    public SourceProvider withEnvironment(Map<String, String> value) {
        return new PostgresSourceProvider(value);
    }

    /** A provider reading the libpq environment and PATH from {@code environment}. */
    public PostgresSourceProvider(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String kind() {
        return "postgresql";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("postgresql", "postgres", "jdbc");
    }

    @Override
    public String module() {
        return "backup-postgres";
    }

    @Override
    public Source source(URI location, Map<String, String> options) {
        check(options);
        PostgresSource.Builder b = PostgresSource.builder().url(url(location)).environment(environment);
        option(options, "format").map(DumpFormat::of).ifPresent(b::format);
        option(options, "jobs").map(v -> integer("jobs", v)).ifPresent(b::jobs);
        option(options, "globals").map(v -> bool("globals", v)).ifPresent(b::globals);
        option(options, "compression").filter(v -> !v.equalsIgnoreCase("auto")).map(v -> integer("compression", v))
                .ifPresent(b::compression);
        option(options, "pg-bin-dir").map(Path::of).ifPresent(b::binDir);
        option(options, "temp-dir").map(Path::of).ifPresent(b::tempDir);
        return b.build();
    }

    /**
     * A restore target. With a location, the restore goes to its server, into the database its path names (or
     * {@code target-database}, or else the snapshot's); without one, to the server and database the snapshot came
     * from.
     */
    @Override
    public RestoreTarget target(Optional<URI> location, Map<String, String> options) {
        check(options);
        PostgresTarget.Builder b = PostgresTarget.builder().environment(environment);
        if (location.isPresent()) {
            String url = url(location.get());
            b.url(url);
            String database = ConnectionUri.parse(url).get("dbname");
            if (database != null && !database.isEmpty()) {
                b.database(database);
            }
        }
        option(options, "target-database").ifPresent(b::database);
        option(options, "jobs").map(v -> integer("jobs", v)).ifPresent(b::jobs);
        option(options, "terminate-sessions").map(v -> bool("terminate-sessions", v)).ifPresent(b::terminateSessions);
        option(options, "replace").map(v -> bool("replace", v)).ifPresent(b::replaceExisting);
        option(options, "no-owner").map(v -> bool("no-owner", v)).ifPresent(b::noOwner);
        option(options, "globals").map(v -> bool("globals", v)).ifPresent(b::globals);
        option(options, "pg-bin-dir").map(Path::of).ifPresent(b::binDir);
        option(options, "temp-dir").map(Path::of).ifPresent(b::tempDir);
        return b.build();
    }

    @Override
    public Optional<RestoreTarget> verifier(Map<String, String> options) {
        check(options);
        PostgresVerifier.Builder b = PostgresVerifier.builder().environment(environment);
        option(options, "pg-bin-dir").map(Path::of).ifPresent(b::binDir);
        option(options, "temp-dir").map(Path::of).ifPresent(b::tempDir);
        option(options, "read-data").map(v -> bool("read-data", v)).ifPresent(b::readData);
        return Optional.of(b.build());
    }

    /** The password of a config's {@code password:} goes where libpq reads it. */
    @Override
    public Optional<String> passwordVariable() {
        return Optional.of("PGPASSWORD");
    }

    /**
     * Drills restore into a new database on the job's server or the drill's, run VACUUM ANALYZE and compare every
     * table's row count with the snapshot's; smoke queries are SQL.
     */
    @Override
    public Optional<DrillSupport> drills() {
        return Optional.of(new DrillSupport() {
            @Override
            public Set<String> checks() {
                return Set.of(PostgresScratch.VACUUM_ANALYZE, PostgresScratch.ROW_COUNTS);
            }

            @Override
            public boolean directoryTarget() {
                return false;
            }

            @Override
            public boolean smokeQueries() {
                return true;
            }

            @Override
            public Scratch scratch(Request request) throws IOException {
                String server = request.target().or(request::sourceLocation).orElseThrow();
                Map<String, String> options = new LinkedHashMap<>(request.sourceOptions());
                options.putAll(request.options());
                return PostgresScratch.create(server, request.environment(), options, request.snapshot(),
                        request.tempDir());
            }
        });
    }

    /** The login, and pg_dump and pg_restore against the server's version, found exactly where a backup looks. */
    @Override
    public Optional<Preflight> preflight() {
        return Optional.of(new PostgresChecks());
    }

    /** A recovery of every group to one server keeps each database's name. */
    @Override
    public Map<String, String> recoveryOptions(Snapshot latest, URI server, boolean chosen) {
        String database = latest.facts().get("postgresql.database");
        return chosen || database == null ? Map.of() : Map.of("target-database", database);
    }

    @Override
    public String targetExample() {
        return "a server such as postgresql://postgres@new-db:5432/";
    }

    private static String url(URI location) {
        String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        String text = location.toString();
        if (scheme.equals("jdbc") && !text.toLowerCase(Locale.ROOT).startsWith("jdbc:postgresql:")) {
            throw new InvalidInputException("'" + ConnectionUri.redact(text) + "' is not a PostgreSQL JDBC URL:"
                    + " backup-postgres opens jdbc:postgresql://host:port/dbname");
        }
        return text;
    }

    private static void check(Map<String, String> options) {
        TreeSet<String> known = new TreeSet<>(SOURCE_OPTIONS);
        known.addAll(TARGET_OPTIONS);
        known.addAll(VERIFY_OPTIONS);
        known.addAll(CONTINUITY_OPTIONS);
        for (String name : options.keySet()) {
            if (!known.contains(name)) {
                throw new InvalidInputException("unknown PostgreSQL option '" + name + "': use one of " + known);
            }
        }
        Optional.ofNullable(options.get("wal-stall-after"))
                .ifPresent(v -> com.mintreplica.backup.postgres.internal.receive.ArchiveHealth.parseDuration(
                        "wal-stall-after", v));
    }

    private static Optional<String> option(Map<String, String> options, String name) {
        return Optional.ofNullable(options.get(name)).map(String::strip);
    }

    private static int integer(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("option " + name + " must be a whole number: '" + value + "'");
        }
    }

    private static boolean bool(String name, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "", "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new InvalidInputException("option " + name + " must be true or false: '" + value + "'");
        };
    }
}
