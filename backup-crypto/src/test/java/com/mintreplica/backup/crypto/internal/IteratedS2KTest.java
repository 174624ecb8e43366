package com.mintreplica.backup.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.S2K;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.operator.PBESecretKeyDecryptor;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.junit.jupiter.api.Test;

/** The iterated and salted S2K gives Bouncy Castle's key, byte for byte, for every digest, key length and count. */
class IteratedS2KTest {
    private static final int[] DIGESTS = {HashAlgorithmTags.SHA1, HashAlgorithmTags.SHA224, HashAlgorithmTags.SHA256,
            HashAlgorithmTags.SHA384, HashAlgorithmTags.SHA512};
    /** 16, 24 and 32 bytes: a 32-byte key from SHA-1 or SHA-224 takes a second, zero-preloaded, digest context. */
    private static final int[] KEYS = {SymmetricKeyAlgorithmTags.AES_128, SymmetricKeyAlgorithmTags.AES_192,
            SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.CAST5, SymmetricKeyAlgorithmTags.TWOFISH};

    @Test
    void gives_bouncy_castles_key_for_every_digest_key_length_and_count() throws Exception {
        Random random = new Random(7);
        // encoded counts: 1,024 bytes (the least), odd sizes, and 1 MiB and more (several full buffers and a tail)
        int[] counts = {0, 1, 17, 96, 113, 127, 161};
        for (String passphrase : new String[] {"correct horse", "pässwörd ✓ 🔑", "x"}) {
            for (int digest : DIGESTS) {
                for (int key : KEYS) {
                    for (int count : counts) {
                        byte[] salt = new byte[8];
                        random.nextBytes(salt);
                        S2K s2k = new S2K(digest, salt, count);
                        assertSameKey(passphrase, key, s2k);
                    }
                }
            }
        }
    }

    @Test
    void gpgs_calibrated_count_gives_the_same_key() throws Exception {
        // 65,011,712 bytes, as gpg protects its keys here: many full buffers, a period (8 + 13 bytes) that does not
        // divide the buffer, and a tail
        assertSameKey("correct horse", SymmetricKeyAlgorithmTags.AES_128, new S2K(HashAlgorithmTags.SHA1,
                new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 255));
    }

    @Test
    void a_passphrase_longer_than_the_count_is_hashed_whole_once() throws Exception {
        // the least count is 1,024 bytes: a 2,000-byte passphrase is hashed once, whole, not cut at the count
        char[] longOne = new char[2000];
        Arrays.fill(longOne, 'p');
        assertSameKey(new String(longOne), SymmetricKeyAlgorithmTags.AES_256,
                new S2K(HashAlgorithmTags.SHA256, new byte[] {9, 8, 7, 6, 5, 4, 3, 2}, 0));
        assertSameKey(new String(longOne), SymmetricKeyAlgorithmTags.AES_256,
                new S2K(HashAlgorithmTags.SHA1, new byte[] {9, 8, 7, 6, 5, 4, 3, 2}, 0));
    }

    @Test
    void other_s2ks_and_digests_are_left_to_bouncy_castle() throws Exception {
        char[] pass = "pass".toCharArray();
        assertThat(IteratedS2K.key(SymmetricKeyAlgorithmTags.AES_128,
                new S2K(HashAlgorithmTags.SHA256, new byte[8]) /* salted, not iterated */, pass)).isNull();
        assertThat(IteratedS2K.key(SymmetricKeyAlgorithmTags.AES_128,
                new S2K(HashAlgorithmTags.RIPEMD160, new byte[8], 96), pass)).isNull();
        assertThat(IteratedS2K.key(SymmetricKeyAlgorithmTags.AES_128, null, pass)).isNull();
        // and the decryptor still makes those keys, Bouncy Castle's way
        S2K salted = new S2K(HashAlgorithmTags.SHA256, new byte[] {1, 1, 2, 3, 5, 8, 13, 21});
        assertThat(faster("pass").makeKeyFromPassPhrase(SymmetricKeyAlgorithmTags.AES_256, salted))
                .isEqualTo(bouncyCastle("pass").makeKeyFromPassPhrase(SymmetricKeyAlgorithmTags.AES_256, salted));
    }

    private static void assertSameKey(String passphrase, int keyAlgorithm, S2K s2k) throws Exception {
        byte[] expected = bouncyCastle(passphrase).makeKeyFromPassPhrase(keyAlgorithm, s2k);
        byte[] direct = IteratedS2K.key(keyAlgorithm, s2k, passphrase.toCharArray());
        assertThat(direct).as("digest %d, key algorithm %d, count %d, passphrase %s", s2k.getHashAlgorithm(),
                keyAlgorithm, s2k.getIterationCount(), passphrase).isEqualTo(expected);
        assertThat(faster(passphrase).makeKeyFromPassPhrase(keyAlgorithm, s2k)).isEqualTo(expected);
    }

    private static PBESecretKeyDecryptor bouncyCastle(String passphrase) {
        return new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(passphrase.toCharArray());
    }

    private static PBESecretKeyDecryptor faster(String passphrase) {
        char[] chars = passphrase.toCharArray();
        return IteratedS2K.faster(bouncyCastle(passphrase), chars, new BcPGPDigestCalculatorProvider());
    }
}
