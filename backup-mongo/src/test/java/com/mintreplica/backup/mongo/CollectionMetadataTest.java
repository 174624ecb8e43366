package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.mongo.internal.CollectionMetadata;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;

/**
 * The metadata.json we write and read, in mongodump's format. mongo-java-server does not keep validators, collation,
 * capped or time-series options (its listCollections reports empty options), so these tests build the BSON a real
 * server's listCollections and listIndexes report, and check what we write from it and the commands we restore it
 * with. The suites against a real server (MONGO_URI, Testcontainers) check the same options end to end.
 */
class CollectionMetadataTest {
    private static final UUID COLLECTION_UUID = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    /** A listCollections entry as MongoDB 7 reports it for a validated, collated collection. */
    private static BsonDocument ledgerEntry() {
        BsonDocument schema = BsonDocument.parse("{$jsonSchema: {bsonType: 'object', required: ['amount'],"
                + " properties: {amount: {bsonType: 'decimal'}}}}");
        return new BsonDocument("name", new BsonString("ledger"))
                .append("type", new BsonString("collection"))
                .append("options", new BsonDocument("validator", schema)
                        .append("validationLevel", new BsonString("strict"))
                        .append("validationAction", new BsonString("error"))
                        .append("collation", new BsonDocument("locale", new BsonString("pt"))
                                .append("strength", new BsonInt32(2))))
                .append("info", new BsonDocument("readOnly", BsonBoolean.FALSE)
                        .append("uuid", new BsonBinary(COLLECTION_UUID)))
                .append("idIndex", BsonDocument.parse("{v: 2, key: {_id: 1}, name: '_id_'}"));
    }

    /** listIndexes of that collection: _id, unique, compound, TTL, partial, text (as the server stores text keys). */
    private static List<BsonDocument> ledgerIndexes() {
        return List.of(
                BsonDocument.parse("{v: 2, key: {_id: 1}, name: '_id_'}"),
                BsonDocument.parse("{v: 2, key: {txnId: 1}, name: 'txnId_1', unique: true}"),
                BsonDocument.parse("{v: 2, key: {account: 1, postedAt: -1}, name: 'account_1_postedAt_-1'}"),
                BsonDocument.parse("{v: 2, key: {expiresAt: 1}, name: 'expiresAt_1', expireAfterSeconds: 3600}"),
                BsonDocument.parse("{v: 2, key: {reconciled: 1}, name: 'reconciled_1',"
                        + " partialFilterExpression: {reconciled: false}}"),
                BsonDocument.parse("{v: 2, key: {_fts: 'text', _ftsx: 1}, name: 'note_text', weights: {note: 1},"
                        + " default_language: 'english', language_override: 'language', textIndexVersion: 3}"),
                BsonDocument.parse("{v: 2, key: {name: 1}, name: 'name_1', collation: {locale: 'pt', strength: 2},"
                        + " ns: 'mint.ledger'}"));
    }

    @Test
    void metadata_is_written_as_mongodump_writes_it_in_canonical_extended_json() {
        CollectionMetadata metadata = CollectionMetadata.fromServer(ledgerEntry(), ledgerIndexes().subList(0, 2));

        assertThat(metadata.toJson()).isEqualTo("{\"options\": {"
                + "\"validator\": {\"$jsonSchema\": {\"bsonType\": \"object\", \"required\": [\"amount\"],"
                + " \"properties\": {\"amount\": {\"bsonType\": \"decimal\"}}}},"
                + " \"validationLevel\": \"strict\", \"validationAction\": \"error\","
                + " \"collation\": {\"locale\": \"pt\", \"strength\": {\"$numberInt\": \"2\"}}},"
                + " \"indexes\": [{\"v\": {\"$numberInt\": \"2\"}, \"key\": {\"_id\": {\"$numberInt\": \"1\"}}, \"name\": \"_id_\"},"
                + " {\"v\": {\"$numberInt\": \"2\"}, \"key\": {\"txnId\": {\"$numberInt\": \"1\"}}, \"name\": \"txnId_1\", \"unique\": true}],"
                + " \"uuid\": \"0f1e2d3c4b5a69788796a5b4c3d2e1f0\","
                + " \"collectionName\": \"ledger\", \"type\": \"collection\"}");
    }

