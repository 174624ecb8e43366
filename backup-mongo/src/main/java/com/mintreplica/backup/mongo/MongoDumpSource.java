package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.mongo.internal.DumpDirectoryReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Imports a directory that {@code mongodump --out DIR} wrote ({@code DIR/<db>/<collection>.bson} and
 * {@code .metadata.json}, gzipped or not) as a MongoDB snapshot, so old dumps join the repository and restore like any
 * snapshot a {@link MongoSource} took: into a server with {@link MongoTarget}, checked by {@link MongoVerifier},
 * exported again with {@link MongoDumpTarget}.
 *
 * <pre>{@code
 * Backup.pipeline().source(MongoDumpSource.of(Path.of("/srv/dumps/2026-11-24"))).to(repository)
 *     .time(Instant.parse("2026-11-24T01:00:00Z")).job("mongo-nightly").build().run();
 * }</pre>
 *
 * <p>Every document is read and checked as BSON on the way in (a damaged dump fails the import, naming the file and
 * byte offset), and every collection's document count is recorded as a {@link MongoSource} records it. A directory that
 * holds collection files directly ({@code mongodump --db X --out DIR} then {@code DIR/X} given) is one database named
 * after the directory. Not imported, each with a warning in the snapshot: {@code oplog.bson} (the snapshot is not
 * point-in-time beyond what the dump itself was), {@code system.*} collections other than {@code system.js} (users,
 * roles, time-series buckets), and files that are not mongodump's.
 */
public final class MongoDumpSource implements Source {
    private final Path directory;

    private MongoDumpSource(Path directory) {
        this.directory = directory;
    }

    /**
     * The dump in {@code directory}.
     *
     * @throws InvalidInputException when it is not a directory
     */
    public static MongoDumpSource of(Path directory) {
        Path dir = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException((Files.exists(dir) ? dir + " is not a directory" : dir + " does not exist")
                    + ": give the directory mongodump wrote (its --out), which holds a directory per database");
        }
        return new MongoDumpSource(dir);
    }

    /** The directory the dump is read from. */
    public Path directory() {
        return directory;
    }

    /** Kind {@code mongodb}, named by the dump's directory: {@code mongodump:/srv/dumps/2026-11-24}. */
    @Override
    public SourceId id() {
        return new SourceId(MongoSource.KIND, "mongodump:" + directory);
    }

    @Override
    public SourceReader open(BackupContext context) throws IOException {
        return DumpDirectoryReader.open(directory, context);
    }

    @Override
    public String toString() {
        return "MongoDumpSource[" + directory + "]";
    }
}
