package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot exported as a mongodump directory ({@link MongoDumpTarget}) has mongodump's layout, file for file, and a
 * mongodump directory imported ({@link MongoDumpSource}) restores like a snapshot taken from the server.
 */
@Timeout(120)
class MongoDumpDirectoryTest {
    private static final int DOCUMENTS = 1_500;
    @TempDir
    Path temp;
    private InProcessMongo server;
    private Repository repo;
    private BackupResult backup;

    @BeforeEach
    void backUp() {
        server = InProcessMongo.start();
        FinanceData.create(server.client().getDatabase("mint"), DOCUMENTS);
        server.client().getDatabase("crm").getCollection("a/b", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonInt32(1)).append("name", new BsonString("slash")));
        server.client().getDatabase("crm").createCollection("empty");
        repo = Repository.init(new InMemorySink());
        backup = Backup.pipeline().source(MongoSource.builder().connectionString(Secret.of(server.uri()))
                .databases("crm", "mint").build()).to(repo).host("test").build().run();
    }

    @AfterEach
    void stop() {
        repo.close();
        server.close();
    }

    private Path export(String snapshotId) {
        Path dir = temp.resolve("export-" + snapshotId);
        MongoDumpTarget target = MongoDumpTarget.to(dir);
        repo.restore(SnapshotSelector.id(snapshotId)).to(target).run();
        assertThat(target.report().orElseThrow().ok()).isTrue();
        return dir;
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    /** The documents of a .bson file, read with the driver's own BSON decoder: length-prefixed documents, end to end. */
    private static List<RawBsonDocument> documents(Path bson) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(bson)).order(ByteOrder.LITTLE_ENDIAN);
        List<RawBsonDocument> out = new ArrayList<>();
        while (all.hasRemaining()) {
            int length = all.getInt(all.position());
            byte[] doc = new byte[length];
            all.get(doc);
            out.add(new RawBsonDocument(doc));
        }
        return out;
    }

    @Test
    void an_export_has_mongodumps_layout_metadata_and_documents() throws Exception {
        Path dir = export(backup.snapshotId());

        assertThat(files(dir)).containsExactly("crm/a%2Fb.bson", "crm/a%2Fb.metadata.json", "crm/empty.bson",
                "crm/empty.metadata.json", "mint/ledger.bson", "mint/ledger.metadata.json", "mint/sessions.bson",
                "mint/sessions.metadata.json");
        BsonDocument metadata = BsonDocument.parse(Files.readString(dir.resolve("mint/ledger.metadata.json")));
        assertThat(metadata.getString("collectionName").getValue()).isEqualTo("ledger");
        assertThat(metadata.getString("type").getValue()).isEqualTo("collection");
        assertThat(metadata.getArray("indexes")).extracting(v -> v.asDocument().getString("name").getValue())
                .contains("_id_", "txnId_unique");
        assertThat(BsonDocument.parse(Files.readString(dir.resolve("crm/a%2Fb.metadata.json")))
                .getString("collectionName").getValue()).isEqualTo("a/b");
        assertThat(dir.resolve("crm/empty.bson")).isEmptyFile();

        List<RawBsonDocument> ledger = documents(dir.resolve("mint/ledger.bson"));
        assertThat(ledger).hasSize(DOCUMENTS);
        try (MongoCursor<RawBsonDocument> original = server.client().getDatabase("mint")
                .getCollection("ledger", RawBsonDocument.class).find().sort(new BsonDocument("_id", new BsonInt32(1))).iterator()) {
            for (RawBsonDocument exported : ledger) {
                assertThat(exported).isEqualTo(original.next());
            }
        }
    }

    @Test
    void an_imported_export_restores_into_a_server_like_the_snapshot_it_came_from() throws Exception {
        Path dir = export(backup.snapshotId());

        BackupResult imported = Backup.pipeline().source(MongoDumpSource.of(dir)).to(repo).host("test").build().run();
        Snapshot snapshot = imported.snapshot();
        assertThat(snapshot.source()).hasToString("mongodb:mongodump:" + dir);
        assertThat(MongoFacts.counts(snapshot.facts())).isEqualTo(MongoFacts.counts(backup.snapshot().facts()));
        assertThat(snapshot.facts()).containsEntry(MongoFacts.IMPORTED_FROM, dir.toString())
                .containsEntry(MongoFacts.POINT_IN_TIME, "false");
        assertThat(imported.bytesNew()).as("the same documents deduplicate against the server's snapshot")
                .isLessThan(imported.bytesRead() / 4);
        repo.restore(SnapshotSelector.id(imported.snapshotId())).to(MongoVerifier.create()).run();

        try (InProcessMongo other = InProcessMongo.start()) {
            MongoTarget target = MongoTarget.builder().connectionString(Secret.of(other.uri())).originalNames(true).build();
            repo.restore(SnapshotSelector.id(imported.snapshotId())).to(target).run();
            assertThat(target.report().orElseThrow().ok()).isTrue();
            for (String db : List.of("mint", "crm")) {
                MongoAssertions.assertSameDatabase(server.client().getDatabase(db), other.client().getDatabase(db));
            }
        }
    }

    @Test
    void a_gzipped_dump_of_one_database_imports_and_what_is_not_a_collection_is_named_in_warnings() throws Exception {
        Path export = export(backup.snapshotId());
        Path dump = temp.resolve("gz");
        Path mint = Files.createDirectories(dump.resolve("mint"));
        for (String name : List.of("ledger.bson", "ledger.metadata.json", "sessions.bson", "sessions.metadata.json")) {
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(mint.resolve(name + ".gz")))) {
                Files.copy(export.resolve("mint").resolve(name), out);
            }
        }
        Files.write(dump.resolve("oplog.bson"), new byte[0]);
        Files.writeString(mint.resolve("README.txt"), "not a dump file");

        BackupResult imported = Backup.pipeline().source(MongoDumpSource.of(dump)).to(repo).host("test").build().run();
        assertThat(imported.snapshot().warnings()).extracting(Snapshot.Warning::path)
                .containsExactlyInAnyOrder("oplog.bson", "mint/README.txt");
        assertThat(MongoFacts.counts(imported.snapshot().facts())).containsOnlyKeys("mint.ledger", "mint.sessions")
                .containsEntry("mint.ledger", (long) DOCUMENTS);

        // a directory holding one database's files is that database
        BackupResult single = Backup.pipeline().source(MongoDumpSource.of(mint)).to(repo).host("test").build().run();
        assertThat(MongoFacts.counts(single.snapshot().facts())).containsOnlyKeys("mint.ledger", "mint.sessions");
        MongoTarget target = MongoTarget.builder().connectionString(Secret.of(server.uri())).targetDatabase("mint_gz").build();
        repo.restore(SnapshotSelector.id(single.snapshotId())).to(target).run();
        MongoDatabase restored = server.client().getDatabase("mint_gz");
        MongoAssertions.assertSameDatabase(server.client().getDatabase("mint"), restored);
    }

    @Test
    void a_damaged_dump_fails_the_import_naming_the_file_and_offset() throws Exception {
        Path dir = export(backup.snapshotId());
        Path ledger = dir.resolve("mint/ledger.bson");
        byte[] bytes = Files.readAllBytes(ledger);
        Files.write(ledger, java.util.Arrays.copyOf(bytes, bytes.length - 7));
        int before = repo.snapshots().size();

        assertThatThrownBy(() -> Backup.pipeline().source(MongoDumpSource.of(dir)).to(repo).host("test").build().run())
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(ledger.toString())
                .hasMessageContaining("ends inside a document");
        assertThat(repo.snapshots()).hasSize(before);
    }

    @Test
    void an_export_goes_only_into_a_new_or_empty_directory_and_imports_need_a_dump() throws Exception {
        Path used = Files.createDirectories(temp.resolve("used"));
        Files.writeString(used.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> repo.restore(SnapshotSelector.id(backup.snapshotId())).to(MongoDumpTarget.to(used)).run())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(used + " is not empty");
        assertThat(files(used)).containsExactly("keep.txt");

        assertThatThrownBy(() -> MongoDumpSource.of(temp.resolve("missing")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("does not exist");
        Path empty = Files.createDirectories(temp.resolve("empty"));
        assertThatThrownBy(() -> Backup.pipeline().source(MongoDumpSource.of(empty)).to(repo).host("test").build().run())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("holds no mongodump collection");
    }
}
