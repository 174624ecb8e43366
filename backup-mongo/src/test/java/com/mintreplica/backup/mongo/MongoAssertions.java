package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.RawBsonDocument;

/** Comparisons of whole databases, document bytes included. */
final class MongoAssertions {
    private MongoAssertions() {
    }

    /** Same collections, each with byte-identical documents (in {@code _id} order) and the same indexes. */
    static void assertSameDatabase(MongoDatabase expected, MongoDatabase actual) {
        TreeSet<String> names = collections(expected);
        assertThat(collections(actual)).as("collections of %s", actual.getName()).isEqualTo(names);
        for (String name : names) {
            assertSameDocuments(expected, actual, name);
            assertThat(indexes(actual, name)).as("indexes of %s.%s", actual.getName(), name).isEqualTo(indexes(expected, name));
        }
    }

    static TreeSet<String> collections(MongoDatabase db) {
        return db.listCollectionNames().into(new TreeSet<>());
    }

    /** Every document of {@code collection} in both databases, compared byte for byte. */
    static void assertSameDocuments(MongoDatabase expected, MongoDatabase actual, String collection) {
        long n = 0;
        try (MongoCursor<RawBsonDocument> a = sorted(expected, collection); MongoCursor<RawBsonDocument> b = sorted(actual, collection)) {
            while (a.hasNext()) {
                assertThat(b.hasNext()).as("%s.%s has document %d", actual.getName(), collection, n).isTrue();
                RawBsonDocument x = a.next();
                RawBsonDocument y = b.next();
                if (!bytes(x).equals(bytes(y))) {
                    assertThat(y.toJson()).as("document %d of %s.%s", n, actual.getName(), collection).isEqualTo(x.toJson());
                    assertThat(bytes(y)).as("bytes of document %d of %s.%s", n, actual.getName(), collection).isEqualTo(bytes(x));
                }
                n++;
            }
            assertThat(b.hasNext()).as("%s.%s has no more than %d documents", actual.getName(), collection, n).isFalse();
        }
    }

    /** The index specifications of a collection, without {@code ns}, sorted by name. */
    static List<BsonDocument> indexes(MongoDatabase db, String collection) {
        List<BsonDocument> out = new ArrayList<>();
        for (BsonDocument spec : db.getCollection(collection).listIndexes(BsonDocument.class)) {
            BsonDocument clean = spec.clone();
            clean.remove("ns");
            out.add(clean);
        }
        out.sort(Comparator.comparing(d -> d.getString("name").getValue()));
        return out;
    }

    /** A digest of a whole database: names, documents (bytes, in _id order) and indexes. */
    static String digest(MongoDatabase db) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String name : collections(db)) {
                md.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (MongoCursor<RawBsonDocument> c = sorted(db, name)) {
                    while (c.hasNext()) {
                        md.update(bytes(c.next()));
                    }
                }
                md.update(indexes(db, name).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ByteBuffer bytes(RawBsonDocument doc) {
        return doc.getByteBuffer().asNIO();
    }

    private static MongoCursor<RawBsonDocument> sorted(MongoDatabase db, String collection) {
        return db.getCollection(collection, RawBsonDocument.class).find()
                .sort(new BsonDocument("_id", new BsonInt32(1))).batchSize(1000).iterator();
    }
}