    @Test
    void every_index_kind_and_option_survives_writing_and_reading() {
        CollectionMetadata metadata = CollectionMetadata.fromServer(ledgerEntry(), ledgerIndexes());

        CollectionMetadata read = CollectionMetadata.parse(metadata.toJson(), "unused");

        assertThat(read).isEqualTo(metadata);
        assertThat(read.indexes()).extracting(i -> i.getString("name").getValue()).containsExactly(
                "_id_", "txnId_1", "account_1_postedAt_-1", "expiresAt_1", "reconciled_1", "note_text", "name_1");
        assertThat(read.indexes()).noneMatch(i -> i.containsKey("ns"));
    }

    @Test
    void the_create_command_carries_validator_collation_and_every_other_option() {
        CollectionMetadata metadata = CollectionMetadata.fromServer(ledgerEntry(), ledgerIndexes());

        BsonDocument create = metadata.createCommand("ledger_copy");

        assertThat(create.getFirstKey()).isEqualTo("create");
        assertThat(create.getString("create").getValue()).isEqualTo("ledger_copy");
        assertThat(create.getDocument("validator")).isEqualTo(ledgerEntry().getDocument("options").getDocument("validator"));
        assertThat(create.getString("validationLevel").getValue()).isEqualTo("strict");
        assertThat(create.getDocument("collation")).isEqualTo(BsonDocument.parse("{locale: 'pt', strength: 2}"));
    }

    @Test
    void indexes_are_rebuilt_with_every_option_but_without_id_and_ns() {
        BsonDocument command = CollectionMetadata.fromServer(ledgerEntry(), ledgerIndexes())
                .createIndexesCommand("ledger_copy").orElseThrow();

        assertThat(command.getString("createIndexes").getValue()).isEqualTo("ledger_copy");
        BsonArray specs = command.getArray("indexes");
        assertThat(specs).hasSize(6);
        assertThat(specs).map(v -> v.asDocument().getString("name").getValue()).doesNotContain("_id_");
        assertThat(specs).noneMatch(v -> v.asDocument().containsKey("ns"));
        assertThat(specs.get(0).asDocument().getBoolean("unique").getValue()).isTrue();
        assertThat(specs.get(2).asDocument().getInt32("expireAfterSeconds").getValue()).isEqualTo(3600);
        assertThat(specs.get(3).asDocument().getDocument("partialFilterExpression"))
                .isEqualTo(BsonDocument.parse("{reconciled: false}"));
        assertThat(specs.get(4).asDocument()).isEqualTo(ledgerIndexes().get(5));
        assertThat(specs.get(5).asDocument().getDocument("collation")).isEqualTo(BsonDocument.parse("{locale: 'pt', strength: 2}"));
    }

    @Test
    void capped_collections_keep_their_size_and_limit_as_64_and_32_bit_numbers() {
        BsonDocument entry = new BsonDocument("name", new BsonString("events")).append("type", new BsonString("collection"))
                .append("options", new BsonDocument("capped", BsonBoolean.TRUE)
                        .append("size", new BsonInt64(1_048_576)).append("max", new BsonInt32(1000)));
        CollectionMetadata metadata = CollectionMetadata.fromServer(entry, List.of());

        assertThat(metadata.toJson()).startsWith("{\"options\": {\"capped\": true, \"size\": {\"$numberLong\": \"1048576\"},"
                + " \"max\": {\"$numberInt\": \"1000\"}}, \"indexes\": [], \"collectionName\": \"events\"");
        assertThat(CollectionMetadata.parse(metadata.toJson(), "events").createCommand("events"))
                .isEqualTo(BsonDocument.parse("{create: 'events', capped: true, size: {$numberLong: '1048576'}, max: 1000}"));
    }

