package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.mongo.MongoFacts;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a mongodump directory as the entries a {@link DumpReader} would have produced from the server: for each
 * collection (databases and collections in name order) its metadata entry, then its documents entry, each document
 * checked as BSON on the way; then the facts, with every collection's document count.
 */
public final class DumpDirectoryReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(DumpDirectoryReader.class);
    private static final int MAX_METADATA = 16 << 20;
    private static final String GZ = ".gz";

    private final Path directory;
    private final Deque<Planned> plan;
    private final TreeSet<String> databases;
    private final Map<String, Long> counts = new TreeMap<>();

    /** One entry to hand out: a collection's metadata or its documents, from a file. */
    private record Planned(String database, String collection, DumpPaths.Kind kind, Path file) {
        boolean gzipped() {
            return file.getFileName().toString().endsWith(GZ);
        }
    }

    private DumpDirectoryReader(Path directory, Deque<Planned> plan, TreeSet<String> databases) {
        this.directory = directory;
        this.plan = plan;
        this.databases = databases;
    }

    /** Plans the import of {@code directory}; what is not imported is recorded as warnings in {@code context}. */
    public static DumpDirectoryReader open(Path directory, BackupContext context) throws IOException {
        Deque<Planned> plan = new ArrayDeque<>();
        TreeSet<String> databases = new TreeSet<>();
        List<Path> top = list(directory);
        boolean singleDatabase = top.stream().anyMatch(p -> Files.isRegularFile(p) && collectionFile(p).isPresent()
                && !p.getFileName().toString().startsWith("oplog.bson"));
        if (singleDatabase) {
            // mongodump --db X --out DIR, and DIR/X given: the directory is the database
            planDatabase(directory.getFileName().toString(), directory, plan, databases, context, "");
        } else {
            for (Path p : top) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p)) {
                    planDatabase(name, p, plan, databases, context, name + "/");
                } else if (name.equals("oplog.bson") || name.equals("oplog.bson.gz")) {
                    context.warn(name, "not imported: mongodump --oplog wrote the writes made while it ran, which a"
                            + " restore of this snapshot does not replay (it is as consistent as the collections were"
                            + " when each was dumped)");
                } else if (!name.equals("prelude.json") && !name.startsWith(".")) {
                    context.warn(name, "not imported: not a database directory of a mongodump");
                }
            }
        }
        if (plan.isEmpty()) {
            throw new InvalidInputException(directory + " holds no mongodump collection (<database>/<collection>.bson"
                    + " or .metadata.json): give the directory mongodump wrote (its --out)");
        }
        LOG.info("importing {} collections of {} databases from the mongodump directory {}",
                plan.stream().map(p -> p.database() + "." + p.collection()).distinct().count(), databases.size(), directory);
        return new DumpDirectoryReader(directory, plan, databases);
    }

    private static void planDatabase(String db, Path dir, Deque<Planned> plan, TreeSet<String> databases,
                                     BackupContext context, String shown) throws IOException {
        // collection name -> [metadata, data]
        TreeMap<String, Path[]> collections = new TreeMap<>();
        for (Path file : list(dir)) {
            String name = file.getFileName().toString();
            Optional<DumpPaths.Parsed> parsed = Files.isRegularFile(file) ? collectionFile(file) : Optional.empty();
            if (parsed.isEmpty()) {
                if (!name.startsWith(".")) {
                    context.warn(shown + name, "not imported: not a collection's .bson or .metadata.json file");
                }
                continue;
            }
            String collection = parsed.get().collection();
            if (collection.startsWith("system.") && !collection.equals("system.js")) {
                context.warn(shown + name, "not imported: system collections other than system.js (users, roles,"
                        + " time-series buckets) are not restored by mint-backup; restore them with mongorestore");
                continue;
            }
            Path[] files = collections.computeIfAbsent(collection, c -> new Path[2]);
            int slot = parsed.get().kind() == DumpPaths.Kind.METADATA ? 0 : 1;
            if (files[slot] != null) {
                throw new InvalidInputException(dir + " holds both " + files[slot].getFileName() + " and " + name
                        + " for collection " + db + "." + collection + ": keep one of them");
            }
            files[slot] = file;
        }
        collections.forEach((collection, files) -> {
            databases.add(db);
            if (files[0] != null) {
                plan.add(new Planned(db, collection, DumpPaths.Kind.METADATA, files[0]));
            }
            if (files[1] != null) {
                plan.add(new Planned(db, collection, DumpPaths.Kind.DATA, files[1]));
            }
        });
    }

    /** What a file of a dump holds, by its name ({@code .gz} as mongodump --gzip writes it). */
    private static Optional<DumpPaths.Parsed> collectionFile(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(GZ)) {
            name = name.substring(0, name.length() - GZ.length());
        }
        return DumpPaths.parse("db/" + name);
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    @Override
    public Optional<SourceEntry> next() throws IOException {
        Planned p = plan.pollFirst();
        if (p == null) {
            return Optional.empty();
        }
        if (p.kind() == DumpPaths.Kind.METADATA) {
            byte[] json;
            try (InputStream in = open(p)) {
                json = in.readNBytes(MAX_METADATA + 1);
            }
            if (json.length > MAX_METADATA) {
                throw new CorruptDataException(p.file() + " is larger than 16 MiB: not a collection's metadata");
            }
            CollectionMetadata metadata;
            try {
                metadata = CollectionMetadata.parse(new String(json, StandardCharsets.UTF_8), p.collection());
            } catch (IllegalArgumentException e) {
                throw new CorruptDataException(p.file() + " is not mongodump metadata: " + e.getMessage(), e);
            }
            Entry entry = Entry.regular(DumpPaths.metadata(p.database(), p.collection())).size(json.length)
                    .attribute("mongodb.database", p.database())
                    .attribute("mongodb.collection", p.collection())
                    .attribute("mongodb.type", metadata.type())
                    .build();
            return Optional.of(SourceEntry.of(entry, () -> new ByteArrayInputStream(json)));
        }
        Entry entry = Entry.regular(DumpPaths.data(p.database(), p.collection()))
                .attribute("mongodb.database", p.database())
                .attribute("mongodb.collection", p.collection())
                .build();
        String ns = p.database() + "." + p.collection();
        return Optional.of(SourceEntry.of(entry, () -> new CheckedDocuments(open(p), p.file().toString(),
                n -> counts.put(ns, n))));
    }

    private static InputStream open(Planned p) throws IOException {
        InputStream in = Files.newInputStream(p.file());
        if (!p.gzipped()) {
            return in;
        }
        try {
            return new GZIPInputStream(in, 1 << 16);
        } catch (IOException e) {
            in.close();
            throw new CorruptDataException(p.file() + " is not gzip data (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public Map<String, String> facts() {
        Map<String, String> out = new TreeMap<>();
        out.put(MongoFacts.POINT_IN_TIME, "false");
        out.put(MongoFacts.CONSISTENCY, "imported from the mongodump directory " + directory + ": as consistent as that"
                + " dump (mongodump reads collections one after another; an oplog it wrote is not imported)");
        out.put(MongoFacts.DATABASES, String.join(",", databases));
        out.put(MongoFacts.IMPORTED_FROM, directory.toString());
        counts.forEach((ns, n) -> out.put(MongoFacts.COUNT_PREFIX + ns, Long.toString(n)));
        return out;
    }

    @Override
    public void close() {
        plan.clear();
    }

    /**
     * The documents of a {@code .bson} file, passed on one whole checked document at a time; the count goes to
     * {@code done} at the end.
     */
    private static final class CheckedDocuments extends InputStream {
        private final InputStream in;
        private final BsonDocumentStream documents;
        private final LongConsumer done;
        private byte[] current = new byte[0];
        private int position;
        private boolean ended;

        CheckedDocuments(InputStream in, String file, LongConsumer done) {
            this.in = in;
            this.documents = new BsonDocumentStream(in, file);
            this.done = done;
        }

        private boolean fill() throws IOException {
            while (position == current.length) {
                if (ended) {
                    return false;
                }
                byte[] doc = documents.next();
                if (doc == null) {
                    ended = true;
                    done.accept(documents.documents());
                    return false;
                }
                documents.check(doc);
                current = doc;
                position = 0;
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            return fill() ? current[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
