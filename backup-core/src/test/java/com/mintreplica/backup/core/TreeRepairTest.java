package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.internal.BlobType;
import com.mintreplica.backup.core.internal.IndexFile;
import com.mintreplica.backup.core.internal.Manifest;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code repair index} and {@code repair snapshots} on tree snapshots (repository format 2): the rebuilt index lists
 * tree packs too (typed, MBI3); a snapshot whose data pack is gone is written anew with new tree blobs for the
 * directories that changed and the others shared; a lost tree pack costs the directories it listed, and a snapshot
 * whose root tree is gone is unreadable (and marked so by a listing) while the others restore.
 */
@Timeout(120)
class TreeRepairTest {
    @TempDir
    Path temp;

    private static Map<String, String> base() {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("a", null);
        t.put("a/x.txt", "x, the first");
        t.put("a/deeper", null);
        t.put("a/deeper/q.txt", "q");
        t.put("b", null);
        t.put("b/y.txt", "y");
        t.put("b/c", null);
        t.put("b/c/z.txt", "z");
        t.put("top.txt", "top");
        return t;
    }

    private int backups;

    private Snapshot backup(Repository repo, Map<String, String> entries) {
        Instant time = Instant.parse("2026-03-01T10:00:00Z").plusSeconds(60L * backups++);
        return Backup.pipeline().source(MapSource.of("repair", entries)).to(repo).host("h").time(time).parallelism(2).build().run()
                .snapshot();
    }

    private Set<String> names(Repository repo, String prefix) {
        return repo.store().list(prefix).stream().map(ObjectInfo::name).collect(Collectors.toSet());
    }

    /** Every regular file of a snapshot, restored, as path -> content. */
    private static Map<String, String> restore(Repository repo, String snapshotId) {
        Map<String, String> out = new TreeMap<>();
        repo.restore(SnapshotSelector.id(snapshotId)).to(new RestoreTarget() {
            @Override
            public void begin(RestoreContext context) {
            }

            @Override
            public void write(Entry entry, InputStream content) throws IOException {
                if (entry.type() == EntryType.REGULAR) {
                    out.put(entry.path(), new String(content.readAllBytes(), StandardCharsets.UTF_8));
                }
            }

            @Override
            public void finish() {
            }
        }).run();
        return out;
    }

    private static Map<String, String> files(Map<String, String> entries) {
        Map<String, String> out = new TreeMap<>();
        entries.forEach((path, content) -> {
            if (content != null) {
                out.put(path, content);
            }
        });
        return out;
    }

    private static Manifest manifest(Repository repo, String id) {
        return repo.store().manifest(id);
    }

    private static BlobId subtree(Repository repo, Manifest m, String name) {
        return repo.store().readTree(m.tree().orElseThrow(), "").child(name).subtree().orElseThrow();
    }

    @Test
    void reading_every_header_keeps_the_listing_of_a_pack_whose_header_is_damaged_and_changes_nothing_else()
            throws Exception {
        Path root = temp.resolve("headers");
        try (Repository repo = Repository.init(new LocalDirectorySink(root))) {
            String one = backup(repo, base()).id();
            Set<String> index = names(repo, IndexFile.PREFIX);
            // every header read and found as the index lists it: the index objects stay as they are
            IndexRepairReport healthy = repo.repairIndex(false, true);
            assertThat(healthy.packsIndexed()).isEqualTo(names(repo, "data/").size() + names(repo, "tree/").size());
            assertThat(healthy.damagedPacks()).isEmpty();
            assertThat(names(repo, IndexFile.PREFIX)).isEqualTo(index);

            // a data pack's header (at its end) damaged: its blobs are intact, and the index still says where they are
            String pack = names(repo, "data/").iterator().next();
            Path file = root.resolve(pack);
            byte[] bytes = java.nio.file.Files.readAllBytes(file);
            for (int i = bytes.length - 16; i < bytes.length; i++) {
                bytes[i] ^= 0x5a;
            }
            java.nio.file.Files.write(file, bytes);
            IndexRepairReport report = repo.repairIndex(false, true);
            assertThat(report.damagedPacks()).extracting(VerifyReport.Problem::object).containsExactly(pack);
            assertThat(report.packsIndexed()).isEqualTo(healthy.packsIndexed());
            assertThat(names(repo, IndexFile.PREFIX)).isEqualTo(index);
            assertThat(restore(repo, one)).isEqualTo(files(base()));
        }
    }

