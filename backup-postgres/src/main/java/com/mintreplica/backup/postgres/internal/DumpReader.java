package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.postgres.DumpFormat;
import com.mintreplica.backup.postgres.PostgresConnection;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup of a database: the snapshot-holding JDBC transaction, pg_dump (and pg_dumpall) runs, the entries, and
 * the row counts taken at the end in the same snapshot.
 */
public final class DumpReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(DumpReader.class);

    /** The entry attribute that says what an entry holds: {@code dump}, {@code globals}, {@code directory}, {@code file}. */
    public static final String CONTENT = "postgresql.content";
    /** The entry attribute that names the dump format. */
    public static final String FORMAT = "postgresql.format";

    /**
     * What a backup needs.
     *
     * @param compression pg_dump's -Z level, or -1 for pg_dump's default
     */
    public record Settings(PostgresConnection connection, DumpFormat format, int jobs, boolean globals, PgTools tools,
                           int compression, Path tempDir) {
    }

    private final Settings settings;
    private final Connection jdbc;
    private final Catalog.ServerInfo server;
    private final PgTools.Tool pgDump;
    private final PgTools.Tool pgDumpAll;
    private final String snapshotId;
    private final String database;
    private final Deque<Step> steps = new ArrayDeque<>();
    private final Map<String, String> facts = new TreeMap<>();
    private ProcessContent current;
    private Path dumpDir;
    private Path workDir;
    private List<Path> pendingFiles;
    private boolean counted;

    private enum Step { GLOBALS, CUSTOM, DIRECTORY }

    private DumpReader(Settings settings, Connection jdbc, Catalog.ServerInfo server, PgTools.Tool pgDump,
                       PgTools.Tool pgDumpAll, String snapshotId) {
        this.settings = settings;
        this.jdbc = jdbc;
        this.server = server;
        this.pgDump = pgDump;
        this.pgDumpAll = pgDumpAll;
        this.snapshotId = snapshotId;
        this.database = settings.connection().database();
        if (settings.globals()) {
            steps.add(Step.GLOBALS);
        }
        steps.add(settings.format() == DumpFormat.CUSTOM ? Step.CUSTOM : Step.DIRECTORY);
    }

    /**
     * Connects, checks the tools against the server, and exports the snapshot every later step reads.
     *
     * @throws com.mintreplica.backup.core.AccessDeniedException when the login is refused
     * @throws com.mintreplica.backup.core.UnsupportedException when pg_dump is missing or older than the server
     */
    public static DumpReader open(Settings settings, BackupContext context) throws IOException {
        PostgresConnection c = settings.connection();
        Connection jdbc = Jdbc.open(c);
        try {
            Catalog.ServerInfo server = Catalog.serverInfo(jdbc);
            String serverText = "the server (PostgreSQL " + server.version() + " at " + c.describe() + ")";
            PgTools.Tool pgDump = settings.tools().find("pg_dump", server.major(), serverText);
            PgTools.Tool pgDumpAll = settings.globals()
                    ? settings.tools().find("pg_dumpall", server.major(), serverText) : null;
            jdbc.setAutoCommit(false);
            jdbc.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            jdbc.setReadOnly(true);
            String snapshot;
            try (Statement s = jdbc.createStatement()) {
                s.execute("set local idle_in_transaction_session_timeout = 0");
                try (ResultSet rs = s.executeQuery("select pg_export_snapshot()")) {
                    rs.next();
                    snapshot = rs.getString(1);
                }
            }
            LOG.info("backing up {} (PostgreSQL {}) with {} in snapshot {}", c.describe(), server.version(), pgDump,
                    snapshot);
            return new DumpReader(settings, jdbc, server, pgDump, pgDumpAll, snapshot);
        } catch (SQLException e) {
            closeQuietly(jdbc);
            throw new BackupException("cannot prepare the backup of " + c.describe() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(jdbc);
            throw e;
        }
    }

    @Override
    public Optional<SourceEntry> next() throws IOException {
        closeCurrent();
        while (!steps.isEmpty()) {
            Step step = steps.peek();
            switch (step) {
                case GLOBALS -> {
                    steps.pop();
                    Entry entry = Entry.regular("globals.sql").attribute(CONTENT, "globals").build();
                    return Optional.of(SourceEntry.of(entry, this::startGlobals));
                }
                case CUSTOM -> {
                    steps.pop();
                    Entry entry = Entry.regular(entryName(database) + ".dump").attribute(CONTENT, "dump")
                            .attribute(FORMAT, DumpFormat.CUSTOM.option()).build();
                    return Optional.of(SourceEntry.of(entry, this::startCustomDump));
                }
                case DIRECTORY -> {
                    Optional<SourceEntry> e = nextDirectoryEntry();
                    if (e.isPresent()) {
                        return e;
                    }
                    steps.pop();
                }
            }
        }
        if (!counted) {
            countRows();
        }
        return Optional.empty();
    }

    @Override
    public Map<String, String> facts() {
        return Map.copyOf(facts);
    }

    // ---- custom format and globals: streamed

    private InputStream startCustomDump() throws IOException {
        List<String> args = new ArrayList<>(List.of("--format=custom", "--snapshot=" + snapshotId, "--no-password"));
        if (settings.compression() >= 0) {
            args.add("--compress=" + settings.compression());
        }
        current = new ProcessContent(PgProcess.start(pgDump, args, settings.connection(), settings.tempDir(),
                PgProcess.Io.READ_STDOUT), "pg_dump of " + settings.connection().describe());
        return current;
    }

    private InputStream startGlobals() throws IOException {
        PostgresConnection maintenance = settings.connection();
        current = new ProcessContent(PgProcess.start(pgDumpAll, List.of("--globals-only", "--no-password"), maintenance,
                settings.tempDir(), PgProcess.Io.READ_STDOUT), "pg_dumpall --globals-only of "
                + settings.connection().host() + ":" + settings.connection().port());
        return current;
    }

    // ---- directory format: pg_dump writes a directory, whose files become entries

    private Optional<SourceEntry> nextDirectoryEntry() throws IOException {
        String base = entryName(database);
        if (pendingFiles == null) {
            dumpDirectory();
            try (Stream<Path> files = Files.list(dumpDir)) {
                pendingFiles = new ArrayList<>(files.filter(Files::isRegularFile)
                        .sorted(Comparator.comparing((Path p) -> !p.getFileName().toString().equals("toc.dat"))
                                .thenComparing(p -> p.getFileName().toString()))
                        .toList());
            }
            Entry dir = Entry.directory(base).attribute(CONTENT, "directory")
                    .attribute(FORMAT, DumpFormat.DIRECTORY.option()).build();
            return Optional.of(SourceEntry.of(dir, InputStream::nullInputStream));
        }
        if (pendingFiles.isEmpty()) {
            return Optional.empty();
        }
        Path file = pendingFiles.remove(0);
        Entry entry = Entry.regular(base + "/" + file.getFileName()).size(Files.size(file)).attribute(CONTENT, "file")
                .build();
        return Optional.of(SourceEntry.of(entry, () -> Files.newInputStream(file)));
    }

    private void dumpDirectory() throws IOException {
        workDir = Files.createTempDirectory(settings.tempDir(), "mint-pg-dump-");
        dumpDir = workDir.resolve("dump");
        List<String> args = new ArrayList<>(List.of("--format=directory", "--snapshot=" + snapshotId, "--no-password",
                "--jobs=" + settings.jobs(), "--file=" + dumpDir));
        if (settings.compression() >= 0) {
            args.add("--compress=" + settings.compression());
        }
        try (PgProcess p = PgProcess.start(pgDump, args, settings.connection(), settings.tempDir(), PgProcess.Io.NONE)) {
            int code = p.waitFor();
            if (code != 0) {
                throw new IOException("pg_dump of " + settings.connection().describe() + " failed with exit code "
                        + code + ": " + p.stderrTail());
            }
        }
    }

    // ---- facts

    private void countRows() throws IOException {
        counted = true;
        try {
            Map<String, Long> counts = Catalog.rowCounts(jdbc);
            counts.forEach((table, rows) -> facts.put(Catalog.ROWS + table, Long.toString(rows)));
            facts.put("postgresql.tables", Integer.toString(counts.size()));
        } catch (SQLException e) {
            throw new IOException("counting the rows of " + settings.connection().describe() + " failed: "
                    + e.getMessage(), e);
        }
        facts.put("postgresql.database", database);
        facts.put("postgresql.serverVersion", server.version());
        facts.put("postgresql.serverVersionNum", Integer.toString(server.versionNum()));
        facts.put("postgresql.databaseSize", Long.toString(server.databaseSize()));
        facts.put("postgresql.encoding", server.encoding());
        facts.put("postgresql.collate", server.collate());
        facts.put("postgresql.ctype", server.ctype());
        facts.put("postgresql.pgDumpVersion", pgDump.version());
        facts.put("postgresql.format", settings.format().option());
        facts.put("postgresql.compression", settings.compression() >= 0 ? Integer.toString(settings.compression())
                : "default");
        if (settings.format() == DumpFormat.DIRECTORY) {
            facts.put("postgresql.jobs", Integer.toString(settings.jobs()));
        }
    }

    // ---- closing

    private void closeCurrent() throws IOException {
        if (current != null) {
            ProcessContent c = current;
            current = null;
            c.close();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            closeCurrent();
        } finally {
            try {
                jdbc.rollback();
            } catch (SQLException ignored) {
                // the connection may be gone already
            }
            closeQuietly(jdbc);
            if (workDir != null) {
                deleteTree(workDir);
            }
        }
    }

    /** A name usable as an entry path segment. */
    static String entryName(String database) {
        String clean = database.replace('/', '_').replace('\0', '_');
        if (clean.isEmpty() || clean.equals(".") || clean.equals("..")) {
            clean = "_" + clean;
        }
        return clean;
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing to do
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("could not delete the temporary directory {}: {}", dir, e.getMessage());
        }
    }

    /**
     * The standard output of a running tool. At its end the tool's exit code is checked: a tool that failed makes
     * the stream fail instead of ending, so a partial dump is never stored as a complete one.
     */
    private static final class ProcessContent extends InputStream {
        private final PgProcess process;
        private final InputStream in;
        private final String what;
        private boolean ended;
        private boolean closed;

        ProcessContent(PgProcess process, String what) {
            this.process = process;
            this.in = process.stdout();
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            int n = in.read(b, off, len);
            if (n < 0) {
                int code = process.waitFor();
                if (code != 0) {
                    throw new IOException(what + " failed with exit code " + code + ": " + process.stderrTail());
                }
                ended = true;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                if (!ended) {
                    LOG.debug("{} closed before its end: stopping it", what);
                }
                process.close();
            }
        }
    }
}
