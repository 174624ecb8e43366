package com.mintreplica.backup.mongo;

import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * mongo-java-server's memory backend with the server side of SCRAM-SHA-256 (RFC 5802/7677) as mongod speaks it
 * (saslStart / saslContinue on admin), and every other command refused until the connection authenticated. The
 * driver's real authentication code runs against it, so the tests see what the driver logs and throws with a real
 * password, right or wrong. Test code only.
 */
final class ScramBackend extends MemoryBackend {
    private static final int ITERATIONS = 4096;
    private static final Set<String> OPEN = Set.of("ismaster", "hello", "saslstart", "saslcontinue", "buildinfo",
            "ping", "whatsmyuri", "endsessions");

    private final String user;
    private final byte[] salt = new byte[16];
    private final byte[] storedKey;
    private final byte[] serverKey;
    private final Map<Channel, Conversation> conversations = new ConcurrentHashMap<>();
    private final Set<Channel> authenticated = ConcurrentHashMap.newKeySet();

    private record Conversation(String clientFirstBare, String serverFirst, String nonce) {
    }

    ScramBackend(String user, String password) {
        this.user = user;
        new SecureRandom().nextBytes(salt);
        try {
            byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, 256)).getEncoded();
            storedKey = MessageDigest.getInstance("SHA-256").digest(hmac(salted, "Client Key"));
            serverKey = hmac(salted, "Server Key");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        String c = command.toLowerCase(Locale.ROOT);
        switch (c) {
            case "ismaster", "hello" -> {
                Document response = super.handleCommand(channel, databaseName, command, query);
                if (query.containsKey("saslSupportedMechs")) {
                    response.put("saslSupportedMechs", List.of("SCRAM-SHA-256"));
                }
                return response;
            }
            case "saslstart" -> {
                return start(channel, query);
            }
            case "saslcontinue" -> {
                return proceed(channel, query);
            }
            default -> {
                if (!OPEN.contains(c) && !authenticated.contains(channel)) {
                    throw new MongoServerError(13, "Unauthorized", "command " + command + " requires authentication");
                }
                return super.handleCommand(channel, databaseName, command, query);
            }
        }
    }

    @Override
    public void handleClose(Channel channel) {
        conversations.remove(channel);
        authenticated.remove(channel);
        super.handleClose(channel);
    }

    private Document start(Channel channel, Document query) {
        if (!"SCRAM-SHA-256".equals(query.get("mechanism"))) {
            throw new MongoServerError(2, "BadValue", "only SCRAM-SHA-256 is supported here");
        }
        String first = new String(((BinData) query.get("payload")).getData(), StandardCharsets.UTF_8);
        if (!first.startsWith("n,,")) {
            throw new MongoServerError(17, "ProtocolError", "bad client-first message");
        }
        String bare = first.substring(3);
        String name = attribute(bare, "n");
        String clientNonce = attribute(bare, "r");
        if (!user.equals(name)) {
            throw authFailed();
        }
        byte[] serverNonce = new byte[18];
        new SecureRandom().nextBytes(serverNonce);
        String nonce = clientNonce + Base64.getEncoder().encodeToString(serverNonce);
        String serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + ITERATIONS;
        conversations.put(channel, new Conversation(bare, serverFirst, nonce));
        return reply(false, serverFirst);
    }

    private Document proceed(Channel channel, Document query) {
        Conversation conversation = conversations.remove(channel);
        if (conversation == null) {
            throw new MongoServerError(17, "ProtocolError", "no SASL conversation in progress");
        }
        String last = new String(((BinData) query.get("payload")).getData(), StandardCharsets.UTF_8);
        int proofAt = last.lastIndexOf(",p=");
        String withoutProof = last.substring(0, proofAt);
        byte[] proof = Base64.getDecoder().decode(last.substring(proofAt + 3));
        if (!conversation.nonce().equals(attribute(withoutProof, "r"))) {
            throw authFailed();
        }
        String authMessage = conversation.clientFirstBare() + "," + conversation.serverFirst() + "," + withoutProof;
        byte[] signature = hmac(storedKey, authMessage);
        byte[] clientKey = new byte[proof.length];
        for (int i = 0; i < proof.length; i++) {
            clientKey[i] = (byte) (proof[i] ^ signature[i % signature.length]);
        }
        try {
            if (!MessageDigest.isEqual(MessageDigest.getInstance("SHA-256").digest(clientKey), storedKey)) {
                throw authFailed();
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        authenticated.add(channel);
        return reply(true, "v=" + Base64.getEncoder().encodeToString(hmac(serverKey, authMessage)));
    }

    private static Document reply(boolean done, String payload) {
        Document response = new Document("conversationId", 1);
        response.put("done", done);
        response.put("payload", new BinData(payload.getBytes(StandardCharsets.UTF_8)));
        response.put("ok", 1.0);
        return response;
    }

    private static MongoServerError authFailed() {
        return new MongoServerError(18, "AuthenticationFailed", "Authentication failed.");
    }

    private static String attribute(String message, String name) {
        for (String part : message.split(",")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        throw new MongoServerError(17, "ProtocolError", "SCRAM message lacks '" + name + "'");
    }

    private static byte[] hmac(byte[] key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
