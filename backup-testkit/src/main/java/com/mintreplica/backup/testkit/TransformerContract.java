package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Transformer} must have: it reverses exactly, in streams, in buffers and in ranges of
 * buffers, and a repository that recorded its name and parameters can rebuild it. An implementation's test extends this class:
 *
 * <pre>{@code
 * class ZstdTransformerTest extends TransformerContract {
 *     protected Transformer newTransformer() { return Transformers.zstd(); }
 * }
 * }</pre>
 */
public abstract class TransformerContract {

    /** The transformer under test. */
    protected abstract Transformer newTransformer() throws Exception;

    /**
     * Whether any change to encoded data is detected on decoding (a checksum, an authentication tag). True for the
     * built-in ones and required of encryption; a transformer without it must say so.
     */
    protected boolean detectsCorruption() {
        return true;
    }

    /** Rebuilds the transformer from its recorded name and parameters; override when rebuilding needs keys. */
    protected Transformer rebuild(Transformer original) throws Exception {
        return Transformers.create(original.name(), original.parameters());
    }

    protected static byte[] random(int n, long seed) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    protected static byte[] text(int n) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < n) {
            sb.append("2026-11-24,acct-").append(i % 97).append(",EUR,").append(i * 7 % 1000).append(".25,groceries\n");
            i++;
        }
        return sb.substring(0, n).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] encodeStream(Transformer t, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream encoder = t.encoder(out)) {
            // write in odd-sized pieces, as real sources do
            int pos = 0;
            int step = 1;
            while (pos < data.length) {
                int n = Math.min(step, data.length - pos);
                encoder.write(data, pos, n);
                pos += n;
                step = step * 3 + 1;
            }
        }
        return out.toByteArray();
    }

    private byte[] decodeStream(Transformer t, byte[] encoded) throws IOException {
        try (InputStream in = t.decoder(new ByteArrayInputStream(encoded))) {
            return in.readAllBytes();
        }
    }

    @Test
    void empty_input_round_trips() throws Exception {
        Transformer t = newTransformer();
        assertThat(decodeStream(t, encodeStream(t, new byte[0]))).isEmpty();
        assertThat(t.decode(t.encode(new byte[0]), 0)).isEmpty();
    }

    @Test
    void random_data_round_trips_through_streams() throws Exception {
        Transformer t = newTransformer();
        byte[] data = random(3 * 1024 * 1024 + 5, 11);
        assertThat(decodeStream(t, encodeStream(t, data))).isEqualTo(data);
    }

    @Test
    void text_round_trips_through_buffers() throws Exception {
        Transformer t = newTransformer();
        byte[] data = text(2 * 1024 * 1024);
        assertThat(t.decode(t.encode(data), data.length)).isEqualTo(data);
        assertThat(t.decode(t.encode(data), -1)).isEqualTo(data);
    }

    @Test
    void a_range_of_a_larger_buffer_encodes_as_that_range_alone() throws Exception {
        Transformer t = newTransformer();
        byte[] data = text(300_000);
        byte[] around = random(data.length + 20, 5);
        System.arraycopy(data, 0, around, 7, data.length);
        byte[] before = around.clone();
        byte[] encoded = t.encode(around, 7, data.length);
        assertThat(around).as("the input buffer is only read").isEqualTo(before);
        assertThat(t.decode(encoded, data.length)).isEqualTo(data);
        assertThat(decodeStream(t, encoded)).isEqualTo(data);
        assertThat(t.decode(t.encode(around, around.length, 0), 0)).isEmpty();
        assertThatThrownBy(() -> t.encode(around, 21, data.length)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.encode(around, -1, 10)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void buffers_and_streams_read_each_other() throws Exception {
        Transformer t = newTransformer();
        byte[] data = text(300_000);
        assertThat(decodeStream(t, t.encode(data))).isEqualTo(data);
        assertThat(t.decode(encodeStream(t, data), data.length)).isEqualTo(data);
    }

    @Test
    void decodes_a_slice_into_a_given_buffer() throws Exception {
        Transformer t = newTransformer();
        byte[] data = text(700_000);
        byte[] encoded = t.encode(data);
        // the encoded form inside a larger array, decoded into the middle of a larger one that holds other bytes
        byte[] framed = new byte[encoded.length + 20];
        java.util.Arrays.fill(framed, (byte) 0x5a);
        System.arraycopy(encoded, 0, framed, 7, encoded.length);
        int known = t.decodedLength(framed, 7, encoded.length);
        assertThat(known).as("decodedLength: exact, or -1 when unknown").isIn(-1, t.decode(encoded, -1).length);
        for (int decodedLength : new int[] {data.length, -1}) {
            byte[] out = new byte[data.length + 9];
            java.util.Arrays.fill(out, (byte) 0x33);
            assertThat(t.decode(framed, 7, encoded.length, out, 4, decodedLength)).isEqualTo(data.length);
            assertThat(java.util.Arrays.copyOfRange(out, 4, 4 + data.length)).isEqualTo(data);
            assertThat(java.util.Arrays.copyOfRange(out, 0, 4)).containsOnly((byte) 0x33);
            assertThat(java.util.Arrays.copyOfRange(out, 4 + data.length, out.length)).containsOnly((byte) 0x33);
        }
        // a buffer too small for the decoded data is an error, not an overflow
        byte[] small = new byte[data.length - 1];
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> t.decode(framed, 7, encoded.length, small, 0, -1)).isInstanceOf(IOException.class);
    }

    @Test
    void a_rebuilt_transformer_decodes_what_the_original_encoded() throws Exception {
        Transformer original = newTransformer();
        Transformer rebuilt = rebuild(original);
        assertThat(rebuilt.name()).isEqualTo(original.name());
        assertThat(rebuilt.parameters()).isEqualTo(original.parameters());
        byte[] data = text(100_000);
        assertThat(decodeStream(rebuilt, encodeStream(original, data))).isEqualTo(data);
    }

    @Test
    void a_changed_byte_is_detected() throws Exception {
        assumeTrue(detectsCorruption(), "this transformer does not detect corruption");
        Transformer t = newTransformer();
        byte[] data = text(200_000);
        byte[] encoded = encodeStream(t, data);
        for (int position : new int[] {encoded.length / 2, encoded.length - 2}) {
            byte[] damaged = encoded.clone();
            damaged[position] ^= 0x40;
            byte[] out;
            try {
                out = decodeStream(t, damaged);
            } catch (Exception detected) {
                continue;
            }
            // Decoding without an error is only acceptable when the content is unchanged (a bit of padding).
            assertThat(out).as("a damaged byte at %d decoded to other content without an error", position).isEqualTo(data);
        }
    }

    @Test
    void closing_the_encoder_closes_the_target_and_closing_the_decoder_closes_the_source() throws Exception {
        Transformer t = newTransformer();
        AtomicBoolean outClosed = new AtomicBoolean();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream encoder = t.encoder(new FilterOutputStream(bytes) {
            @Override
            public void close() throws IOException {
                outClosed.set(true);
                super.close();
            }
        })) {
            encoder.write(text(1000));
        }
        assertThat(outClosed).isTrue();
        AtomicBoolean inClosed = new AtomicBoolean();
        try (InputStream decoder = t.decoder(new FilterInputStream(new ByteArrayInputStream(bytes.toByteArray())) {
            @Override
            public void close() throws IOException {
                inClosed.set(true);
                super.close();
            }
        })) {
            decoder.readAllBytes();
        }
        assertThat(inClosed).isTrue();
    }

    @Test
    void names_and_parameters_are_stable() throws Exception {
        Transformer t = newTransformer();
        assertThat(t.name()).matches("[a-z0-9-]+");
        assertThat(t.parameters()).isEqualTo(newTransformer().parameters());
        assertThat(t.fileSuffix()).startsWith(".");
    }
}
