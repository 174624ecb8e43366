package com.mintreplica.backup.mongo.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonParseException;
import org.bson.json.JsonWriterSettings;

/**
 * A collection's options and indexes as mongodump writes them to {@code <collection>.metadata.json}: canonical
 * Extended JSON v2 of {@code {options, indexes, uuid, collectionName, type}} ({@code options} and {@code uuid} left
 * out when empty), so that {@code mongorestore} reads what we write and we read what mongodump wrote.
 *
 * @param collectionName the collection's name
 * @param type {@code collection}, {@code view} or {@code timeseries}
 * @param options the options {@code listCollections} reports (validator, collation, capped, timeseries, viewOn, ...)
 * @param indexes the index specifications {@code listIndexes} reports, in its order
 * @param uuid the collection's UUID as 32 hex digits, when the server reports one
 */
public record CollectionMetadata(String collectionName, String type, BsonDocument options, List<BsonDocument> indexes,
                                 Optional<String> uuid) {
    public static final String COLLECTION = "collection";
    public static final String VIEW = "view";
    public static final String TIMESERIES = "timeseries";

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    public CollectionMetadata {
        Objects.requireNonNull(collectionName, "collectionName");
        Objects.requireNonNull(type, "type");
        options = options == null ? new BsonDocument() : options.clone();
        indexes = indexes.stream().map(BsonDocument::clone).toList();
        Objects.requireNonNull(uuid, "uuid");
    }

    /**
     * The metadata of one collection from its {@code listCollections} entry ({@code name}, {@code type},
     * {@code options}, {@code info.uuid}) and its {@code listIndexes} documents.
     */
    public static CollectionMetadata fromServer(BsonDocument listCollectionsEntry, List<BsonDocument> indexes) {
        String name = listCollectionsEntry.getString("name").getValue();
        String type = listCollectionsEntry.containsKey("type") ? listCollectionsEntry.getString("type").getValue() : COLLECTION;
        BsonDocument options = listCollectionsEntry.isDocument("options") ? listCollectionsEntry.getDocument("options")
                : new BsonDocument();
        Optional<String> uuid = Optional.empty();
        if (listCollectionsEntry.isDocument("info")) {
            BsonValue raw = listCollectionsEntry.getDocument("info").get("uuid");
            if (raw != null && raw.isBinary()) {
                BsonBinary bin = raw.asBinary();
                if (bin.getType() == BsonBinarySubType.UUID_STANDARD.getValue() && bin.getData().length == 16) {
                    uuid = Optional.of(HexFormat.of().formatHex(bin.getData()));
                }
            }
        }
        List<BsonDocument> specs = new ArrayList<>();
        for (BsonDocument index : indexes) {
            BsonDocument clean = index.clone();
            clean.remove("ns");
            specs.add(clean);
        }
        return new CollectionMetadata(name, type, options, specs, uuid);
    }

    /** The document mongodump writes, field for field. */
    public BsonDocument toDocument() {
        BsonDocument doc = new BsonDocument();
        if (!options.isEmpty()) {
            doc.put("options", options.clone());
        }
        BsonArray array = new BsonArray();
        indexes.forEach(i -> array.add(i.clone()));
        doc.put("indexes", array);
        uuid.ifPresent(u -> doc.put("uuid", new BsonString(u)));
        doc.put("collectionName", new BsonString(collectionName));
        doc.put("type", new BsonString(type));
        return doc;
    }

    /** Canonical Extended JSON, as mongodump writes it. */
    public String toJson() {
        return toDocument().toJson(CANONICAL);
    }

    public byte[] toJsonBytes() {
        return toJson().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a {@code metadata.json} (ours or mongodump's, canonical, relaxed or legacy Extended JSON).
     *
     * @param fallbackName the collection name from the file name, for dumps that do not record it
     * @throws IllegalArgumentException when it is not such a document
     */
    public static CollectionMetadata parse(String json, String fallbackName) {
        BsonDocument doc;
        try {
            doc = BsonDocument.parse(json);
        } catch (JsonParseException | org.bson.BsonInvalidOperationException e) {
            throw new IllegalArgumentException("not an Extended JSON document: " + e.getMessage(), e);
        }
        BsonDocument options = doc.isDocument("options") ? doc.getDocument("options") : new BsonDocument();
        List<BsonDocument> indexes = new ArrayList<>();
        if (doc.containsKey("indexes")) {
            if (!doc.isArray("indexes")) {
                throw new IllegalArgumentException("'indexes' is not an array");
            }
            for (BsonValue v : doc.getArray("indexes")) {
                if (!v.isDocument()) {
                    throw new IllegalArgumentException("an index specification is not a document: " + v);
                }
                BsonDocument spec = v.asDocument().clone();
                spec.remove("ns");
                indexes.add(spec);
            }
        }
        String name = doc.isString("collectionName") ? doc.getString("collectionName").getValue() : fallbackName;
        String type;
        if (doc.isString("type")) {
            type = doc.getString("type").getValue();
        } else if (options.containsKey("viewOn")) {
            type = VIEW;
        } else if (options.containsKey("timeseries")) {
            type = TIMESERIES;
        } else {
            type = COLLECTION;
        }
        Optional<String> uuid = doc.isString("uuid") ? Optional.of(doc.getString("uuid").getValue()) : Optional.empty();
        return new CollectionMetadata(name, type, options, indexes, uuid);
    }

    public boolean isView() {
        return VIEW.equals(type);
    }

    /** The {@code create} command that makes {@code name} with these options (a view, capped, time series, ...). */
    public BsonDocument createCommand(String name) {
        BsonDocument cmd = new BsonDocument("create", new BsonString(name));
        options.clone().forEach(cmd::put);
        return cmd;
    }

    /**
     * The indexes to build after the data: every index but {@code _id_} and a clustered index (both come with the
     * collection), without {@code ns}.
     */
    public List<BsonDocument> secondaryIndexes() {
        List<BsonDocument> out = new ArrayList<>();
        for (BsonDocument spec : indexes) {
            boolean isId = spec.isString("name") && spec.getString("name").getValue().equals("_id_");
            boolean clustered = spec.containsKey("clustered") && spec.get("clustered").isBoolean()
                    && spec.getBoolean("clustered").getValue();
            if (!isId && !clustered) {
                BsonDocument clean = spec.clone();
                clean.remove("ns");
                out.add(clean);
            }
        }
        return out;
    }

    /** The {@code createIndexes} command for {@link #secondaryIndexes()} on {@code name}, if there are any. */
    public Optional<BsonDocument> createIndexesCommand(String name) {
        List<BsonDocument> specs = secondaryIndexes();
        if (specs.isEmpty()) {
            return Optional.empty();
        }
        BsonArray array = new BsonArray();
        specs.forEach(array::add);
        return Optional.of(new BsonDocument("createIndexes", new BsonString(name)).append("indexes", array));
    }

    /** Whether the collection has an index on {@code _id} alone, so reading in {@code _id} order needs no sort. */
    public boolean hasIdIndex() {
        for (BsonDocument spec : indexes) {
            if (spec.isDocument("key")) {
                BsonDocument key = spec.getDocument("key");
                if (key.size() == 1 && key.containsKey("_id")) {
                    return true;
                }
            }
        }
        return false;
    }
}
