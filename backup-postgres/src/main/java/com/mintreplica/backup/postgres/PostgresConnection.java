package com.mintreplica.backup.postgres;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.postgres.internal.ConnectionUri;
import com.mintreplica.backup.postgres.internal.PgPass;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where a PostgreSQL database is and how to log in, resolved as libpq (psql) resolves it: what the connection string
 * or the builder says first, then the libpq environment ({@code PGHOST}, {@code PGPORT}, {@code PGDATABASE},
 * {@code PGUSER}, {@code PGPASSWORD}, {@code PGPASSFILE}, {@code PGSSLMODE}, {@code PGSSLROOTCERT}, {@code PGSSLCERT},
 * {@code PGSSLKEY}, {@code PGCONNECT_TIMEOUT}, {@code PGAPPNAME}), then the password file ({@code ~/.pgpass}), then
 * libpq's defaults (port 5432, the OS user, a database named like the user, {@code sslmode=prefer}).
 *
 * <pre>{@code
 * PostgresConnection db = PostgresConnection.builder()
 *     .url("postgresql://backup@db.example.com:5432/mint_replica?sslmode=verify-full")
 *     .build();                                  // password from PGPASSWORD or ~/.pgpass
 * }</pre>
 *
 * <p>Accepted strings: libpq URIs ({@code postgresql://} or {@code postgres://}), JDBC URLs
 * ({@code jdbc:postgresql://host:port/db?user=..&password=..&sslmode=..}) and libpq key/value strings
 * ({@code host=db port=5432 dbname=mint}). One TCP host only: the JDBC connection that takes the snapshot cannot use
 * Unix sockets, so the default host is {@code localhost} (libpq's would be the socket). Service files
 * ({@code PGSERVICE}) are not read.
 *
 * <p>The environment is read from the map given to {@link Builder#environment} ({@link System#getenv()} by default),
 * and the password file only when {@link #credentials()} is called, just before connecting. Immutable and safe to
 * share; its {@link #toString()} holds no password.
 */
public final class PostgresConnection {
    private static final Map<String, String> ENVIRONMENT_NAMES = Map.of(
            "PGSSLMODE", "sslmode", "PGSSLROOTCERT", "sslrootcert", "PGSSLCERT", "sslcert", "PGSSLKEY", "sslkey",
            "PGCONNECT_TIMEOUT", "connect_timeout", "PGAPPNAME", "application_name");

    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final Secret password;
    private final String passwordOrigin;
    private final Path passFile;
    private final Map<String, String> parameters;

    private PostgresConnection(String host, int port, String database, String user, Secret password,
                               String passwordOrigin, Path passFile, Map<String, String> parameters) {
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.passwordOrigin = passwordOrigin;
        this.passFile = passFile;
        this.parameters = Collections.unmodifiableMap(new TreeMap<>(parameters));
    }

    /** A connection from a URI, JDBC URL or key/value string, with the process environment. */
    public static PostgresConnection of(String location) {
        return builder().url(location).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The host name or address. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String database() {
        return database;
    }

    public String user() {
        return user;
    }

    /** The SSL mode, as libpq names it: disable, allow, prefer (the default), require, verify-ca, verify-full. */
    public String sslMode() {
        return parameters.get("sslmode");
    }

    /**
     * The libpq parameters besides host, port, database, user and password: {@code sslmode}, {@code sslrootcert},
     * {@code sslcert}, {@code sslkey}, {@code connect_timeout}, {@code application_name}. Sorted.
     */
    public Map<String, String> parameters() {
        return parameters;
    }

    /** {@code host:port/database}: what this connection reaches, without user or password. */
    public String describe() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/" + database;
    }

    /** The same server and login, another database (the password file is looked up again for it). */
    public PostgresConnection withDatabase(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("a database name is empty");
        }
        return new PostgresConnection(host, port, name, user, password, passwordOrigin, passFile, parameters);
    }

    /**
     * The user and the password to log in with: the one given (connection string, builder or {@code PGPASSWORD}),
     * else the first matching line of the password file, else none.
     *
     * @throws BackupException when the password file exists but cannot be read
     */
    public Credentials credentials() {
        if (password != null) {
            return new Credentials(user, Optional.of(password), passwordOrigin);
        }
        if (passFile != null) {
            try {
                Optional<String> found = PgPass.lookup(passFile, host, port, database, user);
                if (found.isPresent()) {
                    return new Credentials(user, Optional.of(Secret.of(found.get())), "the password file " + passFile);
                }
            } catch (IOException e) {
                throw new BackupException("cannot read the password file " + passFile + ": " + e.getMessage(), e);
            }
        }
        return new Credentials(user, Optional.empty(), "no password (none given, none in PGPASSWORD"
                + (passFile != null ? " or " + passFile : "") + ")");
    }

    /**
     * Opens a JDBC connection to this database with this login and these TLS settings, as backups and restores
     * connect; the caller closes it. For drills and checks that run their own SQL.
     *
     * @throws com.mintreplica.backup.core.AccessDeniedException when the login is refused
     * @throws com.mintreplica.backup.core.NotFoundException when the database does not exist
     * @throws BackupException when the server cannot be reached
     */
    public java.sql.Connection connect() {
        return com.mintreplica.backup.postgres.internal.Jdbc.open(this);
    }

    @Override
    public String toString() {
        return "PostgresConnection[" + user + "@" + describe() + ", sslmode=" + sslMode() + "]";
    }

    /**
     * The login a connection uses.
     *
     * @param user the user name
     * @param password the password, when there is one
     * @param origin where the password came from, for messages: {@code PGPASSWORD}, {@code the password file ...}
     */
    public record Credentials(String user, Optional<Secret> password, String origin) {
        public Credentials {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            Objects.requireNonNull(origin, "origin");
        }
    }

    /** Builds a {@link PostgresConnection}; values set here win over the URL's, which win over the environment's. */
    public static final class Builder {
        private String url;
        private String host;
        private Integer port;
        private String database;
        private String user;
        private Secret password;
        private final Map<String, String> parameters = new TreeMap<>();
        private Map<String, String> environment;

        private Builder() {
        }

        /** A libpq URI, JDBC URL or key/value string; see the class comment. */
        public Builder url(String value) {
            this.url = Objects.requireNonNull(value, "url");
            return this;
        }

        public Builder host(String value) {
            this.host = Objects.requireNonNull(value, "host");
            return this;
        }

        public Builder port(int value) {
            if (value < 1 || value > 65535) {
                throw new InvalidInputException("port " + value + " is not between 1 and 65535");
            }
            this.port = value;
            return this;
        }

        public Builder database(String value) {
            this.database = Objects.requireNonNull(value, "database");
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

        /** sslmode: disable, allow, prefer, require, verify-ca or verify-full. */
        public Builder sslMode(String value) {
            return parameter("sslmode", value);
        }

        /** A libpq parameter: sslmode, sslrootcert, sslcert, sslkey, connect_timeout or application_name. */
        public Builder parameter(String name, String value) {
            if (!ConnectionUri.PARAMETERS.contains(name)) {
                throw new InvalidInputException("unsupported connection parameter '" + name + "': use one of "
                        + new java.util.TreeSet<>(ConnectionUri.PARAMETERS));
            }
            parameters.put(name, Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * The environment to read {@code PG*} variables, {@code HOME} and {@code USER} from (default:
         * {@link System#getenv()}). Tests and embedding applications pass their own.
         */
        public Builder environment(Map<String, String> value) {
            this.environment = Map.copyOf(value);
            return this;
        }

        /**
         * Resolves the connection from what was set, the URL and the environment (not yet the password file).
         *
         * @throws InvalidInputException when a value is malformed
         */
        public PostgresConnection build() {
            Map<String, String> env = environment != null ? environment : System.getenv();
            Map<String, String> fromUrl = url != null ? ConnectionUri.parse(url) : Map.of();

            String h = first(host, fromUrl.get("host"), env.get("PGHOST"), "localhost");
            if (h.isEmpty()) {
                h = "localhost";
            }
            if (h.startsWith("/")) {
                throw new UnsupportedException("host '" + h + "' is a Unix-socket directory: connect over TCP instead"
                        + " (for example host=localhost), since the JDBC connection that takes the snapshot needs it");
            }
            if (h.contains(",")) {
                throw new UnsupportedException("host '" + h + "' names several hosts: give one host");
            }
            int p;
            if (port != null) {
                p = port;
            } else {
                String text = first(null, fromUrl.get("port"), env.get("PGPORT"), "5432");
                try {
                    p = Integer.parseInt(text.strip());
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("port '" + text + "' is not a number");
                }
                if (p < 1 || p > 65535) {
                    throw new InvalidInputException("port " + p + " is not between 1 and 65535");
                }
            }
            String osUser = first(null, env.get("USER"), env.get("LOGNAME"), System.getProperty("user.name", "postgres"));
            String u = first(user, fromUrl.get("user"), env.get("PGUSER"), osUser);
            String db = first(database, fromUrl.get("dbname"), env.get("PGDATABASE"), u);

            Secret pw = password;
            String origin = "the builder";
            if (pw == null && fromUrl.containsKey("password")) {
                pw = Secret.of(fromUrl.get("password"));
                origin = "the connection string";
            }
            if (pw == null && env.get("PGPASSWORD") != null) {
                pw = Secret.of(env.get("PGPASSWORD"));
                origin = "PGPASSWORD";
            }

            Map<String, String> params = new TreeMap<>();
            ENVIRONMENT_NAMES.forEach((variable, keyword) -> {
                if (env.get(variable) != null && !env.get(variable).isEmpty()) {
                    params.put(keyword, env.get(variable));
                }
            });
            fromUrl.forEach((k, v) -> {
                if (ConnectionUri.PARAMETERS.contains(k)) {
                    params.put(k, v);
                }
            });
            params.putAll(parameters);
            params.putIfAbsent("sslmode", "prefer");
            String mode = params.get("sslmode");
            if (!java.util.Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full").contains(mode)) {
                throw new InvalidInputException("sslmode '" + mode + "' is not one of disable, allow, prefer, require,"
                        + " verify-ca, verify-full");
            }

            Path passFile = null;
            String passFileName = first(params.remove("passfile"), env.get("PGPASSFILE"), null, null);
            if (passFileName != null) {
                passFile = Path.of(passFileName);
            } else if (env.get("HOME") != null) {
                passFile = Path.of(env.get("HOME"), ".pgpass");
            } else if (environment == null && System.getProperty("user.home") != null) {
                passFile = Path.of(System.getProperty("user.home"), ".pgpass");
            }
            return new PostgresConnection(h, p, db, u, pw, origin, passFile, params);
        }

        private static String first(String a, String b, String c, String d) {
            if (a != null) {
                return a;
            }
            if (b != null) {
                return b;
            }
            if (c != null && !c.isEmpty()) {
                return c;
            }
            return d;
        }
    }
}
