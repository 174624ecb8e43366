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

    /**
     * A directory of 12,000 files, one changed, one removed and one added between the snapshots: its listings are
     * large enough to be read as bytes, and as their names are in order the merge walks them without copying them
     * into objects (E-F6: a diff of a directory of 150,000 files needed 400 MiB of heap).
     */
    @Test
    void a_large_directory_in_name_order_is_merged_as_it_is_listed() {
        Map<String, String> before = new LinkedHashMap<>();
        Map<String, String> after = new LinkedHashMap<>();
        before.put("up", null);
        after.put("up", null);
        for (int i = 0; i < 12_000; i++) {
            String path = String.format("up/file-%06d.log", i);
            before.put(path, "line " + i);
            if (i == 500) {
                after.put(path, "line " + i + " changed");
            } else if (i != 7_000) {
                after.put(path, "line " + i);
            }
            if (i == 9_000) {
                after.put("up/file-009000a.log", "new");
            }
        }
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            Snapshot one = Backup.pipeline().source(MapSource.of("d", before)).to(repo).time(t).build().run().snapshot();
            Snapshot two = Backup.pipeline().source(MapSource.of("d", after)).to(repo).time(t.plusSeconds(60)).build().run()
                    .snapshot();
            List<String> said = new ArrayList<>();
            SnapshotDiff diff = repo.diff(SnapshotSelector.id(one.id()), SnapshotSelector.id(two.id()),
                    c -> said.add(c.kind().mark() + " " + c.entry().path()));
            assertThat(said).containsExactly("M up/file-000500.log", "- up/file-007000.log",
                    "+ up/file-009000a.log");
            assertThat(diff.added()).isEqualTo(1);
            assertThat(diff.removed()).isEqualTo(1);
        }
    }

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
            // in path order, as restic's diff: a directory before what is in it, a directory's entries by name, the
            // removed ones in their place
            assertThat(said).containsExactly("T app/becomes-dir", "+ app/becomes-dir/x", "M app/changed.txt",
                    "- app/gone.txt", "+ app/new.txt", "- app/old-dir", "- app/old-dir/inner");
            assertThat(diff.added()).isEqualTo(2);
            assertThat(diff.removed()).isEqualTo(3);
            assertThat(diff.changed()).isEqualTo(2);
            // a changed file's new piece is added and its old one removed (E-F8: restic counts them; "added: 0 B"
            // was said for a changed file), the file that became a directory is removed
            assertThat(diff.bytesAdded()).isEqualTo("x".length() + "new".length() + "new content, longer".length());
            assertThat(diff.bytesRemoved()).isEqualTo("removed later".length() + "inner".length()
                    + "old content".length() + "a file first".length());

            List<String> none = new ArrayList<>();
            assertThat(repo.diff(SnapshotSelector.id(two.id()), SnapshotSelector.id(two.id()), c -> none.add(c.toString())))
                    .isEqualTo(new SnapshotDiff(0, 0, 0, 0, 0));
            assertThat(none).isEmpty();
        }
    }

    @Test
    void a_subtree_that_is_the_same_in_both_snapshots_is_not_read() {
        // restic's diff does not enter a subtree whose id both snapshots share: a small change beside a large unchanged
        // tree reads the changed directories' listings only
        Map<String, String> before = new LinkedHashMap<>();
        before.put("srv", null);
        before.put("srv/big", null);
        for (int i = 0; i < 200; i++) {
            before.put("srv/big/d" + i, null);
            before.put("srv/big/d" + i + "/f", "file " + i);
        }
        before.put("srv/small", null);
        before.put("srv/small/x", "x");
        Map<String, String> after = new LinkedHashMap<>(before);
        after.put("srv/small/x", "x, changed");
        Path dir = temp.resolve("repo");
        Snapshot one;
        Snapshot two;
        try (Repository repo = Repository.init(new LocalDirectorySink(dir))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            one = Backup.pipeline().source(MapSource.of("d", before)).to(repo).time(t).build().run().snapshot();
            two = Backup.pipeline().source(MapSource.of("d", after)).to(repo).time(t.plusSeconds(60)).build().run()
                    .snapshot();
        }
        CountingReads counting = new CountingReads(new LocalDirectorySink(dir), "tree/");
        try (Repository repo = Repository.open(counting)) {
            List<String> said = new ArrayList<>();
            SnapshotDiff diff = repo.diff(SnapshotSelector.id(one.id()), SnapshotSelector.id(two.id()),
                    c -> said.add(c.kind().mark() + " " + c.entry().path()));
            assertThat(said).containsExactly("M srv/small/x");
            // the changed file's new piece added, its old one removed
            assertThat(diff).isEqualTo(new SnapshotDiff(0, 0, 1, "x, changed".length(), "x".length()));
            // the two snapshots' listings of the root, srv and srv/small: six trees at most, not the 2 x 201 of srv/big
            assertThat(counting.all()).isBetween(1, 6);
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
            // added: the new files and the changed files' new content; removed: the removed files and the changed
            // files' old content (each file is one piece here)
            java.util.function.IntPredicate isChanged = i -> i % 11 != 0 && i % 7 == 0;
            assertThat(diff).isEqualTo(new SnapshotDiff(100, removed, changed,
                    after.entrySet().stream().filter(e -> e.getKey().startsWith("d/new")
                            || (e.getValue() != null && e.getValue().startsWith("changed "))).mapToLong(e -> e.getValue().length()).sum(),
                    before.entrySet().stream().filter(e -> e.getKey().startsWith("d/f")
                            && (Integer.parseInt(e.getKey().substring(3)) % 11 == 0
                            || isChanged.test(Integer.parseInt(e.getKey().substring(3)))))
                            .mapToLong(e -> e.getValue().length()).sum()));
            SnapshotDiff back = repo.diff(SnapshotSelector.id(two.id()), SnapshotSelector.id(one.id()), c -> { });
            assertThat(back.added()).isEqualTo(removed);
            assertThat(back.removed()).isEqualTo(100);
            assertThat(back.changed()).isEqualTo(changed);
        }
    }
}
