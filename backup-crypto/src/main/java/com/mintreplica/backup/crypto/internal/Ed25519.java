package com.mintreplica.backup.crypto.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import java.util.HexFormat;

/**
 * Ed25519 signatures (RFC 8032) from a 32-byte seed, deterministic: the same seed always gives the same key pair, so a
 * key derived from a repository's keys needs no storage of its own.
 */
public final class Ed25519 {
    public static final int SEED = 32;
    public static final int PUBLIC = 32;
    public static final int SIGNATURE = 64;

    private final byte[] seed;
    private final byte[] publicKey;

    private Ed25519(byte[] seed) {
        if (seed.length != SEED) {
            throw new IllegalArgumentException("an Ed25519 seed has 32 bytes, not " + seed.length);
        }
        this.seed = seed.clone();
        this.publicKey = new Ed25519PrivateKeyParameters(this.seed, 0).generatePublicKey().getEncoded();
    }

    public static Ed25519 fromSeed(byte[] seed) {
        return new Ed25519(seed);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The seed, for the writer key file that holds it. */
    public byte[] seed() {
        return seed.clone();
    }

    public byte[] sign(byte[] message) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, new Ed25519PrivateKeyParameters(seed, 0));
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey.length != PUBLIC || signature.length != SIGNATURE) {
            return false;
        }
        try {
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** {@code domain \0 part \0 part ...}: what is signed, with its purpose and context bound in. */
    public static byte[] message(String domain, byte[]... parts) {
        byte[] d = domain.getBytes(StandardCharsets.UTF_8);
        int n = d.length;
        for (byte[] p : parts) {
            n += 1 + 4 + p.length;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n).put(d);
        for (byte[] p : parts) {
            b.put((byte) 0).putInt(p.length).put(p);
        }
        return b.array();
    }

    /** Forgets the seed (best effort: the JVM may hold copies). */
    public void destroy() {
        Arrays.fill(seed, (byte) 0);
    }

    @Override
    public String toString() {
        return "Ed25519[public " + HexFormat.of().formatHex(publicKey) + "]";
    }
}
