package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.json.JsonTree;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writers of a repository: {@code writers/<sequence>}, each a complete list signed by the repository's authority
 * key (an Ed25519 key derived from the oldest data key, so any recipient's secret key can sign and nobody else can).
 * The newest list whose signature verifies is the one in force; every change writes the next sequence number with a
 * create-if-absent, and nothing is rewritten. JSON body:
 * <pre>
 * { "format": "mint-backup writers", "version": 1, "repository": id, "sequence": n, "created": time,
 *   "writers": [ { "id": hex, "name": text, "publicKey": base64 Ed25519, "added": time,
 *                  "revoked": time (absent while valid), "kept": { object name: SHA-256 hex } } ],
 *   "unsigned": { object name: SHA-256 hex } }      (single-object layout: manifests and index objects written before any writer)
 * </pre>
 * A revoked writer's signed objects are trusted only if {@code kept} names them with their exact stored bytes: those
 * are what it wrote before it was revoked, vouched for by whoever revoked it.
 */
public final class WritersList {
    private static final Logger LOG = LoggerFactory.getLogger(WritersList.class);
    public static final String PREFIX = "writers/";
    static final String DOMAIN = "mint-backup writers list v1";
    static final String FORMAT = "mint-backup writers";

    /** One writer. */
    public record Writer(String id, String name, byte[] publicKey, Instant added, Optional<Instant> revoked,
                         Map<String, String> kept) {
        public Writer {
            publicKey = publicKey.clone();
            kept = Map.copyOf(kept);
        }

        public boolean isRevoked() {
            return revoked.isPresent();
        }

        public String describe() {
            return "writer '" + name + "' (" + id + ")";
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }
    }

    private final String repository;
    private final long sequence;
    private final Instant created;
    private final List<Writer> writers;
    private final Optional<Map<String, String>> unsigned;

    public WritersList(String repository, long sequence, Instant created, List<Writer> writers,
                       Optional<Map<String, String>> unsigned) {
        this.repository = repository;
        this.sequence = sequence;
        this.created = created;
        this.writers = List.copyOf(writers);
        this.unsigned = unsigned.map(Map::copyOf);
    }

    public String repository() {
        return repository;
    }

    public long sequence() {
        return sequence;
    }

    public Instant created() {
        return created;
    }

    public List<Writer> writers() {
        return writers;
    }

    /** Unsigned manifests a reader trusts (single-object layout), when the list records them. */
    public Optional<Map<String, String>> unsigned() {
        return unsigned;
    }

    public Optional<Writer> writer(String id) {
        return writers.stream().filter(w -> w.id().equalsIgnoreCase(id)).findFirst();
    }

    public String objectName() {
        return objectName(sequence);
    }

    static String objectName(long sequence) {
        return PREFIX + String.format(Locale.ROOT, "%010d", sequence);
    }

    /** The next list: this one with {@code writer} added, or replacing the writer of the same id. */
    public WritersList with(Writer writer, Instant now) {
        List<Writer> next = new ArrayList<>();
        boolean replaced = false;
        for (Writer w : writers) {
            if (w.id().equals(writer.id())) {
                next.add(writer);
                replaced = true;
            } else {
                next.add(w);
            }
        }
        if (!replaced) {
            next.add(writer);
        }
        return new WritersList(repository, sequence + 1, now, next, unsigned);
    }

    /** The first list of a repository. */
    public static WritersList first(String repository, Instant now, Optional<Map<String, String>> unsigned) {
        return new WritersList(repository, 0, now, List.of(), unsigned);
    }

    public byte[] body() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Base64.Encoder b64 = Base64.getEncoder();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", 1);
            g.writeStringField("repository", repository);
            g.writeNumberField("sequence", sequence);
            g.writeStringField("created", created.toString());
            g.writeArrayFieldStart("writers");
            for (Writer w : writers) {
                g.writeStartObject();
                g.writeStringField("id", w.id());
                g.writeStringField("name", w.name());
                g.writeStringField("publicKey", b64.encodeToString(w.publicKey()));
                g.writeStringField("added", w.added().toString());
                if (w.revoked().isPresent()) {
                    g.writeStringField("revoked", w.revoked().get().toString());
                }
                g.writeObjectFieldStart("kept");
                for (Map.Entry<String, String> k : new TreeMap<>(w.kept()).entrySet()) {
                    g.writeStringField(k.getKey(), k.getValue());
                }
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            if (unsigned.isPresent()) {
                g.writeObjectFieldStart("unsigned");
                for (Map.Entry<String, String> k : new TreeMap<>(unsigned.get()).entrySet()) {
                    g.writeStringField(k.getKey(), k.getValue());
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    static WritersList parse(String name, byte[] body) throws IOException {
        Map<String, Object> m = JsonTree.parseObject(body);
        if (!FORMAT.equals(m.get("format"))) {
            throw new IOException("'" + name + "' is not a writers list");
        }
        if (!(m.get("version") instanceof Long v) || v != 1) {
            throw new IOException("'" + name + "' has writers list version " + m.get("version")
                    + ", which this mint-backup does not read: upgrade it");
        }
        try {
            List<Writer> writers = new ArrayList<>();
            for (Object o : (List<Object>) m.get("writers")) {
                Map<String, Object> w = (Map<String, Object>) o;
                Map<String, String> kept = new LinkedHashMap<>();
                if (w.get("kept") instanceof Map<?, ?> k) {
                    k.forEach((a, b) -> kept.put(String.valueOf(a), String.valueOf(b)));
                }
                writers.add(new Writer(JsonTree.string(w, "id"), JsonTree.string(w, "name"),
                        Base64.getDecoder().decode(JsonTree.string(w, "publicKey")),
                        Instant.parse(JsonTree.string(w, "added")),
                        w.get("revoked") instanceof String r ? Optional.of(Instant.parse(r)) : Optional.empty(), kept));
            }
            Optional<Map<String, String>> unsigned = Optional.empty();
            if (m.get("unsigned") instanceof Map<?, ?> u) {
                Map<String, String> out = new LinkedHashMap<>();
                u.forEach((a, b) -> out.put(String.valueOf(a), String.valueOf(b)));
                unsigned = Optional.of(out);
            }
            return new WritersList(JsonTree.string(m, "repository"), (Long) m.get("sequence"),
                    Instant.parse(JsonTree.string(m, "created")), writers, unsigned);
        } catch (RuntimeException e) {
            throw new IOException("'" + name + "' is not a valid writers list: " + e.getMessage(), e);
        }
    }

    /** Signs this list with the authority key and stores it, never over another; false when the sequence was taken. */
    public boolean store(Sink sink, Ed25519 authority) throws IOException {
        byte[] stored = Signatures.signDocument(authority, Signatures.AUTHORITY_NAME, DOMAIN, repository, body());
        if (sink.capabilities().contains(SinkCapability.ATOMIC_CREATE)) {
            return sink.putIfAbsent(objectName(), new ByteArrayInputStream(stored), stored.length, ObjectKind.KEY);
        }
        if (sink.stat(objectName()).isPresent()) {
            return false;
        }
        sink.put(objectName(), new ByteArrayInputStream(stored), stored.length, ObjectKind.KEY);
        return true;
    }

    /**
     * When the repository's first writers list (the lowest sequence whose signature verifies) was stored, by the
     * store's date; empty when it has none. Since then readers and writers sign every standalone object (WAL).
     */
    public static Optional<Instant> firstStored(Sink sink, String repositoryId, byte[] authorityPublic) throws IOException {
        List<ObjectInfo> lists;
        try (Stream<ObjectInfo> objects = sink.list(PREFIX)) {
            lists = objects.sorted(Comparator.comparing(ObjectInfo::name)).toList();
        }
        for (ObjectInfo o : lists) {
            byte[] stored;
            try (InputStream in = sink.get(o.name())) {
                stored = in.readAllBytes();
            } catch (NoSuchObjectException vanished) {
                continue;
            }
            try {
                Signatures.SignedDocument doc = Signatures.parseDocument(o.name(), stored);
                if (Signatures.AUTHORITY_NAME.equals(doc.signer())
                        && Signatures.verifyDocument(authorityPublic, DOMAIN, repositoryId, doc)) {
                    return Optional.of(o.lastModified());
                }
            } catch (IOException e) {
                LOG.debug("ignoring the writers list '{}' in {}: {}", o.name(), sink.describe(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * The list in force: the one of the highest sequence whose signature verifies with {@code authorityPublic}. Lists
     * that do not verify (planted, damaged) are skipped with a warning.
     */
    public static Optional<WritersList> latest(Sink sink, String repositoryId, byte[] authorityPublic) throws IOException {
        List<String> names;
        try (Stream<ObjectInfo> objects = sink.list(PREFIX)) {
            names = objects.map(ObjectInfo::name).sorted(Comparator.reverseOrder()).toList();
        }
        for (String name : names) {
            byte[] stored;
            try (InputStream in = sink.get(name)) {
                stored = in.readAllBytes();
            } catch (NoSuchObjectException vanished) {
                continue;
            }
            try {
                Signatures.SignedDocument doc = Signatures.parseDocument(name, stored);
                if (!Signatures.AUTHORITY_NAME.equals(doc.signer())
                        || !Signatures.verifyDocument(authorityPublic, DOMAIN, repositoryId, doc)) {
                    throw new IOException("its signature does not verify with the repository's authority key");
                }
                WritersList list = parse(name, doc.body());
                if (!list.repository().equals(repositoryId) || !list.objectName().equals(name)) {
                    throw new IOException("it belongs to repository " + list.repository() + " as " + list.objectName());
                }
                return Optional.of(list);
            } catch (IOException e) {
                LOG.warn("ignoring the writers list '{}' in {}: {}", name, sink.describe(), e.getMessage());
            }
        }
        return Optional.empty();
    }
}
