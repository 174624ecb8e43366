package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.CorruptDataException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The integrity envelope of every metadata object (config, manifests, indexes): the payload followed by its SHA-256.
 * A flipped byte anywhere fails {@link #open} with the object's name, even in an unencrypted repository where nothing
 * else would notice (a changed digit in a JSON config still parses).
 */
public final class Envelope {
    /** The length of the checksum that ends a sealed object. */
    static final int HASH = 32;

    private Envelope() {
    }

    public static byte[] seal(byte[] payload) {
        byte[] out = Arrays.copyOf(payload, payload.length + HASH);
        System.arraycopy(Sha256.hash(payload), 0, out, payload.length, HASH);
        return out;
    }

    public static byte[] open(String objectName, byte[] sealed) {
        if (sealed.length < HASH) {
            throw new CorruptDataException("'" + objectName + "' is corrupt: it is truncated to " + sealed.length + " bytes");
        }
        int n = sealed.length - HASH;
        byte[] expected = Arrays.copyOfRange(sealed, n, sealed.length);
        if (!MessageDigest.isEqual(expected, Sha256.hash(sealed, 0, n))) {
            throw new CorruptDataException("'" + objectName + "' is corrupt: its content does not match its checksum");
        }
        return Arrays.copyOf(sealed, n);
    }
}
