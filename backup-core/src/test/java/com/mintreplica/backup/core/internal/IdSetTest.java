package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdSetTest {

    private static BlobId id(Random random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return BlobId.wrap(b);
    }

    @Test
    void holds_what_a_hash_set_holds() {
        Random random = new Random(7);
        IdSet set = new IdSet();
        Set<BlobId> expected = new HashSet<>();
        for (int i = 0; i < 50_000; i++) {
            BlobId id = i % 10 == 0 && !expected.isEmpty() ? expected.iterator().next() : id(random);
            assertThat(set.add(id)).isEqualTo(expected.add(id));
        }
        assertThat(set.size()).isEqualTo(expected.size());
        expected.forEach(id -> assertThat(set.contains(id)).isTrue());
        for (int i = 0; i < 1000; i++) {
            assertThat(set.contains(id(random))).isFalse();
        }
        Set<BlobId> listed = new HashSet<>();
        set.forEach(listed::add);
        assertThat(listed).isEqualTo(expected);
    }

    @Test
    void ids_that_differ_only_late_are_told_apart() {
        IdSet set = new IdSet();
        for (int i = 0; i < 1000; i++) {
            byte[] b = new byte[32];
            b[31] = (byte) i;
            b[30] = (byte) (i >> 8);
            assertThat(set.add(b)).isTrue();
        }
        assertThat(set.size()).isEqualTo(1000);
    }

    @Test
    void a_map_keeps_the_last_value_of_each_id() {
        Random random = new Random(8);
        IdSet map = IdSet.map();
        Map<BlobId, BlobId> expected = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            BlobId key = i % 3 == 0 && !expected.isEmpty() ? expected.keySet().iterator().next() : id(random);
            BlobId value = id(random);
            map.put(key, value);
            expected.put(key, value);
        }
        expected.forEach((k, v) -> assertThat(map.get(k)).isEqualTo(v));
        assertThat(map.get(id(random))).isNull();
    }

    @Test
    void an_id_costs_at_most_about_64_bytes_of_heap() {
        Random random = new Random(9);
        IdSet set = new IdSet();
        int n = 300_000;
        for (int i = 0; i < n; i++) {
            set.add(id(random));
        }
        // 32 bytes a slot, at least 35% of slots used (it doubles past 70%)
        assertThat((double) set.estimatedBytes() / n).isLessThan(32 / 0.35 + 1);
    }
}
