package com.mintreplica.backup.crypto.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;

/**
 * A {@code keys/<id>} object: the repository's keys wrapped (OpenPGP-encrypted) for one recipient, with the
 * recipient's public key and ids in clear so that anyone can list who opens the repository and a key manager can
 * encrypt to them. JSON:
 * <pre>
 * { "format": "mint-backup key", "version": 1, "repository": id, "fingerprint": primary key fingerprint,
 *   "keyId": encryption subkey id, "userIds": [...], "created": time, "publicKey": armored,
 *   "wrapped": armored OpenPGP message whose plaintext is a {@link Payload} }
 * </pre>
 */
public record KeyObject(String name, String repository, String fingerprint, String keyId, List<String> userIds,
                        Instant created, String publicKey, String wrapped) {
    public static final String FORMAT = "mint-backup key";

    public KeyObject {
        userIds = List.copyOf(userIds);
    }

    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", 1);
            g.writeStringField("repository", repository);
            g.writeStringField("fingerprint", fingerprint);
            g.writeStringField("keyId", keyId);
            g.writeArrayFieldStart("userIds");
            for (String u : userIds) {
                g.writeString(u);
            }
            g.writeEndArray();
            g.writeStringField("created", created.toString());
            g.writeStringField("publicKey", publicKey);
            g.writeStringField("wrapped", wrapped);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    public static KeyObject parse(String name, byte[] bytes) throws IOException {
        Map<String, Object> m = Json.read(bytes);
        if (!FORMAT.equals(m.get("format"))) {
            throw new IOException("'" + name + "' is not a mint-backup key object");
        }
        if (!(m.get("version") instanceof Long v) || v != 1) {
            throw new IOException("'" + name + "' has key object version " + m.get("version")
                    + ", which this mint-backup does not read: upgrade it");
        }
        List<String> userIds = new ArrayList<>();
        if (m.get("userIds") instanceof List<?> l) {
            l.forEach(u -> userIds.add(String.valueOf(u)));
        }
        try {
            return new KeyObject(name, Json.string(m, "repository"), Json.string(m, "fingerprint"), Json.string(m, "keyId"),
                    userIds, Instant.parse(Json.string(m, "created")), Json.string(m, "publicKey"), Json.string(m, "wrapped"));
        } catch (RuntimeException e) {
            throw new IOException("'" + name + "' is not a valid key object: " + e.getMessage(), e);
        }
    }

    /** The recipient's public key ring. */
    public PGPPublicKeyRing publicKeyRing() throws IOException {
        return new PGPPublicKeyRing(PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(
                publicKey.getBytes(StandardCharsets.US_ASCII))), new BcKeyFingerprintCalculator());
    }

    /** The wrapped message, binary. */
    public byte[] wrappedMessage() throws IOException {
        try (var in = PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(wrapped.getBytes(StandardCharsets.US_ASCII)))) {
            return in.readAllBytes();
        }
    }

    /**
     * What a key object wraps: the repository it belongs to, the blob id key, and every data key (oldest first).
     */
    public record Payload(String repository, byte[] idKey, List<DataKey> dataKeys) {
        public Payload {
            idKey = idKey.clone();
            dataKeys = List.copyOf(dataKeys);
        }

        @Override
        public byte[] idKey() {
            return idKey.clone();
        }

        public byte[] toBytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Base64.Encoder b64 = Base64.getEncoder();
            try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
                g.writeStartObject();
                g.writeStringField("format", "mint-backup keys");
                g.writeStringField("repository", repository);
                g.writeStringField("idKey", b64.encodeToString(idKey));
                g.writeArrayFieldStart("dataKeys");
                for (DataKey k : dataKeys) {
                    g.writeStartObject();
                    g.writeStringField("id", k.idHex());
                    g.writeStringField("key", b64.encodeToString(k.bytes()));
                    g.writeStringField("created", k.created().toString());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return out.toByteArray();
        }

        public static Payload parse(String name, byte[] bytes) throws IOException {
            try {
                Map<String, Object> m = Json.read(bytes);
                Base64.Decoder b64 = Base64.getDecoder();
                List<DataKey> keys = new ArrayList<>();
                if (!(m.get("dataKeys") instanceof List<?> list) || list.isEmpty()) {
                    throw new IOException("it holds no data key");
                }
                for (Object o : list) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> k = (Map<String, Object>) o;
                    DataKey key = DataKey.of(b64.decode(Json.string(k, "key")), Instant.parse(Json.string(k, "created")));
                    if (!key.idHex().equals(Json.string(k, "id"))) {
                        throw new IOException("data key " + Json.string(k, "id") + " does not match its id");
                    }
                    keys.add(key);
                }
                byte[] idKey = b64.decode(Json.string(m, "idKey"));
                if (idKey.length != 32) {
                    throw new IOException("its id key has " + idKey.length + " bytes, not 32");
                }
                return new Payload(Json.string(m, "repository"), idKey, keys);
            } catch (IOException | RuntimeException e) {
                throw new IOException("the keys wrapped in '" + name + "' are damaged: " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return "Payload[" + repository + ", " + dataKeys + "]";
        }
    }

    /** Small JSON documents as maps, lists, strings and longs. */
    static final class Json {
        private Json() {
        }

        static Map<String, Object> read(byte[] bytes) throws IOException {
            try (JsonParser p = new JsonFactory().createParser(bytes)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new IOException("expected a JSON object");
                }
                return object(p);
            }
        }

        private static Map<String, Object> object(JsonParser p) throws IOException {
            Map<String, Object> out = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                out.put(name, value(p, p.nextToken()));
            }
            return out;
        }

        private static Object value(JsonParser p, JsonToken t) throws IOException {
            return switch (t) {
                case START_OBJECT -> object(p);
                case START_ARRAY -> {
                    List<Object> list = new ArrayList<>();
                    JsonToken next;
                    while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
                        list.add(value(p, next));
                    }
                    yield list;
                }
                case VALUE_STRING -> p.getText();
                case VALUE_NUMBER_INT -> p.getLongValue();
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                default -> throw new IOException("unexpected JSON token " + t);
            };
        }

        static String string(Map<String, Object> m, String key) {
            if (!(m.get(key) instanceof String s)) {
                throw new IllegalArgumentException("field '" + key + "' is missing or not a string");
            }
            return s;
        }
    }
}
