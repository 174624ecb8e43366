package com.mintreplica.backup.crypto.internal;

import java.util.Date;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

/**
 * The repository's own OpenPGP key in the single-object layout: a cv25519 (ECDH) key derived from a data key. Every
 * single-layout object is encrypted to the recipients and to this key, so the library opens old objects with the
 * repository's keys after a recipient is added, without rewriting them; GnuPG users open them with their own key.
 */
public final class RepositoryPgpKey {
    private RepositoryPgpKey() {
    }

    public static PGPKeyPair derive(DataKey dataKey) {
        byte[] secret = dataKey.derive(new byte[0], "mint-backup openpgp cv25519 key", 32);
        // Clamped as X25519 uses it (RFC 7748): the same scalar, so the same public key and fingerprint as before,
        // but OpenPGP stores the secret as a big-endian number of the reversed bytes, and an unclamped secret whose
        // last byte was 0 came back one byte short: Bouncy Castle then could not rebuild the key to decrypt (about one
        // data key in 700 made a repository key that opened nothing; RepositoryPgpKeyTest).
        secret[0] &= (byte) 248;
        secret[31] &= 127;
        secret[31] |= 64;
        X25519PrivateKeyParameters privateKey = new X25519PrivateKeyParameters(secret, 0);
        AsymmetricCipherKeyPair pair = new AsymmetricCipherKeyPair(privateKey.generatePublicKey(), privateKey);
        try {
            // the creation time is part of the fingerprint: derive it from the data key's, to the second
            return new BcPGPKeyPair(PublicKeyAlgorithmTags.ECDH, pair, new Date(dataKey.created().getEpochSecond() * 1000));
        } catch (PGPException e) {
            throw new IllegalStateException("cannot make the repository's OpenPGP key: " + e.getMessage(), e);
        }
    }
}
