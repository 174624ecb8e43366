package com.mintreplica.backup.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The encryption formats as docs/format.md specifies them ("Encryption"), implemented again here with the JDK alone:
 * objects sealed by this independent implementation open with {@link AesGcmTransformer}, and the other way round; the
 * data key id, the HKDF derivation and the single-layout repository key are pinned to test vectors (computed
 * independently, e.g. with Python's hmac module, as the document says).
 */
class SealingFormatTest {
    static final HexFormat HEX = HexFormat.of();
    static final byte[] ZERO_KEY = new byte[32];
    static final Instant CREATED = Instant.parse("2026-01-01T00:00:00.5Z");

    static byte[] hmac(byte[] key, byte[] data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data);
    }

    /** HKDF-SHA256 (RFC 5869) with one output block, as the document states it. */
    static byte[] hkdf(byte[] ikm, byte[] salt, String info) throws Exception {
        byte[] prk = hmac(salt.length == 0 ? new byte[32] : salt, ikm);
        byte[] t = Arrays.copyOf(info.getBytes(StandardCharsets.US_ASCII), info.length() + 1);
        t[info.length()] = 1;
        return hmac(prk, t);
    }

    static byte[] nonce(int segment, boolean last) {
        return ByteBuffer.allocate(12).position(7).putInt(segment).put((byte) (last ? 1 : 0)).array();
    }

    /** MBE1 sealing from the document: header, then max(1, ceil(n / 16384)) segments, the last flagged. */
    static byte[] seal(byte[] dataKey, byte[] salt, byte[] plain) throws Exception {
        byte[] id = Arrays.copyOf(hmac(dataKey, "mint-backup data key id".getBytes(StandardCharsets.US_ASCII)), 8);
        byte[] header = ByteBuffer.allocate(28).put("MBE1".getBytes(StandardCharsets.US_ASCII)).put(id).put(salt).array();
        SecretKeySpec key = new SecretKeySpec(hkdf(dataKey, salt, "mint-backup aes-256-gcm object key"), "AES");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        int segments = Math.max(1, (plain.length + 16383) / 16384);
        for (int i = 0; i < segments; i++) {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce(i, i == segments - 1)));
            c.updateAAD(header);
            int from = i * 16384;
            out.write(c.doFinal(plain, from, Math.min(16384, plain.length - from)));
        }
        return out.toByteArray();
    }

    /** MBE1 opening from the document. */
    static byte[] open(byte[] dataKey, byte[] sealed) throws Exception {
        byte[] header = Arrays.copyOf(sealed, 28);
        assertThat(new String(header, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("MBE1");
        assertThat(Arrays.copyOfRange(header, 4, 12))
                .isEqualTo(Arrays.copyOf(hmac(dataKey, "mint-backup data key id".getBytes(StandardCharsets.US_ASCII)), 8));
        SecretKeySpec key = new SecretKeySpec(hkdf(dataKey, Arrays.copyOfRange(header, 12, 28),
                "mint-backup aes-256-gcm object key"), "AES");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int segment = 0;
        for (int at = 28; at < sealed.length || segment == 0; segment++) {
            int n = Math.min(16384 + 16, sealed.length - at);
            boolean last = at + n == sealed.length;
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce(segment, last)));
            c.updateAAD(header);
            out.write(c.doFinal(sealed, at, n));
            at += n;
        }
        return out.toByteArray();
    }

    @Test
    void the_data_key_id_and_the_object_key_derivation_match_the_documented_vectors() {
        DataKey key = DataKey.of(ZERO_KEY, CREATED);
        assertThat(key.idHex()).isEqualTo("DAD887F5D51FE28F");
        assertThat(HEX.formatHex(key.derive(new byte[16], "mint-backup aes-256-gcm object key", 32)))
                .isEqualTo("02d1853b90e830c14424dbd0618a163b4f25c71bb123c60bb635d233feb962a1");
    }

    @Test
    void objects_sealed_as_documented_open_with_the_transformer_and_the_other_way_round() throws Exception {
        Random random = new Random(1);
        byte[] dataKey = new byte[32];
        random.nextBytes(dataKey);
        AesGcmTransformer transformer = new AesGcmTransformer(List.of(DataKey.of(dataKey, CREATED)), new SecureRandom());
        for (int size : new int[] {0, 1, 16383, 16384, 16385, 32768, 40000}) {
            byte[] plain = new byte[size];
            random.nextBytes(plain);
            byte[] salt = new byte[16];
            random.nextBytes(salt);

            byte[] ours = seal(dataKey, salt, plain);
            assertThat(ours).as("size %d", size).hasSize(28 + size + 16 * Math.max(1, (size + 16383) / 16384));
            assertThat(transformer.decode(ours, -1)).as("size %d", size).isEqualTo(plain);
            try (InputStream in = transformer.decoder(new ByteArrayInputStream(ours))) {
                assertThat(in.readAllBytes()).as("streamed, size %d", size).isEqualTo(plain);
            }

            assertThat(open(dataKey, transformer.encode(plain))).as("size %d", size).isEqualTo(plain);
            ByteArrayOutputStream streamed = new ByteArrayOutputStream();
            try (OutputStream out = transformer.encoder(streamed)) {
                out.write(plain);
            }
            assertThat(open(dataKey, streamed.toByteArray())).as("streamed, size %d", size).isEqualTo(plain);
        }
    }

    /**
     * The single-object layout's repository key: a v4 ECDH Curve25519 public key packet whose secret is HKDF of the
     * data key (no salt, info "mint-backup openpgp cv25519 key"), KDF SHA-256 / AES-128, created at the data key's
     * creation time in whole seconds. Pinned here, packet and fingerprint, for the all-zero data key.
     */
    @Test
    void the_repository_openpgp_key_is_derived_as_documented() throws Exception {
        var pair = RepositoryPgpKey.derive(DataKey.of(ZERO_KEY, CREATED));
        assertThat(HEX.formatHex(pair.getPublicKey().getEncoded())).isEqualTo("9838046955b900120a2b0601040197550105010107"
                + "400c9219a983cb59514ed2a546669936dd5ec4c749ff4e98d0db9231737435e14103010807");
        assertThat(Pgp.fingerprint(pair.getPublicKey())).isEqualTo("8858B0DFD9161612F6F4CEF84B569CE8F5199201");
        byte[] secret = hkdf(ZERO_KEY, new byte[0], "mint-backup openpgp cv25519 key");
        byte[] publicPoint = new org.bouncycastle.crypto.params.X25519PrivateKeyParameters(secret, 0).generatePublicKey().getEncoded();
        assertThat(HEX.formatHex(pair.getPublicKey().getEncoded())).contains("40" + HEX.formatHex(publicPoint));
    }
}
