package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chunker is part of the repository format: the same content must be cut at the same places by every version, or
 * deduplication against older snapshots is lost. These tests pin its cut points to recorded lists, check it against
 * an independent implementation of the specification in docs/format.md ("Chunking"), and show the property that makes
 * it content-defined: an insertion moves only the boundaries near it, where fixed-size cuts would move all of them.
 *
 * <p>Inputs are {@link Random}'s bytes: its algorithm is specified by the JDK (a 48-bit LCG), so they are the same on
 * every JVM.
 */
@Timeout(120)
class FastCdcTest {
    static final int KIB = 1024;
    static final int MIB = 1024 * KIB;

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The chunk lengths of {@code data}, cut one after another from the start. */
    static List<Integer> lengths(FastCdc cdc, byte[] data) {
        List<Integer> out = new ArrayList<>();
        for (int at = 0; at < data.length; ) {
            int n = cdc.cut(data, at, data.length - at);
            out.add(n);
            at += n;
        }
        return out;
    }

    /** The chunk lengths as a stream is cut, read in the odd-sized pieces a file or a socket delivers. */
    static List<Integer> streamLengths(FastCdc cdc, byte[] data) throws IOException {
        List<Integer> out = new ArrayList<>();
        FastCdc.Stream stream = cdc.newStream().reset(new Trickle(new ByteArrayInputStream(data)));
        byte[] chunk;
        int at = 0;
        while ((chunk = stream.next()) != null) {
            assertThat(chunk).as("chunk at %d", at).isEqualTo(Arrays.copyOfRange(data, at, at + chunk.length));
            out.add(chunk.length);
            at += chunk.length;
        }
        assertThat(at).isEqualTo(data.length);
        return out;
    }

    // ---- recorded cut points

    /**
     * 16 MiB of {@code new Random(20261204)} cut with the default sizes (512 KiB / 1 MiB / 8 MiB) and seed
     * {@code 0x5eed0f0c0ffee001}. If this changes, every repository's existing chunks stop deduplicating against new
     * backups: that is a format change (docs/format.md), not a refactoring.
     */
    @Test
    void the_default_parameters_cut_a_seeded_input_at_the_recorded_points() throws IOException {
        FastCdc cdc = new FastCdc(512 * KIB, MIB, 8 * MIB, 0x5eed0f0c0ffee001L);
        byte[] data = random(16 * MIB, 20261204);
        List<Integer> recorded = List.of(RECORDED_DEFAULT);
        assertThat(lengths(cdc, data)).isEqualTo(recorded);
        assertThat(streamLengths(cdc, data)).isEqualTo(recorded);
    }

    /** The small sizes of the golden repositories (1 KiB / 4 KiB / 16 KiB), 256 KiB of input, seed 0. */
    @Test
    void small_parameters_cut_a_seeded_input_at_the_recorded_points() throws IOException {
        FastCdc cdc = new FastCdc(KIB, 4 * KIB, 16 * KIB, 0L);
        byte[] data = random(256 * KIB, 7);
        List<Integer> recorded = List.of(RECORDED_SMALL);
        assertThat(lengths(cdc, data)).isEqualTo(recorded);
        assertThat(streamLengths(cdc, data)).isEqualTo(recorded);
    }

    static final Integer[] RECORDED_DEFAULT = {
        818499, 1686519, 1383269, 1070903, 1156466, 2287596, 1221799, 1147324, 650247, 893050,
        1794097, 1125675, 776526, 765246};
    static final Integer[] RECORDED_SMALL = {
        1392, 2478, 1639, 4324, 5913, 4601, 4323, 4545, 2029, 5459,
        3273, 3006, 8475, 5240, 2373, 2684, 1813, 1447, 4494, 3726,
        3633, 5263, 4131, 4166, 1845, 4060, 2542, 1393, 4059, 2533,
        4363, 3848, 5825, 4931, 4491, 2483, 1181, 3850, 4023, 1122,
        4024, 1642, 5368, 4230, 3254, 4253, 2529, 5050, 3532, 4523,
        4428, 4273, 4106, 6592, 2636, 4416, 4379, 1493, 1524, 3444,
        3699, 1449, 4539, 1061, 1880, 1353, 4673, 1164, 1487, 1078,
        4972, 2697, 1420, 2443, 3697, 2677, 3183};

    // ---- the specification, implemented again from docs/format.md

