package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.mongo.MongoFacts;
import com.mintreplica.backup.mongo.MongoSource.Consistency;
import com.mongodb.ClientSessionOptions;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.ClientSession;
import com.mongodb.client.FindIterable;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.connection.ClusterType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonTimestamp;
import org.bson.RawBsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read of a MongoDB deployment: connects, decides how consistent the dump can be, lists the collections and their
 * metadata, then hands out for each collection its metadata entry and its documents entry, and last the facts.
 */
public final class DumpReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(DumpReader.class);
    private static final int SNAPSHOT_TOO_OLD = 239;
    private static final int SNAPSHOT_UNAVAILABLE = 246;

    private final Connection connection;
    private final Connection.Handle handle;
    private final MongoClient client;
    private final ClientSession session;
    private final int batchSize;
    private final BackupContext context;
    private final Deque<Planned> plan;
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final Map<String, Long> counts = new TreeMap<>();
    private CursorInputStream open;

    /** One entry to hand out: a collection's metadata or its documents. */
    private record Planned(String database, CollectionMetadata metadata, DumpPaths.Kind kind) {
    }

    private DumpReader(Connection connection, Connection.Handle handle, ClientSession session, int batchSize,
                       BackupContext context, Deque<Planned> plan) {
        this.connection = connection;
        this.handle = handle;
        this.client = handle.client();
        this.session = session;
        this.batchSize = batchSize;
        this.context = context;
        this.plan = plan;
    }

    /** Connects and plans the dump. */
    public static DumpReader open(Connection connection, NamespaceFilter filter, int batchSize, Consistency consistency,
                                  BackupContext context) throws IOException {
        Connection.Handle handle = connection.open("mint-backup");
        ClientSession session = null;
        try {
            MongoClient client = handle.client();
            BsonDocument buildInfo = client.getDatabase("admin").runCommand(new BsonDocument("buildInfo", new BsonInt32(1)), BsonDocument.class);
            String version = buildInfo.isString("version") ? buildInfo.getString("version").getValue() : "unknown";
            ClusterType type = client.getClusterDescription().getType();
            String topology = switch (type) {
                case REPLICA_SET -> "replicaSet";
                case SHARDED -> "sharded";
                case LOAD_BALANCED -> "loadBalanced";
                case STANDALONE -> "standalone";
                default -> "unknown";
            };
            boolean capable = (type == ClusterType.REPLICA_SET || type == ClusterType.SHARDED
                    || type == ClusterType.LOAD_BALANCED) && major(version) >= 5;
            boolean snapshot = consistency != Consistency.NONE && capable;
            if (consistency == Consistency.SNAPSHOT && !capable) {
                throw new UnsupportedException("a point-in-time dump was asked for, but " + connection.describe() + " is a "
                        + topology + " server of version " + version + ": snapshot reads need a replica set or sharded"
                        + " cluster of MongoDB 5.0 or later. Use consistency auto to back it up anyway (the snapshot then"
                        + " records that it is not point-in-time)");
            }
            if (snapshot) {
                session = client.startSession(ClientSessionOptions.builder().snapshot(true).build());
            }
            Deque<Planned> plan = plan(client, filter);
            DumpReader reader = new DumpReader(connection, handle, session, batchSize, context, plan);
            reader.facts.put(MongoFacts.SERVER_VERSION, version);
            reader.facts.put(MongoFacts.TOPOLOGY, topology);
            reader.facts.put(MongoFacts.POINT_IN_TIME, Boolean.toString(snapshot));
            reader.facts.put(MongoFacts.CONSISTENCY, snapshot
                    ? "snapshot read concern: every collection was read at one cluster time (" + MongoFacts.CLUSTER_TIME + ")"
                    : notPointInTime(topology, version, consistency));
            reader.facts.put(MongoFacts.DATABASES, String.join(",", new TreeSet<>(plan.stream().map(Planned::database).toList())));
            reader.facts.put(MongoFacts.DUMP_STARTED, context.clock().instant().toString());
            LOG.info("dumping {} namespaces of {} ({} {}, {})",
                    plan.stream().filter(p -> p.kind() == DumpPaths.Kind.METADATA).count(), connection.describe(), topology, version,
                    snapshot ? "point-in-time" : "not point-in-time");
            return reader;
        } catch (MongoException e) {
            closeQuietly(session);
            handle.close();
            throw connection.failure("cannot start a MongoDB dump", e);
        } catch (RuntimeException e) {
            closeQuietly(session);
            handle.close();
            throw e;
        }
    }

    private static String notPointInTime(String topology, String version, Consistency consistency) {
        if (consistency == Consistency.NONE) {
            return "none: not point-in-time, as configured (consistency none); collections were read one after another"
                    + " while writes may have continued";
        }
        return "none: not point-in-time; the server is a " + topology + " of version " + version
                + ", which has no snapshot reads, so collections were read one after another while writes may have"
                + " continued between " + MongoFacts.DUMP_STARTED + " and " + MongoFacts.DUMP_FINISHED;
    }

    private static Deque<Planned> plan(MongoClient client, NamespaceFilter filter) {
        List<String> databases = new ArrayList<>();
        if (!filter.databases().isEmpty()) {
            databases.addAll(filter.databases());
        } else {
            for (String db : client.listDatabaseNames()) {
                if (filter.includesDatabase(db)) {
                    databases.add(db);
                }
            }
        }
        databases.sort(Comparator.naturalOrder());
        Deque<Planned> plan = new ArrayDeque<>();
        for (String db : databases) {
            MongoDatabase database = client.getDatabase(db);
            List<BsonDocument> collections = new ArrayList<>();
            for (BsonDocument c : database.listCollections(BsonDocument.class)) {
                String name = c.getString("name").getValue();
                if (filter.includes(db, name)) {
                    collections.add(c);
                }
            }
            collections.sort(Comparator.comparing(c -> c.getString("name").getValue()));
            for (BsonDocument c : collections) {
                String name = c.getString("name").getValue();
                boolean view = c.isString("type") && c.getString("type").getValue().equals(CollectionMetadata.VIEW);
                List<BsonDocument> indexes = new ArrayList<>();
                if (!view) {
                    database.getCollection(name, BsonDocument.class).listIndexes(BsonDocument.class).into(indexes);
                }
                CollectionMetadata metadata = CollectionMetadata.fromServer(c, indexes);
                plan.add(new Planned(db, metadata, DumpPaths.Kind.METADATA));
                if (!view) {
                    plan.add(new Planned(db, metadata, DumpPaths.Kind.DATA));
                }
            }
        }
        return plan;
    }

    @Override
    public Optional<SourceEntry> next() throws IOException {
        closeOpen();
        Planned p = plan.pollFirst();
        if (p == null) {
            return Optional.empty();
        }
        String db = p.database();
        CollectionMetadata metadata = p.metadata();
        String name = metadata.collectionName();
        if (p.kind() == DumpPaths.Kind.METADATA) {
            byte[] json = metadata.toJsonBytes();
            Entry entry = Entry.regular(DumpPaths.metadata(db, name)).size(json.length)
                    .attribute("mongodb.database", db)
                    .attribute("mongodb.collection", name)
                    .attribute("mongodb.type", metadata.type())
                    .build();
            return Optional.of(SourceEntry.of(entry, () -> new ByteArrayInputStream(json)));
        }
        Entry entry = Entry.regular(DumpPaths.data(db, name))
                .attribute("mongodb.database", db)
                .attribute("mongodb.collection", name)
                .build();
        return Optional.of(SourceEntry.of(entry, () -> openData(db, metadata)));
    }

    private CursorInputStream openData(String db, CollectionMetadata metadata) throws IOException {
        String name = metadata.collectionName();
        String ns = db + "." + name;
        try {
            MongoCollection<RawBsonDocument> collection = client.getDatabase(db).getCollection(name, RawBsonDocument.class);
            FindIterable<RawBsonDocument> find = session != null ? collection.find(session) : collection.find();
            find.batchSize(batchSize);
            if (!CollectionMetadata.TIMESERIES.equals(metadata.type())) {
                // _id order: the same documents give the same bytes in every backup, so unchanged data deduplicates.
                // (Time series are read in bucket order: they have no _id index, and sorting them would spill.)
                find.sort(new BsonDocument("_id", new BsonInt32(1)));
                if (!metadata.hasIdIndex()) {
                    find.allowDiskUse(true);
                }
            }
            open = new CursorInputStream(find.iterator(), n -> counts.put(ns, n), e -> failure(ns, e));
            return open;
        } catch (MongoException e) {
            throw failure(ns, e);
        }
    }

    private IOException failure(String ns, MongoException e) {
        if (e instanceof MongoCommandException c
                && (c.getErrorCode() == SNAPSHOT_TOO_OLD || c.getErrorCode() == SNAPSHOT_UNAVAILABLE)) {
            return connection.failure("reading " + ns + " at the dump's cluster time failed: the dump took longer than"
                    + " the server keeps snapshot history (minSnapshotHistoryWindowInSeconds, 300 s by default). Raise"
                    + " that server parameter for the backup window, back up fewer databases per run, or use"
                    + " consistency none", e);
        }
        return connection.failure("reading " + ns + " failed", e);
    }

    private void closeOpen() {
        if (open != null) {
            open.close();
            open = null;
        }
    }

    @Override
    public Map<String, String> facts() {
        facts.putIfAbsent(MongoFacts.DUMP_FINISHED, context.clock().instant().toString());
        Map<String, String> out = new TreeMap<>(facts);
        counts.forEach((ns, n) -> out.put(MongoFacts.COUNT_PREFIX + ns, Long.toString(n)));
        if (session != null && session.getSnapshotTimestamp() != null) {
            BsonTimestamp t = session.getSnapshotTimestamp();
            out.put(MongoFacts.CLUSTER_TIME, Integer.toUnsignedString(t.getTime()) + ":" + Integer.toUnsignedString(t.getInc()));
        }
        return out;
    }

    @Override
    public void close() {
        closeOpen();
        closeQuietly(session);
        handle.close();
    }

    private static void closeQuietly(ClientSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (RuntimeException ignored) {
                // the server ends idle sessions itself
            }
        }
    }

    private static int major(String version) {
        try {
            return Integer.parseInt(version.split("\\.")[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
