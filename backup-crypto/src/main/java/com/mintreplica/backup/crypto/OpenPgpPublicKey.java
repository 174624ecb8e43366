package com.mintreplica.backup.crypto;

import com.mintreplica.backup.crypto.internal.Pgp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * An OpenPGP public key (certificate) a repository is encrypted to, as {@code gpg --export --armor} writes it. Made by
 * {@link OpenPgpKeys#publicKeys}; data is encrypted to its newest valid encryption subkey, as GnuPG does.
 */
public final class OpenPgpPublicKey {
    private final PGPPublicKeyRing ring;
    private final PGPPublicKey encryptionKey;

    private OpenPgpPublicKey(PGPPublicKeyRing ring) {
        this.ring = Objects.requireNonNull(ring, "ring");
        this.encryptionKey = Pgp.encryptionKey(ring);
    }

    /**
     * Wraps a Bouncy Castle key ring.
     *
     * @throws com.mintreplica.backup.core.InvalidInputException when it has no valid encryption key
     */
    static OpenPgpPublicKey of(PGPPublicKeyRing ring) {
        return new OpenPgpPublicKey(ring);
    }

    /** The primary key's fingerprint, upper-case hex (what {@code gpg --list-keys} shows). */
    public String fingerprint() {
        return Pgp.fingerprint(ring.getPublicKey());
    }

    /** The id of the (sub)key data is encrypted to, 16 hex digits (what {@code gpg --decrypt} names). */
    public String encryptionKeyId() {
        return Pgp.keyId(encryptionKey.getKeyID());
    }

    public List<String> userIds() {
        return Pgp.userIds(ring.getPublicKey());
    }

    /** The Bouncy Castle key ring. */
    PGPPublicKeyRing ring() {
        return ring;
    }

    /** The key data is encrypted to. */
    PGPPublicKey encryptionKey() {
        return encryptionKey;
    }

    /** The key in ASCII armor. */
    public String armored() {
        try {
            return Pgp.armor(ring.getEncoded());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code selector} names this key: its fingerprint, a key id of any of its keys, or part of a user id. */
    public boolean matches(String selector) {
        return matches(ring, selector);
    }

    /** {@link #matches(String)} for a key ring that may have no valid encryption key (so no OpenPgpPublicKey). */
    static boolean matches(PGPPublicKeyRing ring, String selector) {
        String fingerprint = Pgp.fingerprint(ring.getPublicKey());
        String s = selector.trim();
        String hex = s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
        hex = hex.replace(" ", "").toUpperCase(java.util.Locale.ROOT);
        if (!hex.isEmpty() && hex.matches("[0-9A-F]+")) {
            if (fingerprint.equals(hex) || (hex.length() >= 8 && fingerprint.endsWith(hex))) {
                return true;
            }
            for (PGPPublicKey key : ring) {
                String fp = Pgp.fingerprint(key);
                if (fp.equals(hex) || (hex.length() >= 8 && Pgp.keyId(key.getKeyID()).endsWith(hex))) {
                    return true;
                }
            }
        }
        return !s.isEmpty() && Pgp.userIds(ring.getPublicKey()).stream().anyMatch(u -> u.toLowerCase(java.util.Locale.ROOT)
                .contains(s.toLowerCase(java.util.Locale.ROOT)));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OpenPgpPublicKey other && other.fingerprint().equals(fingerprint());
    }

    @Override
    public int hashCode() {
        return fingerprint().hashCode();
    }

    /** {@code FINGERPRINT <user id>}, for messages. */
    @Override
    public String toString() {
        List<String> uids = userIds();
        return fingerprint() + (uids.isEmpty() ? "" : " " + uids.get(0));
    }
}
