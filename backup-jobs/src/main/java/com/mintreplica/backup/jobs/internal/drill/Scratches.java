package com.mintreplica.backup.jobs.internal.drill;

import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Sources;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Makes the scratch target for a snapshot's kind. The database scratches are named only in their own methods, so their
 * modules (optional dependencies) are loaded only when a drill of their kind runs.
 */
public final class Scratches {
    private Scratches() {
    }

    /** A scratch directory under {@code base}. */
    public static Scratch directory(Path base, String drill, List<Entry> entries, boolean hashes) throws IOException {
        return DirectoryScratch.create(base, drill, entries, hashes);
    }

    /** A scratch database on the PostgreSQL server {@code server}. */
    public static Scratch postgres(String server, Map<String, String> environment, Map<String, String> options,
                                   Snapshot snapshot, Path tempDir) throws IOException {
        requireModule("postgresql", "backup-postgres");
        return PostgresScratch.create(server, environment, options, snapshot, tempDir);
    }

    /** Scratch databases on the MongoDB server {@code server}, one per database of the snapshot. */
    public static Scratch mongo(String server, Map<String, String> environment, Map<String, String> options,
                                Snapshot snapshot, List<Entry> entries) throws IOException {
        requireModule("mongodb", "backup-mongo");
        return MongoScratch.create(server, environment, options, snapshot, entries);
    }

    private static void requireModule(String kind, String module) {
        if (Sources.forKind(kind).isEmpty()) {
            throw new UnsupportedException("a drill of a " + kind + " snapshot needs the module com.mintreplica.backup:"
                    + module + " on the class path");
        }
    }
}
