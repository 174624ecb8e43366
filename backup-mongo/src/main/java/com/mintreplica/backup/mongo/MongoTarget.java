package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.mongo.internal.BsonDocumentStream;
import com.mintreplica.backup.mongo.internal.CollectionMetadata;
import com.mintreplica.backup.mongo.internal.Connection;
import com.mintreplica.backup.mongo.internal.DumpPaths;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.InsertManyOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores MongoDB snapshots (taken by {@link MongoSource}, or mongodump directories imported as entries) into a
 * deployment, like {@code mongorestore}: for each collection it creates the collection with its options (validator,
 * collation, capped, time series, clustered), inserts the documents in unordered batches as raw BSON (bypassing
 * document validation, since they were valid when written), builds the indexes after the data and recreates views.
 * Then it counts each collection's documents and compares them with the counts the snapshot recorded.
 *
 * <pre>{@code
 * MongoTarget target = MongoTarget.builder()
 *     .connectionString(Secret.of("mongodb://restore-host/"))
 *     .targetDatabase("mint_replica_drill")
 *     .drop(true)
 *     .build();
 * repository.restore(SnapshotSelector.latest()).to(target).run();
 * MongoRestoreReport report = target.report().orElseThrow();
 * }</pre>
 *
 * <p>Where the data goes is always said, never guessed: into {@link Builder#targetDatabase} (one database of the
 * snapshot, renamed), or, only when {@link Builder#originalNames} allows it, into databases of the snapshot's own
 * names; restoring under an original name (for example over the production database) needs that option too, and is
 * logged as a warning before anything is written. A target database that already holds collections is refused unless
 * {@link Builder#drop} (each restored collection, only those, is dropped before it is recreated) or
 * {@link Builder#merge} (documents are added to what exists) says what to do with them. All of it is checked in
 * {@link #begin}, before anything is written.
 *
 * <p>When a check fails, {@link #finish()} throws a {@link MongoCheckException} naming the collections (unless
 * {@link Builder#failOnMismatch} is off); the report is available either way.
 */
public final class MongoTarget implements RestoreTarget {
    private static final Logger LOG = LoggerFactory.getLogger(MongoTarget.class);
    private static final int NAMESPACE_EXISTS = 48;
    private static final int MAX_METADATA = 16 << 20;

    private final Connection connection;
    private final String targetDatabase;
    private final boolean drop;
    private final boolean merge;
    private final boolean originalNames;
    private final int batchSize;
    private final long batchBytes;
    private final boolean failOnMismatch;

    private Connection.Handle handle;
    private RestoreContext context;
    private String renamedFrom;
    private final Map<String, Restored> restored = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final Set<String> checkedDatabases = new HashSet<>();
    private MongoRestoreReport report;

    /** What happened to one collection. */
    private static final class Restored {
        final String sourceDb;
        final String collection;
        final String targetDb;
        CollectionMetadata metadata;
        boolean prepared;
        boolean data;
        long read;
        long failed;
        String firstError;

        Restored(String sourceDb, String collection, String targetDb) {
            this.sourceDb = sourceDb;
            this.collection = collection;
            this.targetDb = targetDb;
        }

        String namespace() {
            return sourceDb + "." + collection;
        }

        String targetNamespace() {
            return targetDb + "." + collection;
        }
    }

    private MongoTarget(Builder b, Connection connection) {
        this.connection = connection;
        this.targetDatabase = b.targetDatabase;
        this.drop = b.drop;
        this.merge = b.merge;
        this.originalNames = b.originalNames;
        this.batchSize = b.batchSize;
        this.batchBytes = b.batchBytes;
        this.failOnMismatch = b.failOnMismatch;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The checks of the last restore, once it finished (also when they failed). */
    public Optional<MongoRestoreReport> report() {
        return Optional.ofNullable(report);
    }

    @Override
    public void begin(RestoreContext context) throws IOException {
        if (!context.snapshot().source().kind().equals(MongoSource.KIND)) {
            throw new InvalidInputException("snapshot " + context.snapshot().id() + " is of " + context.snapshot().source()
                    + ", not a MongoDB backup: restore it with the target of its kind");
        }
        this.context = context;
        this.restored.clear();
        this.problems.clear();
        this.renamedFrom = null;
        this.report = null;
        this.checkedDatabases.clear();
        SortedSet<String> databases = selectedDatabases(context);
        if (!databases.isEmpty()) {
            checkNames(context, databases);
        }
        this.handle = connection.open("mint-backup-restore");
        try {
            for (String db : databases) {
                checkTargetDatabase(targetDatabaseFor(db));
            }
        } catch (MongoException e) {
            throw connection.failure("cannot look at the databases snapshot " + context.snapshot().id()
                    + " would be restored into", e);
        }
        if (!databases.isEmpty() && (targetDatabase == null || databases.contains(targetDatabase))) {
            LOG.warn("restoring snapshot {} over the original database name{} {} on {}{}", context.snapshot().id(),
                    databases.size() == 1 ? "" : "s", String.join(", ", databases), connection.describe(),
                    drop ? ", dropping each restored collection first" : merge ? ", adding to what the collections hold" : "");
        } else {
            LOG.info("restoring snapshot {} into {} (database {})", context.snapshot().id(), connection.describe(),
                    targetDatabase);
        }
    }

    /** The databases of the snapshot whose collections the restore selects, from the recorded counts. */
    private static SortedSet<String> selectedDatabases(RestoreContext context) {
        SortedSet<String> databases = new TreeSet<>();
        for (String ns : MongoFacts.counts(context.snapshot().facts()).keySet()) {
            int dot = ns.indexOf('.');
            String db = ns.substring(0, dot);
            if (context.selection().test(DumpPaths.data(db, ns.substring(dot + 1)))) {
                databases.add(db);
            }
        }
        return databases;
    }

    /**
     * Refuses, before connecting, what was not asked for explicitly: several databases into one, and the original
     * names without {@link Builder#originalNames}.
     */
    private void checkNames(RestoreContext context, SortedSet<String> databases) {
        String id = context.snapshot().id();
        if (targetDatabase != null && databases.size() > 1) {
            throw new InvalidInputException("snapshot " + id + " holds databases " + String.join(" and ", databases)
                    + ", but a target database (" + targetDatabase + ") takes only one: restore one database at a time"
                    + " (include " + databases.first() + "), each into its own target database, or restore into the"
                    + " original names on a server that does not hold them (no target database, original-names=true)");
        }
        if (originalNames) {
            return;
        }
        if (targetDatabase == null) {
            throw new InvalidInputException("snapshot " + id + " holds database" + (databases.size() == 1 ? " " : "s ")
                    + String.join(", ", databases) + " and no target database was named: name the database to restore"
                    + " into (the target URI's path, mongodb://host/NAME, or target-database NAME), or restore under the"
                    + " original name" + (databases.size() == 1 ? "" : "s") + " with original-names=true");
        }
        if (databases.contains(targetDatabase)) {
            throw new InvalidInputException("'" + targetDatabase + "' is the name of the database snapshot " + id
                    + " was taken of: restoring over the original needs original-names=true; or name another database");
        }
    }

    /**
     * Refuses a target database that holds collections unless drop or merge says what to do with them; checked once
     * per database, before anything is written into it.
     */
    private void checkTargetDatabase(String db) {
        if (!checkedDatabases.add(db) || drop || merge) {
            return;
        }
        List<String> existing = new ArrayList<>();
        for (String name : client().getDatabase(db).listCollectionNames()) {
            if (!name.startsWith("system.")) {
                existing.add(name);
            }
        }
        if (!existing.isEmpty()) {
            java.util.Collections.sort(existing);
            throw new InvalidInputException("database " + db + " on " + connection.describe() + " already holds "
                    + existing.size() + (existing.size() == 1 ? " collection (" : " collections (")
                    + String.join(", ", existing.subList(0, Math.min(5, existing.size())))
                    + (existing.size() > 5 ? ", ..." : "") + "): restore into a new or empty database, or say what to do"
                    + " with what it holds: drop=true replaces each restored collection (only those), merge=true adds"
                    + " the snapshot's documents to them");
        }
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        Optional<DumpPaths.Parsed> parsed = DumpPaths.of(entry);
        if (parsed.isEmpty()) {
            LOG.warn("entry '{}' of snapshot {} is not a collection's data or metadata; not restored", entry.path(),
                    context.snapshot().id());
            return;
        }
        DumpPaths.Parsed p = parsed.get();
        Restored r = restored.get(p.namespace());
        if (r == null) {
            String targetDb = targetDatabaseFor(p.database());
            try {
                checkTargetDatabase(targetDb); // a database the recorded counts did not name (views only)
            } catch (MongoException e) {
                throw connection.failure("cannot look at database " + targetDb, e);
            }
            r = new Restored(p.database(), p.collection(), targetDb);
            restored.put(p.namespace(), r);
        }
        try {
            if (p.kind() == DumpPaths.Kind.METADATA) {
                byte[] json = content.readNBytes(MAX_METADATA + 1);
                if (json.length > MAX_METADATA) {
                    throw new CorruptDataException("entry '" + entry.path() + "' is larger than 16 MiB: not a collection's metadata");
                }
                try {
                    r.metadata = CollectionMetadata.parse(new String(json, StandardCharsets.UTF_8), p.collection());
                } catch (IllegalArgumentException e) {
                    throw new CorruptDataException("entry '" + entry.path() + "' is not mongodump metadata: " + e.getMessage(), e);
                }
                prepare(r);
            } else {
                prepare(r);
                insert(r, entry, content);
            }
        } catch (MongoException e) {
            throw connection.failure("restoring " + r.namespace() + " into " + r.targetNamespace() + " failed", e);
        }
    }

    private String targetDatabaseFor(String sourceDb) {
        if (targetDatabase == null || targetDatabase.equals(sourceDb)) {
            if (!originalNames) {
                checkNames(context, new TreeSet<>(Set.of(sourceDb)));
            }
            if (targetDatabase == null) {
                return sourceDb;
            }
        }
        if (renamedFrom == null) {
            renamedFrom = sourceDb;
        } else if (!renamedFrom.equals(sourceDb)) {
            checkNames(context, new TreeSet<>(Set.of(renamedFrom, sourceDb)));
        }
        return targetDatabase;
    }

    /** Drops (when asked) and creates the collection with its options, once, before its documents. */
    private void prepare(Restored r) {
        if (r.prepared) {
            return;
        }
        r.prepared = true;
        MongoDatabase db = client().getDatabase(r.targetDb);
        if (drop) {
            db.getCollection(r.collection).drop();
        }
        if (r.metadata == null || r.metadata.isView()) {
            return; // views are created last, when what they read exists
        }
        create(db, r, r.metadata.createCommand(r.collection));
    }

    private void create(MongoDatabase db, Restored r, BsonDocument command) {
        try {
            db.runCommand(command);
        } catch (MongoCommandException e) {
            if (e.getErrorCode() != NAMESPACE_EXISTS) {
                throw e;
            }
            LOG.info("{} exists already: keeping it and its options (restore with drop to replace it)", r.targetNamespace());
        }
    }

    private void insert(Restored r, Entry entry, InputStream content) throws IOException {
        r.data = true;
        MongoCollection<RawBsonDocument> collection = client().getDatabase(r.targetDb)
                .getCollection(r.collection, RawBsonDocument.class);
        InsertManyOptions options = new InsertManyOptions().ordered(false).bypassDocumentValidation(true);
        BsonDocumentStream documents = new BsonDocumentStream(content, entry.path());
        List<RawBsonDocument> batch = new ArrayList<>();
        long bytes = 0;
        byte[] doc;
        while ((doc = documents.next()) != null) {
            batch.add(new RawBsonDocument(doc));
            bytes += doc.length;
            if (batch.size() >= batchSize || bytes >= batchBytes) {
                flush(r, collection, batch, options);
                bytes = 0;
            }
        }
        flush(r, collection, batch, options);
        r.read += documents.documents();
    }

    private void flush(Restored r, MongoCollection<RawBsonDocument> collection, List<RawBsonDocument> batch,
                       InsertManyOptions options) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            collection.insertMany(batch, options);
        } catch (MongoBulkWriteException e) {
            r.failed += e.getWriteErrors().size();
            if (r.firstError == null && !e.getWriteErrors().isEmpty()) {
                r.firstError = connection.scrub(e.getWriteErrors().get(0).getMessage());
            }
        }
        batch.clear();
    }

    @Override
    public void finish() throws IOException {
        try {
            for (Restored r : restored.values()) {
                if (r.metadata == null || r.metadata.isView()) {
                    continue;
                }
                Optional<BsonDocument> indexes = r.metadata.createIndexesCommand(r.collection);
                if (indexes.isPresent()) {
                    try {
                        client().getDatabase(r.targetDb).runCommand(indexes.get());
                    } catch (MongoCommandException e) {
                        problems.add(r.namespace() + ": indexes could not be built on " + r.targetNamespace() + ": "
                                + connection.scrub(e.getErrorMessage()));
                    }
                }
            }
            // views last, once what they read exists
            for (Restored r : restored.values()) {
                if (r.metadata != null && r.metadata.isView()) {
                    try {
                        create(client().getDatabase(r.targetDb), r, r.metadata.createCommand(r.collection));
                    } catch (MongoCommandException e) {
                        problems.add(r.namespace() + ": view could not be created in " + r.targetNamespace() + ": "
                                + connection.scrub(e.getErrorMessage()));
                    }
                }
            }
            report = check();
        } catch (MongoException e) {
            throw connection.failure("finishing the restore of snapshot " + context.snapshot().id() + " failed", e);
        } finally {
            closeClient();
        }
        if (report.ok()) {
            LOG.info("restored snapshot {} into {}: {}", context.snapshot().id(), connection.describe(), report.summary());
            return;
        }
        LOG.warn("restore of snapshot {} into {} does not match the snapshot: {}", context.snapshot().id(),
                connection.describe(), report.summary());
        if (failOnMismatch) {
            throw new MongoCheckException("the restore of snapshot " + context.snapshot().id() + " into "
                    + connection.describe() + " does not match what the snapshot recorded: " + report.summary(), report);
        }
    }

    private MongoRestoreReport check() {
        Map<String, Long> expected = MongoFacts.counts(context.snapshot().facts());
        List<MongoRestoreReport.CollectionCheck> checks = new ArrayList<>();
        for (Restored r : restored.values()) {
            if (!r.data) {
                continue;
            }
            long found = client().getDatabase(r.targetDb).getCollection(r.collection).countDocuments();
            Long recorded = expected.get(r.namespace());
            checks.add(new MongoRestoreReport.CollectionCheck(r.namespace(), r.targetNamespace(),
                    recorded == null ? OptionalLong.empty() : OptionalLong.of(recorded), r.read, found, r.failed));
            if (r.failed > 0) {
                problems.add(r.namespace() + ": the server refused " + r.failed + " documents in " + r.targetNamespace()
                        + " (first: " + r.firstError + ")" + (drop ? "" : "; restore with drop to replace existing documents"));
            }
        }
        return new MongoRestoreReport(context.snapshot().id(), checks, problems);
    }

    @Override
    public void abort(Exception cause) {
        closeClient();
    }

    private MongoClient client() {
        return handle.client();
    }

    private void closeClient() {
        if (handle != null) {
            handle.close();
            handle = null;
        }
    }

    @Override
    public String toString() {
        return "MongoTarget[" + connection.describe() + (targetDatabase == null ? "" : "/" + targetDatabase) + "]";
    }

    /** Builds a {@link MongoTarget}; a connection string or a client is required. */
    public static final class Builder {
        private Secret connectionString;
        private String user;
        private Secret password;
        private MongoClient client;
        private String targetDatabase;
        private boolean drop;
        private boolean merge;
        private boolean originalNames;
        private int batchSize = 1000;
        private long batchBytes = 16L << 20;
        private boolean failOnMismatch = true;

        private Builder() {
        }

        /** Where to restore to: {@code mongodb://...} or {@code mongodb+srv://...}, possibly with credentials. */
        public Builder connectionString(Secret value) {
            this.connectionString = value;
            return this;
        }

        /** Credentials kept apart from the connection string; they take precedence over any in it. */
        public Builder credentials(String user, Secret password) {
            this.user = user;
            this.password = password;
            return this;
        }

        /** A client the application owns, instead of a connection string; it is never closed by the target. */
        public Builder client(MongoClient value) {
            this.client = value;
            return this;
        }

        /**
         * Restore into this database (the snapshot, or the entries selected, must then hold one database). Without it,
         * the restore goes under the snapshot's own database names, which {@link #originalNames} must allow.
         */
        public Builder targetDatabase(String name) {
            if (name != null && (name.isBlank() || name.contains(".") || name.contains("/") || name.contains(" ")
                    || name.contains("$"))) {
                throw new InvalidInputException("'" + name + "' is not a valid MongoDB database name");
            }
            this.targetDatabase = name;
            return this;
        }

        /**
         * Allow a target database that holds collections, and drop each restored collection (only those) before
         * recreating it, as {@code mongorestore --drop} does. Default false: such a database is refused.
         */
        public Builder drop(boolean value) {
            this.drop = value;
            return this;
        }

        /**
         * Allow a target database that holds collections, and add the snapshot's documents to them, keeping the
         * documents and options they have (documents whose {@code _id} exists are refused by the server and reported).
         * Default false: such a database is refused.
         */
        public Builder merge(boolean value) {
            this.merge = value;
            return this;
        }

        /**
         * Allow restoring under the snapshot's own database names: without a {@link #targetDatabase}, or with one that
         * is the original's name. Default false, so that a restore never lands on the original database (perhaps
         * production) by omission; when allowed, the restore logs a warning naming the databases before it starts.
         */
        public Builder originalNames(boolean value) {
            this.originalNames = value;
            return this;
        }

        /** Documents per insert batch (default 1000; a batch also ends at 16 MiB). */
        public Builder batchSize(int value) {
            if (value < 1) {
                throw new InvalidInputException("batch size must be at least 1: " + value);
            }
            this.batchSize = value;
            return this;
        }

        /** Whether {@link MongoTarget#finish()} fails when a check fails (default true); the report is kept either way. */
        public Builder failOnMismatch(boolean value) {
            this.failOnMismatch = value;
            return this;
        }

        public MongoTarget build() {
            if ((connectionString == null) == (client == null)) {
                throw new InvalidInputException("a MongoDB target needs exactly one of connectionString(...) or client(...)");
            }
            if (client != null && (user != null || password != null)) {
                throw new InvalidInputException("credentials(...) apply to a connection string; a client(...) brings its own");
            }
            if (drop && merge) {
                throw new InvalidInputException("drop and merge exclude each other: drop replaces the restored"
                        + " collections, merge adds to them; choose one");
            }
            Connection connection = client != null ? Connection.of(client)
                    : Connection.of(Objects.requireNonNull(connectionString), user, password);
            return new MongoTarget(this, connection);
        }
    }
}
