package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.testkit.InMemorySink;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Verification without a server (the verifier has no connection at all): every entry parses as BSON and the counts match the snapshot's facts. */
class MongoVerifierTest {
    private static final int DOCUMENTS = 1_000;
    private static InProcessMongo server;

    @BeforeAll
    static void prepare() {
        server = InProcessMongo.start();
        FinanceData.create(server.client().getDatabase("mint"), DOCUMENTS);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Source mint() {
        return MongoSource.builder().connectionString(Secret.of(server.uri())).databases("mint").build();
    }

    private static MongoVerifier verify(Source source) {
        MongoVerifier verifier = MongoVerifier.create();
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline().source(source).to(repo).host("test").build().run();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(verifier).run();
        }
        return verifier;
    }

    @Test
    void a_sound_snapshot_verifies_with_counts_per_collection() {
        MongoVerifier verifier = verify(mint());

        MongoRestoreReport report = verifier.report().orElseThrow();
        assertThat(report.ok()).isTrue();
        assertThat(report.collections()).extracting(MongoRestoreReport.CollectionCheck::namespace)
                .containsExactly("mint.ledger", "mint.sessions");
        assertThat(report.collection("mint.ledger").orElseThrow().read()).isEqualTo(DOCUMENTS);
    }

    @Test
    void a_count_that_differs_from_the_facts_is_reported_by_collection() {
        Source tampered = new TestSources.Altered(mint(),
                facts -> {
                    facts.put("mongodb.count.mint.ledger", Integer.toString(DOCUMENTS + 3));
                    return facts;
                }, "", UnaryOperator.identity());

        assertThatThrownBy(() -> verify(tampered))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("mint.ledger: expected " + (DOCUMENTS + 3) + " documents, the snapshot's entry holds " + DOCUMENTS)
                .hasMessageNotContaining("mint.sessions");
    }

    @Test
    void a_truncated_documents_entry_is_reported_with_its_name_and_offset() {
        MongoVerifier verifier = MongoVerifier.create();
        Source truncated = new TestSources.Altered(mint(), UnaryOperator.identity(), "mint/ledger.bson",
                bytes -> Arrays.copyOf(bytes, bytes.length - 10));

        assertThatThrownBy(() -> {
            try (Repository repo = Repository.init(new InMemorySink())) {
                BackupResult backup = Backup.pipeline().source(truncated).to(repo).host("test").build().run();
                repo.restore(SnapshotSelector.id(backup.snapshotId())).to(verifier).run();
            }
        }).isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("entry 'mint/ledger.bson' ends inside a document")
                .hasMessageContaining("(document " + DOCUMENTS + ")");
        // the other collection was still checked
        assertThat(verifier.report().orElseThrow().collection("mint.sessions").orElseThrow().expected())
                .isEqualTo(OptionalLong.of(50));
    }

    @Test
    void a_document_that_is_not_valid_bson_is_reported() {
        Source damaged = new TestSources.Altered(mint(), UnaryOperator.identity(), "mint/sessions.bson", bytes -> {
            byte[] copy = bytes.clone();
            copy[4] = (byte) 0x7e; // the first element's type byte: no BSON type has this number
            return copy;
        });

        assertThatThrownBy(() -> verify(damaged))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("entry 'mint/sessions.bson' has a document that is not valid BSON")
                .hasMessageContaining("at byte 0 (document 1)");
    }

    @Test
    void damaged_metadata_is_reported_with_its_name() {
        Source damaged = new TestSources.Altered(mint(), UnaryOperator.identity(), "mint/ledger.metadata.json",
                bytes -> "{\"indexes\": [1, 2]}".getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertThatThrownBy(() -> verify(damaged))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("entry 'mint/ledger.metadata.json' is not mongodump metadata");
    }
}
