package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import java.util.OptionalLong;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Restores into the same or another database, with and without drop, and the per-collection count checks. */
class RestoreTargetTest {
    private static final int DOCUMENTS = 2_000;
    private InProcessMongo server;
    private Repository repo;
    private BackupResult backup;

    @BeforeEach
    void backUp() {
        server = InProcessMongo.start();
        FinanceData.create(server.client().getDatabase("mint"), DOCUMENTS);
        repo = Repository.init(new InMemorySink());
        backup = Backup.pipeline().source(source("mint")).to(repo).host("test").build().run();
    }

    @AfterEach
    void stop() {
        repo.close();
        server.close();
    }

    private MongoSource source(String... databases) {
        return MongoSource.builder().connectionString(Secret.of(server.uri())).databases(databases).build();
    }

    private MongoTarget.Builder target() {
        return MongoTarget.builder().connectionString(Secret.of(server.uri()));
    }

    private void restore(MongoTarget target) {
        repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target).run();
    }

    @Test
    void restore_into_another_database_leaves_the_original_untouched() {
        MongoDatabase original = server.client().getDatabase("mint");
        String before = MongoAssertions.digest(original);

        restore(target().targetDatabase("mint_drill").drop(true).build());

        assertThat(MongoAssertions.digest(original)).isEqualTo(before);
        MongoAssertions.assertSameDatabase(original, server.client().getDatabase("mint_drill"));
    }

    @Test
    void restore_into_the_original_database_with_drop_brings_back_lost_and_changed_documents() {
        MongoDatabase mint = server.client().getDatabase("mint");
        String before = MongoAssertions.digest(mint);
        MongoCollection<BsonDocument> ledger = mint.getCollection("ledger", BsonDocument.class);
        ledger.deleteMany(new BsonDocument("seq", new BsonDocument("$lt", new org.bson.BsonInt64(100))));
        ledger.insertOne(new BsonDocument("_id", new BsonString("stray")));
        assertThat(MongoAssertions.digest(mint)).isNotEqualTo(before);

        restore(target().originalNames(true).drop(true).build());

        assertThat(MongoAssertions.digest(mint)).isEqualTo(before);
    }

    @Test
    void without_a_target_database_the_original_names_must_be_allowed_and_nothing_is_written_before() {
        MongoDatabase mint = server.client().getDatabase("mint");
        mint.getCollection("ledger").deleteMany(new BsonDocument("seq", new BsonDocument("$lt", new org.bson.BsonInt64(10))));
        String before = MongoAssertions.digest(mint);

        assertThatThrownBy(() -> restore(target().build()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("holds database mint and no target database was named")
                .hasMessageContaining("original-names=true");
        assertThatThrownBy(() -> restore(target().targetDatabase("mint").drop(true).build()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'mint' is the name of the database snapshot " + backup.snapshotId() + " was taken of")
                .hasMessageContaining("original-names=true");

        assertThat(MongoAssertions.digest(mint)).as("the deleted documents stay deleted").isEqualTo(before);
    }

    @Test
    void a_target_database_that_holds_collections_needs_drop_or_merge_and_is_left_alone_without() {
        MongoDatabase drill = server.client().getDatabase("mint_drill");
        drill.getCollection("notes", BsonDocument.class).insertOne(new BsonDocument("_id", new BsonString("keep me")));
        String before = MongoAssertions.digest(drill);

        assertThatThrownBy(() -> restore(target().targetDatabase("mint_drill").build()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("database mint_drill on mongodb://" + server.hostAndPort() + " already holds 1 collection (notes)")
                .hasMessageContaining("drop=true").hasMessageContaining("merge=true");
        assertThat(MongoAssertions.digest(drill)).isEqualTo(before);
        assertThatThrownBy(() -> target().drop(true).merge(true).build()).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("drop and merge exclude each other");

        restore(target().targetDatabase("mint_drill").merge(true).build());
        assertThat(drill.getCollection("notes").countDocuments()).isEqualTo(1);
        MongoAssertions.assertSameDocuments(server.client().getDatabase("mint"), drill, "ledger");
    }

    @Test
    void a_count_mismatch_is_reported_by_collection() {
        // the target already holds documents in one collection, and the restore is told to keep what exists
        server.client().getDatabase("mint_drill").getCollection("ledger", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonString("left over from an earlier drill")));
        MongoTarget target = target().targetDatabase("mint_drill").merge(true).build();

        assertThatThrownBy(() -> restore(target))
                .isInstanceOf(MongoCheckException.class)
                .hasMessageContaining("mint.ledger: expected " + DOCUMENTS + " documents, found " + (DOCUMENTS + 1)
                        + " in mint_drill.ledger")
                .hasMessageNotContaining("mint.sessions");
        MongoRestoreReport report = target.report().orElseThrow();
        assertThat(report.ok()).isFalse();
        assertThat(report.mismatches()).singleElement().satisfies(c -> {
            assertThat(c.namespace()).isEqualTo("mint.ledger");
            assertThat(c.targetNamespace()).isEqualTo("mint_drill.ledger");
            assertThat(c.expected()).isEqualTo(OptionalLong.of(DOCUMENTS));
            assertThat(c.read()).isEqualTo(DOCUMENTS);
            assertThat(c.found()).isEqualTo(DOCUMENTS + 1);
        });
        assertThat(report.collection("mint.sessions").orElseThrow().matches()).isTrue();
    }

    @Test
    void documents_the_server_refuses_are_reported_and_drop_replaces_them() {
        MongoCollection<BsonDocument> drill = server.client().getDatabase("mint_drill").getCollection("ledger", BsonDocument.class);
        drill.insertOne(new BsonDocument("_id", new org.bson.BsonObjectId(FinanceData.id(7))).append("stale", new BsonInt32(1)));
        MongoTarget keep = target().targetDatabase("mint_drill").merge(true).build();

        assertThatThrownBy(() -> restore(keep)).isInstanceOf(MongoCheckException.class)
                .hasMessageContaining("mint.ledger: the server refused 1 documents in mint_drill.ledger")
                .hasMessageContaining("restore with drop");
        assertThat(keep.report().orElseThrow().collection("mint.ledger").orElseThrow().failedInserts()).isEqualTo(1);

        MongoTarget replace = target().targetDatabase("mint_drill").drop(true).build();
        restore(replace);
        assertThat(replace.report().orElseThrow().ok()).isTrue();
        MongoAssertions.assertSameDatabase(server.client().getDatabase("mint"), server.client().getDatabase("mint_drill"));
    }

    @Test
    void without_fail_on_mismatch_the_restore_completes_and_keeps_the_report() {
        server.client().getDatabase("mint_drill").getCollection("sessions", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonString("extra")));
        MongoTarget target = target().targetDatabase("mint_drill").merge(true).failOnMismatch(false).build();

        restore(target);

        assertThat(target.report().orElseThrow().mismatches()).extracting(MongoRestoreReport.CollectionCheck::namespace)
                .containsExactly("mint.sessions");
    }

    @Test
    void a_target_database_renames_only_a_single_source_database() {
        server.client().getDatabase("crm").getCollection("customers", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonInt32(1)));
        BackupResult both = Backup.pipeline().source(source("crm", "mint")).to(repo).host("test").build().run();

        assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(both.snapshotId()))
                .to(target().targetDatabase("copy").build()).run())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("holds databases crm and mint");
        // one database at a time works
        repo.restore(SnapshotSelector.id(both.snapshotId())).include("mint").to(target().targetDatabase("copy").build()).run();
        MongoAssertions.assertSameDatabase(server.client().getDatabase("mint"), server.client().getDatabase("copy"));
    }

    @Test
    void a_snapshot_of_another_kind_is_refused() {
        MongoTarget target = target().build();
        Repository other = Repository.init(new InMemorySink());
        BackupResult notMongo = Backup.pipeline().source(TestSources.entries("fs", java.util.Map.of("a.txt", new byte[] {1})))
                .to(other).host("test").build().run();
        assertThatThrownBy(() -> other.restore(SnapshotSelector.id(notMongo.snapshotId())).to(target).run())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not a MongoDB backup");
    }
}
