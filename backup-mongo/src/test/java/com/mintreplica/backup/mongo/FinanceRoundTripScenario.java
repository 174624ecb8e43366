package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mongodb.client.MongoDatabase;
import java.util.Set;
import java.util.TreeSet;
import org.bson.BsonBinarySubType;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ledger documents of every finance BSON type round-trip through a chunked repository byte-identical per document,
 * with the same indexes. {@code FinanceRoundTripTest} runs it on 5k documents, {@code FinanceRoundTripIT} on the
 * acceptance's 100k.
 */
abstract class FinanceRoundTripScenario {
    private InProcessMongo server;
    private final int documents;

    FinanceRoundTripScenario(int documents) {
        this.documents = documents;
    }

    @BeforeEach
    void prepare() {
        server = InProcessMongo.start();
        FinanceData.create(server.client().getDatabase("mint"), documents);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void finance_documents_round_trip_byte_identical_with_the_same_indexes() {
        MongoDatabase original = server.client().getDatabase("mint");
        assertThat(typesIn(original.getCollection("ledger", BsonDocument.class).find().first()))
                .as("the data holds every type the test claims")
                .contains("OBJECT_ID", "DECIMAL128", "DATE_TIME", "DOCUMENT", "ARRAY", "BINARY/4", "BINARY/0",
                        "INT32", "INT64", "DOUBLE", "BOOLEAN", "TIMESTAMP", "STRING");

        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline()
                    .source(MongoSource.builder().connectionString(Secret.of(server.uri())).databases("mint").build())
                    .to(repo).host("test").build().run();
            assertThat(backup.snapshot().facts()).containsEntry("mongodb.count.mint.ledger", Integer.toString(documents))
                    .containsEntry("mongodb.count.mint.sessions", "50");

            MongoTarget target = MongoTarget.builder().connectionString(Secret.of(server.uri()))
                    .targetDatabase("mint_restored").build();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target).run();

            MongoAssertions.assertSameDatabase(original, server.client().getDatabase("mint_restored"));
            assertThat(MongoAssertions.indexes(server.client().getDatabase("mint_restored"), "ledger"))
                    .extracting(i -> i.getString("name").getValue())
                    .containsExactlyInAnyOrder("_id_", "txnId_unique", "account_1_postedAt_-1", "reconciled_1", "note_text");
            assertThat(MongoAssertions.indexes(server.client().getDatabase("mint_restored"), "sessions"))
                    .filteredOn(i -> i.containsKey("expireAfterSeconds"))
                    .singleElement()
                    .satisfies(i -> assertThat(i.getNumber("expireAfterSeconds").longValue()).isEqualTo(3600));
            MongoRestoreReport report = target.report().orElseThrow();
            assertThat(report.ok()).as(report.summary()).isTrue();
            assertThat(report.collection("mint.ledger").orElseThrow().found()).isEqualTo(documents);

            MongoVerifier verifier = MongoVerifier.create();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(verifier).run();
            assertThat(verifier.report().orElseThrow().collection("mint.ledger").orElseThrow().read()).isEqualTo(documents);
        }
    }

    private static Set<String> typesIn(BsonDocument doc) {
        Set<String> out = new TreeSet<>();
        collect(doc, out);
        return out;
    }

    private static void collect(BsonValue value, Set<String> out) {
        BsonType type = value.getBsonType();
        if (type == BsonType.BINARY) {
            byte subtype = value.asBinary().getType();
            out.add("BINARY/" + (subtype == BsonBinarySubType.UUID_STANDARD.getValue() ? 4 : subtype));
            return;
        }
        out.add(type.name());
        if (value.isDocument()) {
            value.asDocument().values().forEach(v -> collect(v, out));
        } else if (value.isArray()) {
            value.asArray().forEach(v -> collect(v, out));
        }
    }
}
