package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.ClusteredIndexOptions;
import com.mongodb.client.model.Collation;
import com.mongodb.client.model.CollationStrength;
import com.mongodb.client.model.CreateCollectionOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.TimeSeriesGranularity;
import com.mongodb.client.model.TimeSeriesOptions;
import com.mongodb.client.model.ValidationLevel;
import com.mongodb.client.model.ValidationOptions;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What only a real mongod shows: collection options (validator, collation, capped, time series, clustered, views)
 * that mongo-java-server does not keep, every index kind as the server stores it, and point-in-time reads on a
 * replica set. {@code MongoUriIT} runs these against {@code MONGO_URI}; {@code MongoContainerIT} against a
 * Testcontainers replica set. Each run works in databases of its own and drops them afterwards.
 */
abstract class RealServerScenarios {
    private MongoClient client;
    private String db;

    /** The connection string of the server under test. */
    protected abstract String uri();

    @BeforeEach
    void connect() {
        client = MongoClients.create(uri());
        db = "mintbackup_it_" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void cleanUp() {
        for (String name : client.listDatabaseNames()) {
            if (name.startsWith(db)) {
                client.getDatabase(name).drop();
            }
        }
        client.close();
    }

    private MongoSource.Builder source() {
        return MongoSource.builder().connectionString(Secret.of(uri())).databases(db);
    }

    private String topology() {
        client.getDatabase("admin").runCommand(new BsonDocument("ping", new BsonInt32(1)));
        return client.getClusterDescription().getType().name();
    }

    @Test
    void collection_options_and_every_index_kind_survive_a_restore_into_another_database() {
        MongoDatabase mint = client.getDatabase(db);
        mint.createCollection("ledger", new CreateCollectionOptions()
                .validationOptions(new ValidationOptions().validator(Filters.exists("amount")).validationLevel(ValidationLevel.STRICT))
                .collation(Collation.builder().locale("pt").collationStrength(CollationStrength.SECONDARY).build()));
        FinanceData.insert(mint.getCollection("ledger", BsonDocument.class), 0, 2_000);
        var ledger = mint.getCollection("ledger", BsonDocument.class);
        ledger.createIndex(Indexes.ascending("txnId"), new IndexOptions().unique(true));
        ledger.createIndex(Indexes.compoundIndex(Indexes.ascending("account"), Indexes.descending("postedAt")));
        ledger.createIndex(Indexes.ascending("reconciled"),
                new IndexOptions().partialFilterExpression(Filters.eq("reconciled", false)));
        // text indexes take only the simple collation, whatever the collection's default
        ledger.createIndex(Indexes.text("note"), new IndexOptions().defaultLanguage("portuguese")
                .collation(Collation.builder().locale("simple").build()));
        ledger.createIndex(Indexes.ascending("currency"),
                new IndexOptions().collation(Collation.builder().locale("en").build()));
        mint.createCollection("sessions");
        mint.getCollection("sessions").createIndex(Indexes.ascending("expiresAt"),
                new IndexOptions().expireAfter(3600L, java.util.concurrent.TimeUnit.SECONDS));
        mint.createCollection("events", new CreateCollectionOptions().capped(true).sizeInBytes(1 << 20).maxDocuments(1000));
        mint.getCollection("events", BsonDocument.class).insertOne(new BsonDocument("_id", new BsonInt32(1)));
        mint.createCollection("orders", new CreateCollectionOptions()
                .clusteredIndexOptions(new ClusteredIndexOptions(new BsonDocument("_id", new BsonInt32(1)), true)));
        mint.getCollection("orders", BsonDocument.class).insertOne(new BsonDocument("_id", new BsonInt32(7)));
        mint.createCollection("prices", new CreateCollectionOptions().timeSeriesOptions(
                new TimeSeriesOptions("ts").metaField("symbol").granularity(TimeSeriesGranularity.SECONDS)));
        for (int i = 0; i < 100; i++) {
            mint.getCollection("prices", BsonDocument.class).insertOne(new BsonDocument("ts", new BsonDateTime(1_767_225_600_000L + i * 1000L))
                    .append("symbol", new BsonString(i % 2 == 0 ? "EURUSD" : "EURGBP")).append("price", new BsonDouble(1 + i / 1000.0)));
        }
        mint.getCollection("branches", BsonDocument.class).insertOne(BsonDocument.parse(
                "{_id: 1, at: {type: 'Point', coordinates: [-9.14, 38.72]}}"));
        mint.getCollection("branches").createIndex(Indexes.geo2dsphere("at"));
        mint.createView("open_items", "ledger", List.of(Aggregates.match(Filters.eq("reconciled", false))));

        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline().source(source().build()).to(repo).host("it").build().run();
            MongoTarget target = MongoTarget.builder().connectionString(Secret.of(uri()))
                    .targetDatabase(db + "_copy").drop(true).build();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target).run();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(MongoVerifier.create()).run();
            assertThat(target.report().orElseThrow().ok()).as(target.report().orElseThrow().summary()).isTrue();
        }

