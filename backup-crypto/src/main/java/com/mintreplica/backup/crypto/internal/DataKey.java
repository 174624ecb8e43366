package com.mintreplica.backup.crypto.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.util.HexFormat;

/**
 * One generation of a repository's data key: 32 random bytes from which the per-object AES-256-GCM keys (HKDF with a
 * random salt per object) and the single-layout repository OpenPGP key are derived. Its id is a commitment to the key
 * (a truncated HMAC of it), so a key object cannot present other key material under a known id.
 */
public final class DataKey {
    public static final int LENGTH = 32;
    public static final int ID_LENGTH = 8;

    private final byte[] key;
    private final byte[] id;
    private final Instant created;

    private DataKey(byte[] key, Instant created) {
        if (key.length != LENGTH) {
            throw new IllegalArgumentException("a data key has 32 bytes, not " + key.length);
        }
        this.key = key.clone();
        this.created = created;
        this.id = Arrays.copyOf(hmac(this.key, "mint-backup data key id".getBytes(StandardCharsets.US_ASCII)), ID_LENGTH);
    }

    public static DataKey generate(SecureRandom random, Instant created) {
        byte[] key = new byte[LENGTH];
        random.nextBytes(key);
        return new DataKey(key, created);
    }

    public static DataKey of(byte[] key, Instant created) {
        return new DataKey(key, created);
    }

    public byte[] id() {
        return id.clone();
    }

    public String idHex() {
        return HexFormat.of().withUpperCase().formatHex(id);
    }

    public Instant created() {
        return created;
    }

    /** The raw key, for wrapping. */
    public byte[] bytes() {
        return key.clone();
    }

    /** HKDF-SHA256 (RFC 5869) of this key with {@code salt} and {@code info}, {@code length} <= 32 bytes. */
    public byte[] derive(byte[] salt, String info, int length) {
        byte[] prk = hmac(salt.length == 0 ? new byte[32] : salt, key);
        byte[] infoBytes = info.getBytes(StandardCharsets.US_ASCII);
        byte[] t = Arrays.copyOf(infoBytes, infoBytes.length + 1);
        t[infoBytes.length] = 1;
        return Arrays.copyOf(hmac(prk, t), length);
    }

    /** One HMAC per thread: {@code Mac.getInstance} (a provider look-up) cost more than the two HMACs of an object key. */
    private static final ThreadLocal<Mac> MACS = new ThreadLocal<>();

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = MACS.get();
            if (mac == null) {
                mac = Mac.getInstance("HmacSHA256");
                MACS.set(mac);
            }
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HMAC-SHA256", e);
        }
    }

    /**
     * The key every holder of a repository's keys shares, readers and writers alike (it is derived from the blob id
     * key, which both hold): it seals leases and the id parts of index objects.
     */
    public static DataKey shared(byte[] idKey) {
        byte[] bytes = hkdf(idKey, "mint-backup shared key (leases, index id parts)");
        return new DataKey(bytes, Instant.EPOCH);
    }

    /** HKDF-SHA256 of {@code key} with an empty salt and {@code info}, 32 bytes. */
    public static byte[] hkdf(byte[] key, String info) {
        byte[] prk = hmac(new byte[32], key);
        byte[] infoBytes = info.getBytes(StandardCharsets.US_ASCII);
        byte[] t = Arrays.copyOf(infoBytes, infoBytes.length + 1);
        t[infoBytes.length] = 1;
        return hmac(prk, t);
    }

    /** Forgets the key (best effort: derived keys and copies the JVM made may remain until collected). */
    public void destroy() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "DataKey[" + idHex() + ", created " + created + "]";
    }
}
