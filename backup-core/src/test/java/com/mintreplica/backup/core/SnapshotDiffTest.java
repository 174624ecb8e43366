package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Repository.diff}: restic's {@code diff}, from the directory listings alone. */
class SnapshotDiffTest {
    @TempDir
    Path temp;

    @Test
    void added_removed_changed_and_retyped_entries_are_named_and_counted() {
        Map<String, String> before = new LinkedHashMap<>();
        before.put("app", null);
        before.put("app/same.txt", "same");
        before.put("app/changed.txt", "old content");
        before.put("app/gone.txt", "removed later");
        before.put("app/becomes-dir", "a file first");
        before.put("app/old-dir", null);
        before.put("app/old-dir/inner", "inner");
        Map<String, String> after = new LinkedHashMap<>();
        after.put("app", null);
        after.put("app/same.txt", "same");
        after.put("app/changed.txt", "new content, longer");
        after.put("app/becomes-dir", null);
        after.put("app/becomes-dir/x", "x");
        after.put("app/new.txt", "new");
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            Snapshot one = Backup.pipeline().source(MapSource.of("d", before)).to(repo).time(t).build().run().snapshot();
            Snapshot two = Backup.pipeline().source(MapSource.of("d", after)).to(repo).time(t.plusSeconds(60)).build().run()
                    .snapshot();
            List<String> said = new ArrayList<>();
            SnapshotDiff diff = repo.diff(SnapshotSelector.id(one.id()), SnapshotSelector.id(two.id()),
                    c -> said.add(c.kind().mark() + " " + c.entry().path()));
            assertThat(said).containsExactlyInAnyOrder("M app/changed.txt", "T app/becomes-dir", "+ app/becomes-dir/x",
                    "+ app/new.txt", "- app/gone.txt", "- app/old-dir", "- app/old-dir/inner");
            assertThat(diff.added()).isEqualTo(2);
            assertThat(diff.removed()).isEqualTo(3);
            assertThat(diff.changed()).isEqualTo(2);
            assertThat(diff.bytesAdded()).isEqualTo("x".length() + "new".length());
            assertThat(diff.bytesRemoved()).isEqualTo("removed later".length() + "inner".length());

            List<String> none = new ArrayList<>();
            assertThat(repo.diff(SnapshotSelector.id(two.id()), SnapshotSelector.id(two.id()), c -> none.add(c.toString())))
                    .isEqualTo(new SnapshotDiff(0, 0, 0, 0, 0));
            assertThat(none).isEmpty();
        }
    }

    @Test
    void thousands_of_entries_are_matched_by_path_whatever_their_order() {
        Map<String, String> before = new LinkedHashMap<>();
        Map<String, String> after = new LinkedHashMap<>();
        before.put("d", null);
        after.put("d", null);
        int changed = 0;
        int removed = 0;
        for (int i = 0; i < 3000; i++) {
            before.put("d/f" + i, "content " + i);
            if (i % 11 == 0) {
                removed++;
            } else if (i % 7 == 0) {
                after.put("d/f" + i, "changed " + i);
                changed++;
            } else {
                after.put("d/f" + i, "content " + i);
            }
        }
        for (int i = 0; i < 100; i++) {
            after.put("d/new" + i, "new " + i);
        }
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            Snapshot one = Backup.pipeline().source(MapSource.of("d", before)).to(repo).time(t).build().run().snapshot();
            Snapshot two = Backup.pipeline().source(MapSource.of("d", after)).to(repo).time(t.plusSeconds(60)).build().run()
                    .snapshot();
            SnapshotDiff diff = repo.diff(SnapshotSelector.id(one.id()), SnapshotSelector.id(two.id()), c -> { });
            assertThat(diff).isEqualTo(new SnapshotDiff(100, removed, changed,
                    after.entrySet().stream().filter(e -> e.getKey().startsWith("d/new")).mapToLong(e -> e.getValue().length()).sum(),
                    before.entrySet().stream().filter(e -> e.getKey().startsWith("d/f")
                            && Integer.parseInt(e.getKey().substring(3)) % 11 == 0).mapToLong(e -> e.getValue().length()).sum()));
            SnapshotDiff back = repo.diff(SnapshotSelector.id(two.id()), SnapshotSelector.id(one.id()), c -> { });
            assertThat(back.added()).isEqualTo(removed);
            assertThat(back.removed()).isEqualTo(100);
            assertThat(back.changed()).isEqualTo(changed);
        }
    }
}
