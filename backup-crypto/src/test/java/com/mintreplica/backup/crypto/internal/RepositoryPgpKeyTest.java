package com.mintreplica.backup.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.crypto.OpenPgpMessageFormat;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.junit.jupiter.api.Test;

/**
 * The repository's derived OpenPGP key opens what is encrypted to it, for every data key. Readers open repository
 * objects with it alone (never with a recipient's key: a planted message), so a data key whose derived key could not
 * decrypt would make a whole repository's objects look damaged.
 */
class RepositoryPgpKeyTest {

    @Test
    void the_derived_key_opens_what_is_encrypted_to_it_for_every_data_key() throws Exception {
        Random seeds = new Random(7);
        SecureRandom random = new SecureRandom();
        List<Integer> failed = new ArrayList<>();
        byte[] plain = "a repository object".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 5000; i++) {
            byte[] key = new byte[32];
            seeds.nextBytes(key);
            PGPKeyPair pair = RepositoryPgpKey.derive(DataKey.of(key, Instant.parse("2026-12-05T00:00:00Z")));
            ByteArrayOutputStream message = new ByteArrayOutputStream();
            try (OutputStream out = Pgp.encryptor(message, List.of(pair.getPublicKey()), OpenPgpMessageFormat.SEIPD_V1, random)) {
                out.write(plain);
            }
            try {
                byte[] back = Pgp.decrypt(message.toByteArray(), Map.of(pair.getKeyID(), pair.getPrivateKey()));
                if (!java.util.Arrays.equals(back, plain)) {
                    failed.add(i);
                }
            } catch (java.io.IOException e) {
                failed.add(i);
            }
        }
        assertThat(failed).as("data keys whose derived key does not open a message to it").isEmpty();
    }

    /** Objects already stored are encrypted to the key as it was derived before its secret was clamped: the same key. */
    @Test
    void the_public_key_is_the_one_earlier_versions_derived() throws Exception {
        Random seeds = new Random(11);
        for (int i = 0; i < 200; i++) {
            byte[] key = new byte[32];
            seeds.nextBytes(key);
            DataKey dataKey = DataKey.of(key, Instant.parse("2026-11-28T10:00:00Z"));
            byte[] raw = dataKey.derive(new byte[0], "mint-backup openpgp cv25519 key", 32); // unclamped, as before
            org.bouncycastle.crypto.params.X25519PrivateKeyParameters before =
                    new org.bouncycastle.crypto.params.X25519PrivateKeyParameters(raw, 0);
            PGPKeyPair earlier = new org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair(
                    org.bouncycastle.bcpg.PublicKeyAlgorithmTags.ECDH,
                    new org.bouncycastle.crypto.AsymmetricCipherKeyPair(before.generatePublicKey(), before),
                    new java.util.Date(dataKey.created().getEpochSecond() * 1000));
            PGPKeyPair now = RepositoryPgpKey.derive(dataKey);
            assertThat(now.getKeyID()).isEqualTo(earlier.getKeyID());
            assertThat(now.getPublicKey().getEncoded()).isEqualTo(earlier.getPublicKey().getEncoded());
        }
    }
}