    @Test
    void time_series_collections_keep_their_options_and_clustered_indexes_are_not_rebuilt() {
        BsonDocument timeseries = new BsonDocument("name", new BsonString("prices")).append("type", new BsonString("timeseries"))
                .append("options", BsonDocument.parse("{timeseries: {timeField: 'ts', metaField: 'symbol',"
                        + " granularity: 'seconds', bucketMaxSpanSeconds: 3600}, expireAfterSeconds: {$numberLong: '86400'}}"));
        CollectionMetadata prices = CollectionMetadata.fromServer(timeseries, List.of(
                BsonDocument.parse("{v: 2, key: {symbol: 1, ts: 1}, name: 'symbol_1_ts_1'}")));
        assertThat(prices.toJson()).contains("\"granularity\": \"seconds\"", "\"bucketMaxSpanSeconds\": {\"$numberInt\": \"3600\"}",
                "\"expireAfterSeconds\": {\"$numberLong\": \"86400\"}", "\"type\": \"timeseries\"");
        assertThat(prices.createCommand("prices").getDocument("timeseries").getString("timeField").getValue()).isEqualTo("ts");
        assertThat(prices.hasIdIndex()).isFalse();

        BsonDocument clustered = new BsonDocument("name", new BsonString("orders")).append("type", new BsonString("collection"))
                .append("options", BsonDocument.parse("{clusteredIndex: {v: 2, key: {_id: 1}, name: '_id_', unique: true}}"));
        CollectionMetadata orders = CollectionMetadata.fromServer(clustered, List.of(
                BsonDocument.parse("{v: 2, key: {_id: 1}, name: '_id_', unique: true, clustered: true}"),
                BsonDocument.parse("{v: 2, key: {customer: 1}, name: 'customer_1'}")));
        assertThat(orders.secondaryIndexes()).extracting(i -> i.getString("name").getValue()).containsExactly("customer_1");
        assertThat(orders.createCommand("orders").getDocument("clusteredIndex").getBoolean("unique").getValue()).isTrue();
    }

    @Test
    void views_are_recorded_with_their_pipeline_and_no_indexes() {
        BsonDocument entry = new BsonDocument("name", new BsonString("open_items")).append("type", new BsonString("view"))
                .append("options", BsonDocument.parse("{viewOn: 'ledger', pipeline: [{$match: {reconciled: false}}]}"))
                .append("info", new BsonDocument("readOnly", BsonBoolean.TRUE));
        CollectionMetadata view = CollectionMetadata.fromServer(entry, List.of());

        assertThat(view.toJson()).isEqualTo("{\"options\": {\"viewOn\": \"ledger\", \"pipeline\": [{\"$match\": {\"reconciled\": false}}]},"
                + " \"indexes\": [], \"collectionName\": \"open_items\", \"type\": \"view\"}");
        assertThat(view.isView()).isTrue();
        assertThat(view.createIndexesCommand("open_items")).isEmpty();
    }

    @Test
    void metadata_written_by_mongodump_in_any_extended_json_mode_is_read() {
        // compact canonical, as mongodump 100.x writes it
        CollectionMetadata canonical = CollectionMetadata.parse("{\"options\":{\"capped\":true,\"size\":{\"$numberLong\":\"4096\"}},"
                + "\"indexes\":[{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_id\":{\"$numberInt\":\"1\"}},\"name\":\"_id_\"}],"
                + "\"uuid\":\"8f7e6d5c4b3a29180716253443526170\",\"collectionName\":\"log\",\"type\":\"collection\"}", "x");
        assertThat(canonical.collectionName()).isEqualTo("log");
        assertThat(canonical.uuid()).contains("8f7e6d5c4b3a29180716253443526170");
        assertThat(canonical.options().getInt64("size").getValue()).isEqualTo(4096);

        // relaxed, as older mongodump wrote it: no type, no collection name, ns in the index specs
        CollectionMetadata legacy = CollectionMetadata.parse("{\"options\":{\"viewOn\":\"log\",\"pipeline\":[]},"
                + "\"indexes\":[{\"v\":2,\"key\":{\"at\":1},\"name\":\"at_1\",\"ns\":\"app.log\"}]}", "recent");
        assertThat(legacy.collectionName()).isEqualTo("recent");
        assertThat(legacy.type()).isEqualTo("view");
        assertThat(legacy.indexes()).singleElement().satisfies(i -> assertThat(i.containsKey("ns")).isFalse());
        assertThat(legacy.uuid()).isEqualTo(Optional.empty());
    }

    @Test
    void what_is_not_metadata_is_refused() {
        assertThatThrownBy(() -> CollectionMetadata.parse("[1, 2]", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CollectionMetadata.parse("{\"indexes\": 3}", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an array");
    }
}
