package com.mintreplica.backup.fs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The restore's record of written paths: exact for what was added, no stray hits, a few bytes a path. */
class PathSetTest {
    @Test
    void holds_every_path_added_and_none_other_across_growth() {
        PathSet set = new PathSet(12345);
        int n = 300_000;
        for (int i = 0; i < n; i += 2) {
            set.add(path(i));
        }
        set.add(path(0)); // again: counted once
        assertThat(set.size()).isEqualTo(n / 2);
        int wrong = 0;
        for (int i = 0; i < n; i++) {
            if (set.contains(path(i)) != (i % 2 == 0)) {
                wrong++;
            }
        }
        assertThat(wrong).isZero();
    }

    @Test
    void paths_that_differ_only_by_nul_characters_or_order_are_different() {
        PathSet set = new PathSet(7);
        set.add("a");
        set.add("ab");
        assertThat(set.contains("\0a")).isFalse();
        assertThat(set.contains("a\0")).isFalse();
        assertThat(set.contains("ba")).isFalse();
        assertThat(set.contains("")).isFalse();
        assertThat(set.contains("a")).isTrue();
        assertThat(set.contains("ab")).isTrue();
        assertThat(new PathSet(7).hash("ab")).isNotEqualTo(new PathSet(8).hash("ab"));
    }

    private static String path(int i) {
        return "srv/data/top/" + (i / 10_000) + "/" + (i / 100 % 100) + "/f" + (i % 100) + "é.log";
    }
}
