package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How prune cuts the consolidated index into objects: by packs and by blobs, never splitting a pack. */
class PruneIndexObjectsTest {

    private static List<List<Integer>> cut(List<Integer> blobsPerPack) {
        return PruneRun.indexObjects(blobsPerPack, Integer::intValue);
    }

    @Test
    void packs_of_many_small_files_are_cut_by_their_blobs() {
        // 200,000 small files in 26 packs of about 7,700 blobs: one object of all of them before, now seven
        List<Integer> packs = new ArrayList<>(Collections.nCopies(26, 7_700));
        List<List<Integer>> objects = cut(packs);
        assertThat(objects).hasSize(7);
        for (List<Integer> o : objects) {
            assertThat(o.stream().mapToInt(Integer::intValue).sum()).isLessThanOrEqualTo(PruneRun.BLOBS_PER_INDEX_OBJECT);
        }
        assertThat(objects.stream().mapToInt(List::size).sum()).isEqualTo(26);
    }

    @Test
    void packs_of_few_blobs_are_cut_by_their_number() {
        List<Integer> packs = new ArrayList<>(Collections.nCopies(2 * PruneRun.PACKS_PER_INDEX_OBJECT + 1, 4));
        assertThat(cut(packs)).extracting(List::size)
                .containsExactly(PruneRun.PACKS_PER_INDEX_OBJECT, PruneRun.PACKS_PER_INDEX_OBJECT, 1);
    }

    @Test
    void a_pack_of_more_blobs_than_an_object_holds_is_an_object_of_its_own() {
        int big = PruneRun.BLOBS_PER_INDEX_OBJECT + 1;
        assertThat(cut(List.of(10, big, 10, 10))).containsExactly(List.of(10), List.of(big), List.of(10, 10));
        assertThat(cut(List.of())).isEmpty();
        assertThat(cut(List.of(big))).containsExactly(List.of(big));
    }
}
