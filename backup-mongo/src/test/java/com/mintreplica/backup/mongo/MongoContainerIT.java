package com.mintreplica.backup.mongo;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mongodb.MongoDBContainer;

/**
 * The real-server scenarios against a single-node replica set of mongo:7.0 started by Testcontainers; skipped cleanly
 * where there is no Docker engine (as on the project's machines, where {@code MongoUriIT} and the in-process suites
 * carry the weight).
 */
class MongoContainerIT extends RealServerScenarios {
    private static MongoDBContainer mongo;

    @BeforeAll
    static void start() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        assumeTrue(docker, "no Docker engine: the Testcontainers suite is skipped");
        mongo = new MongoDBContainer("mongo:7.0").withReplicaSet();
        mongo.start();
    }

    @AfterAll
    static void stop() {
        if (mongo != null) {
            mongo.stop();
        }
    }

    @Override
    protected String uri() {
        return mongo.getReplicaSetUrl();
    }
}
