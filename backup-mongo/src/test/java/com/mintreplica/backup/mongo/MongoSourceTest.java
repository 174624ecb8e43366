package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.testkit.FakeClock;
import com.mintreplica.backup.testkit.InMemorySink;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a MongoSource reads: entries in mongodump's layout, in a fixed order, and the facts of a standalone server. */
class MongoSourceTest {
    private static InProcessMongo server;

    @BeforeAll
    static void prepare() {
        server = InProcessMongo.start();
        var mint = server.client().getDatabase("mint");
        // inserted out of _id order: the dump must still come out in _id order
        var accounts = mint.getCollection("accounts", BsonDocument.class);
        for (int id : new int[] {3, 1, 2}) {
            accounts.insertOne(new BsonDocument("_id", new BsonInt32(id)).append("owner", new BsonString("owner " + id)));
        }
        mint.getCollection("a/b c%", BsonDocument.class).insertOne(new BsonDocument("_id", new BsonInt32(1)));
        mint.getCollection("audit_2025", BsonDocument.class).insertOne(new BsonDocument("_id", new BsonInt32(1)));
        mint.getCollection("audit_2026", BsonDocument.class).insertOne(new BsonDocument("_id", new BsonInt32(1)));
        server.client().getDatabase("crm").getCollection("customers", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonInt32(1)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static MongoSource.Builder source() {
        return MongoSource.builder().connectionString(Secret.of(server.uri()));
    }

    /** Reads every entry with its content. */
    private static Map<String, byte[]> read(MongoSource source, Map<String, String> facts) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        BackupContext context = new BackupContext() {
            @Override
            public Clock clock() {
                return new FakeClock(Instant.parse("2026-11-24T01:00:00Z"));
            }

            @Override
            public void warn(String path, String message) {
            }
        };
        try (SourceReader reader = source.open(context)) {
            Optional<SourceEntry> next;
            while ((next = reader.next()).isPresent()) {
                try (InputStream in = next.get().openContent()) {
                    out.put(next.get().entry().path(), in.readAllBytes());
                }
            }
            facts.putAll(reader.facts());
        }
        return out;
    }

    @Test
    void entries_follow_mongodumps_layout_metadata_before_documents_in_name_order() throws Exception {
        Map<String, byte[]> entries = read(source().build(), new LinkedHashMap<>());

        assertThat(entries.keySet()).containsExactly(
                "crm/customers.metadata.json", "crm/customers.bson",
                "mint/a%2Fb%20c%25.metadata.json", "mint/a%2Fb%20c%25.bson",
                "mint/accounts.metadata.json", "mint/accounts.bson",
                "mint/audit_2025.metadata.json", "mint/audit_2025.bson",
                "mint/audit_2026.metadata.json", "mint/audit_2026.bson");
        String metadata = new String(entries.get("mint/accounts.metadata.json"), StandardCharsets.UTF_8);
        assertThat(metadata).startsWith("{\"indexes\": [{")
                .contains("\"key\": {\"_id\": {\"$numberInt\": \"1\"}}", "\"name\": \"_id_\"")
                .endsWith("\"collectionName\": \"accounts\", \"type\": \"collection\"}");
    }

    @Test
    void documents_are_raw_bson_concatenated_in_id_order() throws Exception {
        byte[] dump = read(source().databases("mint").build(), new LinkedHashMap<>()).get("mint/accounts.bson");

        List<Integer> ids = new ArrayList<>();
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(dump).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            int length = buffer.getInt(buffer.position());
            byte[] doc = new byte[length];
            buffer.get(doc);
            RawBsonDocument raw = new RawBsonDocument(doc);
            ids.add(raw.getInt32("_id").getValue());
            assertThat(raw.getString("owner").getValue()).isEqualTo("owner " + raw.getInt32("_id").getValue());
        }
        assertThat(ids).containsExactly(1, 2, 3);
    }

