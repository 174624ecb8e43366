package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A chain encodes a buffer as its transformers would one after the other, also where zstd hands the next transformer
 * its per-thread buffer instead of a copy (encryption follows zstd in every encrypted repository).
 */
class CodecTest {
    /**
     * A transformer after zstd that records the ranges it is handed (a stand-in for encryption: what matters here is
     * what it receives, and this one is deterministic). Its encoding prefixes the bytes with their length.
     */
    static final class Recording implements Transformer {
        final List<String> calls = new ArrayList<>();

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public Map<String, String> parameters() {
            return Map.of();
        }

        @Override
        public OutputStream encoder(OutputStream out) {
            throw new UnsupportedOperationException();
        }

        @Override
        public InputStream decoder(InputStream in) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] encode(byte[] data) {
            calls.add("whole " + data.length);
            return framed(data, 0, data.length);
        }

        @Override
        public byte[] encode(byte[] data, int offset, int length) {
            calls.add("range " + offset + "+" + length + " of " + data.length);
            return framed(data, offset, length);
        }

        private static byte[] framed(byte[] data, int offset, int length) {
            byte[] out = new byte[length + 4];
            java.nio.ByteBuffer.wrap(out).putInt(length).put(data, offset, length);
            return out;
        }

        @Override
        public byte[] decode(byte[] data, int decodedLength) {
            return java.util.Arrays.copyOfRange(data, 4, data.length);
        }
    }

    @Test
    void zstd_then_another_transformer_encodes_as_the_two_in_turn_without_copying_the_compressed_bytes() throws IOException {
        Transformer zstd = Transformers.zstd();
        Recording next = new Recording();
        Codec codec = new Codec(List.of(zstd), next, null);
        byte[] random = new byte[1 << 20];
        new Random(3).nextBytes(random);
        byte[] text = "2026-11-24;ACCT-7;Mint Replica GmbH;EUR;12.50;salary\n".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        for (byte[] data : List.of(random, text, new byte[0], new byte[] {42})) {
            next.calls.clear();
            byte[] encoded = codec.encode(data);
            byte[] compressed = zstd.encode(data);
            assertThat(encoded).isEqualTo(Recording.framed(compressed, 0, compressed.length));
            assertThat(next.calls).singleElement().asString().startsWith("range 0+" + compressed.length + " of ");
            assertThat(codec.decode(encoded, data.length)).isEqualTo(data);
        }
    }

    @Test
    void a_chain_without_zstd_in_front_passes_whole_arrays() throws IOException {
        Recording next = new Recording();
        Codec codec = new Codec(List.of(Transformers.gzip()), next, null);
        byte[] data = "ledger line\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        byte[] encoded = codec.encode(data);
        assertThat(next.calls).singleElement().asString().startsWith("whole ");
        assertThat(codec.decode(encoded, data.length)).isEqualTo(data);
    }
}