    /** docs/format.md, "Chunking": the gear table is SplitMix64's first 256 outputs from the seed. */
    static long[] gear(long seed) {
        long[] gear = new long[256];
        long state = seed;
        for (int i = 0; i < 256; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            gear[i] = z ^ (z >>> 31);
        }
        return gear;
    }

    /** docs/format.md, "Chunking": the length of the chunk that starts at {@code p}. */
    static int referenceCut(byte[] data, int p, int min, int avg, int max, long[] gear) {
        int len = data.length - p;
        if (len <= min) {
            return len;
        }
        int bits = 31 - Integer.numberOfLeadingZeros(Math.max(2, avg - min)); // floor(log2)
        long maskS = mask(bits + 1);
        long maskL = mask(bits - 1);
        int end = Math.min(len, max);
        int normal = Math.min(avg, end);
        long fp = 0;
        for (int i = min; i < end; i++) {
            fp = (fp << 1) + gear[data[p + i] & 0xff];
            if ((fp & (i < normal ? maskS : maskL)) == 0) {
                return i + 1;
            }
        }
        return end;
    }

    /** The top {@code n} bits set, at most 63 of them; none for n <= 0. */
    static long mask(int n) {
        if (n <= 0) {
            return 0;
        }
        n = Math.min(n, 63);
        return -1L << (64 - n);
    }

    @Test
    void the_gear_table_is_splitmix64_from_the_seed() {
        // Published SplitMix64 outputs for seed 0 (Vigna's reference splitmix64.c): the table's first entries.
        long[] g = gear(0);
        assertThat(g[0]).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(g[1]).isEqualTo(0x6E789E6AA1B965F4L);
        assertThat(g[2]).isEqualTo(0x06C45D188009454FL);
    }

    @Test
    void the_chunker_is_the_one_docs_format_md_specifies() throws IOException {
        int[][] sizes = {{KIB, 4 * KIB, 16 * KIB}, {64, 256, 1024}, {512 * KIB, MIB, 8 * MIB}, {100, 100, 300},
            {1000, 1003, 5000}, {2048, 2048, 2048}, {1, 2, 3}};
        long[] seeds = {0L, -1L, 0x5eed0f0c0ffee001L, Long.MIN_VALUE};
        Random r = new Random(99);
        for (int[] s : sizes) {
            for (long seed : seeds) {
                FastCdc cdc = new FastCdc(s[0], s[1], s[2], seed);
                long[] gear = gear(seed);
                byte[] data = random(Math.min(24 * MIB, s[2] * 12 + r.nextInt(s[2] + 1)), r.nextLong());
                List<Integer> expected = new ArrayList<>();
                for (int at = 0; at < data.length; ) {
                    int n = referenceCut(data, at, s[0], s[1], s[2], gear);
                    expected.add(n);
                    at += n;
                }
                assertThat(lengths(cdc, data)).as("sizes %s seed %x", Arrays.toString(s), seed).isEqualTo(expected);
                assertThat(streamLengths(cdc, data)).as("stream, sizes %s seed %x", Arrays.toString(s), seed).isEqualTo(expected);
            }
        }
    }

    @Test
    void chunks_are_never_shorter_than_min_except_the_last_nor_longer_than_max_and_average_near_avg() {
        FastCdc cdc = new FastCdc(512 * KIB, MIB, 8 * MIB, 42);
        List<Integer> cut = lengths(cdc, random(64 * MIB, 3));
        for (int i = 0; i < cut.size() - 1; i++) {
            assertThat(cut.get(i)).isBetween(512 * KIB + 1, 8 * MIB);
        }
        double average = 64.0 * MIB / cut.size();
        assertThat(average).as("average chunk size").isBetween(0.75 * MIB, 1.5 * MIB);
    }

    // ---- why content-defined

    /**
     * One byte inserted at the start of 8 MiB: FastCdc finds the old boundaries again after the first chunk, so at most
     * two chunks are new. Cut at fixed sizes of the same average, the same insertion shifts every later chunk by one
     * byte, and every chunk is new: this is what the repository-level test
     * ({@code ShiftedContentDedupTest}) would see if the pipeline cut fixed-size chunks.
     */
    @Test
    void an_insertion_changes_at_most_two_content_defined_chunks_but_every_fixed_size_chunk() {
        byte[] original = random(8 * MIB, 11);
        byte[] shifted = new byte[original.length + 1];
        shifted[0] = 0x42;
        System.arraycopy(original, 0, shifted, 1, original.length);
        FastCdc cdc = new FastCdc(64 * KIB, 128 * KIB, MIB, 0x1234);

        assertThat(newChunks(original, shifted, d -> lengths(cdc, d))).isBetween(1, 2);
        Function<byte[], List<Integer>> fixed = d -> {
            List<Integer> out = new ArrayList<>();
            for (int at = 0; at < d.length; at += 128 * KIB) {
                out.add(Math.min(128 * KIB, d.length - at));
            }
            return out;
        };
        assertThat(newChunks(original, shifted, fixed)).isEqualTo(fixed.apply(shifted).size());
    }

