package com.mintreplica.backup.postgres;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.postgres.internal.Catalog;
import com.mintreplica.backup.postgres.internal.DumpReader;
import com.mintreplica.backup.postgres.internal.Jdbc;
import com.mintreplica.backup.postgres.internal.PgTools;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Backs up one PostgreSQL database with pg_dump, in a consistent snapshot, with exact row counts.
 *
 * <pre>{@code
 * Source ledger = PostgresSource.builder()
 *     .url("postgresql://backup@db.example.com/mint_replica")   // password from PGPASSWORD or ~/.pgpass
 *     .build();
 * Backup.pipeline().source(ledger).to(repository).tags("hourly").build().run();
 * }</pre>
 *
 * <p>Each backup opens a JDBC connection in a REPEATABLE READ, read-only transaction, exports its snapshot
 * ({@code pg_export_snapshot()}) and runs pg_dump with {@code --snapshot}, so the dump and the row counts taken in the
 * same transaction describe the same instant. Before it dumps, it checks that the server is reachable and that
 * pg_dump's major version is at least the server's.
 *
 * <p>Entries: {@code globals.sql} (roles and tablespaces from {@code pg_dumpall --globals-only}) when
 * {@link Builder#globals asked}; then {@code <database>.dump}, the custom-format archive streamed from pg_dump's
 * standard output (no temporary file), or, in the directory format, the directory {@code <database>} and its files
 * (pg_dump writes them to a temporary directory first). Facts ({@link SourceReader#facts()}):
 * {@code postgresql.rows.<schema>.<table>} (exact counts), {@code postgresql.tables}, {@code postgresql.database},
 * {@code postgresql.serverVersion}, {@code postgresql.serverVersionNum}, {@code postgresql.databaseSize} (bytes),
 * {@code postgresql.encoding}, {@code postgresql.collate}, {@code postgresql.ctype}, {@code postgresql.pgDumpVersion},
 * {@code postgresql.format}, {@code postgresql.compression}.
 *
 * <p>Compression: by default ({@link Builder#compression} not set) pg_dump writes an uncompressed archive
 * ({@code -Z0}) when the repository is {@link Layout#CHUNKED}, as {@link BackupContext#layout()} tells: the pipeline
 * chunks by content and then compresses each chunk, so unchanged tables give unchanged chunks that are stored once.
 * For the single-object layout pg_dump compresses as it does by default, so the stored file is a plain pg_dump archive.
 *
 * <p>The password reaches pg_dump only through a private password file named in its environment; it is never in a
 * process argument, a log line or the manifest. The source id is {@code postgresql:host:port/database}.
 */
public final class PostgresSource implements Source {
    private final PostgresConnection connection;
    private final DumpFormat format;
    private final int jobs;
    private final boolean globals;
    private final Optional<Path> binDir;
    private final Map<String, String> environment;
    private final OptionalInt compression;
    private final Path tempDir;

    private PostgresSource(Builder b, PostgresConnection connection, Map<String, String> environment) {
        this.connection = connection;
        this.format = b.format;
        this.jobs = b.jobs;
        this.globals = b.globals;
        this.binDir = Optional.ofNullable(b.binDir);
        this.environment = environment;
        this.compression = b.compression;
        this.tempDir = b.tempDir != null ? b.tempDir : Path.of(System.getProperty("java.io.tmpdir"));
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public SourceId id() {
        return new SourceId("postgresql", connection.describe());
    }

    /** The database it backs up. */
    public PostgresConnection connection() {
        return connection;
    }

    public DumpFormat format() {
        return format;
    }

    @Override
    public SourceReader open(BackupContext context) throws IOException {
        PgTools tools = new PgTools(binDir, environment, PgTools.DEBIAN_ROOT);
        int level = compression.orElse(context.layout() == Layout.CHUNKED ? 0 : -1);
        return DumpReader.open(new DumpReader.Settings(connection, format, jobs, globals, tools, level, tempDir),
                context);
    }

    /**
     * Checks, without dumping anything, what a backup checks first: that the server answers this source's login, and
     * that a {@code pg_dump} (and a {@code pg_restore}, for restores and drills) of at least the server's major version
     * is found where a backup would look ({@link Builder#binDir}, else PATH and the versioned install directories).
     * For {@code mint-backup doctor}.
     *
     * @return the server's version and each tool, with its problem if it has one
     * @throws com.mintreplica.backup.core.AccessDeniedException when the login is refused
     * @throws com.mintreplica.backup.core.BackupException when the server cannot be reached
     */
    public PostgresPreflight preflight() {
        PgTools tools = new PgTools(binDir, environment, PgTools.DEBIAN_ROOT);
        Catalog.ServerInfo server;
        try (Connection c = Jdbc.open(connection)) {
            server = Catalog.serverInfo(c);
        } catch (SQLException e) {
            throw new BackupException("cannot read the version of the PostgreSQL server at " + connection.describe()
                    + ": " + e.getMessage(), e);
        }
        String serverText = "the server (PostgreSQL " + server.version() + " at " + connection.describe() + ")";
        List<PostgresPreflight.Tool> found = new ArrayList<>();
        for (String name : List.of("pg_dump", "pg_restore")) {
            try {
                PgTools.Tool tool = tools.find(name, server.major(), serverText);
                found.add(new PostgresPreflight.Tool(name, Optional.of(tool.path().toString()), Optional.of(tool.version()),
                        Optional.empty()));
            } catch (UnsupportedException e) {
                found.add(new PostgresPreflight.Tool(name, Optional.empty(), Optional.empty(), Optional.of(e.getMessage())));
            }
        }
        return new PostgresPreflight(connection.describe(), server.version(), found);
    }

    @Override
    public String toString() {
        return "PostgresSource[" + connection.describe() + ", " + format.option() + "]";
    }

    /** Builds a {@link PostgresSource}; a connection (or a URL) is required. */
    public static final class Builder {
        private PostgresConnection connection;
        private String url;
        private String user;
        private Secret password;
        private DumpFormat format = DumpFormat.CUSTOM;
        private int jobs = 1;
        private boolean globals;
        private Path binDir;
        private Map<String, String> environment;
        private OptionalInt compression = OptionalInt.empty();
        private Path tempDir;

        private Builder() {
        }

        /** The database to back up, resolved already. */
        public Builder connection(PostgresConnection value) {
            this.connection = Objects.requireNonNull(value, "connection");
            return this;
        }

        /** The database as a libpq URI, JDBC URL or key/value string (see {@link PostgresConnection}). */
        public Builder url(String value) {
            this.url = Objects.requireNonNull(value, "url");
            return this;
        }

        /** The user, overriding the URL's and PGUSER. */
        public Builder user(String value) {
            this.user = Objects.requireNonNull(value, "user");
            return this;
        }

        /** The password, overriding the URL's, PGPASSWORD and the password file. */
        public Builder password(Secret value) {
            this.password = Objects.requireNonNull(value, "password");
            return this;
        }

        /** Custom (default, streamed) or directory (parallel, through a temporary directory). */
        public Builder format(DumpFormat value) {
            this.format = Objects.requireNonNull(value, "format");
            return this;
        }

        /** Parallel pg_dump jobs for the directory format (default 1). */
        public Builder jobs(int value) {
            if (value < 1) {
                throw new InvalidInputException("jobs must be at least 1: " + value);
            }
            this.jobs = value;
            return this;
        }

        /** Also back up roles and tablespaces ({@code pg_dumpall --globals-only}) as {@code globals.sql}. */
        public Builder globals(boolean value) {
            this.globals = value;
            return this;
        }

        /** The directory holding pg_dump (and pg_dumpall); when set, nothing else is searched. */
        public Builder binDir(Path value) {
            this.binDir = Objects.requireNonNull(value, "binDir");
            return this;
        }

        /**
         * The environment holding {@code PATH} and the libpq variables (default: {@link System#getenv()}). Used for a
         * {@link #url} and to find the binaries.
         */
        public Builder environment(Map<String, String> value) {
            this.environment = Map.copyOf(value);
            return this;
        }

        /**
         * pg_dump's compression level, 0 to 9. Default: 0 for a chunked repository (the pipeline compresses after
         * deduplicating), pg_dump's own default otherwise.
         */
        public Builder compression(int level) {
            if (level < 0 || level > 9) {
                throw new InvalidInputException("compression must be between 0 and 9: " + level);
            }
            this.compression = OptionalInt.of(level);
            return this;
        }

        /** Where the directory format, password files and tool messages are kept while a backup runs (default: java.io.tmpdir). */
        public Builder tempDir(Path value) {
            this.tempDir = Objects.requireNonNull(value, "tempDir");
            return this;
        }

        public PostgresSource build() {
            Map<String, String> env = environment != null ? environment : System.getenv();
            PostgresConnection c = connection;
            if (c == null) {
                if (url == null) {
                    throw new InvalidInputException("a PostgreSQL source needs a database: call url(...) or connection(...)");
                }
                PostgresConnection.Builder cb = PostgresConnection.builder().url(url).environment(env);
                if (user != null) {
                    cb.user(user);
                }
                if (password != null) {
                    cb.password(password);
                }
                c = cb.build();
            } else if (user != null || password != null || url != null) {
                throw new InvalidInputException("give either connection(...) or url/user/password, not both");
            }
            if (jobs > 1 && format != DumpFormat.DIRECTORY) {
                throw new InvalidInputException("jobs " + jobs + " needs the directory format: pg_dump dumps in"
                        + " parallel only into a directory (format directory)");
            }
            return new PostgresSource(this, c, env);
        }
    }
}
