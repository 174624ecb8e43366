package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.mongo.internal.Connection;
import com.mintreplica.backup.mongo.internal.DumpReader;
import com.mintreplica.backup.mongo.internal.NamespaceFilter;
import com.mongodb.client.MongoClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Backs up MongoDB databases through the Java driver, in mongodump's layout: for each collection an entry
 * {@code <db>/<collection>.metadata.json} (options, validator, collation, indexes, in mongodump's Extended JSON) then
 * {@code <db>/<collection>.bson} (the documents as the server stores them, concatenated, in {@code _id} order). A
 * snapshot exported from the repository is a directory that {@code mongorestore} reads.
 *
 * <pre>{@code
 * Source source = MongoSource.builder()
 *     .connectionString(Secret.of("mongodb://db1,db2,db3/?replicaSet=rs0"))
 *     .credentials("backup", Secret.of(System.getenv("MONGO_PASSWORD")))
 *     .databases("mint_replica")
 *     .build();
 * Backup.pipeline().source(source).to(repository).build().run();
 * }</pre>
 *
 * <p>Documents stream in batches of {@link Builder#batchSize} as raw BSON (never decoded), so memory holds one batch.
 * On a replica set or sharded cluster (MongoDB 5.0 or later) every collection is read at one cluster time (snapshot
 * read concern); on a standalone server the facts say plainly that the dump is not point-in-time. The facts also hold
 * each collection's document count, the server version and topology ({@link MongoFacts}).
 *
 * <p>A Source is a description: each {@link #open} connects (or uses the application's client, which it never closes)
 * and the reader disconnects when it is closed. Credentials never appear in its id, entries, facts, logs or messages.
 */
public final class MongoSource implements Source {
    /** The kind recorded in snapshots of MongoDB: {@code mongodb}. */
    public static final String KIND = "mongodb";

    /** How consistent a dump must be. */
    public enum Consistency {
        /** Point-in-time where the deployment allows it (replica set or sharded, 5.0+); otherwise say it is not. */
        AUTO,
        /** Point-in-time or fail: for deployments where a dump smeared over time is not acceptable. */
        SNAPSHOT,
        /** Read each collection as it is when it is read, without a snapshot session. */
        NONE
    }

    private final Connection connection;
    private final NamespaceFilter filter;
    private final int batchSize;
    private final Consistency consistency;

    private MongoSource(Builder b, Connection connection, NamespaceFilter filter) {
        this.connection = connection;
        this.filter = filter;
        this.batchSize = b.batchSize;
        this.consistency = b.consistency;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Kind {@code mongodb}, named by hosts and databases: {@code db1:27017,db2:27017/mint_replica}. */
    @Override
    public SourceId id() {
        return new SourceId(KIND, connection.hosts() + "/" + filter.describe());
    }

    @Override
    public SourceReader open(BackupContext context) throws IOException {
        return DumpReader.open(connection, filter, batchSize, consistency, context);
    }

    @Override
    public String toString() {
        return "MongoSource[" + id() + "]";
    }

    /** Builds a {@link MongoSource}; a connection string or a client is required. */
    public static final class Builder {
        private Secret connectionString;
        private String user;
        private Secret password;
        private MongoClient client;
        private final List<String> databases = new ArrayList<>();
        private final List<String> includes = new ArrayList<>();
        private final List<String> excludes = new ArrayList<>();
        private int batchSize = 1000;
        private Consistency consistency = Consistency.AUTO;

        private Builder() {
        }

        /**
         * The connection string, {@code mongodb://...} or {@code mongodb+srv://...}; it may hold credentials. A database
         * in its path limits the backup to that database (as with {@code mongodump --uri}) unless databases or
         * includes are given.
         */
        public Builder connectionString(Secret value) {
            this.connectionString = value;
            return this;
        }

        /** Credentials kept apart from the connection string; they take precedence over any in it. */
        public Builder credentials(String user, Secret password) {
            this.user = user;
            this.password = password;
            return this;
        }

        /** A client the application owns, instead of a connection string; it is never closed by the source. */
        public Builder client(MongoClient value) {
            this.client = value;
            return this;
        }

        /** The databases to back up (default: every database but admin, config and local). */
        public Builder databases(String... names) {
            databases.addAll(Arrays.asList(names));
            return this;
        }

        /** Back up only namespaces matching one of these patterns: {@code mint}, {@code mint.ledger}, {@code mint.audit_*}. */
        public Builder include(String... patterns) {
            includes.addAll(Arrays.asList(patterns));
            return this;
        }

        /** Leave out namespaces matching these patterns (same syntax as {@link #include}). */
        public Builder exclude(String... patterns) {
            excludes.addAll(Arrays.asList(patterns));
            return this;
        }

        /** Documents per batch read from the server (default 1000). */
        public Builder batchSize(int value) {
            if (value < 1) {
                throw new InvalidInputException("batch size must be at least 1: " + value);
            }
            this.batchSize = value;
            return this;
        }

        /** How consistent the dump must be (default {@link Consistency#AUTO}). */
        public Builder consistency(Consistency value) {
            this.consistency = java.util.Objects.requireNonNull(value, "consistency");
            return this;
        }

        public MongoSource build() {
            if ((connectionString == null) == (client == null)) {
                throw new InvalidInputException("a MongoDB source needs exactly one of connectionString(...) or client(...)");
            }
            if (client != null && (user != null || password != null)) {
                throw new InvalidInputException("credentials(...) apply to a connection string; a client(...) brings its own");
            }
            Connection connection = client != null ? Connection.of(client) : Connection.of(connectionString, user, password);
            List<String> dbs = new ArrayList<>(databases);
            if (dbs.isEmpty() && includes.isEmpty() && connection.database().isPresent()) {
                dbs.add(connection.database().get());
            }
            return new MongoSource(this, connection, new NamespaceFilter(dbs, includes, excludes));
        }
    }
}
