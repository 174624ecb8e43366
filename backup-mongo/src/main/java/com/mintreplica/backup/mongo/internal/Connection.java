package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.sink.Sinks;
import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCredential;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How to reach a MongoDB deployment: a connection string held as a {@link Secret}, credentials given apart, or a client
 * the application owns. It describes itself without credentials and scrubs every secret it knows out of messages, so a
 * driver error that quotes the connection string never carries the password further.
 */
public final class Connection {
    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)(?:^|&)[^=&]*(?:password|passwd|secret|token|key|credential|authMechanismProperties)[^=&]*=([^&]*)");
    private static final Pattern USER_INFO = Pattern.compile("^[a-zA-Z+]+://([^@/]*)@");

    private final ConnectionString connectionString;
    private final MongoClient client;
    private final String user;
    private final Secret password;
    private final List<String> secrets;

    private Connection(ConnectionString connectionString, MongoClient client, String user, Secret password,
                       List<String> secrets) {
        this.connectionString = connectionString;
        this.client = client;
        this.user = user;
        this.password = password;
        this.secrets = List.copyOf(secrets);
    }

    /**
     * A connection from a connection string such as {@code mongodb://user:pw@db1,db2/?replicaSet=rs0}, with optional
     * credentials given apart from it (they take precedence over those in the string).
     *
     * @throws InvalidInputException when the string is not a valid MongoDB connection string; the message holds no
     *     secret
     */
    public static Connection of(Secret uri, String user, Secret password) {
        Objects.requireNonNull(uri, "connection string");
        String raw = uri.reveal();
        List<String> secrets = secretsIn(raw);
        if (password != null && !password.isEmpty()) {
            secrets.add(password.reveal());
        }
        ConnectionString cs;
        try {
            cs = new ConnectionString(raw);
        } catch (RuntimeException e) {
            throw new InvalidInputException("the MongoDB connection string " + scrub(Sinks.redact(raw), secrets)
                    + " is not valid: " + scrub(e.getMessage(), secrets)
                    + ". Give one such as mongodb://db1.example.com:27017/?replicaSet=rs0");
        }
        if (cs.getPassword() != null && cs.getPassword().length > 0) {
            secrets.add(new String(cs.getPassword()));
        }
        if (cs.getProxyPassword() != null && !cs.getProxyPassword().isEmpty()) {
            secrets.add(cs.getProxyPassword());
        }
        if (password != null && user == null && cs.getUsername() == null) {
            throw new InvalidInputException("a password was given for the MongoDB connection to " + describe(cs)
                    + " without a user name: give credentials(user, password)");
        }
        return new Connection(cs, null, user, password, secrets);
    }

    /** A connection over a client the application owns: it is used as it is and never closed here. */
    public static Connection of(MongoClient client) {
        return new Connection(null, Objects.requireNonNull(client, "client"), null, null, List.of());
    }

    /** The hosts (or SRV host) and nothing else: {@code mongodb://db1:27017,db2:27017}. Never credentials. */
    public String describe() {
        if (connectionString != null) {
            return describe(connectionString);
        }
        List<String> hosts = new ArrayList<>();
        client.getClusterDescription().getClusterSettings().getHosts().forEach(h -> hosts.add(h.toString()));
        return "mongodb://" + String.join(",", hosts);
    }

    /** The hosts part of {@link #describe()}, without the scheme. */
    public String hosts() {
        String d = describe();
        return d.substring(d.indexOf("://") + 3);
    }

    /** The database named in the connection string's path, if any. */
    public Optional<String> database() {
        return connectionString == null ? Optional.empty() : Optional.ofNullable(connectionString.getDatabase());
    }

    /** An open client; closing the handle closes the client only when this connection created it. */
    public Handle open(String applicationName) {
        if (client != null) {
            return new Handle(client, false);
        }
        MongoClientSettings.Builder settings = MongoClientSettings.builder()
                .applyConnectionString(connectionString)
                .applicationName(applicationName);
        if (user != null || password != null) {
            String name = user != null ? user : connectionString.getUsername();
            String source = connectionString.getCredential() != null ? connectionString.getCredential().getSource()
                    : Optional.ofNullable(connectionString.getDatabase()).orElse("admin");
            char[] chars = password == null ? new char[0] : password.chars();
            settings.credential(MongoCredential.createCredential(name, source, chars));
        }
        try {
            return new Handle(MongoClients.create(settings.build()), true);
        } catch (RuntimeException e) {
            throw new InvalidInputException("cannot create a MongoDB client for " + describe() + ": "
                    + scrub(e.getMessage()), safeCause(e));
        }
    }

    /** {@code message} with every secret this connection knows replaced by {@code ***}. */
    public String scrub(String message) {
        return scrub(message, secrets);
    }

    /** An I/O failure about {@code what}, with the driver's message scrubbed and the cause kept only if it is clean. */
    public IOException failure(String what, Throwable cause) {
        return new IOException(what + " (" + describe() + "): " + scrub(String.valueOf(cause.getMessage())),
                safeCause(cause));
    }

    /** {@code cause} when no message in its chain holds a secret; otherwise null, so it is not chained. */
    public Throwable safeCause(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()) + t;
            for (String s : secrets) {
                if (m.contains(s)) {
                    return null;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return cause;
    }

    private static String describe(ConnectionString cs) {
        String scheme = cs.isSrvProtocol() ? "mongodb+srv://" : "mongodb://";
        return scheme + String.join(",", cs.getHosts());
    }

    private static List<String> secretsIn(String raw) {
        List<String> out = new ArrayList<>();
        Matcher m = USER_INFO.matcher(raw);
        if (m.find()) {
            String userInfo = m.group(1);
            int colon = userInfo.indexOf(':');
            if (colon >= 0 && colon < userInfo.length() - 1) {
                String encoded = userInfo.substring(colon + 1);
                out.add(encoded);
                out.add(decode(encoded));
            }
        }
        int q = raw.indexOf('?');
        if (q >= 0) {
            Matcher p = SECRET_PARAM.matcher(raw.substring(q + 1));
            while (p.find()) {
                if (!p.group(1).isEmpty()) {
                    out.add(p.group(1));
                    out.add(decode(p.group(1)));
                }
            }
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static String scrub(String message, List<String> secrets) {
        if (message == null) {
            return null;
        }
        String out = message;
        for (String s : secrets) {
            if (s.length() >= 1) {
                out = out.replace(s, "***");
            }
        }
        return out;
    }

    /** An open client and whether closing it is ours to do. */
    public record Handle(MongoClient client, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                client.close();
            }
        }
    }
}
