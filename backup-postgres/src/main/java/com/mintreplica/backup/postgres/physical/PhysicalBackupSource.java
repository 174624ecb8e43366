package com.mintreplica.backup.postgres.physical;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.physical.internal.BaseBackupReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A physical base backup of a running PostgreSQL cluster (15 or later), read on the database host: one JDBC session
 * calls {@code pg_backup_start(label, fast)}, PGDATA and every tablespace are walked and each file streamed into the
 * pipeline (nothing is staged on disk), then {@code pg_backup_stop(true)} waits until the last WAL segment the backup
 * needs is archived; the {@code backup_label} and {@code tablespace_map} it returns become entries.
 *
 * <pre>{@code
 * Source base = PhysicalBackupSource.builder()
 *     .url("postgresql://backup@localhost:5432/postgres")      // a superuser or a role with pg_backup_start
 *     .pgdata(Path.of("/var/lib/postgresql/15/main"))          // default: the server's data_directory
 *     .build();
 * }</pre>
 *
 * <p>Entries: {@code pgdata/...} (the data directory, {@code pg_tblspc/OID} as symlinks to where the tablespaces were)
 * and {@code tablespaces/OID/...} (each tablespace's content). What PostgreSQL's documentation says to leave out of a
 * base backup is left out: the contents of {@code pg_wal}, {@code pg_replslot}, {@code pg_dynshmem},
 * {@code pg_notify}, {@code pg_serial}, {@code pg_snapshots}, {@code pg_stat_tmp} and {@code pg_subtrans} (the
 * directories are kept), {@code postmaster.pid}, {@code postmaster.opts}, {@code pg_internal.init}, temporary files
 * and directories ({@code pgsql_tmp*}), an old {@code backup_label} or {@code tablespace_map}, and signal files. Files
 * that grow, shrink or vanish while read are normal (WAL replay repairs them): what is there is read.
 */
public final class PhysicalBackupSource implements Source {
    private final PostgresConnection connection;
    private final Optional<Path> pgdata;
    private final boolean fastCheckpoint;
    private final String name;
    private final Duration archiveWait;

    private PhysicalBackupSource(Builder b, PostgresConnection connection) {
        this.connection = connection;
        this.pgdata = Optional.ofNullable(b.pgdata);
        this.fastCheckpoint = b.fastCheckpoint;
        this.name = b.name != null ? b.name : connection.host() + ":" + connection.port();
        this.archiveWait = b.archiveWait;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Kind {@code postgresql-physical}, named by the cluster name given, else {@code host:port}. */
    @Override
    public SourceId id() {
        return new SourceId(PhysicalFacts.KIND, name);
    }

    /** The server it backs up. */
    public PostgresConnection connection() {
        return connection;
    }

    @Override
    public SourceReader open(BackupContext context) throws IOException {
        return BaseBackupReader.open(connection, pgdata, fastCheckpoint, archiveWait, context);
    }

    @Override
    public String toString() {
        return "PhysicalBackupSource[" + connection.describe() + pgdata.map(p -> ", " + p).orElse("") + "]";
    }

    /** Builds a {@link PhysicalBackupSource}. */
    public static final class Builder {
        private PostgresConnection connection;
        private String url;
        private com.mintreplica.backup.core.Secret password;
        private Map<String, String> environment;
        private Path pgdata;
        private boolean fastCheckpoint = true;
        private String name;
        private Duration archiveWait = Duration.ofMinutes(10);

        private Builder() {
        }

        /** The server, as a libpq URI or JDBC URL (any database: the backup is of the whole cluster). */
        public Builder url(String value) {
            this.url = Objects.requireNonNull(value, "url");
            return this;
        }

        /** The password, overriding the URL's, PGPASSWORD and the password file. */
        public Builder password(com.mintreplica.backup.core.Secret value) {
            this.password = Objects.requireNonNull(value, "password");
            return this;
        }

        /** The environment holding the libpq variables (default: {@link System#getenv()}). */
        public Builder environment(Map<String, String> value) {
            this.environment = Map.copyOf(value);
            return this;
        }

        /** A connection built elsewhere, instead of url/password/environment. */
        public Builder connection(PostgresConnection value) {
            this.connection = Objects.requireNonNull(value, "connection");
            return this;
        }

        /**
         * The data directory as this process sees it (default: the server's {@code data_directory}, which is right
         * when this runs on the database host).
         */
        public Builder pgdata(Path value) {
            this.pgdata = Objects.requireNonNull(value, "pgdata");
            return this;
        }

        /** Whether {@code pg_backup_start} asks for an immediate checkpoint (default true) or waits for the next one. */
        public Builder fastCheckpoint(boolean value) {
            this.fastCheckpoint = value;
            return this;
        }

        /** The name snapshots are grouped by (default {@code host:port}): the WAL archive's cluster name fits. */
        public Builder name(String value) {
            if (value == null || value.isBlank()) {
                throw new InvalidInputException("the name of a physical source is empty");
            }
            this.name = value.strip();
            return this;
        }

        /**
         * How long {@code pg_backup_stop} may wait for the backup's last WAL segment to be archived before the backup
         * fails (default 10 minutes): a backup whose WAL never reaches the archive cannot be restored.
         */
        public Builder archiveWait(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new InvalidInputException("archiveWait must be positive");
            }
            this.archiveWait = value;
            return this;
        }

        public PhysicalBackupSource build() {
            PostgresConnection c = connection;
            if (c == null) {
                if (url == null) {
                    throw new InvalidInputException("a physical PostgreSQL source needs a server: call url(...) or"
                            + " connection(...)");
                }
                PostgresConnection.Builder cb = PostgresConnection.builder().url(url)
                        .environment(environment != null ? environment : System.getenv());
                if (password != null) {
                    cb.password(password);
                }
                c = cb.build();
            } else if (url != null || password != null) {
                throw new InvalidInputException("give either connection(...) or url/password, not both");
            }
            return new PhysicalBackupSource(this, c);
        }
    }

}
