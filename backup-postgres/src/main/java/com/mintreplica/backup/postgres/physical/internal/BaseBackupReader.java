package com.mintreplica.backup.postgres.physical.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.postgres.PostgresConnection;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One base backup: {@code pg_backup_start} on a session held open, the walk of the tablespaces and PGDATA (listed as
 * paths first, each file's attributes read when its entry is handed out), {@code pg_backup_stop} after the last file,
 * then {@code pgdata/backup_label} and {@code pgdata/tablespace_map}. Closing the reader early closes the session,
 * which makes PostgreSQL abort the backup.
 */
public final class BaseBackupReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(BaseBackupReader.class);

    /** Directories of PGDATA whose contents a base backup leaves out (the directories themselves are kept). */
    static final Set<String> EMPTY_DIRS = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial",
            "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    /** Files at the top of PGDATA a base backup leaves out. */
    static final Set<String> TOP_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "backup_label.old", "tablespace_map", "tablespace_map.old", "postgresql.auto.conf.tmp",
            "current_logfiles.tmp", "recovery.signal", "standby.signal", "backup_manifest");

    private final Connection session;
    private final Path pgdata;
    private final Duration archiveWait;
    private final Iterator<Item> items;
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final String serverVersion;
    private final String systemIdentifier;
    private final String startLsn;
    private boolean stopped;
    private final List<SourceEntry> tail = new ArrayList<>();

    private record Item(Path path, String name, boolean keepEmpty) {
    }

    private BaseBackupReader(Connection session, Path pgdata, Duration archiveWait, List<Item> items,
                             String serverVersion, String systemIdentifier, String startLsn) {
        this.session = session;
        this.pgdata = pgdata;
        this.archiveWait = archiveWait;
        this.items = items.iterator();
        this.serverVersion = serverVersion;
        this.systemIdentifier = systemIdentifier;
        this.startLsn = startLsn;
    }

    public static BaseBackupReader open(PostgresConnection connection, Optional<Path> pgdataGiven, boolean fast,
                                        Duration archiveWait, BackupContext context) throws IOException {
        Connection c = connection.connect();
        boolean ok = false;
        try {
            int versionNum = Integer.parseInt(one(c, "show server_version_num"));
            String version = one(c, "show server_version");
            if (versionNum < 150000) {
                throw new UnsupportedException("physical base backups need PostgreSQL 15 or later (pg_backup_start);"
                        + " the server at " + connection.describe() + " runs " + version);
            }
            String walLevel = one(c, "show wal_level");
            if (walLevel.equals("minimal")) {
                throw new InvalidInputException("the server at " + connection.describe() + " runs with wal_level=minimal,"
                        + " which cannot restore a base backup: set wal_level=replica (and archive_mode=on) and restart it");
            }
            Path pgdata = pgdataGiven.orElseGet(() -> Path.of(one(c, "show data_directory")));
            if (!Files.isDirectory(pgdata) || !Files.isRegularFile(pgdata.resolve("PG_VERSION"))) {
                throw new InvalidInputException("'" + pgdata + "' is not the data directory of the server at "
                        + connection.describe() + " (no PG_VERSION there): a physical backup runs on the database"
                        + " host; give pgdata where this process sees it");
            }
            String sysid = one(c, "select system_identifier::text from pg_control_system()");
            String start;
            try (PreparedStatement ps = c.prepareStatement("select pg_backup_start(?, ?)::text")) {
                ps.setString(1, "mint-backup " + context.clock().instant());
                ps.setBoolean(2, fast);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    start = rs.getString(1);
                }
            }
            LOG.info("base backup of {} started at {}", connection.describe(), start);
            Map<String, String> locations = new java.util.TreeMap<>();
            List<Item> items = list(pgdata, locations);
            BaseBackupReader reader = new BaseBackupReader(c, pgdata, archiveWait, items, version, sysid, start);
            reader.facts.put("postgresql.physical.startLsn", start);
            reader.facts.put("postgresql.physical.startTime", one(c, "select to_char(clock_timestamp() at time zone 'UTC',"
                    + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
            reader.facts.put("postgresql.physical.pgdata", pgdata.toString());
            locations.forEach((oid, where) -> reader.facts.put("postgresql.physical.tablespace." + oid, where));
            ok = true;
            return reader;
        } catch (SQLException e) {
            throw new BackupException("cannot start a base backup of " + connection.describe() + ": " + e.getMessage(), e);
        } finally {
            if (!ok) {
                closeQuietly(c);
            }
        }
    }

    /** Lists tablespaces first ({@code tablespaces/OID/...}), then PGDATA ({@code pgdata/...}). */
    private static List<Item> list(Path pgdata, Map<String, String> locations) throws IOException {
        List<Item> out = new ArrayList<>();
        Path tblspc = pgdata.resolve("pg_tblspc");
        List<Path> links = new ArrayList<>();
        if (Files.isDirectory(tblspc)) {
            try (Stream<Path> s = Files.list(tblspc)) {
                s.filter(p -> Files.isSymbolicLink(p)).sorted().forEach(links::add);
            }
        }
        for (Path link : links) {
            Path location = link.toRealPath();
            locations.put(link.getFileName().toString(), location.toString());
            walk(location, "tablespaces/" + link.getFileName(), out, false);
        }
        walk(pgdata, "pgdata", out, true);
        return out;
    }

    private static void walk(Path root, String prefix, List<Item> out, boolean isPgdata) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String rel = root.relativize(dir).toString();
                String name = rel.isEmpty() ? prefix : prefix + "/" + rel;
                String base = dir.getFileName() == null ? "" : dir.getFileName().toString();
                if (!rel.isEmpty() && base.startsWith("pgsql_tmp")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (isPgdata && EMPTY_DIRS.contains(rel)) {
                    out.add(new Item(dir, name, true));
                    if (rel.equals("pg_wal")) {
                        out.add(new Item(dir.resolve("archive_status"), name + "/archive_status", true));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                out.add(new Item(dir, name, false));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String rel = root.relativize(file).toString();
                String base = file.getFileName().toString();
                if (isPgdata && TOP_FILES.contains(rel)) {
                    return FileVisitResult.CONTINUE;
                }
                if (base.equals("pg_internal.init") || base.startsWith("pgsql_tmp")) {
                    return FileVisitResult.CONTINUE;
                }
                out.add(new Item(file, prefix + "/" + rel, false));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // dropped while we looked: replay drops it too
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Override
    public Optional<SourceEntry> next() throws IOException {
        while (items.hasNext()) {
            Item item = items.next();
            Optional<SourceEntry> e = entry(item);
            if (e.isPresent()) {
                return e;
            }
        }
        if (!stopped) {
            stop();
        }
        return tail.isEmpty() ? Optional.empty() : Optional.of(tail.remove(0));
    }

    private Optional<SourceEntry> entry(Item item) throws IOException {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(item.path(), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            if (item.keepEmpty()) {
                return Optional.of(SourceEntry.of(Entry.directory(item.name()).mode(0700).build(), null));
            }
            return Optional.empty(); // vanished since it was listed: WAL replay accounts for it
        }
        int mode = modeOf(a.permissions());
        if (a.isDirectory()) {
            return Optional.of(SourceEntry.of(Entry.directory(item.name()).mode(mode)
                    .modified(a.lastModifiedTime().toInstant()).build(), null));
        }
        if (a.isSymbolicLink()) {
            String target = Files.readSymbolicLink(item.path()).toString();
            return Optional.of(SourceEntry.of(Entry.symlink(item.name(), target).build(), null));
        }
        if (!a.isRegularFile()) {
            return Optional.empty(); // sockets, fifos: nothing PostgreSQL needs
        }
        Entry entry = Entry.regular(item.name()).mode(mode).modified(a.lastModifiedTime().toInstant()).build();
        Path path = item.path();
        return Optional.of(SourceEntry.of(entry, () -> {
            try {
                return Files.newInputStream(path);
            } catch (NoSuchFileException e) {
                return InputStream.nullInputStream(); // dropped as we opened it: replay drops it too
            }
        }));
    }

    private void stop() throws IOException {
        stopped = true;
        String label;
        String map;
        String stop;
        try (Statement st = session.createStatement()) {
            st.execute("set statement_timeout = " + archiveWait.toMillis());
            try (ResultSet rs = st.executeQuery("select lsn::text, labelfile, spcmapfile from pg_backup_stop(true)")) {
                rs.next();
                stop = rs.getString(1);
                label = rs.getString(2);
                map = rs.getString(3);
            }
            st.execute("set statement_timeout = 0");
        } catch (SQLException e) {
            if ("57014".equals(e.getSQLState())) {
                throw new BackupException("the base backup's last WAL segment was not archived within " + archiveWait
                        + ": check archive_mode and archive_command (pg_stat_archiver shows failures)", e);
            }
            throw new BackupException("pg_backup_stop failed: " + e.getMessage(), e);
        }
        String stopTime = one(session, "select to_char(clock_timestamp() at time zone 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        String timeline = "1";
        for (String line : label.split("\n")) {
            if (line.startsWith("START TIMELINE:")) {
                timeline = line.substring("START TIMELINE:".length()).strip();
            }
        }
        facts.put("postgresql.physical.stopLsn", stop);
        facts.put("postgresql.physical.stopTime", Instant.parse(stopTime).toString());
        facts.put("postgresql.physical.timeline", timeline);
        facts.put("postgresql.physical.systemIdentifier", systemIdentifier);
        facts.put("postgresql.physical.version", serverVersion);
        int tablespaces = map == null ? 0 : (int) map.lines().filter(l -> !l.isBlank()).count();
        facts.put("postgresql.physical.tablespaces", Integer.toString(tablespaces));
        LOG.info("base backup started at {} stopped at {} (timeline {})", startLsn, stop, timeline);
        tail.add(content("pgdata/backup_label", label));
        if (map != null && !map.isEmpty()) {
            tail.add(content("pgdata/tablespace_map", map));
        }
    }

    private static SourceEntry content(String path, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return SourceEntry.of(Entry.regular(path).mode(0600).build(), () -> new ByteArrayInputStream(bytes));
    }

    @Override
    public Map<String, String> facts() {
        return Map.copyOf(facts);
    }

    @Override
    public void close() {
        closeQuietly(session); // before pg_backup_stop, closing the session aborts the backup
    }

    private static int modeOf(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= switch (p) {
                case OWNER_READ -> 0400;
                case OWNER_WRITE -> 0200;
                case OWNER_EXECUTE -> 0100;
                case GROUP_READ -> 040;
                case GROUP_WRITE -> 020;
                case GROUP_EXECUTE -> 010;
                case OTHERS_READ -> 04;
                case OTHERS_WRITE -> 02;
                case OTHERS_EXECUTE -> 01;
            };
        }
        return mode;
    }

    static String one(Connection c, String sql) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new BackupException("'" + sql + "' failed: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("closing the base backup session: {}", e.getMessage());
        }
    }
}
