package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Repository.find}: restic's {@code find}, from the directory listings alone. */
class FindTest {
    @TempDir
    Path temp;

    @Test
    void entries_are_found_by_name_by_whole_path_and_by_the_end_of_their_path_snapshot_by_snapshot() {
        Map<String, String> before = new LinkedHashMap<>();
        before.put("srv", null);
        before.put("srv/app", null);
        before.put("srv/app/invoice-17.pdf", "pdf 17");
        before.put("srv/app/notes.txt", "notes");
        before.put("srv/old", null);
        before.put("srv/old/invoice-3.pdf", "pdf 3");
        Map<String, String> after = new LinkedHashMap<>();
        after.put("srv", null);
        after.put("srv/app", null);
        after.put("srv/app/invoice-17.pdf", "pdf 17");
        after.put("srv/app/invoice-18.pdf", "pdf 18");
        after.put("srv/app/notes.txt", "notes");
        after.put("srv/old", null);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            Snapshot one = Backup.pipeline().source(MapSource.of("d", before)).to(repo).time(t).build().run().snapshot();
            Snapshot two = Backup.pipeline().source(MapSource.of("d", after)).to(repo).time(t.plusSeconds(60)).build().run()
                    .snapshot();
            List<String> found = new ArrayList<>();
            long n = repo.find(repo.snapshots(), List.of("invoice-*.pdf"), (s, e) -> found.add(s.id() + " " + e.path()));
            assertThat(found).containsExactly(one.id() + " srv/app/invoice-17.pdf", one.id() + " srv/old/invoice-3.pdf",
                    two.id() + " srv/app/invoice-17.pdf", two.id() + " srv/app/invoice-18.pdf");
            assertThat(n).isEqualTo(4);

            found.clear();
            repo.find(List.of(two), List.of("/srv/app/notes.txt", "old"), (s, e) -> found.add(e.path()));
            assertThat(found).containsExactly("srv/app/notes.txt", "srv/old");
            found.clear();
            repo.find(repo.snapshots(), List.of("old/invoice-3.pdf"), (s, e) -> found.add(s.id() + " " + e.path()));
            assertThat(found).containsExactly(one.id() + " srv/old/invoice-3.pdf");
            assertThat(repo.find(repo.snapshots(), List.of("nothing"), (s, e) -> { })).isZero();
            assertThatThrownBy(() -> repo.find(repo.snapshots(), List.of(), (s, e) -> { }))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    @Test
    void a_subtree_without_a_match_is_read_once_for_all_the_snapshots_that_share_it() {
        Map<String, String> tree = new LinkedHashMap<>();
        tree.put("srv", null);
        tree.put("srv/big", null);
        for (int i = 0; i < 100; i++) {
            tree.put("srv/big/d" + i, null);
            tree.put("srv/big/d" + i + "/f.txt", "file " + i);
        }
        tree.put("srv/small", null);
        Path dir = temp.resolve("repo");
        try (Repository repo = Repository.init(new LocalDirectorySink(dir))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            for (int i = 0; i < 3; i++) {
                tree.put("srv/small/report-" + i + ".pdf", "report " + i);
                Backup.pipeline().source(MapSource.of("d", tree)).to(repo).time(t.plusSeconds(60L * i)).build().run();
            }
        }
        CountingReads counting = new CountingReads(new LocalDirectorySink(dir), "tree/");
        try (Repository repo = Repository.open(counting)) {
            List<String> found = new ArrayList<>();
            repo.find(repo.snapshots(), List.of("*.pdf"), (s, e) -> found.add(e.path()));
            assertThat(found).hasSize(1 + 2 + 3);
            // srv/big and its 100 directories once (102 listings), then the root, srv and srv/small of each snapshot:
            // without remembering, 3 x 104
            assertThat(counting.all()).isLessThanOrEqualTo(102 + 3 * 3);
        }
    }
}
