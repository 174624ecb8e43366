package com.mintreplica.backup.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.testkit.TransformerContract;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chunked layout's AES-256-GCM sealing passes the Transformer kit, and its segment framing holds. */
class AesGcmTransformerTest extends TransformerContract {
    private static final DataKey OLD = DataKey.of(new byte[32], Instant.parse("2026-01-01T00:00:00Z"));
    private static final DataKey NEW = DataKey.generate(new SecureRandom(), Instant.parse("2026-06-01T00:00:00Z"));

    @Override
    protected Transformer newTransformer() {
        return new AesGcmTransformer(List.of(OLD, NEW), new SecureRandom());
    }

    /** Parameters never hold keys: rebuilding takes the same unlocked data keys. */
    @Override
    protected Transformer rebuild(Transformer original) {
        return new AesGcmTransformer(List.of(OLD, NEW), new SecureRandom());
    }

    @Test
    void objects_are_written_with_the_newest_data_key_and_old_ones_stay_readable() throws IOException {
        byte[] data = text(10_000);
        byte[] old = new AesGcmTransformer(List.of(OLD), new SecureRandom()).encode(data);
        AesGcmTransformer both = new AesGcmTransformer(List.of(OLD, NEW), new SecureRandom());
        assertThat(both.decode(old, data.length)).isEqualTo(data);
        byte[] fresh = both.encode(data);
        assertThat(Arrays.copyOfRange(fresh, 4, 12)).isEqualTo(NEW.id());
        assertThatThrownBy(() -> new AesGcmTransformer(List.of(OLD), new SecureRandom()).decode(fresh, data.length))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(NEW.idHex());
    }

    @Test
    void exact_multiples_of_the_segment_size_and_truncation_at_a_segment_boundary() throws IOException {
        Transformer t = newTransformer();
        for (int n : new int[] {AesGcmTransformer.SEGMENT, 2 * AesGcmTransformer.SEGMENT, 2 * AesGcmTransformer.SEGMENT + 1}) {
            byte[] data = random(n, n);
            byte[] encoded = t.encode(data);
            assertThat(t.decode(encoded, n)).isEqualTo(data);
            try (var in = t.decoder(new java.io.ByteArrayInputStream(encoded))) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            // dropping the last segment leaves a stream whose last segment is not marked last
            byte[] truncated = Arrays.copyOf(encoded, AesGcmTransformer.HEADER + AesGcmTransformer.SEGMENT + AesGcmTransformer.TAG);
            if (truncated.length < encoded.length) {
                assertThatThrownBy(() -> t.decode(truncated, -1)).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void the_same_plaintext_encrypts_differently_each_time() throws IOException {
        Transformer t = newTransformer();
        byte[] data = text(1000);
        assertThat(t.encode(data)).isNotEqualTo(t.encode(data));
    }
}