    @Test
    void repair_index_indexes_tree_packs_from_their_headers_in_the_compact_format() throws Exception {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Map<String, String> second = base();
            second.put("b/y.txt", "y, changed");
            String one = backup(repo, base()).id();
            String two = backup(repo, second).id();
            Set<String> treePacks = names(repo, "tree/");
            assertThat(treePacks).isNotEmpty();
            for (String index : names(repo, IndexFile.PREFIX)) {
                repo.store().delete(index);
            }

            IndexRepairReport report = repo.repairIndex(false, false);

            assertThat(report.packsAdded()).containsAll(treePacks).containsAll(names(repo, "data/"));
            assertThat(report.packsIndexed()).isEqualTo(treePacks.size() + names(repo, "data/").size());
            // Every new index object is MBI3, and lists the tree packs as tree packs.
            Set<String> indexedTrees = new HashSet<>();
            for (String index : names(repo, IndexFile.PREFIX)) {
                byte[] plain = repo.store().readMetadata(index);
                assertThat(new String(plain, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("MBI3");
                for (IndexFile.PackBlobs p : IndexFile.parse(index, plain)) {
                    if (p.type() == BlobType.TREE) {
                        indexedTrees.add(p.blobs().get(0).location().packObject());
                    }
                }
            }
            assertThat(indexedTrees).isEqualTo(treePacks);
            assertThat(repo.verify(true).problems()).isEmpty();
            assertThat(restore(repo, one)).isEqualTo(files(base()));
            assertThat(restore(repo, two)).isEqualTo(files(second));
            assertThat(repo.repairSnapshots(List.of(), false, false).intact()).containsExactlyInAnyOrder(one, two);
        }
    }

    @Test
    void repair_snapshots_on_a_tree_snapshot_whose_data_pack_is_gone_writes_new_trees_and_shares_the_rest() throws Exception {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Snapshot one = backup(repo, base());
            Set<String> dataOfOne = names(repo, "data/");
            Map<String, String> second = new LinkedHashMap<>();
            base().forEach((path, content) -> {
                second.put(path, path.equals("b/y.txt") ? "y, changed in the second" : content);
                if (path.equals("b/c/z.txt")) {
                    second.put("b/c/new.txt", "new in the second");
                }
            });
            Snapshot two = backup(repo, second);
            Set<String> dataOfTwo = new HashSet<>(names(repo, "data/"));
            dataOfTwo.removeAll(dataOfOne);
            assertThat(dataOfTwo).isNotEmpty();
            for (String pack : dataOfTwo) {
                repo.store().delete(pack);
            }
            assertThat(repo.verify(false).problems()).extracting(VerifyReport.Problem::object).containsAll(dataOfTwo);

            SnapshotRepairReport report = repo.repairSnapshots(List.of(), false, false);

            assertThat(report.intact()).containsExactly(one.id());
            assertThat(report.repaired()).hasSize(1);
            SnapshotRepairReport.Repaired r = report.repaired().get(0);
            assertThat(r.original()).isEqualTo(two.id());
            assertThat(r.lost()).extracting(SnapshotRepairReport.LostEntry::path)
                    .containsExactlyInAnyOrder("b/y.txt", "b/c/new.txt");
            String three = r.replacement().orElseThrow();
            Manifest copy = manifest(repo, three);
            assertThat(copy.isTree()).as("a tree snapshot is repaired as a tree snapshot").isTrue();
            assertThat(copy.snapshot().tags()).contains(Repository.REPAIRED_TAG);
            Manifest original = manifest(repo, two.id());
            assertThat(subtree(repo, copy, "a")).as("an unchanged directory keeps its tree")
                    .isEqualTo(subtree(repo, original, "a"));
            assertThat(subtree(repo, copy, "b")).as("a changed directory gets a new tree")
                    .isNotEqualTo(subtree(repo, original, "b"));
            Map<String, String> kept = files(second);
            kept.remove("b/y.txt");
            kept.remove("b/c/new.txt");
            assertThat(restore(repo, three)).isEqualTo(kept);
            assertThat(repo.entries(copy.snapshot())).extracting(Entry::path).contains("b", "b/c", "b/c/z.txt")
                    .doesNotContain("b/y.txt", "b/c/new.txt");
            assertThat(copy.snapshot().stats().entries()).isEqualTo(repo.entries(copy.snapshot()).size());
            assertThat(repo.verify(SnapshotSelector.id(three), true).problems()).isEmpty();
            assertThat(restore(repo, one.id())).isEqualTo(files(base()));

            // Run again, now with forget (the explorers' order): the copy made before is the replacement, and no
            // second, identical one is written for retention to count.
            SnapshotRepairReport again = repo.repairSnapshots(List.of(), false, true);
            assertThat(again.repaired()).extracting(SnapshotRepairReport.Repaired::replacement)
                    .containsExactly(Optional.of(three));
            assertThat(again.repaired()).allMatch(SnapshotRepairReport.Repaired::earlier);
            assertThat(report.repaired()).noneMatch(SnapshotRepairReport.Repaired::earlier);
            assertThat(again.forgotten()).containsExactly(two.id());
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactlyInAnyOrder(one.id(), three);
        }
    }

