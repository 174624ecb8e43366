package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.testkit.SourceContract;
import com.mongodb.client.MongoDatabase;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The Source kit over an in-process server: two databases, escaped collection names, indexes. */
class MongoSourceContractTest extends SourceContract {
    private static InProcessMongo source;
    private final List<InProcessMongo> targets = new ArrayList<>();

    @BeforeAll
    static void prepare() {
        source = InProcessMongo.start();
        MongoDatabase mint = source.client().getDatabase("mint");
        FinanceData.create(mint, 3_000);
        // a name mongodump escapes in its file name
        mint.getCollection("audit/log 2026", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonInt32(1)).append("what", new BsonString("login")));
        mint.createCollection("empty");
        source.client().getDatabase("crm").getCollection("customers", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonString("c-1")).append("name", new BsonString("Ana")));
    }

    @AfterAll
    static void stop() {
        source.close();
    }

    @AfterEach
    void stopTargets() {
        targets.forEach(InProcessMongo::close);
        targets.clear();
    }

    @Override
    protected Source newSource() {
        return MongoSource.builder().connectionString(Secret.of(source.uri())).batchSize(500).build();
    }

    @Override
    protected RestoreTarget newTarget() {
        InProcessMongo target = InProcessMongo.start();
        targets.add(target);
        return MongoTarget.builder().connectionString(Secret.of(target.uri())).originalNames(true).build();
    }

    @Override
    protected void assertRestored(RestoreTarget restored) {
        InProcessMongo target = targets.get(targets.size() - 1);
        for (String db : List.of("mint", "crm")) {
            MongoAssertions.assertSameDatabase(source.client().getDatabase(db), target.client().getDatabase(db));
        }
        MongoRestoreReport report = ((MongoTarget) restored).report().orElseThrow();
        assertThat(report.ok()).as(report.summary()).isTrue();
        assertThat(report.collection("mint.ledger").orElseThrow().found()).isEqualTo(3_000);
    }
}
