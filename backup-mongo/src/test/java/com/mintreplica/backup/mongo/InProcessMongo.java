package com.mintreplica.backup.mongo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * A real MongoDB wire-protocol server in the test JVM: de.bwaldvogel's mongo-java-server over its memory backend,
 * bound to a free loopback port. It is a standalone server (no replica set, no snapshot reads) and does not keep
 * collection options (validators, collation, capped, time series); the tests that need those run against a real
 * mongod (MONGO_URI or Testcontainers). With {@link #withUser}, it requires SCRAM-SHA-256 authentication.
 */
final class InProcessMongo implements AutoCloseable {
    private final MongoServer server;
    private final InetSocketAddress address;
    private final String user;
    private final String password;
    private MongoClient client;

    private InProcessMongo(MemoryBackend backend, String user, String password) {
        this.user = user;
        this.password = password;
        this.server = new MongoServer(backend);
        server.bind("127.0.0.1", 0);
        this.address = server.getLocalAddress();
    }

    /** A server that needs no authentication. */
    static InProcessMongo start() {
        return new InProcessMongo(new MemoryBackend(), null, null);
    }

    /** A server on which every command but the handshake needs {@code user} authenticated by SCRAM-SHA-256. */
    static InProcessMongo withUser(String user, String password) {
        return new InProcessMongo(new ScramBackend(user, password), user, password);
    }

    String hostAndPort() {
        return address.getHostString() + ":" + address.getPort();
    }

    /** {@code mongodb://127.0.0.1:port/}, with short timeouts so that failures fail fast. */
    String uri() {
        return "mongodb://" + hostAndPort() + "/?serverSelectionTimeoutMS=5000";
    }

    /** A connection string holding credentials. */
    String uri(String user, String password) {
        return "mongodb://" + enc(user) + ":" + enc(password) + "@" + hostAndPort()
                + "/?authSource=admin&serverSelectionTimeoutMS=5000";
    }

    /** A client for preparing and checking data (with the server's user, if it has one); closed with the server. */
    MongoClient client() {
        if (client == null) {
            client = MongoClients.create(user == null ? uri() : uri(user, password));
        }
        return client;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        server.shutdownNow();
    }
}
