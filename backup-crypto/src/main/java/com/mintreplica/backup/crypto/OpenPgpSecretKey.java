package com.mintreplica.backup.crypto;

import com.mintreplica.backup.crypto.internal.Pgp;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * An unlocked OpenPGP secret key: its encryption (sub)keys are decrypted in memory and can open a repository or a
 * message encrypted to it. Made by {@link OpenPgpKeys#secretKey}. Its {@link #toString()} names the key, never
 * secret material. Hold it only as long as needed.
 */
public final class OpenPgpSecretKey {
    private final PGPPublicKeyRing publicRing;
    private final Map<Long, PGPPrivateKey> privateKeys;

    OpenPgpSecretKey(PGPPublicKeyRing publicRing, Map<Long, PGPPrivateKey> privateKeys) {
        this.publicRing = publicRing;
        this.privateKeys = Collections.unmodifiableMap(new LinkedHashMap<>(privateKeys)); // the ring's order
    }

    /** The primary key's fingerprint. */
    public String fingerprint() {
        return Pgp.fingerprint(publicRing.getPublicKey());
    }

    /** The ids of the unlocked decryption keys, 16 hex digits each. */
    public List<String> keyIds() {
        TreeSet<String> ids = new TreeSet<>();
        privateKeys.keySet().forEach(id -> ids.add(Pgp.keyId(id)));
        return List.copyOf(ids);
    }

    public List<String> userIds() {
        return Pgp.userIds(publicRing.getPublicKey());
    }

    /** The unlocked private keys by key id, in the key ring's order (primary key first). */
    Map<Long, PGPPrivateKey> privateKeys() {
        return privateKeys;
    }

    /** The public part. */
    PGPPublicKeyRing publicRing() {
        return publicRing;
    }

    @Override
    public String toString() {
        List<String> uids = userIds();
        return "secret key " + fingerprint() + (uids.isEmpty() ? "" : " " + uids.get(0)) + " (subkeys " + keyIds() + ")";
    }
}
