package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.json.JsonTree;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.mintreplica.backup.crypto.OpenPgpMessageFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;

/**
 * A writer's session key, {@code sessions/<key id>}: the random AES key a writer seals one run's objects under,
 * OpenPGP-encrypted to every recipient its writer key file names ({@code gpg --decrypt} opens the {@code wrapped}
 * message), and signed by the writer. The writer forgets the key when the run ends; readers unwrap it when they first
 * meet an object that names it. JSON body, signed as a document (see {@link Signatures}):
 * <pre>
 * { "format": "mint-backup session", "version": 1, "repository": id, "session": key id, "writer": writer id,
 *   "created": time, "wrapped": armored OpenPGP message of {"repository", "session", "key", "created"} }
 * </pre>
 */
public final class SessionObject {
    public static final String PREFIX = "sessions/";
    static final String DOMAIN = "mint-backup session v1";
    static final String FORMAT = "mint-backup session";

    private SessionObject() {
    }

    public static String objectName(String keyIdHex) {
        return PREFIX + keyIdHex;
    }

    /** The stored bytes of a new session object for {@code key}. */
    public static byte[] create(DataKey key, String repositoryId, String writerId, Ed25519 signer,
                                Collection<PGPPublicKey> recipients, SecureRandom random) throws IOException {
        Base64.Encoder b64 = Base64.getEncoder();
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(inner)) {
            g.writeStartObject();
            g.writeStringField("repository", repositoryId);
            g.writeStringField("session", key.idHex());
            g.writeStringField("key", b64.encodeToString(key.bytes()));
            g.writeStringField("created", key.created().toString());
            g.writeEndObject();
        }
        byte[] plain = inner.toByteArray();
        byte[] wrapped;
        try {
            wrapped = Pgp.encrypt(plain, recipients, OpenPgpMessageFormat.SEIPD_V1, random);
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(body)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", 1);
            g.writeStringField("repository", repositoryId);
            g.writeStringField("session", key.idHex());
            g.writeStringField("writer", writerId);
            g.writeStringField("created", key.created().toString());
            g.writeStringField("wrapped", Pgp.armor(wrapped));
            g.writeEndObject();
        }
        return Signatures.signDocument(signer, writerId, DOMAIN, repositoryId, body.toByteArray());
    }

    /** Who wrote a session and what it wraps, as read from its object (its signature is checked by {@link #open}). */
    public record Parsed(Signatures.SignedDocument document, String repository, String session, String writer,
                         String wrapped) {
    }

    public static Parsed parse(String name, byte[] stored) throws IOException {
        Signatures.SignedDocument doc = Signatures.parseDocument(name, stored);
        Map<String, Object> m = JsonTree.parseObject(doc.body());
        if (!FORMAT.equals(m.get("format"))) {
            throw new IOException("'" + name + "' is not a session object");
        }
        if (!(m.get("version") instanceof Long v) || v != 1) {
            throw new IOException("'" + name + "' has session version " + m.get("version") + ", which this mint-backup"
                    + " does not read: upgrade it");
        }
        try {
            return new Parsed(doc, JsonTree.string(m, "repository"), JsonTree.string(m, "session"),
                    JsonTree.string(m, "writer"), JsonTree.string(m, "wrapped"));
        } catch (RuntimeException e) {
            throw new IOException("'" + name + "' is not a valid session object: " + e.getMessage(), e);
        }
    }

    /**
     * The session key of a parsed session object, checked: signed by its writer (whose public key the caller looked
     * up), for this repository and this key id, and unwrapped with one of {@code privateKeys}.
     */
    public static DataKey open(String name, Parsed parsed, String repositoryId, byte[] writerPublicKey,
                               Map<Long, PGPPrivateKey> privateKeys) throws IOException {
        if (!parsed.repository().equals(repositoryId) || !name.equals(objectName(parsed.session()))) {
            throw new IOException("'" + name + "' is the session " + parsed.session() + " of repository " + parsed.repository());
        }
        if (!parsed.document().signer().equalsIgnoreCase(parsed.writer())
                || !Signatures.verifyDocument(writerPublicKey, DOMAIN, repositoryId, parsed.document())) {
            throw new IOException("the signature of '" + name + "' does not verify with the key of writer " + parsed.writer());
        }
        byte[] message;
        try (var in = org.bouncycastle.openpgp.PGPUtil.getDecoderStream(
                new java.io.ByteArrayInputStream(parsed.wrapped().getBytes(StandardCharsets.US_ASCII)))) {
            message = in.readAllBytes();
        }
        byte[] plain = Pgp.decrypt(message, privateKeys);
        try {
            Map<String, Object> m = JsonTree.parseObject(plain);
            DataKey key = DataKey.of(Base64.getDecoder().decode(JsonTree.string(m, "key")),
                    Instant.parse(JsonTree.string(m, "created")));
            if (!key.idHex().equals(parsed.session()) || !repositoryId.equals(m.get("repository"))) {
                throw new IOException("the key wrapped in '" + name + "' is not the session key it names");
            }
            return key;
        } catch (RuntimeException e) {
            throw new IOException("the key wrapped in '" + name + "' is damaged: " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
        }
    }
}
