package com.mintreplica.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.crypto.internal.Pgp;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.PublicKeyEncSessionPacket;
import org.bouncycastle.bcpg.RSAPublicBCPGKey;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Messages to hidden recipients ({@code gpg --throw-keyids}: key id 0), which can only be opened by trying each secret
 * key in turn. The keys and messages are fixed test fixtures (src/test/resources/hidden-recipients, see its README),
 * made once by gpg: a wrong RSA 2048 key whose modulus is smaller than the RSA 4096 ciphertext is tried first, so Bouncy
 * Castle throws its unchecked {@code DataLengthException} for it on every run, never by chance.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class HiddenRecipientTest {
    private static final String DIR = "/hidden-recipients/";
    private static final String RSA4096 = "FD0864B019460DB22C42ECE1A1831E6FCECFEAF9";
    private static final String RSA4096_SUBKEY = "9F89B2140A93E417";
    private static final String RSA2048 = "4ADA61AF69DCD74C08BE75AFE7F23DA8D01893C4";
    private static final String RSA2048_SUBKEY = "4642CAC3C67523B8";
    private static final String CV25519 = "EC2C3C9F8B331984EE37082648B373FAF4F92616";
    private static final String CV25519_SUBKEY = "E4F3F679EF1AC885";

    private final OpenPgpSecretKey rsa4096 = secretKey("rsa4096");
    private final OpenPgpSecretKey rsa2048 = secretKey("rsa2048");
    private final OpenPgpSecretKey cv25519 = secretKey("cv25519");
    private final byte[] plain = resource("plain.txt");
    private final byte[] toRsa4096 = resource("to-rsa4096-hidden.gpg");
    private final byte[] toCv25519 = resource("to-cv25519-hidden.gpg");

    @Test
    void the_fixture_really_tries_a_wrong_rsa_key_whose_modulus_is_smaller_than_the_ciphertext_first() throws IOException {
        assertThat(Pgp.recipients(toRsa4096)).containsExactly(0L);
        assertThat(Pgp.recipients(toCv25519)).containsExactly(0L);
        BigInteger ciphertext = rsaCiphertext(toRsa4096);
        Map<Long, PGPPrivateKey> order = inOrder(rsa2048, cv25519, rsa4096);
        PGPPrivateKey first = order.values().iterator().next();
        assertThat(Pgp.keyId(first.getKeyID())).as("the first key tried is a wrong RSA key")
                .isIn(RSA2048.substring(24), RSA2048_SUBKEY);
        BigInteger modulus = ((RSAPublicBCPGKey) first.getPublicKeyPacket().getKey()).getModulus();
        assertThat(ciphertext).as("the RSA ciphertext is larger than the first key's modulus").isGreaterThan(modulus);
        assertThat(modulus.bitLength()).isEqualTo(2048);
        assertThat(ciphertext.bitLength()).isGreaterThan(4000);
    }

    @Test
    void a_wrong_rsa_key_whose_modulus_is_smaller_than_the_ciphertext_is_skipped_and_the_recipient_decrypts() throws IOException {
        assertThat(Pgp.decrypt(toRsa4096, inOrder(rsa2048, cv25519, rsa4096))).isEqualTo(plain);
        // the recipient's own sign-only RSA 4096 primary key is a wrong key too, tried before its subkey
        assertThat(Pgp.decrypt(toRsa4096, inOrder(rsa4096))).isEqualTo(plain);
    }

    @Test
    void the_transformer_tries_the_secret_keys_in_the_order_given_and_skips_every_wrong_one() throws IOException {
        OpenPgpTransformer t = OpenPgpTransformer.builder().decryptWith(rsa2048).decryptWith(cv25519)
                .decryptWith(rsa4096).build();
        assertThat(t.decode(toRsa4096, -1)).isEqualTo(plain);
        assertThat(t.decode(toCv25519, -1)).isEqualTo(plain);
    }

    @Test
    void rsa_keys_tried_against_a_curve25519_recipient_are_skipped() throws IOException {
        assertThat(Pgp.decrypt(toCv25519, inOrder(rsa4096, rsa2048, cv25519))).isEqualTo(plain);
    }

    @Test
    void when_no_key_fits_a_hidden_recipient_the_error_is_access_denied_and_says_the_message_hides_its_recipients() {
        OpenPgpTransformer t = OpenPgpTransformer.builder().decryptWith(rsa2048).decryptWith(cv25519).build();
        assertThatThrownBy(() -> t.decode(toRsa4096, -1))
                .isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("hides its recipients")
                .hasMessageContaining("--throw-keyids")
                .hasMessageContaining("none of the secret keys given")
                .hasMessageContaining(RSA2048).hasMessageContaining(RSA2048_SUBKEY)
                .hasMessageContaining(CV25519).hasMessageContaining(CV25519_SUBKEY)
                .hasMessageNotContaining(passphrase("rsa2048").reveal())
                .hasMessageNotContaining(passphrase("cv25519").reveal())
                .hasMessageNotContaining("malformed")
                .cause().isInstanceOfSatisfying(Pgp.NotARecipientException.class, e -> assertThat(e.tried())
                        .as("every key is tried, in the order given, the RSA 2048 primary and subkey first")
                        .extracting(Pgp::keyId)
                        .containsExactly(RSA2048.substring(24), RSA2048_SUBKEY, CV25519_SUBKEY));
        OpenPgpTransformer rsaOnly = OpenPgpTransformer.builder().decryptWith(rsa4096).decryptWith(rsa2048).build();
        assertThatThrownBy(() -> rsaOnly.decode(toCv25519, -1))
                .isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("hides its recipients")
                .hasMessageContaining(RSA4096).hasMessageContaining(RSA4096_SUBKEY);
    }

    @Test
    void a_message_to_a_named_recipient_that_no_key_opens_is_access_denied_naming_the_recipient() throws IOException {
        byte[] message = OpenPgpTransformer.builder().encryptTo(publicKey("rsa4096")).build().encode(plain);
        OpenPgpTransformer wrong = OpenPgpTransformer.builder().decryptWith(rsa2048).decryptWith(cv25519).build();
        assertThatThrownBy(() -> wrong.decode(message, -1))
                .isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("encrypted to the key ids [" + RSA4096_SUBKEY + "]")
                .hasMessageContaining(RSA2048).hasMessageContaining(CV25519)
                .hasMessageNotContaining("hides its recipients");
        assertThat(OpenPgpTransformer.builder().decryptWith(rsa2048).decryptWith(rsa4096).build().decode(message, -1))
                .isEqualTo(plain);
    }

    @Test
    void a_damaged_message_stays_an_io_error_for_a_corrupt_object_not_a_wrong_key() {
        byte[] truncated = java.util.Arrays.copyOf(toRsa4096, 40);
        OpenPgpTransformer t = OpenPgpTransformer.builder().decryptWith(rsa4096).build();
        assertThatThrownBy(() -> t.decode(truncated, -1)).isInstanceOf(IOException.class);
        byte[] notPgp = "not an OpenPGP message at all".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> t.decode(notPgp, -1)).isInstanceOf(IOException.class);
    }

    @Test
    void what_gpg_encrypts_with_throw_keyids_to_the_committed_public_key_decrypts_with_wrong_keys_tried_first() throws IOException {
        try (GnuPG gpg = GnuPG.start()) {
            Path key = gpg.home.resolve("rsa4096.public.asc");
            Files.write(key, resource("rsa4096.public.asc"));
            gpg.run(null, "--import", key.toString()).check("gpg --import");
            Path in = gpg.home.resolve("plain.txt");
            Files.write(in, plain);
            for (List<String> options : List.of(List.of("--throw-keyids"), List.of("--throw-keyids", "--armor"))) {
                List<String> args = new java.util.ArrayList<>(options);
                args.addAll(List.of("--recipient", RSA4096, "--output", "-", "--encrypt", in.toString()));
                byte[] message = gpg.run(null, args.toArray(String[]::new)).check("gpg --encrypt").stdout();
                OpenPgpTransformer t = OpenPgpTransformer.builder().decryptWith(rsa2048).decryptWith(cv25519)
                        .decryptWith(rsa4096).build();
                try (InputStream decoded = t.decoder(new ByteArrayInputStream(message))) {
                    assertThat(decoded.readAllBytes()).as("%s", options).isEqualTo(plain);
                }
            }
        }
    }

    // ---- fixtures

    /** The keys' private (sub)keys in this exact order: each key's as the file lists them (primary first). */
    private static Map<Long, PGPPrivateKey> inOrder(OpenPgpSecretKey... keys) {
        Map<Long, PGPPrivateKey> out = new LinkedHashMap<>();
        for (OpenPgpSecretKey key : keys) {
            List<Long> ids = new java.util.ArrayList<>();
            key.publicRing().getPublicKeys().forEachRemaining(k -> ids.add(k.getKeyID()));
            for (long id : ids) {
                if (key.privateKeys().containsKey(id)) {
                    out.put(id, key.privateKeys().get(id));
                }
            }
        }
        return out;
    }

    /** The encrypted session key (the RSA ciphertext) of a message's first public-key packet. */
    private static BigInteger rsaCiphertext(byte[] message) throws IOException {
        PublicKeyEncSessionPacket packet = (PublicKeyEncSessionPacket) new BCPGInputStream(new ByteArrayInputStream(message))
                .readPacket();
        assertThat(packet.getAlgorithm()).isEqualTo(org.bouncycastle.bcpg.PublicKeyAlgorithmTags.RSA_GENERAL);
        byte[] mpi = packet.getEncSessionKey()[0]; // a 2-byte bit count, then the number
        return new BigInteger(1, java.util.Arrays.copyOfRange(mpi, 2, mpi.length));
    }

    private static OpenPgpSecretKey secretKey(String name) {
        try (InputStream in = new ByteArrayInputStream(resource(name + ".secret.asc"))) {
            List<OpenPgpSecretKey> keys = OpenPgpKeys.secretKeys(in, name + ".secret.asc",
                    PassphraseCallback.of(passphrase(name)));
            assertThat(keys).hasSize(1);
            return keys.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static OpenPgpPublicKey publicKey(String name) {
        return OpenPgpKeys.publicKeys(new ByteArrayInputStream(resource(name + ".public.asc")), name).get(0);
    }

    private static Secret passphrase(String name) {
        return Secret.of(new String(resource(name + ".pass"), StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
    }

    private static byte[] resource(String name) {
        try (InputStream in = HiddenRecipientTest.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + DIR + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
