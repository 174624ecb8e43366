package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.PostgresSourceProvider;
import com.mintreplica.backup.postgres.PostgresTarget;
import com.mintreplica.backup.postgres.RowCountCheck;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A database made for the drill on the job's server or the drill's: {@code <database>_drill_<random>} unless the
 * drill names one ({@code target-database}). The PostgreSQL target restores into it with pg_restore, runs VACUUM
 * ANALYZE and compares every table's row count with the snapshot's; its {@link RowCountCheck} becomes the drill's
 * {@code row-counts}. Removal drops the database (and the target's {@code _mint_restore} / {@code _mint_old} helpers)
 * if the drill made it; a database that existed before is never dropped unless the drill says it belongs to drills
 * ({@code replace: true}).
 */
public final class PostgresScratch implements Scratch {
    /** VACUUM ANALYZE after pg_restore, run by the PostgreSQL target. */
    public static final String VACUUM_ANALYZE = "vacuum-analyze";
    /** Every table has the row count the backup recorded. */
    public static final String ROW_COUNTS = "row-counts";
    private static final String SMOKE = "smoke";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_NAME = 63;

    private final PostgresConnection admin;
    private final String database;
    private final List<String> toDrop;
    private final PostgresTarget target;

    private PostgresScratch(PostgresConnection admin, String database, List<String> toDrop, PostgresTarget target) {
        this.admin = admin;
        this.database = database;
        this.toDrop = toDrop;
        this.target = target;
    }

    /**
     * Prepares the scratch database (made by the restore itself).
     *
     * @param server the server's URI (the drill's target, or the job's source location)
     * @param environment libpq's environment with the password ({@code PGPASSWORD})
     * @param options the PostgreSQL target options (the job's source options, then the drill's)
     * @param snapshot the snapshot to restore: its own database is never the scratch on its own server
     * @throws InvalidInputException when the scratch database would be the snapshot's own, or exists and is not the
     *     drill's to replace
     */
    public static PostgresScratch create(String server, Map<String, String> environment, Map<String, String> options,
                                         Snapshot snapshot, Path tempDir) throws IOException {
        String original = snapshot.facts().getOrDefault("postgresql.database", "");
        PostgresConnection connection = PostgresConnection.builder().url(server).environment(environment).build();
        PostgresConnection admin = connection.withDatabase("postgres"); // as the PostgreSQL target connects for DDL
        boolean named = options.containsKey("target-database");
        String database = named ? options.get("target-database") : scratchName(original.isEmpty() ? "mint" : original);
        String where = admin.host() + ":" + admin.port();
        boolean replace = bool(options.get("replace"));
        List<String> toDrop = new ArrayList<>();
        try (Connection c = admin.connect()) {
            for (String name : List.of(database, database + "_mint_restore", database + "_mint_old")) {
                boolean exists = exists(c, name);
                if (name.equals(database) && exists && database.equals(original)) {
                    // However the server is named, an existing database of the snapshot's own name may be the original.
                    throw new InvalidInputException("the drill's database '" + database + "' exists on " + where
                            + " and has the name of the database the snapshot was taken of: a drill restores beside"
                            + " the original, never over it. Leave target-database out to get a new name each time");
                }
                if (name.equals(database) && exists && !replace) {
                    throw new InvalidInputException("the drill's database '" + database + "' exists on " + where
                            + ": a drill restores into a database it creates and drops afterwards. Drop it, choose"
                            + " another target-database, or set replace: \"true\" if it belongs to drills");
                }
                if (!exists || replace) {
                    toDrop.add(name);
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot look up databases on " + where + ": " + e.getMessage(), e);
        }
        Map<String, String> targetOptions = new LinkedHashMap<>(options);
        targetOptions.put("target-database", database);
        targetOptions.putIfAbsent("temp-dir", tempDir.toString());
        RestoreTarget t = new PostgresSourceProvider(environment).target(Optional.of(URI.create(server)), targetOptions);
        return new PostgresScratch(admin, database, toDrop, (PostgresTarget) t);
    }

    /** {@code <database>_drill_<8 hex>}, shortened to PostgreSQL's 63 bytes. */
    static String scratchName(String original) {
        byte[] random = new byte[4];
        RANDOM.nextBytes(random);
        String suffix = "_drill_" + HexFormat.of().formatHex(random);
        String base = original.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        int room = MAX_NAME - suffix.length() - "_mint_restore".length();
        return (base.length() > room ? base.substring(0, room) : base) + suffix;
    }

    private static boolean bool(String value) {
        return value != null && List.of("", "true", "yes", "on", "1").contains(value.strip().toLowerCase(Locale.ROOT));
    }

    private static boolean exists(Connection c, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public String kind() {
        return "postgresql";
    }

    @Override
    public String describe() {
        return admin.host() + ":" + admin.port() + "/" + database;
    }

    @Override
    public Optional<Path> directory() {
        return Optional.empty();
    }

    @Override
    public Optional<String> database() {
        return Optional.of(database);
    }

    @Override
    public List<Part> parts() {
        return List.of(new Part(List.of(), target));
    }

    @Override
    public String restoredInto() {
        return describe() + " with pg_restore";
    }

    @Override
    public Connection connect() {
        return admin.withDatabase(database).connect();
    }

    @Override
    public List<DrillCheck> checks(Optional<RestoreResult> result, Optional<Exception> failure) {
        List<DrillCheck> out = new ArrayList<>();
        Optional<RowCountCheck> counts = target.lastCheck();
        if (failure.isEmpty() || counts.isPresent()) {
            out.add(DrillCheck.passed(VACUUM_ANALYZE, "ran in " + database + " after pg_restore"));
        } else {
            out.add(DrillCheck.skipped(VACUUM_ANALYZE, "the restore failed before it"));
        }
        if (counts.isPresent()) {
            RowCountCheck check = counts.get();
            out.add(check.ok() ? DrillCheck.passed(ROW_COUNTS, check.report())
                    : DrillCheck.failed(ROW_COUNTS, check.report()));
        } else if (failure.isEmpty()) {
            out.add(DrillCheck.skipped(ROW_COUNTS, "the snapshot recorded no row counts"));
        } else {
            out.add(DrillCheck.skipped(ROW_COUNTS, "the restore failed before the counts"));
        }
        return out;
    }

    @Override
    public DrillCheck smokeQuery(String query) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.setQueryTimeout(600);
            try (ResultSet rs = s.executeQuery(query)) {
                if (!rs.next()) {
                    return DrillCheck.failed(SMOKE, "the smoke query returned no row: " + query);
                }
                Object value = rs.getObject(1);
                if (truthy(value)) {
                    return DrillCheck.passed(SMOKE, "the smoke query returned " + value + ": " + query);
                }
                return DrillCheck.failed(SMOKE, "the smoke query returned " + value + ", not a true"
                        + " value: " + query);
            }
        } catch (SQLException e) {
            return DrillCheck.failed(SMOKE, "the smoke query failed in " + describe() + ": "
                    + e.getMessage() + " (query: " + query + ")");
        }
    }

    static boolean truthy(Object value) {
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Number n) {
            return new BigDecimal(n.toString()).signum() != 0;
        }
        String text = value.toString().strip().toLowerCase(Locale.ROOT);
        return !text.isEmpty() && !List.of("f", "false", "0", "no", "off").contains(text);
    }

    @Override
    public String remove() throws IOException {
        List<String> dropped = new ArrayList<>();
        try (Connection c = admin.connect()) {
            c.setAutoCommit(true);
            for (String name : toDrop) {
                if (!exists(c, name)) {
                    continue;
                }
                try (PreparedStatement s = c.prepareStatement(
                        "select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()")) {
                    s.setString(1, name);
                    s.executeQuery().close();
                }
                try (Statement s = c.createStatement()) {
                    s.execute("drop database if exists " + Catalog.quoteIdent(name));
                }
                if (exists(c, name)) {
                    throw new IOException("database " + name + " on " + admin.host() + ":" + admin.port()
                            + " is still there after dropping it: drop it by hand");
                }
                dropped.add(name);
            }
        } catch (SQLException e) {
            throw new IOException("cannot drop the drill's database " + database + " on " + admin.host() + ":"
                    + admin.port() + ": " + e.getMessage() + ": drop it by hand (drop database " + Catalog.quoteIdent(database)
                    + ")", e);
        }
        return dropped.isEmpty() ? "nothing left on " + admin.host() + ":" + admin.port() + " (the restore removed "
                + database + " itself)" : "dropped database " + String.join(", ", dropped) + " on " + admin.host() + ":"
                + admin.port();
    }
}
