package com.mintreplica.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.transform.Transformer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Searches among several keys, where one key cannot be encrypted to (its only encryption subkey expired on
 * 2024-01-02: the committed fixture in src/test/resources/expired-subkey, so the outcome never depends on the date):
 * that key must not end a search for another one.
 */
class UnusableCandidateKeysTest {
    private static final String EXPIRED = "908481D3741ADB075FD9C11525D805E289746122";
    private static final String EXPIRED_SUBKEY = "8B31444BACFEF97E";
    private static final String RSA4096 = "FD0864B019460DB22C42ECE1A1831E6FCECFEAF9";

    @TempDir
    Path temp;

    @Test
    void a_key_chosen_from_a_keyring_is_found_although_another_key_in_it_has_expired() throws IOException {
        Path keyring = temp.resolve("ops-keyring.asc");
        Files.write(keyring, concat(resource("/expired-subkey/expired.public.asc"),
                resource("/hidden-recipients/rsa4096.public.asc")));

        OpenPgpPublicKey found = OpenPgpKeys.publicKey(keyring, "rsa4096@fixtures.mint.example");
        assertThat(found.fingerprint()).isEqualTo(RSA4096);
        assertThat(OpenPgpKeys.publicKey(keyring, RSA4096).fingerprint()).isEqualTo(RSA4096);

        // choosing the expired key itself still says why it cannot be used, and no key matching stays not found
        assertThatThrownBy(() -> OpenPgpKeys.publicKey(keyring, "expired@fixtures.mint.example"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(EXPIRED)
                .hasMessageContaining("no valid encryption key");
        assertThatThrownBy(() -> OpenPgpKeys.publicKey(keyring, "nobody@fixtures.mint.example"))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> OpenPgpKeys.publicKey(keyring, "fixtures.mint.example"))
                .as("a selector matching both keys").isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("several keys");
    }

    @Test
    void a_provider_given_a_secret_key_that_can_no_longer_be_encrypted_to_still_rebuilds_and_decrypts() throws IOException {
        OpenPgpSecretKey expired = secretKey("/expired-subkey/expired", "expired");
        OpenPgpSecretKey rsa4096 = secretKey("/hidden-recipients/rsa4096", "rsa4096");
        OpenPgpPublicKey rsa4096Public = OpenPgpPublicKey.of(rsa4096.publicRing());
        byte[] plain = "old payroll, encrypted before the subkey expired".getBytes(StandardCharsets.UTF_8);

        // a message encrypted to the expired subkey itself (as it was while the subkey was valid)
        byte[] toExpired = OpenPgpTransformer.builder()
                .encryptTo(expired.publicRing().getPublicKey(Long.parseUnsignedLong(EXPIRED_SUBKEY, 16))).build()
                .encode(plain);
        OpenPgpTransformer recorded = OpenPgpTransformer.builder().encryptTo(rsa4096Public).build();

        Transformer rebuilt = OpenPgpTransformer.provider(List.of(rsa4096Public), List.of(expired, rsa4096))
                .create(recorded.parameters());
        assertThat(rebuilt.decode(toExpired, -1)).isEqualTo(plain);
        assertThat(rebuilt.decode(rebuilt.encode(plain), -1)).isEqualTo(plain);
        assertThat(expired.fingerprint()).isEqualTo(EXPIRED);
    }

    private static OpenPgpSecretKey secretKey(String base, String name) {
        Secret passphrase = Secret.of(new String(resource(base + ".pass"), StandardCharsets.UTF_8).lines().findFirst()
                .orElseThrow());
        return OpenPgpKeys.secretKeys(new ByteArrayInputStream(resource(base + ".secret.asc")), name,
                PassphraseCallback.of(passphrase)).get(0);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] resource(String name) {
        try (InputStream in = UnusableCandidateKeysTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
