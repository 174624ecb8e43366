package com.mintreplica.backup.mongo;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;

/** The real-server scenarios against the server in {@code MONGO_URI}; skipped when it is not set. */
class MongoUriIT extends RealServerScenarios {

    @BeforeAll
    static void needsUri() {
        String uri = System.getenv("MONGO_URI");
        assumeTrue(uri != null && !uri.isBlank(), "MONGO_URI is not set: no real MongoDB server to test against");
    }

    @Override
    protected String uri() {
        return System.getenv("MONGO_URI");
    }
}
