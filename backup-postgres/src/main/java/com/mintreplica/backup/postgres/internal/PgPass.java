package com.mintreplica.backup.postgres.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a libpq password file ({@code ~/.pgpass} or {@code PGPASSFILE}) by libpq's rules: lines of
 * {@code hostname:port:database:username:password}, {@code *} matching anything in the first four fields, {@code \:}
 * and {@code \\} as escapes, {@code #} lines as comments, the first matching line wins, {@code localhost} matching a
 * Unix-socket host, and a file that the group or others may access is ignored (with a warning), as libpq does.
 */
public final class PgPass {
    private static final Logger LOG = LoggerFactory.getLogger(PgPass.class);
    private static final Set<PosixFilePermission> TOO_OPEN = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private PgPass() {
    }

    /** The password of the first line matching the connection, if the file exists, is private and has one. */
    public static Optional<String> lookup(Path file, String host, int port, String database, String user)
            throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(file)) {
            LOG.warn("password file {} is not a plain file; it is ignored", file);
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(TOO_OPEN::contains)) {
                LOG.warn("password file {} has group or world access; it is ignored. Make it private: chmod 0600 {}",
                        file, file);
                return Optional.empty();
            }
        } catch (UnsupportedOperationException notPosix) {
            // no permission bits to check (as libpq on Windows)
        }
        String hostKey = host == null || host.isEmpty() || host.startsWith("/") ? "localhost" : host;
        String[] wanted = {hostKey, Integer.toString(port), database, user};
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                Optional<String> password = match(line, wanted);
                if (password.isPresent()) {
                    return password;
                }
            }
        }
        return Optional.empty();
    }

    /** The password of {@code line} if its first four fields match {@code wanted}. */
    static Optional<String> match(String line, String[] wanted) {
        List<String> fields = new ArrayList<>(5);
        StringBuilder field = new StringBuilder();
        int i = 0;
        while (i < line.length() && fields.size() < 4) {
            char c = line.charAt(i++);
            if (c == '\\' && i < line.length()) {
                field.append(line.charAt(i++));
            } else if (c == ':') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        if (fields.size() < 4) {
            return Optional.empty(); // a malformed line matches nothing
        }
        for (int f = 0; f < 4; f++) {
            String value = fields.get(f);
            if (!value.equals("*") && !value.equals(wanted[f])) {
                return Optional.empty();
            }
        }
        StringBuilder password = new StringBuilder();
        for (; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                password.append(line.charAt(++i));
            } else {
                password.append(c);
            }
        }
        return Optional.of(password.toString());
    }

    /** A password-file line matching any connection, with {@code :} and {@code \} escaped. */
    public static String anyConnectionLine(String password) {
        return "*:*:*:*:" + password.replace("\\", "\\\\").replace(":", "\\:") + "\n";
    }
}