        MongoDatabase copy = client.getDatabase(db + "_copy");
        assertThat(options(copy)).isEqualTo(options(mint));
        for (String name : List.of("ledger", "sessions", "events", "orders", "prices", "branches")) {
            assertThat(MongoAssertions.indexes(copy, name)).as("indexes of %s", name).isEqualTo(MongoAssertions.indexes(mint, name));
        }
        for (String name : List.of("ledger", "sessions", "events", "orders", "branches")) {
            MongoAssertions.assertSameDocuments(mint, copy, name);
        }
        assertThat(copy.getCollection("prices").countDocuments()).isEqualTo(100);
        assertThat(copy.getCollection("open_items").countDocuments()).isEqualTo(mint.getCollection("open_items").countDocuments());
    }

    /** Every collection's type and options as listCollections reports them, by name (system collections aside). */
    private static Map<String, BsonDocument> options(MongoDatabase db) {
        Map<String, BsonDocument> out = new TreeMap<>();
        for (BsonDocument c : db.listCollections(BsonDocument.class)) {
            String name = c.getString("name").getValue();
            if (!name.startsWith("system.")) {
                out.put(name, new BsonDocument("type", c.get("type")).append("options", c.get("options")));
            }
        }
        return out;
    }

    @Test
    void a_replica_set_dump_reads_every_collection_at_one_cluster_time() throws Exception {
        assumeTrue(topology().equals("REPLICA_SET") || topology().equals("SHARDED"),
                "point-in-time reads need a replica set or sharded cluster; " + uri() + " is " + topology());
        var first = client.getDatabase(db).getCollection("a_accounts", BsonDocument.class);
        var second = client.getDatabase(db).getCollection("b_transfers", BsonDocument.class);
        first.insertOne(new BsonDocument("_id", new BsonInt32(1)));
        second.insertOne(new BsonDocument("_id", new BsonInt32(1)));
        second.insertOne(new BsonDocument("_id", new BsonInt32(2)));

        Map<String, String> facts = new HashMap<>();
        List<Integer> pointInTime = readWhileWriting(source().build(), second, facts);
        assertThat(pointInTime).as("b_transfers as it was when the dump started").containsExactly(1, 2);
        assertThat(facts).containsEntry("mongodb.pointInTime", "true").containsKey("mongodb.atClusterTime")
                .containsEntry("mongodb.topology", topology().equals("SHARDED") ? "sharded" : "replicaSet");

        // without a snapshot, the same interleaving sees the writes: the check above can fail
        List<Integer> smeared = readWhileWriting(source().consistency(MongoSource.Consistency.NONE).build(), second, new HashMap<>());
        assertThat(smeared).isNotEqualTo(List.of(1, 2));
    }

    /** Reads the first collection, then changes the second (delete 2, add 3 and 4), then reads the second's ids. */
    private static List<Integer> readWhileWriting(MongoSource source, com.mongodb.client.MongoCollection<BsonDocument> second,
                                                  Map<String, String> facts) throws Exception {
        second.deleteMany(new BsonDocument());
        second.insertMany(List.of(new BsonDocument("_id", new BsonInt32(1)), new BsonDocument("_id", new BsonInt32(2))));
        BackupContext context = new BackupContext() {
            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }

            @Override
            public void warn(String path, String message) {
            }
        };
        List<Integer> ids = new ArrayList<>();
        boolean changed = false;
        try (SourceReader reader = source.open(context)) {
            Optional<SourceEntry> next;
            while ((next = reader.next()).isPresent()) {
                String path = next.get().entry().path();
                if (path.endsWith("b_transfers.bson") && !changed) {
                    second.deleteOne(Filters.eq("_id", 2));
                    second.insertOne(new BsonDocument("_id", new BsonInt32(3)));
                    second.insertOne(new BsonDocument("_id", new BsonInt32(4)));
                    changed = true;
                }
                try (InputStream in = next.get().openContent()) {
                    byte[] bytes = in.readAllBytes();
                    if (path.endsWith("b_transfers.bson")) {
                        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        while (buf.hasRemaining()) {
                            byte[] doc = new byte[buf.getInt(buf.position())];
                            buf.get(doc);
                            ids.add(new RawBsonDocument(doc).getInt32("_id").getValue());
                        }
                    }
                }
            }
            facts.putAll(reader.facts());
        }
        return ids;
    }
}
