package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.jobs.DrillReport.Status;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FactsRewritingSource;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drills of a MongoDB job against a real wire-protocol server in the test JVM (mongo-java-server, memory backend):
 * each database of the snapshot is restored into a new database, its document counts checked, and dropped.
 */
class DrillMongoTest {
    @TempDir
    Path temp;
    MongoServer server;
    MongoClient client;
    String uri;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        InetSocketAddress address = server.getLocalAddress();
        uri = "mongodb://" + address.getHostString() + ":" + address.getPort() + "/?serverSelectionTimeoutMS=5000";
        client = MongoClients.create(uri);
        List<Document> orders = new ArrayList<>();
        IntStream.range(0, 1500).forEach(i -> orders.add(new Document("_id", i).append("total", i * 1.5)));
        client.getDatabase("shop").getCollection("orders").insertMany(orders);
        client.getDatabase("shop").getCollection("customers").insertOne(new Document("_id", 1).append("name", "Ada"));
        client.getDatabase("crm").getCollection("leads").insertOne(new Document("_id", "l1"));
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private JobsConfig config() {
        return JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                .job(JobConfig.builder("mongo").repository("primary")
                        .source(SourceConfig.location(uri).option("databases", "shop,crm").build()).build())
                .build();
    }

    private List<String> databases() {
        List<String> out = new ArrayList<>();
        client.listDatabaseNames().forEach(out::add);
        return out;
    }

    @Test
    void a_drill_restores_each_database_into_a_new_one_checks_the_document_counts_and_drops_them() {
        JobsConfig config = config();
        JobResult backup = JobRunner.builder(config).build().run(config.job("mongo"), Instant.now());
        assertThat(backup.succeeded()).as(backup.toString()).isTrue();

        DrillReport r = DrillRunner.builder(config).tempDir(temp).build().runForJob("mongo").get(0);

        assertThat(r.passed()).as(r.summary()).isTrue();
        assertThat(r.checks()).extracting(DrillReport.Check::name).containsExactly("restore", "document-counts", "cleanup");
        assertThat(r.check("document-counts").orElseThrow().detail()).contains("all 3 collections");
        assertThat(r.check("cleanup").orElseThrow().detail()).contains("crm_drill_").contains("shop_drill_");
        assertThat(databases()).as("only the originals are left").noneMatch(d -> d.contains("_drill_"))
                .contains("shop", "crm");
        assertThat(client.getDatabase("shop").getCollection("orders").countDocuments()).isEqualTo(1500);
    }

    @Test
    void a_document_count_mismatch_fails_the_drill_naming_the_collection_and_the_databases_are_dropped() throws IOException {
        JobsConfig config = config();
        SourceProvider provider = Sources.forLocation(Sources.toUri(uri));
        Source real = provider.source(Sources.toUri(uri), Map.of("databases", "shop"));
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Backup.pipeline().source(oneOrderMore(real)).to(repo).job("mongo").build().run();
        }

        DrillReport r = DrillRunner.builder(config).tempDir(temp).build().runForJob("mongo").get(0);

        assertThat(r.passed()).isFalse();
        assertThat(r.check("document-counts").orElseThrow()).satisfies(c -> {
            assertThat(c.status()).isEqualTo(Status.FAILED);
            assertThat(c.detail()).contains("shop.orders").contains("1501");
        });
        assertThat(r.check("cleanup").orElseThrow().status()).isEqualTo(Status.PASSED);
        assertThat(databases()).noneMatch(d -> d.contains("_drill_"));
    }

    @Test
    void the_doctor_connects_to_a_mongodb_jobs_server_and_reports_one_that_does_not_answer() throws Exception {
        // refuses connections for the whole test; no other process can take the port meanwhile
        try (com.mintreplica.backup.testkit.ClosedPort closedPort = com.mintreplica.backup.testkit.ClosedPort.reserve()) {
            int closed = closedPort.port();
            JobsConfig config = JobsConfig.builder()
                    .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                    .job(JobConfig.builder("mongo").repository("primary").source(SourceConfig.location(uri).build()).build())
                    .job(JobConfig.builder("gone").repository("primary").source(SourceConfig.location(
                            "mongodb://127.0.0.1:" + closed + "/?serverSelectionTimeoutMS=500").build()).build())
                    .build();

            DoctorReport report = Doctor.builder(config).tempDir(temp).build().run();

            assertThat(report.findings()).filteredOn(f -> f.subject().equals("jobs.mongo")).singleElement()
                    .satisfies(f -> {
                        assertThat(f.severity()).isEqualTo(DoctorReport.Severity.OK);
                        assertThat(f.message()).startsWith("connected to MongoDB");
                    });
            assertThat(report.findings()).filteredOn(f -> f.subject().equals("jobs.gone")).singleElement()
                    .satisfies(f -> {
                        assertThat(f.severity()).isEqualTo(DoctorReport.Severity.PROBLEM);
                        assertThat(f.message()).contains("cannot reach MongoDB at [127.0.0.1:" + closed + "]");
                    });
        }
    }

    /** The real source with one more order recorded than dumped (as if one vanished between count and read). */
    private static Source oneOrderMore(Source real) {
        return FactsRewritingSource.rewriting(real, facts -> {
            facts.computeIfPresent("mongodb.count.shop.orders", (k, v) -> Long.toString(Long.parseLong(v) + 1));
            return facts;
        });
    }
}
