package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.PostgresTarget;
import com.mintreplica.backup.postgres.RowCountCheck;
import com.mintreplica.backup.postgres.RowCountMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One restore into a database; see {@link PostgresTarget} for what it does. */
public final class RestoreSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreSession.class);
    private static final int MAX_NAME = 63;

    private enum Mode { CREATE, INTO_EXISTING, REPLACE }

    private final PostgresTarget.Settings settings;
    private final Snapshot snapshot;
    private final PostgresConnection server;
    private final Connection admin;
    private final PgTools tools;
    private final PgTools.Tool pgRestore;
    private final String target;
    private final String work;
    private final Mode mode;
    private String created;
    private Path tempDir;
    private Path dumpDir;
    private boolean restored;
    private PgProcess running;
    private RowCountCheck check;

    private RestoreSession(PostgresTarget.Settings settings, Snapshot snapshot, PostgresConnection server,
                           Connection admin, PgTools tools, PgTools.Tool pgRestore, String target, String work,
                           Mode mode) {
        this.settings = settings;
        this.snapshot = snapshot;
        this.server = server;
        this.admin = admin;
        this.tools = tools;
        this.pgRestore = pgRestore;
        this.target = target;
        this.work = work;
        this.mode = mode;
    }

    /** Connects, decides where the restore goes, and creates the database it restores into. */
    public static RestoreSession begin(PostgresTarget.Settings settings, PgTools tools, RestoreContext context)
            throws IOException {
        Snapshot snapshot = context.snapshot();
        if (!snapshot.source().kind().equals("postgresql")) {
            throw new InvalidInputException("snapshot " + snapshot.id() + " is of " + snapshot.source()
                    + ", not of a PostgreSQL database: restore it with a target of kind " + snapshot.source().kind());
        }
        Map<String, String> facts = snapshot.facts();
        String original = facts.getOrDefault("postgresql.database", afterSlash(snapshot.source().name()));
        String target = settings.database().orElse(original);
        PostgresConnection server = settings.connection()
                .orElseGet(() -> fromSourceName(snapshot.source().name(), settings.environment()));
        PostgresConnection maintenance = server.withDatabase(settings.maintenanceDatabase());
        Connection admin = Jdbc.open(maintenance);
        try {
            admin.setAutoCommit(true);
            Catalog.ServerInfo info = Catalog.serverInfo(admin);
            int wanted = info.major();
            String dumpVersion = facts.get("postgresql.pgDumpVersion");
            String need = "the server (PostgreSQL " + info.version() + " at " + server.host() + ":" + server.port() + ")";
            if (dumpVersion != null && PgTools.majorOf(dumpVersion) > wanted) {
                wanted = PgTools.majorOf(dumpVersion);
                need = "the dump (written by pg_dump " + dumpVersion + ")";
            }
            PgTools.Tool pgRestore = tools.find("pg_restore", wanted, need);

            Mode mode;
            String work;
            if (!Catalog.databaseExists(admin, target)) {
                mode = Mode.CREATE;
                work = target;
            } else if (target.equals(original) || settings.replaceExisting()) {
                mode = Mode.REPLACE;
                work = derivedName(target, "_mint_restore");
                checkSessions(admin, target, settings.terminateSessions(), false);
            } else if (isEmpty(server.withDatabase(target))) {
                mode = Mode.INTO_EXISTING;
                work = target;
            } else {
                throw new ConflictException("database '" + target + "' on " + server.host() + ":" + server.port()
                        + " exists and holds tables, and it is not the database snapshot " + snapshot.id()
                        + " was taken of ('" + original + "'): choose another name, drop it, or allow replacing it"
                        + " (replace)");
            }
            RestoreSession session = new RestoreSession(settings, snapshot, server, admin, tools, pgRestore, target,
                    work, mode);
            session.prepare(facts);
            return session;
        } catch (SQLException e) {
            closeQuietly(admin);
            throw new BackupException("cannot prepare the restore into " + server.host() + ":" + server.port() + "/"
                    + target + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(admin);
            throw e;
        }
    }

    private void prepare(Map<String, String> facts) throws SQLException, IOException {
        if (mode == Mode.REPLACE && Catalog.databaseExists(admin, work)) {
            LOG.info("dropping {}, left by an earlier restore that did not finish", work);
            execute("drop database " + Catalog.quoteIdent(work));
        }
        if (mode != Mode.INTO_EXISTING) {
            createDatabase(work, facts);
            created = work;
        }
        tempDir = Files.createTempDirectory(settings.tempDir(), "mint-pg-restore-");
        LOG.info("restoring snapshot {} of {} into {}:{}/{}{}", snapshot.id(), snapshot.source(), server.host(),
                server.port(), target, mode == Mode.REPLACE ? " (through " + work + ", swapped in when checked)" : "");
    }

    private void createDatabase(String name, Map<String, String> facts) throws SQLException {
        String base = "create database " + Catalog.quoteIdent(name) + " template template0";
        String encoding = facts.get("postgresql.encoding");
        String withEncoding = encoding == null ? base : base + " encoding " + Catalog.quoteLiteral(encoding);
        String collate = facts.get("postgresql.collate");
        String ctype = facts.get("postgresql.ctype");
        try {
            if (collate != null && ctype != null) {
                try {
                    execute(withEncoding + " lc_collate " + Catalog.quoteLiteral(collate) + " lc_ctype "
                            + Catalog.quoteLiteral(ctype));
                    return;
                } catch (SQLException e) {
                    LOG.warn("cannot create {} with the original locale ({} / {}): {}; using the server's default",
                            name, collate, ctype, e.getMessage());
                }
            }
            execute(withEncoding);
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new AccessDeniedException("user '" + server.user() + "' may not create databases on "
                        + server.host() + ":" + server.port() + ": grant it CREATEDB or restore as another user", e);
            }
            throw e;
        }
    }

    /** Restores one entry of the snapshot. */
    public void write(Entry entry, InputStream content) throws IOException {
        String kind = entry.attributes().getOrDefault(DumpReader.CONTENT, guess(entry));
        switch (kind) {
            case "globals" -> applyGlobals(content);
            case "dump" -> restoreCustom(entry, content);
            case "directory" -> {
                dumpDir = tempDir.resolve("dump");
                Files.createDirectories(dumpDir);
            }
            case "file" -> {
                if (dumpDir == null) {
                    throw new InvalidInputException("entry '" + entry.path() + "' of snapshot " + snapshot.id()
                            + " belongs to a directory-format dump whose directory entry was not restored");
                }
                String name = entry.path().substring(entry.path().lastIndexOf('/') + 1);
                try (OutputStream out = Files.newOutputStream(dumpDir.resolve(name))) {
                    content.transferTo(out);
                }
            }
            default -> LOG.warn("entry '{}' of snapshot {} is not part of a PostgreSQL dump; it is skipped",
                    entry.path(), snapshot.id());
        }
    }

    private static String guess(Entry entry) {
        if (entry.type() == EntryType.REGULAR && entry.path().endsWith(".dump")) {
            return "dump";
        }
        return entry.path().equals("globals.sql") ? "globals" : "other";
    }

    private List<String> restoreArgs() {
        List<String> args = new ArrayList<>(List.of("--dbname=" + Catalog.dbnameConninfo(work), "--exit-on-error",
                "--no-password"));
        if (settings.noOwner()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        }
        return args;
    }

    private void restoreCustom(Entry entry, InputStream content) throws IOException {
        if (settings.jobs() > 1) {
            // Parallel pg_restore seeks in its input: the dump must be a file.
            Path file = tempDir.resolve("dump.custom");
            try (OutputStream out = Files.newOutputStream(file)) {
                content.transferTo(out);
            }
            List<String> args = restoreArgs();
            args.add("--jobs=" + settings.jobs());
            args.add(file.toString());
            runToEnd(args, "pg_restore of " + entry.path());
            Files.deleteIfExists(file);
        } else {
            try (PgProcess p = PgProcess.start(pgRestore, restoreArgs(), server, tempDir, PgProcess.Io.WRITE_STDIN)) {
                running = p;
                feed(content, p, "pg_restore of " + entry.path());
                running = null;
            }
        }
        restored = true;
    }

    /**
     * Writes content into the tool's standard input and waits for it. A tool that stops reading early fails with its
     * own message; a failure to read the content (corrupt data) propagates as it is, and the caller stops the tool.
     */
    private static void feed(InputStream content, PgProcess p, String what) throws IOException {
        byte[] buf = new byte[256 * 1024];
        OutputStream stdin = p.stdin();
        int n;
        while ((n = content.read(buf)) != -1) {
            try {
                stdin.write(buf, 0, n);
            } catch (IOException pipeClosed) {
                int code = p.waitFor();
                if (code == 0) {
                    LOG.debug("{} finished before the end of its input", what);
                    return;
                }
                throw new IOException(what + " failed with exit code " + code + ": " + p.stderrTail());
            }
        }
        try {
            stdin.close();
        } catch (IOException pipeClosed) {
            // its exit code tells
        }
        int code = p.waitFor();
        if (code != 0) {
            throw new IOException(what + " failed with exit code " + code + ": " + p.stderrTail());
        }
    }

    private void runToEnd(List<String> args, String what) throws IOException {
        try (PgProcess p = PgProcess.start(pgRestore, args, server, tempDir, PgProcess.Io.NONE)) {
            running = p;
            int code = p.waitFor();
            running = null;
            if (code != 0) {
                throw new IOException(what + " failed with exit code " + code + ": " + p.stderrTail());
            }
        }
    }

    private void applyGlobals(InputStream content) throws IOException {
        if (!settings.globals()) {
            LOG.info("globals.sql (roles, tablespaces) of snapshot {} is not applied: ask for it with globals", snapshot.id());
            return;
        }
        PgTools.Tool psql = tools.find("psql", pgRestore.major(), "pg_restore " + pgRestore.version());
        List<String> args = List.of("-X", "-q", "--no-password", "-d", Catalog.dbnameConninfo(
                settings.maintenanceDatabase()), "-f", "-");
        try (PgProcess p = PgProcess.start(psql, args, server, tempDir, PgProcess.Io.WRITE_STDIN)) {
            running = p;
            byte[] buf = new byte[64 * 1024];
            int n;
            boolean open = true;
            while ((n = content.read(buf)) > 0) {
                if (open) {
                    try {
                        p.stdin().write(buf, 0, n);
                    } catch (IOException closed) {
                        open = false;
                    }
                }
            }
            try {
                p.stdin().close();
            } catch (IOException ignored) {
                // its exit code tells
            }
            int code = p.waitFor();
            running = null;
            String messages = p.stderrTail();
            if (code != 0) {
                throw new IOException("psql applying globals.sql failed with exit code " + code + ": " + messages);
            }
            if (!messages.equals("(no message)")) {
                LOG.warn("globals.sql applied with messages (existing roles are expected): {}", messages);
            }
        }
    }

    /** Restores a directory-format dump, runs VACUUM ANALYZE, checks the row counts, swaps the database in. */
    public void finish() throws IOException {
        if (dumpDir != null) {
            List<String> args = restoreArgs();
            args.add("--jobs=" + settings.jobs());
            args.add(dumpDir.toString());
            runToEnd(args, "pg_restore of the directory-format dump");
            restored = true;
        }
        if (!restored) {
            LOG.warn("snapshot {}: no dump entry was restored, so nothing was checked", snapshot.id());
        } else {
            checkRows();
        }
        if (mode == Mode.REPLACE) {
            swap();
        }
        created = null;
        LOG.info("restored snapshot {} into {}:{}/{}{}", snapshot.id(), server.host(), server.port(), target,
                check == null ? "" : ": " + check.report());
    }

    private void checkRows() throws IOException {
        Map<String, String> facts = snapshot.facts();
        Map<String, Long> expected = new TreeMap<>();
        facts.forEach((k, v) -> {
            if (k.startsWith(Catalog.ROWS)) {
                expected.put(k.substring(Catalog.ROWS.length()), Long.parseLong(v));
            }
        });
        Map<String, Long> actual;
        try (Connection c = Jdbc.open(server.withDatabase(work))) {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("vacuum analyze");
            }
            actual = Catalog.rowCounts(c);
        } catch (SQLException e) {
            throw new IOException("VACUUM ANALYZE or counting rows in " + work + " failed: " + e.getMessage(), e);
        }
        if (!facts.containsKey("postgresql.tables")) {
            LOG.warn("snapshot {} recorded no row counts: the restore is not checked", snapshot.id());
            return;
        }
        TreeSet<String> names = new TreeSet<>(expected.keySet());
        names.addAll(actual.keySet());
        List<RowCountCheck.Table> tables = new ArrayList<>();
        for (String name : names) {
            tables.add(new RowCountCheck.Table(name, optional(expected.get(name)), optional(actual.get(name))));
        }
        check = new RowCountCheck(target, snapshot.id(), tables);
        if (!check.ok()) {
            throw new RowCountMismatchException(check, outcome());
        }
    }

    private String outcome() {
        return switch (mode) {
            case REPLACE -> "The restore was done into " + work + ", which is dropped; " + target + " is left as it was.";
            case CREATE -> "The database " + target + " created for the restore is dropped.";
            case INTO_EXISTING -> "The restored data stays in " + target + " for inspection.";
        };
    }

    private static OptionalLong optional(Long value) {
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    private void swap() throws IOException {
        String old = derivedName(target, "_mint_old");
        try {
            if (Catalog.databaseExists(admin, old)) {
                execute("drop database " + Catalog.quoteIdent(old));
            }
            checkSessions(admin, target, settings.terminateSessions(), true);
            renameWithRetry(target, old);
            try {
                execute("alter database " + Catalog.quoteIdent(work) + " rename to " + Catalog.quoteIdent(target));
            } catch (SQLException e) {
                execute("alter database " + Catalog.quoteIdent(old) + " rename to " + Catalog.quoteIdent(target));
                throw e;
            }
            created = null;
            try {
                execute("drop database " + Catalog.quoteIdent(old));
            } catch (SQLException e) {
                LOG.warn("the replaced database, renamed to {}, could not be dropped: {}; drop it by hand", old,
                        e.getMessage());
            }
        } catch (SQLException e) {
            throw new IOException("swapping the restored database " + work + " in for " + target + " failed: "
                    + e.getMessage(), e);
        }
    }

    private void renameWithRetry(String from, String to) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                execute("alter database " + Catalog.quoteIdent(from) + " rename to " + Catalog.quoteIdent(to));
                return;
            } catch (SQLException e) {
                // 55006: object in use, a session connected in between
                if (!"55006".equals(e.getSQLState()) || attempt >= 5) {
                    if ("55006".equals(e.getSQLState())) {
                        throw new ConflictException("database '" + from + "' is in use by other sessions: close them,"
                                + " or restore with terminate-sessions", e);
                    }
                    throw e;
                }
                checkSessions(admin, from, settings.terminateSessions(), true);
            }
        }
    }

    private static void checkSessions(Connection admin, String database, boolean terminate, boolean act)
            throws SQLException {
        List<String> sessions = Catalog.otherSessions(admin, database);
        if (sessions.isEmpty()) {
            return;
        }
        if (!terminate) {
            throw new ConflictException("database '" + database + "' has " + sessions.size() + " other session"
                    + (sessions.size() > 1 ? "s" : "") + " " + sessions + ": replacing it needs them closed; close"
                    + " them or restore with terminate-sessions");
        }
        if (act) {
            int n = Catalog.terminateSessions(admin, database);
            LOG.info("terminated {} session(s) on {} to replace it", n, database);
        }
    }

    /** The row-count check, once it ran. */
    public Optional<RowCountCheck> check() {
        return Optional.ofNullable(check);
    }

    /** Stops what runs and drops the database this restore created. */
    public void abort(Exception cause) {
        if (running != null) {
            running.close();
            running = null;
        }
        if (created != null) {
            try {
                execute("drop database if exists " + Catalog.quoteIdent(created) + " with (force)");
                LOG.info("dropped {} after the failed restore of snapshot {}", created, snapshot.id());
            } catch (SQLException e) {
                LOG.warn("could not drop {} after the failed restore: {}; drop it by hand", created, e.getMessage());
            }
            created = null;
        }
        close();
    }

    @Override
    public void close() {
        if (tempDir != null) {
            DumpReader.deleteTree(tempDir);
            tempDir = null;
        }
        closeQuietly(admin);
    }

    private void execute(String sql) throws SQLException {
        try (Statement s = admin.createStatement()) {
            s.execute(sql);
        }
    }

    private static boolean isEmpty(PostgresConnection database) throws SQLException {
        try (Connection c = Jdbc.open(database)) {
            return Catalog.tables(c).isEmpty();
        }
    }

    /** {@code name + suffix}, shortened to PostgreSQL's 63-byte limit for names. */
    static String derivedName(String name, String suffix) {
        String base = name;
        while ((base + suffix).getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            base = base.substring(0, base.length() - 1);
        }
        return base + suffix;
    }

    private static String afterSlash(String sourceName) {
        int slash = sourceName.lastIndexOf('/');
        return slash >= 0 ? sourceName.substring(slash + 1) : sourceName;
    }

    /** The connection of a snapshot's source name {@code host:port/database}, logging in as the environment says. */
    static PostgresConnection fromSourceName(String name, Map<String, String> environment) {
        int slash = name.lastIndexOf('/');
        String hostPort = slash >= 0 ? name.substring(0, slash) : name;
        String host = hostPort;
        Integer port = null;
        int colon = hostPort.lastIndexOf(':');
        if (colon > 0 && hostPort.indexOf(']') < colon) {
            host = hostPort.substring(0, colon);
            port = Integer.parseInt(hostPort.substring(colon + 1));
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        PostgresConnection.Builder b = PostgresConnection.builder().environment(environment).host(host)
                .database(afterSlash(name));
        if (port != null) {
            b.port(port);
        }
        return b.build();
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing to do
        }
    }
}
