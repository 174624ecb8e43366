package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;

/**
 * What a restore asks the server, seen through the driver's command monitoring: the collection created with all its
 * options first, the documents inserted unordered as raw BSON without validation, the indexes built after the data,
 * views last, counts at the end. The snapshot is an imported mongodump directory whose metadata holds options that
 * mongo-java-server does not keep (validator, collation), which is why the commands are what is checked here.
 */
class MongoTargetCommandsTest {

    private static byte[] bson(BsonDocument... docs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (BsonDocument d : docs) {
            java.nio.ByteBuffer bytes = new RawBsonDocument(d, new org.bson.codecs.BsonDocumentCodec()).getByteBuffer().asNIO();
            byte[] copy = new byte[bytes.remaining()];
            bytes.get(copy);
            out.write(copy, 0, copy.length);
        }
        return out.toByteArray();
    }

    @Test
    void collections_are_created_with_their_options_then_filled_then_indexed_and_views_come_last() {
        String orders = "{\"options\": {\"validator\": {\"amount\": {\"$gte\": {\"$numberInt\": \"0\"}}},"
                + " \"validationLevel\": \"strict\", \"collation\": {\"locale\": \"pt\", \"strength\": {\"$numberInt\": \"2\"}}},"
                + " \"indexes\": [{\"v\": {\"$numberInt\": \"2\"}, \"key\": {\"_id\": {\"$numberInt\": \"1\"}}, \"name\": \"_id_\"},"
                + " {\"v\": {\"$numberInt\": \"2\"}, \"key\": {\"customer\": {\"$numberInt\": \"1\"}, \"at\": {\"$numberInt\": \"-1\"}},"
                + " \"name\": \"customer_1_at_-1\"},"
                + " {\"v\": {\"$numberInt\": \"2\"}, \"key\": {\"at\": {\"$numberInt\": \"1\"}}, \"name\": \"at_1\","
                + " \"expireAfterSeconds\": {\"$numberInt\": \"600\"}}],"
                + " \"collectionName\": \"orders\", \"type\": \"collection\"}";
        String view = "{\"options\": {\"viewOn\": \"orders\", \"pipeline\": [{\"$match\": {\"amount\": {\"$gt\": {\"$numberInt\": \"100\"}}}}]},"
                + " \"indexes\": [], \"collectionName\": \"big_orders\", \"type\": \"view\"}";
        Map<String, byte[]> dump = new LinkedHashMap<>();
        dump.put("shop/big_orders.metadata.json", view.getBytes(StandardCharsets.UTF_8));
        dump.put("shop/orders.metadata.json", orders.getBytes(StandardCharsets.UTF_8));
        dump.put("shop/orders.bson", bson(
                new BsonDocument("_id", new BsonInt32(1)).append("customer", new BsonString("a")).append("amount", new BsonInt32(50)),
                new BsonDocument("_id", new BsonInt32(2)).append("customer", new BsonString("b")).append("amount", new BsonInt32(500))));

        List<BsonDocument> commands = Collections.synchronizedList(new ArrayList<>());
        try (InProcessMongo server = InProcessMongo.start(); Repository repo = Repository.init(new InMemorySink());
             MongoClient client = MongoClients.create(MongoClientSettings.builder()
                     .applyConnectionString(new ConnectionString(server.uri()))
                     .addCommandListener(new CommandListener() {
                         @Override
                         public void commandStarted(CommandStartedEvent event) {
                             commands.add(event.getCommand().clone());
                         }
                     }).build())) {
            BackupResult imported = Backup.pipeline()
                    .source(TestSources.entries("mongodb", dump, Map.of("mongodb.count.shop.orders", "2")))
                    .to(repo).host("test").build().run();

            MongoTarget target = MongoTarget.builder().client(client).targetDatabase("shop_copy").build();
            repo.restore(SnapshotSelector.id(imported.snapshotId())).to(target).run();

            List<String> names = commands.stream().map(BsonDocument::getFirstKey)
                    .filter(n -> !n.equals("buildInfo") && !n.equals("isMaster") && !n.equals("hello")).toList();
            assertThat(names).containsSubsequence("create", "insert", "createIndexes", "create", "aggregate");
            BsonDocument create = commands.stream().filter(c -> c.getFirstKey().equals("create")).findFirst().orElseThrow();
            assertThat(create).isEqualTo(BsonDocument.parse("{create: 'orders', validator: {amount: {$gte: 0}},"
                    + " validationLevel: 'strict', collation: {locale: 'pt', strength: 2}}")
                    .append("$db", new BsonString("shop_copy")));
            BsonDocument insert = commands.stream().filter(c -> c.getFirstKey().equals("insert")).findFirst().orElseThrow();
            assertThat(insert.getBoolean("ordered").getValue()).isFalse();
            assertThat(insert.getBoolean("bypassDocumentValidation").getValue()).isTrue();
            assertThat(insert.getArray("documents")).hasSize(2);
            BsonDocument indexes = commands.stream().filter(c -> c.getFirstKey().equals("createIndexes")).findFirst().orElseThrow();
            assertThat(indexes.getArray("indexes")).map(v -> v.asDocument().getString("name").getValue())
                    .containsExactly("customer_1_at_-1", "at_1");
            BsonDocument createView = commands.stream().filter(c -> c.getFirstKey().equals("create")
                    && c.getString("create").getValue().equals("big_orders")).findFirst().orElseThrow();
            assertThat(createView.getString("viewOn").getValue()).isEqualTo("orders");
            assertThat(target.report().orElseThrow().collection("shop.orders").orElseThrow().found()).isEqualTo(2);
        }
    }
}