    @Test
    void a_lost_tree_pack_costs_the_directories_it_listed_and_a_lost_root_is_an_unreadable_snapshot() throws Exception {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Snapshot one = backup(repo, base());
            Set<String> treesBefore = names(repo, "tree/");
            // The second adds directory n: its tree and the second's root go into one new tree pack.
            Map<String, String> second = base();
            second.put("n", null);
            second.put("n/m.txt", "m");
            Snapshot two = backup(repo, second);
            Set<String> treesOfTwo = new HashSet<>(names(repo, "tree/"));
            treesOfTwo.removeAll(treesBefore);
            assertThat(treesOfTwo).hasSize(1);
            // The third has the same n (its tree is deduplicated: it lives in the second's tree pack) and a changed a.
            Map<String, String> third = new LinkedHashMap<>(second);
            third.put("a/x.txt", "x, changed in the third");
            Snapshot three = backup(repo, third);
            assertThat(subtree(repo, manifest(repo, three.id()), "n")).isEqualTo(subtree(repo, manifest(repo, two.id()), "n"));
            String lostPack = treesOfTwo.iterator().next();
            repo.store().delete(lostPack);

            // Damage stays local: the second is marked (its root tree is gone), the others list and restore.
            SnapshotListing listing = repo.listSnapshots();
            assertThat(listing.snapshots()).extracting(Snapshot::id).containsExactly(one.id(), three.id());
            assertThat(listing.damaged()).extracting(DamagedSnapshot::id).containsExactly(two.id());
            assertThat(listing.damaged().get(0).problem()).contains("root tree").contains(lostPack).contains("missing");
            assertThat(restore(repo, one.id())).isEqualTo(files(base()));
            assertThatThrownBy(() -> restore(repo, three.id())).isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(lostPack);
            VerifyReport verify = repo.verify(false);
            // Each tree the pack held is a problem of its own, naming the snapshots that need it.
            Set<String> affected = new HashSet<>();
            verify.problems().stream().filter(p -> p.object().equals(lostPack)).forEach(p -> affected.addAll(p.snapshots()));
            assertThat(affected).containsExactlyInAnyOrder(two.id(), three.id());
            assertThatThrownBy(() -> repo.prune().policy(Retention.builder().keepLast(1).build()).run()).isInstanceOf(CorruptDataException.class);

            SnapshotRepairReport report = repo.repairSnapshots(List.of(), false, true);

            assertThat(report.intact()).containsExactly(one.id());
            assertThat(report.unreadable()).extracting(DamagedSnapshot::id).containsExactly(two.id());
            assertThat(report.unreadable().get(0).problem()).contains("root tree");
            assertThat(report.repaired()).hasSize(1);
            SnapshotRepairReport.Repaired r = report.repaired().get(0);
            assertThat(r.original()).isEqualTo(three.id());
            assertThat(r.lost()).extracting(SnapshotRepairReport.LostEntry::path).containsExactly("n");
            assertThat(r.lost().get(0).reason()).contains(lostPack);
            assertThat(report.forgotten()).containsExactlyInAnyOrder(two.id(), three.id());
            String repaired = r.replacement().orElseThrow();
            Map<String, String> kept = files(third);
            kept.remove("n/m.txt");
            assertThat(restore(repo, repaired)).isEqualTo(kept);
            assertThat(repo.listSnapshots().damaged()).isEmpty();
            assertThat(repo.verify(true).problems()).isEmpty();

            // Prune keeps every tree pack the remaining snapshots need.
            repo.prune().policy(Retention.builder().keepLast(2).build()).run();
            assertThat(restore(repo, one.id())).isEqualTo(files(base()));
            assertThat(restore(repo, repaired)).isEqualTo(kept);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }

    @Test
    void repair_index_in_a_format_1_repository_writes_version_1_index_objects_and_does_not_upgrade_it() throws Exception {
        Path fixture = Path.of(TreeRepairTest.class.getResource("/format-v1/chunked/config").toURI()).getParent();
        Path dir = temp.resolve("v1");
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(fixture)) {
            for (Path f : files.toList()) {
                Path to = dir.resolve(fixture.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(to);
                } else {
                    java.nio.file.Files.copy(f, to);
                }
            }
        }
        try (Repository repo = Repository.open(new LocalDirectorySink(dir))) {
            Map<String, Map<String, String>> before = new TreeMap<>();
            for (Snapshot s : repo.snapshots()) {
                before.put(s.id(), restore(repo, s.id()));
            }
            for (String index : names(repo, IndexFile.PREFIX)) {
                repo.store().delete(index);
            }

            IndexRepairReport report = repo.repairIndex(false, false);

            assertThat(report.packsAdded()).isNotEmpty();
            assertThat(names(repo, IndexFile.PREFIX)).isNotEmpty();
            for (String index : names(repo, IndexFile.PREFIX)) {
                byte[] plain = repo.store().readMetadata(index);
                assertThat(new String(plain, 0, 4, StandardCharsets.US_ASCII))
                        .as("a mint-backup of format 1 reads what the repair wrote").isEqualTo("MBI1");
            }
            assertThat(repo.store().config().version()).as("a repair does not upgrade the repository").isEqualTo(1);
            assertThat(repo.verify(true).problems()).isEmpty();
            for (Map.Entry<String, Map<String, String>> s : before.entrySet()) {
                assertThat(restore(repo, s.getKey())).isEqualTo(s.getValue());
            }
        }
        try (Repository again = Repository.open(new LocalDirectorySink(dir))) {
            assertThat(again.store().config().version()).isEqualTo(1);
        }
    }
}
