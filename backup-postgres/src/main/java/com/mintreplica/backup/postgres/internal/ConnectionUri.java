package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.UnsupportedException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses the connection strings people give: libpq URIs ({@code postgresql://user:pw@host:5432/db?sslmode=require},
 * also {@code postgres://}), JDBC URLs ({@code jdbc:postgresql://host/db?user=u&password=p}) and libpq key/value
 * strings ({@code host=db port=5432 dbname=mint}) into libpq keywords ({@code host}, {@code port}, {@code dbname},
 * {@code user}, {@code password}, {@code sslmode}, ...). Messages never repeat the password.
 */
public final class ConnectionUri {
    /** The libpq keywords a connection understands, besides host, port, dbname, user and password. */
    public static final Set<String> PARAMETERS = Set.of("sslmode", "sslrootcert", "sslcert", "sslkey",
            "connect_timeout", "application_name", "passfile");
    private static final Map<String, String> JDBC_NAMES = Map.of("connectTimeout", "connect_timeout",
            "ApplicationName", "application_name");

    private ConnectionUri() {
    }

    /** The libpq keywords of {@code location}; keys absent from it are absent from the map. */
    public static Map<String, String> parse(String location) {
        if (location == null || location.isBlank()) {
            throw new InvalidInputException("a PostgreSQL connection string is empty: give postgresql://host:port/dbname");
        }
        String s = location.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:")) {
            String rest = s.substring("jdbc:postgresql:".length());
            if (!rest.startsWith("//")) {
                // jdbc:postgresql:dbname means localhost:5432/dbname
                return uri("//localhost/" + rest, true, location);
            }
            return uri(rest, true, location);
        }
        if (lower.startsWith("jdbc:")) {
            throw new UnsupportedException("'" + redact(location) + "' is not a PostgreSQL JDBC URL: it should start"
                    + " with jdbc:postgresql://");
        }
        if (lower.startsWith("postgresql://") || lower.startsWith("postgres://")) {
            return uri(s.substring(s.indexOf("//")), false, location);
        }
        if (s.contains("=")) {
            return keyValues(s, location);
        }
        throw new InvalidInputException("'" + redact(location) + "' is not a PostgreSQL connection string: give"
                + " postgresql://host:port/dbname, jdbc:postgresql://host:port/dbname or host=... dbname=...");
    }

    /** {@code location} with the password of a URI or key/value string replaced by {@code ***}. */
    public static String redact(String location) {
        if (location == null) {
            return null;
        }
        String out = location.replaceAll("(?<=://)([^/@:]*):[^/@]*@", "$1:***@");
        out = out.replaceAll("(?i)([?&]password=)[^&]*", "$1***");
        out = out.replaceAll("(?i)(^|\\s)(password\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|\\S*)", "$1$2***");
        return out;
    }

    private static Map<String, String> uri(String afterScheme, boolean jdbc, String original) {
        // afterScheme is //[user[:password]@][host][:port][/dbname][?params]
        String rest = afterScheme.substring(2);
        Map<String, String> out = new LinkedHashMap<>();
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = null;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            String user = colon >= 0 ? userInfo.substring(0, colon) : userInfo;
            if (!user.isEmpty()) {
                out.put("user", decode(user, original));
            }
            if (colon >= 0) {
                out.put("password", decode(userInfo.substring(colon + 1), original));
            }
        }
        if (rest.contains(",")) {
            throw new UnsupportedException("'" + redact(original) + "' names several hosts: give one host (multi-host"
                    + " connection strings are not supported)");
        }
        String host = rest;
        String port = null;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                throw new InvalidInputException("'" + redact(original) + "' has an unclosed IPv6 address");
            }
            String after = host.substring(close + 1);
            host = host.substring(1, close);
            if (after.startsWith(":")) {
                port = after.substring(1);
            }
        } else {
            int colon = host.lastIndexOf(':');
            if (colon >= 0) {
                port = host.substring(colon + 1);
                host = host.substring(0, colon);
            }
        }
        if (!host.isEmpty()) {
            out.put("host", decode(host, original));
        }
        if (port != null && !port.isEmpty()) {
            out.put("port", port);
        }
        if (path != null && !path.isEmpty()) {
            out.put("dbname", decode(path, original));
        }
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq >= 0 ? pair.substring(0, eq) : pair, original);
                String value = eq >= 0 ? decode(pair.substring(eq + 1), original) : "";
                put(out, jdbc ? jdbcKey(key) : key, jdbc && key.equals("ssl") ? sslValue(value) : value,
                        original);
            }
        }
        return out;
    }

    private static String jdbcKey(String key) {
        if (key.equals("ssl")) {
            return "sslmode";
        }
        return JDBC_NAMES.getOrDefault(key, key);
    }

    private static String sslValue(String value) {
        return value.isEmpty() || value.equalsIgnoreCase("true") ? "require" : "disable";
    }

    private static Map<String, String> keyValues(String s, String original) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int eq = s.indexOf('=', i);
            if (eq < 0) {
                throw new InvalidInputException("'" + redact(original) + "': expected keyword=value at '"
                        + redact(s.substring(i)) + "'");
            }
            String key = s.substring(i, eq).strip();
            i = eq + 1;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && s.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(s.charAt(i++));
                    } else if (c == '\'') {
                        closed = true;
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (!closed) {
                    throw new InvalidInputException("'" + redact(original) + "' has an unterminated quoted value for "
                            + key);
                }
            } else {
                while (i < n && !Character.isWhitespace(s.charAt(i))) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(s.charAt(i++));
                    } else {
                        value.append(c);
                    }
                }
            }
            put(out, key, value.toString(), original);
        }
        return out;
    }

    private static void put(Map<String, String> out, String key, String value, String original) {
        switch (key) {
            case "host", "hostaddr" -> {
                if (value.contains(",")) {
                    throw new UnsupportedException("'" + redact(original) + "' names several hosts: give one host"
                            + " (multi-host connection strings are not supported)");
                }
                out.put("host", value);
            }
            case "port", "dbname", "user", "password" -> out.put(key, value);
            default -> {
                if (!PARAMETERS.contains(key)) {
                    throw new InvalidInputException("'" + redact(original) + "' has the parameter '" + key
                            + "', which is not supported: use host, port, dbname, user, password or one of "
                            + new java.util.TreeSet<>(PARAMETERS));
                }
                out.put(key, value);
            }
        }
    }

    private static String decode(String s, String original) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("'" + redact(original) + "' has a bad %-escape");
        }
    }
}