    @Test
    void a_standalone_server_is_recorded_plainly_as_not_point_in_time() throws Exception {
        Map<String, String> facts = new LinkedHashMap<>();
        read(source().databases("mint").build(), facts);

        assertThat(facts)
                .containsEntry("mongodb.topology", "standalone")
                .containsEntry("mongodb.server.version", "5.0.0")
                .containsEntry("mongodb.pointInTime", "false")
                .containsEntry("mongodb.databases", "mint")
                .containsEntry("mongodb.count.mint.accounts", "3")
                .containsEntry("mongodb.count.mint.a/b c%", "1")
                .containsEntry("mongodb.dump.started", "2026-11-24T01:00:00Z")
                .containsEntry("mongodb.dump.finished", "2026-11-24T01:00:00Z")
                .doesNotContainKey("mongodb.atClusterTime");
        assertThat(facts.get("mongodb.consistency")).startsWith("none: not point-in-time")
                .contains("standalone", "no snapshot reads");
    }

    @Test
    void a_point_in_time_dump_is_refused_where_the_server_cannot_give_one() {
        MongoSource source = source().consistency(MongoSource.Consistency.SNAPSHOT).build();

        assertThatThrownBy(() -> Backup.pipeline().source(source).to(Repository.init(new InMemorySink())).build().run())
                .isInstanceOf(UnsupportedException.class)
                .hasMessageContaining("is a standalone server of version 5.0.0")
                .hasMessageContaining("replica set or sharded cluster of MongoDB 5.0 or later");
    }

    @Test
    void filters_choose_databases_and_collections() throws Exception {
        assertThat(read(source().include("mint.audit_*").build(), new LinkedHashMap<>()).keySet())
                .containsExactly("mint/audit_2025.metadata.json", "mint/audit_2025.bson",
                        "mint/audit_2026.metadata.json", "mint/audit_2026.bson");
        assertThat(read(source().databases("mint").exclude("mint.audit_*", "mint.a*c%").build(), new LinkedHashMap<>()).keySet())
                .containsExactly("mint/accounts.metadata.json", "mint/accounts.bson");
    }

    @Test
    void the_database_in_the_connection_string_limits_the_backup_to_it() throws Exception {
        MongoSource source = MongoSource.builder()
                .connectionString(Secret.of("mongodb://" + server.hostAndPort() + "/crm?serverSelectionTimeoutMS=5000")).build();

        assertThat(read(source, new LinkedHashMap<>()).keySet()).containsExactly("crm/customers.metadata.json", "crm/customers.bson");
        assertThat(source.id()).isEqualTo(new SourceId("mongodb", server.hostAndPort() + "/crm"));
    }

    @Test
    void the_id_names_hosts_and_databases_and_snapshots_group_by_it() {
        assertThat(source().build().id()).isEqualTo(new SourceId("mongodb", server.hostAndPort() + "/*"));
        assertThat(source().databases("mint", "crm").build().id().name()).isEqualTo(server.hostAndPort() + "/mint,crm");
        assertThat(MongoSource.builder().connectionString(Secret.of("mongodb://db1:27017,db2:27018/?replicaSet=rs0"))
                .include("mint.ledger*").exclude("mint.ledger_tmp").build().id())
                .isEqualTo(new SourceId("mongodb", "db1:27017,db2:27018/mint.ledger*,!mint.ledger_tmp"));
    }

    @Test
    void entries_carry_their_database_and_collection() throws Exception {
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult result = Backup.pipeline().source(source().databases("mint").include("mint.accounts").build())
                    .to(repo).host("test").build().run();
            List<Entry> entries = repo.entries(result.snapshot());
            assertThat(entries).extracting(Entry::path).containsExactly("mint/accounts.metadata.json", "mint/accounts.bson");
            assertThat(entries.get(0).attributes()).containsEntry("mongodb.database", "mint")
                    .containsEntry("mongodb.collection", "accounts").containsEntry("mongodb.type", "collection");
        }
    }

    @Test
    void an_application_client_is_used_and_left_open() throws Exception {
        try (com.mongodb.client.MongoClient own = com.mongodb.client.MongoClients.create(server.uri())) {
            MongoSource source = MongoSource.builder().client(own).databases("crm").build();

            assertThat(read(source, new LinkedHashMap<>()).keySet()).containsExactly("crm/customers.metadata.json", "crm/customers.bson");
            assertThat(source.id().name()).isEqualTo(server.hostAndPort() + "/crm");
            // still open: the source closed only what it created
            assertThat(own.getDatabase("crm").getCollection("customers").countDocuments()).isEqualTo(1);
        }
    }
}
