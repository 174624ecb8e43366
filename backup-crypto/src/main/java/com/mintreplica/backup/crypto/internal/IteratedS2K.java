package com.mintreplica.backup.crypto.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.S2K;
import org.bouncycastle.bcpg.SymmetricKeyUtils;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.operator.PBESecretKeyDecryptor;
import org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider;
import org.bouncycastle.util.Strings;

/**
 * The iterated and salted string-to-key of OpenPGP (RFC 4880, 3.7.1.3), the one gpg protects secret keys with: the
 * hash of the salt and the passphrase repeated until {@code count} bytes (65,011,712 as gpg calibrates it here).
 *
 * <p>Bouncy Castle writes the salt and the passphrase to the digest in turn, a few bytes per call: three million calls
 * for gpg's count, run by the interpreter and C1 on a cold JVM, while nothing else of an encrypted restore's start can
 * run. The repeated input is periodic, so a buffer of whole periods is filled once and handed to the JDK's digest (the
 * CPU's SHA instructions) whole, again and again; the last update is a prefix of it, since every full buffer ends where
 * a period does. Measured in fresh JVMs with the launcher's flags (load 3.6, six runs each): gpg's SHA-1 S2K took
 * 91-199 ms (median 121) instead of 121-278 (median 144); the SHA-1 of 65 MB itself, with its warm-up, is the rest.
 * Same bytes hashed, same key: {@code IteratedS2KTest} checks it against Bouncy Castle's own for every digest and key
 * length.
 */
public final class IteratedS2K {
    /** About 1 MiB of whole periods: few, large digest updates. */
    private static final int BUFFER = 1 << 20;

    private IteratedS2K() {
    }

    /**
     * The key for {@code keyAlgorithm} from {@code passphrase} by {@code s2k}, or {@code null} when it is not an
     * iterated and salted S2K over a digest the JDK has (the caller then keeps Bouncy Castle's way).
     */
    public static byte[] key(int keyAlgorithm, S2K s2k, char[] passphrase) throws PGPException {
        if (s2k == null || s2k.getType() != S2K.SALTED_AND_ITERATED) {
            return null;
        }
        String name = jdkName(s2k.getHashAlgorithm());
        if (name == null) {
            return null;
        }
        int keyLength = SymmetricKeyUtils.getKeyLengthInOctets(keyAlgorithm);
        byte[] salt = s2k.getIV();
        byte[] secret = Strings.toUTF8ByteArray(passphrase);
        if (salt.length + secret.length == 0) {
            Arrays.fill(secret, (byte) 0);
            return null; // nothing to iterate (an S2K always has a salt): Bouncy Castle's way decides
        }
        byte[] period = new byte[salt.length + secret.length];
        System.arraycopy(salt, 0, period, 0, salt.length);
        System.arraycopy(secret, 0, period, salt.length, secret.length);
        Arrays.fill(secret, (byte) 0);
        // at least the salt and the passphrase once, whatever the count says
        long count = Math.max(s2k.getIterationCount(), period.length);
        byte[] buffer = periods(period, count);
        Arrays.fill(period, (byte) 0);
        try {
            byte[] key = new byte[keyLength];
            int made = 0;
            for (int context = 0; made < keyLength; context++) {
                MessageDigest digest = MessageDigest.getInstance(name);
                for (int i = 0; i < context; i++) {
                    digest.update((byte) 0); // the n-th context is preloaded with n zero bytes
                }
                long left = count;
                while (left >= buffer.length) {
                    digest.update(buffer);
                    left -= buffer.length;
                }
                digest.update(buffer, 0, (int) left);
                byte[] hash = digest.digest();
                int n = Math.min(hash.length, keyLength - made);
                System.arraycopy(hash, 0, key, made, n);
                Arrays.fill(hash, (byte) 0);
                made += n;
            }
            return key;
        } catch (NoSuchAlgorithmException e) {
            return null;
        } finally {
            Arrays.fill(buffer, (byte) 0);
        }
    }

    /** Whole periods, as many as fit in about {@link #BUFFER} bytes (at least one), but no more than {@code count}. */
    private static byte[] periods(byte[] period, long count) {
        long wanted = Math.min(count, Math.max(BUFFER, period.length));
        int times = (int) Math.max(1, wanted / period.length);
        byte[] buffer = new byte[times * period.length];
        System.arraycopy(period, 0, buffer, 0, period.length);
        for (int filled = period.length; filled < buffer.length; filled *= 2) {
            System.arraycopy(buffer, 0, buffer, filled, Math.min(filled, buffer.length - filled));
        }
        return buffer;
    }

    private static String jdkName(int hashAlgorithm) {
        return switch (hashAlgorithm) {
            case HashAlgorithmTags.SHA1 -> "SHA-1";
            case HashAlgorithmTags.SHA224 -> "SHA-224";
            case HashAlgorithmTags.SHA256 -> "SHA-256";
            case HashAlgorithmTags.SHA384 -> "SHA-384";
            case HashAlgorithmTags.SHA512 -> "SHA-512";
            default -> null;
        };
    }

    /**
     * {@code decryptor} (Bouncy Castle's, for the same passphrase) with its iterated and salted S2K done here; every
     * other S2K and the key data's decryption stay Bouncy Castle's.
     */
    public static PBESecretKeyDecryptor faster(PBESecretKeyDecryptor decryptor, char[] passphrase,
            PGPDigestCalculatorProvider digests) {
        return new PBESecretKeyDecryptor(passphrase, digests) {
            @Override
            public byte[] makeKeyFromPassPhrase(int keyAlgorithm, S2K s2k) throws PGPException {
                byte[] key = key(keyAlgorithm, s2k, passphrase);
                return key != null ? key : decryptor.makeKeyFromPassPhrase(keyAlgorithm, s2k);
            }

            @Override
            public byte[] recoverKeyData(int encAlgorithm, byte[] key, byte[] iv, byte[] keyData, int keyOff, int keyLen)
                    throws PGPException {
                return decryptor.recoverKeyData(encAlgorithm, key, iv, keyData, keyOff, keyLen);
            }

            @Override
            public byte[] recoverKeyData(int encAlgorithm, int aeadAlgorithm, byte[] s2kKey, byte[] iv, int packetTag,
                    int keyVersion, byte[] keyData, byte[] pubkeyData) throws PGPException {
                return decryptor.recoverKeyData(encAlgorithm, aeadAlgorithm, s2kKey, iv, packetTag, keyVersion, keyData,
                        pubkeyData);
            }
        };
    }
}
