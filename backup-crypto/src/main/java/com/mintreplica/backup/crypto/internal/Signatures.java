package com.mintreplica.backup.crypto.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.HexFormat;

/**
 * The two signed formats of the repository, both Ed25519:
 * <ul>
 *   <li><b>signed objects</b> (manifests and index objects that writers write, and those readers write once a
 *       repository has writers): {@code "MBW1" | signer id (16 bytes, all zero for the repository's authority key) |
 *       signature (64) | content}. The signature covers the purpose, the repository id, the object's name and the
 *       SHA-256 of the content, so a signed object cannot be replayed under another name or into another repository.
 *   <li><b>signed documents</b> (the writers list, session objects): the JSON body, then one line
 *       {@code mint-backup-signature ed25519 SIGNER BASE64}. Readable with {@code cat}; the signature covers the
 *       purpose, the repository id and the body.
 * </ul>
 */
public final class Signatures {
    static final byte[] MAGIC = {'M', 'B', 'W', '1'};
    public static final int SIGNER = 16;
    private static final int HEADER = MAGIC.length + SIGNER + Ed25519.SIGNATURE;
    private static final String OBJECT_DOMAIN = "mint-backup signed object v1";
    private static final String TRAILER = "\nmint-backup-signature ed25519 ";
    /** The signer id of the repository's authority key. */
    public static final byte[] AUTHORITY = new byte[SIGNER];
    public static final String AUTHORITY_NAME = "authority";

    private Signatures() {
    }

    /** A parsed signed object. */
    public record SignedObject(byte[] signer, byte[] signature, byte[] content) {
        public boolean byAuthority() {
            return Arrays.equals(signer, AUTHORITY);
        }

        public String signerHex() {
            return HexFormat.of().formatHex(signer);
        }
    }

    public static byte[] signObject(Ed25519 key, byte[] signer, String repositoryId, String objectName, byte[] content) {
        byte[] signature = key.sign(objectMessage(repositoryId, objectName, content));
        return ByteBuffer.allocate(HEADER + content.length).put(MAGIC).put(signer).put(signature).put(content).array();
    }

    /** The signed object in {@code stored}, or empty when it is not one. */
    public static Optional<SignedObject> parseObject(byte[] stored) {
        if (stored.length < HEADER || !Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return Optional.empty();
        }
        return Optional.of(new SignedObject(Arrays.copyOfRange(stored, MAGIC.length, MAGIC.length + SIGNER),
                Arrays.copyOfRange(stored, MAGIC.length + SIGNER, HEADER), Arrays.copyOfRange(stored, HEADER, stored.length)));
    }

    public static boolean verifyObject(byte[] publicKey, String repositoryId, String objectName, SignedObject object) {
        return Ed25519.verify(publicKey, objectMessage(repositoryId, objectName, object.content()), object.signature());
    }

    private static byte[] objectMessage(String repositoryId, String objectName, byte[] content) {
        return Ed25519.message(OBJECT_DOMAIN, repositoryId.getBytes(StandardCharsets.UTF_8),
                objectName.getBytes(StandardCharsets.UTF_8), sha256(content));
    }

    // ---- signatures in standalone object names (archived WAL)

    /** Characters of a name signature: base64url (no padding) of a signed object with empty content. */
    public static final int NAME_SIGNATURE = (HEADER * 4 + 2) / 3;
    private static final java.util.regex.Pattern SIGNED_NAME = java.util.regex.Pattern.compile(
            "(.*)-([A-Za-z0-9_-]{" + NAME_SIGNATURE + "})((?:\\.[A-Za-z0-9]+)*)");

    /**
     * A standalone object's name signature: its name without signature and suffix ({@code base}), and the signed
     * object (empty content) the signature part decodes to, which {@code open(base, stored)} checks.
     */
    public record NameSignature(String base, byte[] stored) {
    }

    /** The signature {@code objectName} carries ({@code <base>-<signature><suffix>}), or empty when it carries none. */
    public static Optional<NameSignature> parseName(String objectName) {
        java.util.regex.Matcher m = SIGNED_NAME.matcher(objectName);
        if (!m.matches()) {
            return Optional.empty();
        }
        byte[] stored;
        try {
            stored = Base64.getUrlDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (stored.length != HEADER || parseObject(stored).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new NameSignature(m.group(1), stored));
    }

    // ---- documents

    /** A parsed signed document. */
    public record SignedDocument(byte[] body, String signer, byte[] signature) {
    }

    public static byte[] signDocument(Ed25519 key, String signer, String domain, String repositoryId, byte[] body) {
        byte[] signature = key.sign(documentMessage(domain, repositoryId, body));
        String trailer = TRAILER + signer + " " + Base64.getEncoder().encodeToString(signature) + "\n";
        byte[] t = trailer.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(body.length + t.length).put(body).put(t).array();
    }

    public static SignedDocument parseDocument(String name, byte[] stored) throws IOException {
        String text = new String(stored, StandardCharsets.ISO_8859_1);
        int at = text.lastIndexOf(TRAILER);
        if (at < 0) {
            throw new IOException("'" + name + "' carries no signature");
        }
        String[] words = text.substring(at + TRAILER.length()).trim().split(" ");
        if (words.length != 2) {
            throw new IOException("the signature line of '" + name + "' is malformed");
        }
        try {
            return new SignedDocument(Arrays.copyOf(stored, at), words[0], Base64.getDecoder().decode(words[1]));
        } catch (IllegalArgumentException e) {
            throw new IOException("the signature of '" + name + "' is not base64", e);
        }
    }

    public static boolean verifyDocument(byte[] publicKey, String domain, String repositoryId, SignedDocument document) {
        return Ed25519.verify(publicKey, documentMessage(domain, repositoryId, document.body()), document.signature());
    }

    private static byte[] documentMessage(String domain, String repositoryId, byte[] body) {
        return Ed25519.message(domain, repositoryId.getBytes(StandardCharsets.UTF_8), body);
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256(data));
    }
}
