package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One verification of a stored dump; see {@link com.mintreplica.backup.postgres.PostgresVerifier}. */
public final class DumpCheck implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DumpCheck.class);

    private final Snapshot snapshot;
    private final PgTools.Tool pgRestore;
    private final Path tempDir;
    private final boolean readData;
    private final List<PgProcess> running = new ArrayList<>();
    private Path dumpDir;
    private String dirEntry;
    private int dumps;

    private DumpCheck(Snapshot snapshot, PgTools.Tool pgRestore, Path tempDir, boolean readData) {
        this.snapshot = snapshot;
        this.pgRestore = pgRestore;
        this.tempDir = tempDir;
        this.readData = readData;
    }

    public static DumpCheck begin(Snapshot snapshot, PgTools tools, Path tempRoot, boolean readData) throws IOException {
        if (!snapshot.source().kind().equals("postgresql")) {
            throw new InvalidInputException("snapshot " + snapshot.id() + " is of " + snapshot.source()
                    + ", not of a PostgreSQL database: pg_restore cannot check it");
        }
        String dumpVersion = snapshot.facts().get("postgresql.pgDumpVersion");
        int wanted = dumpVersion == null ? 0 : PgTools.majorOf(dumpVersion);
        PgTools.Tool pgRestore = tools.find("pg_restore", wanted, "the dump (written by pg_dump "
                + (dumpVersion == null ? "of an unknown version" : dumpVersion) + ")");
        return new DumpCheck(snapshot, pgRestore, Files.createTempDirectory(tempRoot, "mint-pg-verify-"), readData);
    }

    public void write(Entry entry, InputStream content) throws IOException {
        String kind = entry.attributes().getOrDefault(DumpReader.CONTENT,
                entry.path().endsWith(".dump") ? "dump" : "other");
        switch (kind) {
            case "dump" -> checkStream(entry.path(), content);
            case "directory" -> {
                dumpDir = tempDir.resolve("dump");
                dirEntry = entry.path();
                Files.createDirectories(dumpDir);
            }
            case "file" -> {
                if (dumpDir == null) {
                    throw new InvalidInputException("entry '" + entry.path() + "' of snapshot " + snapshot.id()
                            + " belongs to a directory-format dump whose directory entry was not selected");
                }
                String name = entry.path().substring(entry.path().lastIndexOf('/') + 1);
                try (OutputStream out = Files.newOutputStream(dumpDir.resolve(name))) {
                    content.transferTo(out);
                }
            }
            default -> {
                // globals.sql and anything else: the repository's own checks are all there is
            }
        }
    }

    public void finish() throws IOException {
        if (dumpDir != null) {
            checkDirectory();
        }
        if (dumps == 0) {
            throw new CorruptDataException("snapshot " + snapshot.id() + " of " + snapshot.source() + " holds no"
                    + " pg_dump archive to check");
        }
    }

    /** Streams the entry into pg_restore --list and, with readData, into a full read, at the same time. */
    private void checkStream(String path, InputStream content) throws IOException {
        PgProcess list = start(List.of("--list"));
        PgProcess read = readData ? start(List.of("--file=/dev/null")) : null;
        boolean listOpen = true;
        boolean readOpen = read != null;
        byte[] buf = new byte[256 * 1024];
        int n;
        while ((n = content.read(buf)) != -1) {
            if (listOpen) {
                listOpen = write(list, buf, n);
            }
            if (readOpen) {
                readOpen = write(read, buf, n);
            }
        }
        closeInput(list);
        if (read != null) {
            closeInput(read);
        }
        String where = "entry '" + path + "' of snapshot " + snapshot.id();
        if (list.waitFor() != 0) {
            throw new CorruptDataException(where + " is not a readable pg_dump archive: pg_restore --list said: "
                    + list.stderrTail());
        }
        if (read != null && read.waitFor() != 0) {
            throw new CorruptDataException(where + " cannot be read to its end by pg_restore: " + read.stderrTail());
        }
        checkTables(where, list);
        dumps++;
        LOG.info("{}: pg_restore read it{}", where, readData ? " to its end" : "'s table of contents");
    }

    private void checkDirectory() throws IOException {
        String where = "the directory-format dump '" + dirEntry + "' of snapshot " + snapshot.id();
        PgProcess list = start(List.of("--list", dumpDir.toString()));
        if (list.waitFor() != 0) {
            throw new CorruptDataException(where + " is not a readable pg_dump archive: pg_restore --list said: "
                    + list.stderrTail());
        }
        if (readData) {
            PgProcess read = start(List.of("--file=/dev/null", dumpDir.toString()));
            if (read.waitFor() != 0) {
                throw new CorruptDataException(where + " cannot be read to its end by pg_restore: " + read.stderrTail());
            }
        }
        checkTables(where, list);
        dumps++;
    }

    /** Every table the backup counted has a TABLE DATA item in the archive's table of contents. */
    private void checkTables(String where, PgProcess list) throws IOException {
        TreeSet<String> missing = new TreeSet<>();
        List<String[]> wanted = new ArrayList<>();
        for (Map.Entry<String, String> fact : snapshot.facts().entrySet()) {
            if (fact.getKey().startsWith(Catalog.ROWS)) {
                String table = fact.getKey().substring(Catalog.ROWS.length());
                wanted.add(new String[] {table, " TABLE DATA " + table.replaceFirst("\\.", " ") + " "});
                missing.add(table);
            }
        }
        if (wanted.isEmpty()) {
            return;
        }
        Path out = list.stdoutFile().orElseThrow();
        try (BufferedReader reader = Files.newBufferedReader(out, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null && !missing.isEmpty()) {
                if (!line.contains(" TABLE DATA ")) {
                    continue;
                }
                for (String[] w : wanted) {
                    if (line.contains(w[1])) {
                        missing.remove(w[0]);
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new CorruptDataException(where + " lacks the data of " + missing.size() + " table(s) the backup"
                    + " counted: " + missing);
        }
    }

    private PgProcess start(List<String> args) throws IOException {
        PgProcess p = PgProcess.start(pgRestore, args, null, tempDir, args.size() == 1 ? PgProcess.Io.WRITE_STDIN
                : PgProcess.Io.NONE);
        running.add(p);
        return p;
    }

    private static boolean write(PgProcess p, byte[] buf, int n) {
        try {
            p.stdin().write(buf, 0, n);
            return true;
        } catch (IOException closed) {
            return false; // it stopped reading: --list after the table of contents, or a failure its exit code tells
        }
    }

    private static void closeInput(PgProcess p) {
        try {
            p.stdin().close();
        } catch (IOException ignored) {
            // its exit code tells
        }
    }

    @Override
    public void close() {
        for (PgProcess p : running) {
            p.close();
        }
        running.clear();
        DumpReader.deleteTree(tempDir);
    }
}
