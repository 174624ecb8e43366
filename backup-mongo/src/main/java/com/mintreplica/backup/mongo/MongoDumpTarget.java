package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.mongo.internal.BsonDocumentStream;
import com.mintreplica.backup.mongo.internal.CollectionMetadata;
import com.mintreplica.backup.mongo.internal.DumpPaths;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports a MongoDB snapshot as the directory {@code mongodump --out DIR} writes, which {@code mongorestore DIR}
 * restores: for each collection {@code DIR/<db>/<collection>.bson} (its documents, concatenated BSON) and
 * {@code DIR/<db>/<collection>.metadata.json} (options and indexes in mongodump's Extended JSON), views as metadata
 * only, collection names escaped in file names as mongodump escapes them. What {@code mint-backup restore SNAPSHOT
 * --target DIR} does with a MongoDB snapshot; {@link MongoDumpSource} imports such a directory back.
 *
 * <pre>{@code
 * MongoDumpTarget export = MongoDumpTarget.to(Path.of("/srv/export/mint"));
 * repository.restore(SnapshotSelector.latest().job("mongo-daily")).to(export).run();
 * }</pre>
 *
 * <p>The directory must be new or empty, so an export never mixes with another dump. Each file is written under a
 * temporary name and renamed when complete; every document is checked as BSON on the way, and each collection's
 * document count is compared with the count the snapshot recorded ({@link #report()}); a mismatch fails the export
 * with a {@link MongoCheckException}. A failed export removes the files it wrote.
 */
public final class MongoDumpTarget implements RestoreTarget {
    private static final Logger LOG = LoggerFactory.getLogger(MongoDumpTarget.class);
    private static final int MAX_METADATA = 16 << 20;

    private final Path directory;
    private RestoreContext context;
    private final Map<String, Long> written = new LinkedHashMap<>();
    private final List<Path> files = new ArrayList<>();
    private final List<Path> created = new ArrayList<>();
    private MongoRestoreReport report;

    private MongoDumpTarget(Path directory) {
        this.directory = directory;
    }

    /** An export into {@code directory}, which must not exist yet or be empty. */
    public static MongoDumpTarget to(Path directory) {
        return new MongoDumpTarget(Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize());
    }

    /** The directory the dump is written to. */
    public Path directory() {
        return directory;
    }

    /** The document counts of the last export, once it finished (also when they did not match). */
    public Optional<MongoRestoreReport> report() {
        return Optional.ofNullable(report);
    }

    @Override
    public void begin(RestoreContext context) throws IOException {
        if (!context.snapshot().source().kind().equals(MongoSource.KIND)) {
            throw new InvalidInputException("snapshot " + context.snapshot().id() + " is of " + context.snapshot().source()
                    + ", not a MongoDB backup: it cannot be exported as a mongodump directory");
        }
        if (Files.exists(directory)) {
            if (!Files.isDirectory(directory)) {
                throw new InvalidInputException(directory + " exists and is not a directory: give a new or empty"
                        + " directory for the mongodump export");
            }
            try (Stream<Path> s = Files.list(directory)) {
                if (s.findAny().isPresent()) {
                    throw new InvalidInputException(directory + " is not empty: a mongodump export goes into a new or"
                            + " empty directory, so that it never mixes with another dump");
                }
            }
        }
        this.context = context;
        written.clear();
        files.clear();
        created.clear();
        report = null;
        createDirectories(directory);
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        Optional<DumpPaths.Parsed> parsed = DumpPaths.of(entry);
        if (parsed.isEmpty()) {
            LOG.warn("entry '{}' of snapshot {} is not a collection's data or metadata; not exported", entry.path(),
                    context.snapshot().id());
            return;
        }
        DumpPaths.Parsed p = parsed.get();
        String name = p.kind() == DumpPaths.Kind.METADATA ? DumpPaths.metadata(p.database(), p.collection())
                : DumpPaths.data(p.database(), p.collection());
        Path target = directory.resolve(name).normalize();
        if (!target.startsWith(directory) || target.equals(directory)) {
            throw new CorruptDataException("entry '" + entry.path() + "' names a file outside " + directory);
        }
        createDirectories(target.getParent());
        Path temp = target.resolveSibling(".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                if (p.kind() == DumpPaths.Kind.METADATA) {
                    byte[] json = content.readNBytes(MAX_METADATA + 1);
                    if (json.length > MAX_METADATA) {
                        throw new CorruptDataException("entry '" + entry.path() + "' is larger than 16 MiB: not a"
                                + " collection's metadata");
                    }
                    try {
                        CollectionMetadata.parse(new String(json, StandardCharsets.UTF_8), p.collection());
                    } catch (IllegalArgumentException e) {
                        throw new CorruptDataException("entry '" + entry.path() + "' is not mongodump metadata: "
                                + e.getMessage(), e);
                    }
                    out.write(json);
                } else {
                    BsonDocumentStream documents = new BsonDocumentStream(content, entry.path());
                    byte[] doc;
                    while ((doc = documents.next()) != null) {
                        documents.check(doc);
                        out.write(doc);
                    }
                    written.merge(p.namespace(), documents.documents(), Long::sum);
                }
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            files.add(target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public void finish() throws IOException {
        Map<String, Long> expected = MongoFacts.counts(context.snapshot().facts());
        List<MongoRestoreReport.CollectionCheck> checks = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        written.forEach((ns, n) -> {
            Long recorded = expected.get(ns);
            checks.add(new MongoRestoreReport.CollectionCheck(ns, ns,
                    recorded == null ? OptionalLong.empty() : OptionalLong.of(recorded), n, n, 0));
        });
        if (!context.partial()) {
            expected.keySet().stream().filter(ns -> !written.containsKey(ns)).forEach(ns -> problems.add(ns
                    + ": the snapshot records " + expected.get(ns) + " documents but has no entry with its documents"));
        }
        report = new MongoRestoreReport(context.snapshot().id(), checks, problems);
        if (!report.ok()) {
            throw new MongoCheckException("the export of snapshot " + context.snapshot().id() + " to " + directory
                    + " does not match what the snapshot recorded: " + report.summary(), report);
        }
        LOG.info("exported snapshot {} as a mongodump directory {}: {}", context.snapshot().id(), directory,
                report.summary());
    }

    /** Removes what this export wrote: its files, then the directories it created, deepest first. */
    @Override
    public void abort(Exception cause) {
        for (Path file : files) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(created.get(i));
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getParent() != null) {
            createDirectories(dir.getParent());
        }
        Files.createDirectory(dir);
        created.add(dir);
    }

    @Override
    public String toString() {
        return "MongoDumpTarget[" + directory + "]";
    }
}
