package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.mongo.MongoSourceProvider;
import com.mintreplica.backup.testkit.DrillSupportContract;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;

/**
 * MongoDB drills pass the kit: scratch databases beside the originals on an in-process wire-protocol server
 * (mongo-java-server), document counts checked, dropped afterwards.
 */
@Timeout(120)
class MongoDrillSupportTest extends DrillSupportContract {
    private MongoServer server;
    private MongoClient client;
    private String uri;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        InetSocketAddress address = server.getLocalAddress();
        uri = "mongodb://" + address.getHostString() + ":" + address.getPort() + "/?serverSelectionTimeoutMS=5000";
        client = MongoClients.create(uri);
        List<Document> orders = new ArrayList<>();
        IntStream.range(0, 300).forEach(i -> orders.add(new Document("_id", i).append("total", i * 1.5)));
        client.getDatabase("shop").getCollection("orders").insertMany(orders);
        client.getDatabase("crm").getCollection("leads").insertOne(new Document("_id", "l1"));
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @Override
    protected SourceProvider provider() {
        return new MongoSourceProvider(Map.of());
    }

    @Override
    protected Map<String, String> options() {
        return Map.of("databases", "shop,crm");
    }

    @Override
    protected String location() {
        return uri;
    }

    @Override
    protected boolean originalIntact() {
        List<String> names = new ArrayList<>();
        client.listDatabaseNames().forEach(names::add);
        return client.getDatabase("shop").getCollection("orders").countDocuments() == 300
                && names.stream().noneMatch(n -> n.contains("_drill_"));
    }
}
