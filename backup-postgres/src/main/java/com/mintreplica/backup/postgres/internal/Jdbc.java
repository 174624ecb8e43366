package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.postgres.PostgresConnection;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens JDBC connections with the libpq settings of a {@link PostgresConnection}, and turns failures into clear errors. */
public final class Jdbc {
    private static final Logger LOG = LoggerFactory.getLogger(Jdbc.class);

    private Jdbc() {
    }

    /**
     * A connection to {@code connection}'s database.
     *
     * @throws AccessDeniedException when the login is refused (wrong or missing password, unknown user)
     * @throws NotFoundException when the database does not exist
     * @throws BackupException when the server cannot be reached
     */
    public static Connection open(PostgresConnection connection) {
        PostgresConnection.Credentials credentials = connection.credentials();
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        credentials.password().ifPresent(p -> props.setProperty("password", p.reveal()));
        connection.parameters().forEach((k, v) -> {
            switch (k) {
                case "sslmode", "sslrootcert", "sslcert", "sslkey" -> props.setProperty(k, v);
                case "connect_timeout" -> props.setProperty("connectTimeout", v);
                case "application_name" -> props.setProperty("ApplicationName", v);
                default -> {
                }
            }
        });
        props.putIfAbsent("connectTimeout", "10");
        props.putIfAbsent("ApplicationName", "mint-backup");
        String url = "jdbc:postgresql://" + (connection.host().contains(":") ? "[" + connection.host() + "]"
                : connection.host()) + ":" + connection.port() + "/" + urlEncode(connection.database());
        LOG.debug("connecting to {} as {} ({})", connection.describe(), credentials.user(),
                credentials.password().isPresent() ? "password from " + credentials.origin() : "no password");
        try {
            Connection c = new org.postgresql.Driver().connect(url, props);
            if (c == null) {
                throw new BackupException("the PostgreSQL JDBC driver did not accept " + connection.describe());
            }
            return c;
        } catch (SQLException e) {
            throw translate(e, connection, credentials);
        }
    }

    /**
     * A clear error for a failed login or connection of {@code connection}, for code that opens its own kind of
     * connection (the WAL receiver's replication connection).
     */
    public static BackupException failure(SQLException e, PostgresConnection connection) {
        return translate(e, connection, connection.credentials());
    }

    /** A clear error for a failed login or connection. */
    static BackupException translate(SQLException e, PostgresConnection connection,
                                     PostgresConnection.Credentials credentials) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = connection.describe();
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (state.equals("28P01") || (state.equals("28000") && message.contains("password"))) {
            return new AccessDeniedException("PostgreSQL at " + where + " refused the password of user '"
                    + credentials.user() + "' (password from " + credentials.origin() + "): check the password in"
                    + " PGPASSWORD, the password file (~/.pgpass or PGPASSFILE) or the connection string", e);
        }
        if (state.startsWith("28")) {
            return new AccessDeniedException("PostgreSQL at " + where + " refused the login of user '"
                    + credentials.user() + "': " + message + ". Check the user name and pg_hba.conf", e);
        }
        if (state.equals("08004") && message.toLowerCase(java.util.Locale.ROOT).contains("password")) {
            return new AccessDeniedException("PostgreSQL at " + where + " asks user '" + credentials.user()
                    + "' for a password, and none was found (" + credentials.origin() + "): set PGPASSWORD, add a"
                    + " line to ~/.pgpass (or PGPASSFILE) or put it in the connection string", e);
        }
        if (state.equals("3D000")) {
            return new NotFoundException("database '" + connection.database() + "' does not exist on "
                    + connection.host() + ":" + connection.port() + ": check the database name", e);
        }
        Throwable cause = e.getCause();
        if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                || cause instanceof SocketTimeoutException || cause instanceof UnknownHostException
                || state.equals("08001")) {
            String why = cause instanceof UnknownHostException ? "unknown host '" + connection.host() + "'"
                    : cause != null && cause.getMessage() != null ? cause.getMessage() : message;
            return new BackupException("cannot reach the PostgreSQL server at " + connection.host() + ":"
                    + connection.port() + " (" + why + "): check that it runs and accepts TCP connections on that"
                    + " host and port (listen_addresses, firewall), and the host and port you gave", e);
        }
        return new BackupException("cannot connect to PostgreSQL at " + where + ": " + message, e);
    }

    private static String urlEncode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }
}
