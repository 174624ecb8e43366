package com.mintreplica.backup.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * Ledger-shaped test data with every BSON type a finance application uses: ObjectId ids, Decimal128 amounts, dates,
 * nested documents, arrays, UUIDs (binary subtype 4) and generic binary, 32- and 64-bit integers, doubles, booleans,
 * nulls and timestamps. Deterministic for a seed, and ids increase with the sequence number, as a ledger's do.
 */
final class FinanceData {
    static final long EPOCH_SECONDS = 1_767_225_600L; // 2026-01-01T00:00:00Z
    private static final String[] CITIES = {"Lisboa", "Porto", "Berlin", "Paris", "Madrid", "Wien", "Dublin", "Oslo"};
    private static final String[] LEDGERS = {"cash", "receivables", "payables", "revenue", "fees", "fx"};

    private FinanceData() {
    }

    /** An ObjectId whose time grows with {@code seq}, so {@code _id} order is posting order. */
    static ObjectId id(long seq) {
        ByteBuffer b = ByteBuffer.allocate(12);
        b.putInt((int) (EPOCH_SECONDS + seq / 10));
        b.putLong(seq);
        return new ObjectId(b.array());
    }

    /** Ledger entry {@code seq} at {@code version} (an update bumps the version and changes the amounts). */
    static BsonDocument entry(long seq, int version) {
        Random r = new Random(seq * 31 + version);
        long posted = (EPOCH_SECONDS + seq / 10) * 1000L;
        BigDecimal amount = BigDecimal.valueOf(r.nextInt(10_000_000) - 5_000_000L, 2);
        BsonDocument doc = new BsonDocument();
        doc.put("_id", new BsonObjectId(id(seq)));
        doc.put("seq", new BsonInt64(seq));
        doc.put("version", new BsonInt32(version));
        doc.put("account", new BsonString(String.format("PT50-0002-%04d-%08d", r.nextInt(10_000), r.nextInt(100_000_000))));
        doc.put("amount", new BsonDecimal128(new Decimal128(amount)));
        doc.put("currency", new BsonString(r.nextBoolean() ? "EUR" : "USD"));
        doc.put("fxRate", new BsonDouble(1 + r.nextDouble() / 10));
        doc.put("postedAt", new BsonDateTime(posted));
        doc.put("valueDate", new BsonDateTime(posted + TimeUnit.DAYS.toMillis(r.nextInt(3))));
        doc.put("txnId", new BsonBinary(new UUID(seq, r.nextLong())));
        byte[] signature = new byte[32];
        r.nextBytes(signature);
        doc.put("signature", new BsonBinary(signature));
        doc.put("reconciled", BsonBoolean.valueOf(r.nextInt(4) != 0));
        doc.put("note", r.nextInt(5) == 0 ? BsonNull.VALUE
                : new BsonString("invoice " + r.nextInt(100_000) + " settled by transfer from " + CITIES[r.nextInt(CITIES.length)]));
        doc.put("counterparty", new BsonDocument("name", new BsonString("Cliente " + r.nextInt(50_000)))
                .append("iban", new BsonString("DE89" + (10_000_000_000L + (long) (r.nextDouble() * 89_999_999_999L))))
                .append("address", new BsonDocument("city", new BsonString(CITIES[r.nextInt(CITIES.length)]))
                        .append("country", new BsonString("PT"))));
        BsonArray lines = new BsonArray();
        BigDecimal fee = BigDecimal.valueOf(r.nextInt(500), 2);
        lines.add(new BsonDocument("ledger", new BsonString(LEDGERS[r.nextInt(LEDGERS.length)]))
                .append("debit", new BsonDecimal128(new Decimal128(amount))));
        lines.add(new BsonDocument("ledger", new BsonString("fees")).append("credit", new BsonDecimal128(new Decimal128(fee))));
        doc.put("lines", lines);
        doc.put("tags", new BsonArray(List.of(new BsonString("batch-" + seq / 1000), new BsonString(r.nextBoolean() ? "sepa" : "swift"))));
        doc.put("insertedAt", new BsonTimestamp((int) (EPOCH_SECONDS + seq / 10), (int) (seq % 1000) + 1));
        return doc;
    }

    /** Inserts entries {@code from} (inclusive) to {@code to} (exclusive), version 1, in batches. */
    static void insert(MongoCollection<BsonDocument> ledger, long from, long to) {
        List<BsonDocument> batch = new ArrayList<>();
        for (long seq = from; seq < to; seq++) {
            batch.add(entry(seq, 1));
            if (batch.size() == 2000) {
                ledger.insertMany(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            ledger.insertMany(batch);
        }
    }

    /** A ledger of {@code count} entries with the indexes a finance app has, and a sessions collection with a TTL. */
    static void create(MongoDatabase db, long count) {
        MongoCollection<BsonDocument> ledger = db.getCollection("ledger", BsonDocument.class);
        insert(ledger, 0, count);
        ledger.createIndex(Indexes.ascending("txnId"), new IndexOptions().unique(true).name("txnId_unique"));
        ledger.createIndex(Indexes.compoundIndex(Indexes.ascending("account"), Indexes.descending("postedAt")));
        ledger.createIndex(Indexes.ascending("reconciled"),
                new IndexOptions().partialFilterExpression(new BsonDocument("reconciled", BsonBoolean.FALSE)));
        ledger.createIndex(Indexes.text("note"));
        MongoCollection<BsonDocument> sessions = db.getCollection("sessions", BsonDocument.class);
        for (int i = 0; i < 50; i++) {
            sessions.insertOne(new BsonDocument("_id", new BsonString("session-" + i))
                    .append("user", new BsonString("user" + i))
                    .append("expiresAt", new BsonDateTime((EPOCH_SECONDS + i) * 1000L)));
        }
        sessions.createIndex(Indexes.ascending("expiresAt"), new IndexOptions().expireAfter(3600L, TimeUnit.SECONDS));
    }
}
