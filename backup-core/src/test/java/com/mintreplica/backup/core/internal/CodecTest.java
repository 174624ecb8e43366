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

        @Override
        public int decodedLength(byte[] data, int off, int len) {
            return len - 4;
        }

        @Override
        public int decode(byte[] data, int off, int len, byte[] out, int outOff, int decodedLength) {
            System.arraycopy(data, off + 4, out, outOff, len - 4);
            return len - 4;
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

    /**
     * A listing is handed to the store in its 64 KiB blocks: they encode as their concatenation, which the result
     * decodes to by either decoder, and the parts have its id, keyed or not.
     */
    @Test
    void a_plaintext_in_parts_encodes_to_what_decodes_as_their_concatenation_and_has_its_id() throws IOException {
        byte[] text = "{\"name\":\"f000123.bin\",\"type\":\"file\",\"size\":1600},".repeat(60_000)
                .getBytes(StandardCharsets.UTF_8);
        List<byte[]> parts = new ArrayList<>();
        for (int at = 0; at < text.length; at += 64 << 10) {
            parts.add(java.util.Arrays.copyOfRange(text, at, Math.min(text.length, at + (64 << 10))));
        }
        javax.crypto.SecretKey key = new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256");
        Recording next = new Recording();
        for (Codec codec : List.of(new Codec(List.of(Transformers.zstd()), next, key), new Codec(List.of(Transformers.zstd())),
                new Codec(List.of()), new Codec(List.of(), next, null))) {
            assertThat(codec.blobId(parts)).isEqualTo(codec.blobId(text));
            byte[] encoded = codec.encode(parts);
            assertThat(codec.decode(encoded, text.length)).isEqualTo(text);
            assertThat(codec.decode(encoded, -1)).isEqualTo(text);
            byte[] out = new byte[text.length];
            codec.decode(encoded, 0, encoded.length, text.length, out, new Codec.Scratch(byte[]::new));
            assertThat(out).isEqualTo(text);
            if (!codec.chain().isEmpty()) {
                assertThat(encoded.length).isLessThan(text.length / 20);
            }
        }
        assertThat(new Codec(List.of()).blobId(parts)).isNotEqualTo(new Codec(List.of(), null, key).blobId(parts));
    }

    /**
     * A restore's reader decodes every blob of a pack through one scratch: each blob starts again from its first
     * buffer (two buffers taken in turn would hold twice the memory and miss twice as often), a longer blob replaces
     * it with a longer one, and the replaced buffer is given back for reuse instead of left to the collector.
     */
    @Test
    void one_scratch_decodes_blobs_of_any_length_in_turn_and_gives_back_the_buffers_longer_ones_replaced() throws IOException {
        Codec codec = new Codec(List.of(Transformers.zstd()), new Recording(), null);
        List<byte[]> taken = new ArrayList<>();
        List<byte[]> given = new ArrayList<>();
        Codec.Scratch scratch = new Codec.Scratch(n -> {
            byte[] b = new byte[n];
            taken.add(b);
            return b;
        }, given::add);
        Random random = new Random(5);
        for (int length : new int[] {1000, 300_000, 5000, 300_000, 1_000_000, 10}) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            byte[] encoded = codec.encode(data);
            byte[] out = new byte[length + 7]; // a pooled array may be longer than the blob
            codec.decode(encoded, 0, encoded.length, length, out, scratch);
            assertThat(java.util.Arrays.copyOf(out, length)).isEqualTo(data);
        }
        assertThat(taken).hasSize(3);
        assertThat(given).containsExactly(taken.get(0), taken.get(1));
        List<byte[]> recycled = new ArrayList<>();
        scratch.recycle(recycled::add);
        assertThat(recycled).containsExactly(taken.get(2));
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
