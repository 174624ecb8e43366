package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.json.JsonTree;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.mintreplica.backup.core.CorruptDataException;
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

    /**
     * Reads a key object. Version 1 key objects have no checksum of their own, so the reader checks what it can: the
     * JSON must end where the writer ends it (one newline), the armored public key and wrapped message must decode
     * (their CRC-24 covers every changed bit), and the clear fingerprint, key id and user ids must be those of the
     * public key they sit beside. Only {@code created} is covered by nothing (see docs/format.md).
     *
     * @throws CorruptDataException naming the object when it is damaged
     * @throws com.mintreplica.backup.core.UnsupportedException when it is of a newer key object version
     */
    public static KeyObject parse(String name, byte[] bytes) throws IOException {
        Map<String, Object> m;
        try {
            if (bytes.length == 0 || bytes[bytes.length - 1] != '\n') {
                throw new IOException("it does not end with the newline its writer puts there");
            }
            m = JsonTree.parseObject(bytes);
        } catch (IOException | RuntimeException e) {
            throw corrupt(name, "is not a valid key object (" + e.getMessage() + ")", e);
        }
        if (!FORMAT.equals(m.get("format"))) {
            throw corrupt(name, "is not a mint-backup key object", null);
        }
        if (!(m.get("version") instanceof Long v) || v < 1) {
            throw corrupt(name, m.get("version") == null ? "has no key object version (its \"version\" field is missing)"
                    : "has no valid key object version (its \"version\" field is " + m.get("version") + ")", null);
        }
        if (v != 1) {
            throw new com.mintreplica.backup.core.UnsupportedException("'" + name + "' has key object version " + v
                    + ", which this mint-backup does not read: upgrade it");
        }
        KeyObject key;
        try {
            List<String> userIds = new ArrayList<>();
            if (!(m.get("userIds") instanceof List<?> l)) {
                throw new IllegalArgumentException("field 'userIds' is missing or not a list");
            }
            for (Object u : l) {
                if (!(u instanceof String s)) {
                    throw new IllegalArgumentException("a user id is not a string");
                }
                userIds.add(s);
            }
            key = new KeyObject(name, JsonTree.string(m, "repository"), JsonTree.string(m, "fingerprint"), JsonTree.string(m, "keyId"),
                    userIds, Instant.parse(JsonTree.string(m, "created")), JsonTree.string(m, "publicKey"), JsonTree.string(m, "wrapped"));
        } catch (RuntimeException e) {
            throw corrupt(name, "is not a valid key object: " + e.getMessage(), e);
        }
        key.check();
        return key;
    }

    /** The clear fields against the armored key and message beside them; see {@link #parse}. */
    private void check() {
        PGPPublicKeyRing ring;
        List<Long> recipients;
        try {
            ring = publicKeyRing();
            recipients = Pgp.recipients(wrappedMessage());
        } catch (IOException | RuntimeException e) {
            throw corrupt(name, "holds a damaged public key or wrapped message (" + e.getMessage() + ")", e);
        }
        if (!Pgp.fingerprint(ring.getPublicKey()).equals(fingerprint)) {
            throw corrupt(name, "names fingerprint " + fingerprint + ", but holds the public key of "
                    + Pgp.fingerprint(ring.getPublicKey()), null);
        }
        if (!Pgp.userIds(ring.getPublicKey()).equals(userIds)) {
            throw corrupt(name, "names the user ids " + userIds + ", but its public key has " + Pgp.userIds(ring.getPublicKey()), null);
        }
        boolean inRing = false;
        for (org.bouncycastle.openpgp.PGPPublicKey k : ring) {
            inRing |= Pgp.keyId(k.getKeyID()).equals(keyId);
        }
        if (!inRing || !recipients.contains(java.util.HexFormat.fromHexDigitsToLong(keyId))) {
            throw corrupt(name, "names key id " + keyId + ", which is not the key its wrapped message is encrypted to", null);
        }
    }

    private static CorruptDataException corrupt(String name, String what, Throwable cause) {
        return new CorruptDataException("key object '" + name + "' " + what, cause);
    }

    /** The recipient's public key ring. */
    public PGPPublicKeyRing publicKeyRing() throws IOException {
        // The armor is read to its end first: its CRC-24 is checked only there, and the ring's parser may stop earlier.
        byte[] binary;
        try (var in = PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(publicKey.getBytes(StandardCharsets.US_ASCII)))) {
            binary = in.readAllBytes();
        }
        return new PGPPublicKeyRing(binary, new BcKeyFingerprintCalculator());
    }

    /** The wrapped message, binary. */
    public byte[] wrappedMessage() throws IOException {
        try (var in = PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(wrapped.getBytes(StandardCharsets.US_ASCII)))) {
            return in.readAllBytes();
        }
    }

    /**
     * What a key object wraps: the repository it belongs to, the blob id key, every data key (oldest first), and the
     * session keys of writers (write-only keys) that were stored before this recipient was added, whose
     * {@code sessions/} objects are not encrypted to it. Without sessions the bytes are exactly those of format 1.
     */
    public record Payload(String repository, byte[] idKey, List<DataKey> dataKeys, List<DataKey> sessions) {
        public Payload {
            idKey = idKey.clone();
            dataKeys = List.copyOf(dataKeys);
            sessions = List.copyOf(sessions);
        }

        public Payload(String repository, byte[] idKey, List<DataKey> dataKeys) {
            this(repository, idKey, dataKeys, List.of());
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
                if (!sessions.isEmpty()) {
                    g.writeArrayFieldStart("sessions");
                    for (DataKey k : sessions) {
                        g.writeStartObject();
                        g.writeStringField("id", k.idHex());
                        g.writeStringField("key", b64.encodeToString(k.bytes()));
                        g.writeStringField("created", k.created().toString());
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return out.toByteArray();
        }

        private static List<DataKey> keys(Object list, String what) throws IOException {
            List<DataKey> keys = new ArrayList<>();
            for (Object o : (List<?>) list) {
                @SuppressWarnings("unchecked")
                Map<String, Object> k = (Map<String, Object>) o;
                DataKey key = DataKey.of(Base64.getDecoder().decode(JsonTree.string(k, "key")),
                        Instant.parse(JsonTree.string(k, "created")));
                if (!key.idHex().equals(JsonTree.string(k, "id"))) {
                    throw new IOException(what + " " + JsonTree.string(k, "id") + " does not match its id");
                }
                keys.add(key);
            }
            return keys;
        }

        public static Payload parse(String name, byte[] bytes) throws IOException {
            try {
                Map<String, Object> m = JsonTree.parseObject(bytes);
                Base64.Decoder b64 = Base64.getDecoder();
                if (!(m.get("dataKeys") instanceof List<?> list) || list.isEmpty()) {
                    throw new IOException("it holds no data key");
                }
                List<DataKey> keys = keys(list, "data key");
                List<DataKey> sessions = List.of();
                if (m.containsKey("sessions")) {
                    if (!(m.get("sessions") instanceof List<?> s)) {
                        throw new IOException("its sessions are not a list");
                    }
                    sessions = keys(s, "session key");
                }
                byte[] idKey = b64.decode(JsonTree.string(m, "idKey"));
                if (idKey.length != 32) {
                    throw new IOException("its id key has " + idKey.length + " bytes, not 32");
                }
                return new Payload(JsonTree.string(m, "repository"), idKey, keys, sessions);
            } catch (IOException | RuntimeException e) {
                throw new IOException("the keys wrapped in '" + name + "' are damaged: " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return "Payload[" + repository + ", " + dataKeys + ", " + sessions.size() + " session keys]";
        }
    }
}