    /** How many chunks of {@code after} (as {@code cutter} cuts it) are not chunks of {@code before}. */
    static int newChunks(byte[] before, byte[] after, Function<byte[], List<Integer>> cutter) {
        Set<String> known = new HashSet<>();
        int at = 0;
        for (int n : cutter.apply(before)) {
            known.add(Hex.encode(Sha256.hash(before, at, n)));
            at += n;
        }
        int fresh = 0;
        at = 0;
        for (int n : cutter.apply(after)) {
            if (!known.contains(Hex.encode(Sha256.hash(after, at, n)))) {
                fresh++;
            }
            at += n;
        }
        return fresh;
    }

    /**
     * The stream's buffer grows only as far as the input needs: a backup of small files (or one that reads no file)
     * keeps a small buffer instead of 2 x max (16 MiB with the default sizes, all of it resident once zeroed), and a
     * large input still gets the whole buffer and the same cut points as a cut of the whole array.
     */
    @Test
    void the_stream_buffer_grows_only_as_far_as_the_input_needs() throws IOException {
        FastCdc cdc = new FastCdc(512 * KIB, MIB, 8 * MIB, 0x5eed0f0c0ffee001L);
        FastCdc.Stream stream = cdc.newStream();
        for (int i = 0; i < 100; i++) {
            byte[] small = random(1 + 1000 * i, i);
            stream.reset(new Trickle(new ByteArrayInputStream(small)));
            assertThat(stream.next()).isEqualTo(small);
            assertThat(stream.next()).isNull();
        }
        assertThat(stream.capacity()).isLessThanOrEqualTo(FastCdc.INITIAL_BUFFER).isLessThan(2 * 8 * MIB);

        byte[] large = random(20 * MIB, 7);
        stream.reset(new ByteArrayInputStream(large));
        List<Integer> cuts = new ArrayList<>();
        for (byte[] chunk; (chunk = stream.next()) != null; ) {
            cuts.add(chunk.length);
        }
        assertThat(cuts).isEqualTo(lengths(cdc, large));
        assertThat(stream.capacity()).isEqualTo(2 * 8 * MIB);
    }

    /**
     * In a small heap the stream's buffer stops at one and a half largest chunks (12 MiB instead of 16 with the default
     * sizes): the same cut points, read whole or in odd pieces, and never a buffer larger than asked or below that.
     */
    @Test
    void a_stream_with_a_smaller_buffer_cuts_the_same_chunks() throws IOException {
        FastCdc cdc = new FastCdc(512 * KIB, MIB, 8 * MIB, 0x5eed0f0c0ffee001L);
        byte[] large = random(40 * MIB, 11);
        // long runs without a cut point among random bytes: chunks of the largest size, where the buffer is tightest
        Arrays.fill(large, 3 * MIB, 20 * MIB, (byte) 0);
        for (boolean trickle : new boolean[] {false, true}) {
            FastCdc.Stream stream = cdc.newStream(4 * MIB);
            InputStream in = new ByteArrayInputStream(large);
            stream.reset(trickle ? new Trickle(in) : in);
            List<Integer> cuts = new ArrayList<>();
            int at = 0;
            for (byte[] chunk; (chunk = stream.next()) != null; at += chunk.length) {
                assertThat(chunk).as("chunk at %d", at).isEqualTo(Arrays.copyOfRange(large, at, at + chunk.length));
                cuts.add(chunk.length);
            }
            assertThat(cuts).isEqualTo(lengths(cdc, large));
            assertThat(cuts).as("some chunks of the largest size").contains(8 * MIB);
            assertThat(stream.capacity()).as("one and a half largest chunks").isEqualTo(12 * MIB);
        }
        assertThat(cdc.newStream(Integer.MAX_VALUE).reset(new ByteArrayInputStream(large)).next()).isNotNull();
    }

    /** Delivers at most a few hundred bytes per read, in changing sizes. */
    static final class Trickle extends FilterInputStream {
        private int next = 1;

        Trickle(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            next = next * 31 % 997 + 1;
            return super.read(b, off, Math.min(len, next));
        }
    }
}
