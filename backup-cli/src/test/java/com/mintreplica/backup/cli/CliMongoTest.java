package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
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
 * MongoDB through the command line, against mongo-java-server (a real wire-protocol server in the test JVM): a restore
 * goes into the database the target names and nowhere else, and a snapshot exports as a mongodump directory that
 * imports back.
 */
@Timeout(120)
class CliMongoTest {
    private static final int LEDGER = 500;
    @TempDir
    Path temp;
    private MongoServer server;
    private MongoClient client;
    private String host;
    private String repo;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        host = "127.0.0.1:" + server.getLocalAddress().getPort();
        client = MongoClients.create(uri(""));
        MongoCollection<BsonDocument> ledger = client.getDatabase("mint").getCollection("ledger", BsonDocument.class);
        List<BsonDocument> docs = new ArrayList<>();
        for (int i = 0; i < LEDGER; i++) {
            docs.add(new BsonDocument("_id", new BsonInt32(i)).append("amount", new BsonInt32(i * 7))
                    .append("note", new BsonString("entry " + i)));
        }
        ledger.insertMany(docs);
        client.getDatabase("mint").getCollection("accounts", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonString("PT50")).append("owner", new BsonString("Ana")));
        client.getDatabase("crm").getCollection("customers", BsonDocument.class)
                .insertOne(new BsonDocument("_id", new BsonInt32(1)));
        repo = temp.resolve("repo").toString();
        ok("init", "--repo", repo);
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private String uri(String database) {
        return "mongodb://" + host + "/" + database + "?serverSelectionTimeoutMS=5000";
    }

    private static Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private static Cli.Result usage(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).doesNotContain("\tat ");
        return r;
    }

    private String backup(String location) {
        return ok("backup", "--repo", repo, location).out().split(" ")[1];
    }

    private static List<RawBsonDocument> all(MongoDatabase db, String collection) {
        List<RawBsonDocument> out = new ArrayList<>();
        try (MongoCursor<RawBsonDocument> c = db.getCollection(collection, RawBsonDocument.class).find()
                .sort(new BsonDocument("_id", new BsonInt32(1))).iterator()) {
            c.forEachRemaining(out::add);
        }
        return out;
    }

    private static TreeSet<String> collections(MongoDatabase db) {
        return db.listCollectionNames().into(new TreeSet<>());
    }

    /** Runs the CLI with System.err captured, where the CLI's log lines go. */
    private static String[] runCapturingLog(String... args) {
        PrintStream original = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            Cli.Result r = Cli.run(args);
            assertThat(r.code()).as(r + "\n--- log\n" + log.toString(StandardCharsets.UTF_8)).isZero();
            return new String[] {r.out(), log.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void a_restore_goes_into_the_database_the_target_uri_names_and_leaves_the_original_alone() {
        String id = backup(uri("mint"));
        List<RawBsonDocument> snapshotLedger = all(client.getDatabase("mint"), "ledger");
        // production moves on: documents deleted since the backup must stay deleted there
        client.getDatabase("mint").getCollection("ledger").deleteMany(new BsonDocument("_id", new BsonDocument("$lt", new BsonInt32(100))));

        ok("restore", "--repo", repo, id, "--target", uri("restored"));

        assertThat(client.getDatabase("mint").getCollection("ledger").countDocuments()).isEqualTo(LEDGER - 100);
        assertThat(all(client.getDatabase("restored"), "ledger")).isEqualTo(snapshotLedger);
        assertThat(collections(client.getDatabase("restored"))).containsExactly("accounts", "ledger");
        assertThat(client.listDatabaseNames().into(new TreeSet<>())).doesNotContain("restored_mint");
    }

    @Test
    void a_target_database_that_holds_data_needs_drop_or_merge() {
        String id = backup(uri("mint"));
        ok("restore", "--repo", repo, id, "--target", uri("restored"));
        client.getDatabase("restored").getCollection("ledger").deleteMany(new BsonDocument());

        Cli.Result refused = usage("restore", "--repo", repo, id, "--target", uri("restored"));
        assertThat(refused.err()).contains("database restored on mongodb://" + host + " already holds 2 collections"
                + " (accounts, ledger)").contains("drop=true").contains("merge=true");
        assertThat(client.getDatabase("restored").getCollection("ledger").countDocuments()).isZero();

        ok("restore", "--repo", repo, id, "--target", uri("restored"), "--option", "drop=true");
        assertThat(client.getDatabase("restored").getCollection("ledger").countDocuments()).isEqualTo(LEDGER);
    }

    @Test
    void the_original_names_need_an_explicit_option_and_are_announced_before_the_restore_starts() {
        String id = backup(uri("mint"));
        client.getDatabase("mint").getCollection("ledger").deleteMany(new BsonDocument("_id", new BsonInt32(3)));

        assertThat(usage("restore", "--repo", repo, id, "--target", uri("")).err())
                .contains("holds database mint and no target database was named").contains("mongodb://host/NAME")
                .contains("original-names=true");
        assertThat(usage("restore", "--repo", repo, id, "--target", uri("mint"), "--option", "drop=true").err())
                .contains("'mint' is the name of the database snapshot " + id + " was taken of")
                .contains("original-names=true");
        assertThat(client.getDatabase("mint").getCollection("ledger").countDocuments()).isEqualTo(LEDGER - 1);

        String[] outAndLog = runCapturingLog("restore", "--repo", repo, id, "--target", uri(""), "--option",
                "original-names=true", "--option", "drop=true");
        assertThat(outAndLog[1]).contains("restoring snapshot " + id + " over the original database name mint on mongodb://"
                + host + ", dropping each restored collection first");
        assertThat(outAndLog[0]).contains("restored snapshot " + id);
        assertThat(client.getDatabase("mint").getCollection("ledger").countDocuments()).isEqualTo(LEDGER);
    }

    @Test
    void a_uri_naming_one_database_restores_one_database_of_a_snapshot_of_several() {
        String id = backup(uri(""));   // every database: crm and mint

        assertThat(usage("restore", "--repo", repo, id, "--target", uri("copy")).err())
                .contains("holds databases crm and mint, but a target database (copy) takes only one")
                .contains("include crm");
        assertThat(client.listDatabaseNames().into(new TreeSet<>())).doesNotContain("copy");

        ok("restore", "--repo", repo, id, "--target", uri("copy"), "--include", "mint");
        assertThat(all(client.getDatabase("copy"), "ledger")).isEqualTo(all(client.getDatabase("mint"), "ledger"));
        assertThat(collections(client.getDatabase("copy"))).containsExactly("accounts", "ledger");

        assertThat(usage("restore", "--repo", repo, id, "--target", uri("copy2"), "--target-database", "copy3",
                "--include", "mint").err()).contains("names database copy2, but target-database is copy3");
    }

    @Test
    void a_snapshot_exports_as_a_mongodump_directory_that_imports_and_restores_like_the_original() throws IOException {
        String id = backup(uri("mint"));
        Path dump = temp.resolve("dump");

        ok("restore", "--repo", repo, id, "--target", dump.toString());

        try (Stream<Path> s = Files.walk(dump)) {
            assertThat(s.filter(Files::isRegularFile).map(p -> dump.relativize(p).toString()).sorted())
                    .containsExactly("mint/accounts.bson", "mint/accounts.metadata.json", "mint/ledger.bson",
                            "mint/ledger.metadata.json");
        }
        assertThat(BsonDocument.parse(Files.readString(dump.resolve("mint/ledger.metadata.json")))
                .getString("collectionName").getValue()).isEqualTo("ledger");

        Cli.Result imported = ok("backup", "--repo", repo, "--json", "mongodump:" + dump);
        assertThat(imported.out()).contains("\"kind\" : \"mongodb\"").contains("mongodump:" + dump)
                .contains("\"mongodb.count.mint.ledger\" : \"" + LEDGER + "\"");
        ok("verify", "--repo", repo, "--read-data");

        ok("restore", "--repo", repo, "latest", "--target", uri("mint_from_dump"));
        for (String collection : List.of("ledger", "accounts")) {
            assertThat(all(client.getDatabase("mint_from_dump"), collection)).isEqualTo(all(client.getDatabase("mint"), collection));
        }
        assertThat(usage("restore", "--repo", repo, id, "--target", dump.toString()).err()).contains(dump + " is not empty");
    }
}
