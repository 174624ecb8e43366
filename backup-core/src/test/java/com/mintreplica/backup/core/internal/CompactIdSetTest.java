package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A backup stores a blob only when the set says its id is new: an id reported present that was never added loses a
 * blob, one reported absent that was added stores it twice. Checked against a HashSet (the oracle) on many sequences.
 */
class CompactIdSetTest {

    /**
     * How a sequence's ids are made: hashes; ids that share all but their last bytes; ids that share three of their
     * four words (each word must count in the order and the search).
     */
    private enum Shape { RANDOM, LATE, ONE_WORD }

    private static BlobId id(Random random, Shape shape, int i) {
        byte[] b = new byte[32];
        switch (shape) {
            case RANDOM -> random.nextBytes(b);
            case LATE -> {
                b[29] = (byte) random.nextInt(4);
                b[30] = (byte) (i >> 8);
                b[31] = (byte) i;
            }
            case ONE_WORD -> {
                java.util.Arrays.fill(b, (byte) 0x5a);
                int word = random.nextInt(4);
                b[word * 8 + random.nextInt(8)] = (byte) random.nextInt(256);
                b[word * 8 + 7] = (byte) random.nextInt(256);
            }
        }
        return BlobId.wrap(b);
    }

    @Test
    void agrees_with_a_hash_set_on_every_add_and_lookup() {
        for (int seed = 0; seed < 60; seed++) {
            Random random = new Random(seed);
            Shape shape = Shape.values()[seed % 3];
            int n = random.nextInt(seed < 30 ? 3_000 : 40_000);
            CompactIdSet set = new CompactIdSet();
            Set<BlobId> oracle = new HashSet<>();
            List<BlobId> added = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                BlobId id = !added.isEmpty() && random.nextInt(4) == 0 ? added.get(random.nextInt(added.size()))
                        : id(random, shape, i);
                boolean expected = oracle.add(id);
                assertThat(set.add(id)).as("seed %d, add %d", seed, i).isEqualTo(expected);
                if (expected) {
                    added.add(id);
                }
                BlobId probe = random.nextBoolean() && !added.isEmpty() ? added.get(random.nextInt(added.size()))
                        : id(random, shape, i + 1 + random.nextInt(1000));
                assertThat(set.contains(probe)).as("seed %d, lookup %d", seed, i).isEqualTo(oracle.contains(probe));
            }
            assertThat(set.size()).isEqualTo(oracle.size());
            for (BlobId id : added) {
                assertThat(set.contains(id)).isTrue();
            }
            Set<BlobId> listed = new HashSet<>();
            set.forEach(listed::add);
            assertThat(listed).as("seed %d", seed).isEqualTo(oracle);
        }
    }

    /** Ids as an index object's id part holds them: 32 bytes each, in ascending unsigned order, none twice. */
    private static byte[] idPart(java.util.Collection<BlobId> ids) {
        List<byte[]> sorted = new ArrayList<>(ids.stream().distinct().map(BlobId::raw).toList());
        sorted.sort(java.util.Arrays::compareUnsigned);
        byte[] out = new byte[sorted.size() * 32];
        for (int i = 0; i < sorted.size(); i++) {
            System.arraycopy(sorted.get(i), 0, out, i * 32, 32);
        }
        return out;
    }

    @Test
    void id_parts_added_at_once_agree_with_a_hash_set_beside_single_adds() {
        // A writer's index load adds each index object's sorted id part at once. Parts overlap each other (a blob two
        // objects list), the ids added one at a time (still in a segment's table, or in its runs), and parts of every
        // size, down to those added an id at a time.
        for (int seed = 0; seed < 24; seed++) {
            Random random = new Random(1_000 + seed);
            Shape shape = Shape.values()[seed % 3];
            CompactIdSet set = new CompactIdSet();
            Set<BlobId> oracle = new HashSet<>();
            List<BlobId> added = new ArrayList<>();
            int steps = 5 + random.nextInt(30);
            int next = 0;
            for (int step = 0; step < steps; step++) {
                if (random.nextInt(3) == 0) {
                    int singles = random.nextInt(500);
                    for (int i = 0; i < singles; i++) {
                        BlobId id = !added.isEmpty() && random.nextInt(5) == 0 ? added.get(random.nextInt(added.size()))
                                : id(random, shape, next++);
                        assertThat(set.add(id)).isEqualTo(oracle.add(id));
                        added.add(id);
                    }
                } else {
                    Set<BlobId> part = new HashSet<>();
                    // small parts (a few ids a segment, searched for in far larger runs) and large ones
                    int size = random.nextBoolean() ? 128 + random.nextInt(200) : random.nextInt(12_000);
                    for (int i = 0; i < size; i++) {
                        part.add(!added.isEmpty() && random.nextInt(4) == 0 ? added.get(random.nextInt(added.size()))
                                : id(random, shape, next++));
                    }
                    set.addSorted(idPart(part));
                    oracle.addAll(part);
                    added.addAll(part);
                }
                assertThat(set.size()).as("seed %d, step %d", seed, step).isEqualTo(oracle.size());
            }
            for (BlobId id : added) {
                assertThat(set.contains(id)).isTrue();
            }
            for (int i = 0; i < 2_000; i++) {
                BlobId probe = id(random, shape, next + random.nextInt(100_000));
                assertThat(set.contains(probe)).as("seed %d, probe %d", seed, i).isEqualTo(oracle.contains(probe));
            }
            Set<BlobId> listed = new HashSet<>();
            set.forEach(listed::add);
            assertThat(listed).as("seed %d", seed).isEqualTo(oracle);
            for (BlobId id : added) {
                assertThat(set.add(id)).isFalse();
            }
        }
    }

    @Test
    void an_id_part_out_of_order_is_added_all_the_same() {
        // The id part comes from the repository: one out of order (or listing an id twice) must not make a run that
        // the searches cannot find ids in.
        Random random = new Random(77);
        List<BlobId> ids = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            ids.add(id(random, Shape.RANDOM, i));
        }
        byte[] part = idPart(ids);
        byte[] swapped = part.clone();
        System.arraycopy(part, 32, swapped, 64, 32);
        System.arraycopy(part, 64, swapped, 32, 32);
        byte[] twice = java.util.Arrays.copyOf(part, part.length + 32);
        System.arraycopy(part, part.length - 32, twice, part.length, 32);
        for (byte[] bad : List.of(swapped, twice)) {
            CompactIdSet set = new CompactIdSet();
            set.addSorted(bad);
            assertThat(set.size()).isEqualTo(ids.size());
            for (BlobId id : ids) {
                assertThat(set.contains(id)).isTrue();
            }
        }
    }

    @Test
    void id_parts_cost_about_32_bytes_an_id() {
        Random random = new Random(12);
        CompactIdSet set = new CompactIdSet();
        int n = 0;
        for (int part = 0; part < 10; part++) {
            List<BlobId> ids = new ArrayList<>();
            for (int i = 0; i < 30_000; i++) {
                ids.add(id(random, Shape.RANDOM, n++));
            }
            set.addSorted(idPart(ids));
        }
        assertThat(set.size()).isEqualTo(n);
        assertThat(set.estimatedBytes()).isLessThanOrEqualTo(32L * n + 64 * (4096 + 16));
    }

    @Test
    void a_map_agrees_with_a_hash_map_and_keeps_the_last_value() {
        for (int seed = 0; seed < 30; seed++) {
            Random random = new Random(1000 + seed);
            Shape shape = Shape.values()[seed % 3];
            CompactIdSet map = CompactIdSet.map();
            java.util.Map<BlobId, BlobId> oracle = new java.util.HashMap<>();
            List<BlobId> keys = new ArrayList<>();
            int n = random.nextInt(20_000);
            for (int i = 0; i < n; i++) {
                BlobId key = !keys.isEmpty() && random.nextInt(3) == 0 ? keys.get(random.nextInt(keys.size()))
                        : id(random, shape, i);
                BlobId value = id(random, Shape.RANDOM, i);
                if (oracle.put(key, value) == null) {
                    keys.add(key);
                }
                map.put(key, value);
                BlobId probe = random.nextBoolean() && !keys.isEmpty() ? keys.get(random.nextInt(keys.size()))
                        : id(random, shape, i + 1 + random.nextInt(1000));
                assertThat(map.get(probe)).as("seed %d, get %d", seed, i).isEqualTo(oracle.get(probe));
            }
            assertThat(map.size()).isEqualTo(oracle.size());
            oracle.forEach((k, v) -> assertThat(map.get(k)).isEqualTo(v));
            Set<BlobId> listed = new HashSet<>();
            map.forEach(listed::add);
            assertThat(listed).isEqualTo(oracle.keySet());
        }
    }

    @Test
    void threads_adding_the_same_ids_each_win_an_id_once() throws Exception {
        Random random = new Random(11);
        List<BlobId> ids = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(id(random, Shape.RANDOM, i));
        }
        CompactIdSet set = new CompactIdSet();
        AtomicInteger wins = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t * 7_919;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < ids.size(); i++) {
                        if (set.add(ids.get((i + offset) % ids.size()))) {
                            wins.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(wins.get()).isEqualTo(ids.size());
        assertThat(set.size()).isEqualTo(ids.size());
        ids.forEach(id -> assertThat(set.contains(id)).isTrue());
    }

    @Test
    void an_id_costs_about_32_bytes_of_heap() {
        Random random = new Random(9);
        CompactIdSet set = new CompactIdSet();
        IdSet table = new IdSet();
        int n = 300_000;
        for (int i = 0; i < n; i++) {
            BlobId id = id(random, Shape.RANDOM, i);
            set.add(id);
            table.add(id);
        }
        // sorted runs: 32 bytes an id, plus each segment's table of at most 64 latest additions (4 KiB)
        assertThat(set.estimatedBytes()).isLessThanOrEqualTo(32L * n + 64 * (4096 + 16));
        assertThat(set.estimatedBytes()).isLessThan(table.estimatedBytes() * 3 / 4);
    }

    @Test
    void a_map_entry_costs_about_64_bytes_of_heap() {
        Random random = new Random(10);
        CompactIdSet map = CompactIdSet.map();
        IdSet table = IdSet.map();
        int n = 300_000;
        for (int i = 0; i < n; i++) {
            BlobId id = id(random, Shape.RANDOM, i);
            map.put(id, id);
            table.put(id, id);
        }
        assertThat(map.estimatedBytes()).isLessThanOrEqualTo(64L * n + 64 * (8192 + 16));
        assertThat(map.estimatedBytes()).isLessThan(table.estimatedBytes() * 3 / 4);
    }
}
