package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupPipeline;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

/**
 * Daily backups of a ledger deduplicate: documents are dumped in {@code _id} order, so a day's changes (new entries
 * appended, the most recent ones updated) touch only the tail of the stream, and the chunks before it are stored once.
 * {@code DailyBackupDedupIT} runs it on the acceptance's 100k documents with the default chunk sizes;
 * {@code DailyBackupDedupTest} on 10k documents with chunks scaled down in proportion.
 */
abstract class DailyBackupDedupScenario {
    private final int documents;
    private final RepositorySettings settings;

    DailyBackupDedupScenario(int documents, RepositorySettings settings) {
        this.documents = documents;
        this.settings = settings;
    }

    @Test
    void a_second_daily_backup_after_one_percent_ledger_changes_stores_under_a_tenth_of_the_first() {
        final int DOCUMENTS = documents;
        int changed = documents / 200;
        try (InProcessMongo server = InProcessMongo.start(); Repository repo = Repository.init(new InMemorySink(), settings)) {
            MongoCollection<BsonDocument> ledger = server.client().getDatabase("mint").getCollection("ledger", BsonDocument.class);
            FinanceData.create(server.client().getDatabase("mint"), DOCUMENTS);
            BackupPipeline daily = Backup.pipeline()
                    .source(MongoSource.builder().connectionString(Secret.of(server.uri())).databases("mint").build())
                    .to(repo).host("test").build();
            BackupResult first = daily.run();

            // One day of ledger activity, 1% of the documents: 0.5% new entries, the 0.5% most recent ones amended.
            FinanceData.insert(ledger, DOCUMENTS, DOCUMENTS + changed);
            for (long seq = DOCUMENTS - changed; seq < DOCUMENTS; seq++) {
                ledger.replaceOne(Filters.eq("_id", FinanceData.id(seq)), FinanceData.entry(seq, 2));
            }
            BackupResult second = daily.run();

            assertThat(second.snapshot().parent()).contains(first.snapshotId());
            assertThat(second.snapshot().facts()).containsEntry("mongodb.count.mint.ledger", Integer.toString(DOCUMENTS + changed));
            assertThat(second.bytesStored())
                    .as("second backup stored %d bytes, the first %d", second.bytesStored(), first.bytesStored())
                    .isLessThan(first.bytesStored() / 10);

            // and the second snapshot restores the amended state
            MongoTarget target = MongoTarget.builder().connectionString(Secret.of(server.uri())).targetDatabase("check").build();
            repo.restore(SnapshotSelector.id(second.snapshotId())).to(target).run();
            MongoAssertions.assertSameDocuments(server.client().getDatabase("mint"), server.client().getDatabase("check"), "ledger");
        }
    }
}
