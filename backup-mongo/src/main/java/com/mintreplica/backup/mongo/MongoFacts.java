package com.mintreplica.backup.mongo;

import java.util.Map;
import java.util.TreeMap;

/**
 * The facts a {@link MongoSource} records in a snapshot's manifest, by key. Restores and drills read them back: the
 * per-collection counts are what {@link MongoTarget} and {@link MongoVerifier} check against.
 */
public final class MongoFacts {
    /** {@code mongodb.count.<db>.<collection>}: documents dumped from the collection. */
    public static final String COUNT_PREFIX = "mongodb.count.";
    /** The server's version, from {@code buildInfo}: {@code 7.0.12}. */
    public static final String SERVER_VERSION = "mongodb.server.version";
    /** {@code standalone}, {@code replicaSet}, {@code sharded} or {@code loadBalanced}. */
    public static final String TOPOLOGY = "mongodb.topology";
    /** {@code true} when every collection was read at one cluster time, {@code false} otherwise. */
    public static final String POINT_IN_TIME = "mongodb.pointInTime";
    /** How the dump was read, in words, including why it is not point-in-time when it is not. */
    public static final String CONSISTENCY = "mongodb.consistency";
    /** The cluster time every collection was read at, {@code <seconds>:<increment>}, for point-in-time dumps. */
    public static final String CLUSTER_TIME = "mongodb.atClusterTime";
    /** The databases dumped, comma-separated. */
    public static final String DATABASES = "mongodb.databases";
    /** When reading started and ended (ISO-8601, from the backup's clock): the window a non point-in-time dump spans. */
    public static final String DUMP_STARTED = "mongodb.dump.started";
    public static final String DUMP_FINISHED = "mongodb.dump.finished";
    /** For a snapshot imported from a mongodump directory ({@link MongoDumpSource}): that directory. */
    public static final String IMPORTED_FROM = "mongodb.importedFrom";

    private MongoFacts() {
    }

    /** The fact key of a collection's document count. */
    public static String countKey(String database, String collection) {
        return COUNT_PREFIX + database + "." + collection;
    }

    /**
     * The document counts in {@code facts}, by namespace ({@code db.collection}), sorted. Database names hold no dot, so
     * the first dot after the prefix separates database and collection.
     */
    public static Map<String, Long> counts(Map<String, String> facts) {
        Map<String, Long> out = new TreeMap<>();
        facts.forEach((k, v) -> {
            if (k.startsWith(COUNT_PREFIX)) {
                try {
                    out.put(k.substring(COUNT_PREFIX.length()), Long.parseLong(v));
                } catch (NumberFormatException ignored) {
                    // not a count we wrote; the checks report the collection as having no recorded count
                }
            }
        });
        return out;
    }
}
