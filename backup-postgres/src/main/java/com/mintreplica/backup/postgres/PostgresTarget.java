package com.mintreplica.backup.postgres;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.postgres.internal.PgTools;
import com.mintreplica.backup.postgres.internal.RestoreSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Restores a snapshot of a {@link PostgresSource} into a database with pg_restore, then runs {@code VACUUM ANALYZE}
 * and checks every table's row count against the counts the backup recorded; a difference fails the restore with a
 * table-by-table report ({@link RowCountMismatchException}, also kept as {@link #lastCheck()}).
 *
 * <pre>{@code
 * repo.restore(SnapshotSelector.latest())
 *     .to(PostgresTarget.builder().url("postgresql://db.example.com/postgres").database("ledger_check").build())
 *     .run();
 * }</pre>
 *
 * <p>Where it restores to ({@link Builder#database}, by default the database the snapshot was taken of):
 * <ul>
 * <li>a database that does not exist is created (template0, with the recorded encoding and locale), then restored
 *     into;</li>
 * <li>an existing database of the snapshot's own name (the original) is replaced: the snapshot is restored into a
 *     new database beside it ({@code <name>_mint_restore}), checked there, and only then swapped in by renaming, and
 *     the old one dropped. A failed restore leaves the original as it was. Other sessions on the original make the
 *     restore fail, unless {@link Builder#terminateSessions} is set;</li>
 * <li>an existing database of another name is restored into when it holds no tables, replaced as above when
 *     {@link Builder#replaceExisting} is set, and refused otherwise.</li>
 * </ul>
 * A database it created is dropped again when the restore fails.
 *
 * <p>The custom-format dump streams from the repository into pg_restore's standard input; with
 * {@link Builder#jobs} above 1 it is first written to a temporary file, since parallel pg_restore needs a file it can
 * seek in. The directory format is always written to a temporary directory first. {@code globals.sql} is applied with
 * psql only when {@link Builder#globals} is set (errors such as existing roles are logged, not fatal).
 *
 * <p>One instance restores one snapshot at a time; create one per restore.
 */
public final class PostgresTarget implements RestoreTarget {
    private final Settings settings;
    private RestoreSession session;
    private RowCountCheck lastCheck;

    private PostgresTarget(Settings settings) {
        this.settings = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * What a target was configured with.
     *
     * @param connection the server and login, or empty to use the snapshot's host and port with the environment's login
     * @param database the database to restore into, or empty for the snapshot's own
     * @param maintenanceDatabase the database to connect to for CREATE, DROP and RENAME DATABASE
     */
    public record Settings(Optional<PostgresConnection> connection, Optional<String> database,
                           String maintenanceDatabase, int jobs, boolean terminateSessions, boolean replaceExisting,
                           boolean noOwner, boolean globals, Optional<Path> binDir, Map<String, String> environment,
                           Path tempDir) {
        public Settings {
            Objects.requireNonNull(connection, "connection");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(maintenanceDatabase, "maintenanceDatabase");
            Objects.requireNonNull(binDir, "binDir");
            environment = Map.copyOf(environment);
            Objects.requireNonNull(tempDir, "tempDir");
        }
    }

    public Settings settings() {
        return settings;
    }

    /** The row-count check of the last restore that got that far, passed or failed. */
    public Optional<RowCountCheck> lastCheck() {
        return Optional.ofNullable(lastCheck);
    }

    @Override
    public void begin(RestoreContext context) throws IOException {
        if (session != null) {
            throw new IllegalStateException("this PostgresTarget is restoring already: use one per restore");
        }
        lastCheck = null;
        session = RestoreSession.begin(settings, new PgTools(settings.binDir(), settings.environment(),
                PgTools.DEBIAN_ROOT), context);
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        requireSession().write(entry, content);
    }

    @Override
    public void finish() throws IOException {
        RestoreSession s = requireSession();
        try {
            s.finish();
        } finally {
            lastCheck = s.check().orElse(null);
        }
        s.close();
        session = null;
    }

    @Override
    public void abort(Exception cause) {
        if (session != null) {
            lastCheck = session.check().orElse(lastCheck);
            session.abort(cause);
            session = null;
        }
    }

    private RestoreSession requireSession() {
        if (session == null) {
            throw new IllegalStateException("begin(...) was not called");
        }
        return session;
    }

    @Override
    public String toString() {
        return "PostgresTarget[" + settings.connection().map(PostgresConnection::describe).orElse("snapshot's server")
                + ", database " + settings.database().orElse("of the snapshot") + "]";
    }

    /** Builds a {@link PostgresTarget}. */
    public static final class Builder {
        private PostgresConnection connection;
        private String url;
        private String user;
        private Secret password;
        private String database;
        private String maintenanceDatabase = "postgres";
        private int jobs = 1;
        private boolean terminateSessions;
        private boolean replaceExisting;
        private boolean noOwner;
        private boolean globals;
        private Path binDir;
        private Map<String, String> environment;
        private Path tempDir;

        private Builder() {
        }

        /**
         * The server and login (its database name is not where the restore goes: see {@link #database}). Default:
         * the host and port the snapshot was taken from, with the environment's login.
         */
        public Builder connection(PostgresConnection value) {
            this.connection = Objects.requireNonNull(value, "connection");
            return this;
        }

        /** The server as a libpq URI, JDBC URL or key/value string (see {@link PostgresConnection}). */
        public Builder url(String value) {
            this.url = Objects.requireNonNull(value, "url");
            return this;
        }

        public Builder user(String value) {
            this.user = Objects.requireNonNull(value, "user");
            return this;
        }

        public Builder password(Secret value) {
            this.password = Objects.requireNonNull(value, "password");
            return this;
        }

        /** The database to restore into (default: the one the snapshot was taken of). */
        public Builder database(String value) {
            if (value == null || value.isEmpty()) {
                throw new InvalidInputException("a target database name is empty");
            }
            this.database = value;
            return this;
        }

        /** The database to connect to for creating, renaming and dropping databases (default {@code postgres}). */
        public Builder maintenanceDatabase(String value) {
            this.maintenanceDatabase = Objects.requireNonNull(value, "maintenanceDatabase");
            return this;
        }

        /** Parallel pg_restore jobs (default 1). Above 1, a custom-format dump goes through a temporary file. */
        public Builder jobs(int value) {
            if (value < 1) {
                throw new InvalidInputException("jobs must be at least 1: " + value);
            }
            this.jobs = value;
            return this;
        }

        /** Terminate other sessions on a database that is replaced, instead of failing (default false). */
        public Builder terminateSessions(boolean value) {
            this.terminateSessions = value;
            return this;
        }

        /** Replace an existing database of another name that holds tables, instead of failing (default false). */
        public Builder replaceExisting(boolean value) {
            this.replaceExisting = value;
            return this;
        }

        /** Restore without ownership and privileges ({@code --no-owner --no-privileges}), for another cluster's roles. */
        public Builder noOwner(boolean value) {
            this.noOwner = value;
            return this;
        }

        /** Apply {@code globals.sql} (roles, tablespaces) with psql before the database (default false). */
        public Builder globals(boolean value) {
            this.globals = value;
            return this;
        }

        /** The directory holding pg_restore and psql; when set, nothing else is searched. */
        public Builder binDir(Path value) {
            this.binDir = Objects.requireNonNull(value, "binDir");
            return this;
        }

        /** The environment holding PATH and the libpq variables (default: {@link System#getenv()}). */
        public Builder environment(Map<String, String> value) {
            this.environment = Map.copyOf(value);
            return this;
        }

        /** Where temporary dump files go (default: java.io.tmpdir). */
        public Builder tempDir(Path value) {
            this.tempDir = Objects.requireNonNull(value, "tempDir");
            return this;
        }

        public PostgresTarget build() {
            Map<String, String> env = environment != null ? environment : System.getenv();
            PostgresConnection c = connection;
            if (c == null && (url != null || user != null || password != null)) {
                PostgresConnection.Builder cb = PostgresConnection.builder().environment(env);
                if (url != null) {
                    cb.url(url);
                }
                if (user != null) {
                    cb.user(user);
                }
                if (password != null) {
                    cb.password(password);
                }
                c = cb.build();
            } else if (c != null && (url != null || user != null || password != null)) {
                throw new InvalidInputException("give either connection(...) or url/user/password, not both");
            }
            return new PostgresTarget(new Settings(Optional.ofNullable(c), Optional.ofNullable(database),
                    maintenanceDatabase, jobs, terminateSessions, replaceExisting, noOwner, globals,
                    Optional.ofNullable(binDir), env, tempDir != null ? tempDir
                    : Path.of(System.getProperty("java.io.tmpdir"))));
        }
    }
}
