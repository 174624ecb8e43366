package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.internal.BlobType;
import com.mintreplica.backup.core.internal.IndexFile;
import com.mintreplica.backup.core.internal.Manifest;
import com.mintreplica.backup.core.internal.TreeFormat;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots as trees of per-directory tree blobs (format version 3). */
@Timeout(120)
class TreeSnapshotTest {
    @TempDir
    Path temp;

    private static Map<String, String> tree(String changed) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("a", null);
        t.put("a/x.txt", "x " + changed);
        t.put("a/deeper", null);
        t.put("a/deeper/q.txt", "q");
        t.put("b", null);
        t.put("b/y.txt", "y");
        t.put("b/c", null);
        t.put("b/c/z.txt", "z");
        t.put("top.txt", "top");
        return t;
    }

    private static BackupResult backup(Repository repo, Map<String, String> entries) {
        return Backup.pipeline().source(MapSource.of("tree", entries)).to(repo).host("h").parallelism(2).build().run();
    }

    /** Tree blob ids listed by the repository's index objects. */
    private static Set<BlobId> treeBlobs(Repository repo) {
        Set<BlobId> out = new HashSet<>();
        for (ObjectInfo o : repo.store().list(IndexFile.PREFIX)) {
            for (IndexFile.PackBlobs p : IndexFile.parse(o.name(), repo.store().readMetadata(o.name()))) {
                if (p.type() == BlobType.TREE) {
                    p.blobs().forEach(b -> out.add(b.id()));
                }
            }
        }
        return out;
    }

    private static BlobId subtree(Repository repo, BlobId tree, String name) {
        return repo.store().readTree(tree, "").child(name).subtree().orElseThrow();
    }

    /** A source of one file "a/first" and its hard link "b/second", the first flagged as linkable or not. */
    private static Source linked(boolean flagged, int[] opens) {
        byte[] content = "the same inode".getBytes(StandardCharsets.UTF_8);
        Entry first = Entry.regular("a/first").size(content.length).build();
        List<SourceEntry> entries = List.of(
                SourceEntry.of(Entry.directory("a").build(), InputStream::nullInputStream),
                SourceEntry.of(first, () -> {
                    opens[0]++;
                    return new ByteArrayInputStream(content);
                }, flagged),
                SourceEntry.of(Entry.directory("b").build(), InputStream::nullInputStream),
                SourceEntry.of(Entry.regular("b/second").size(content.length).hardLinkTo("a/first").build(), () -> {
                    opens[1]++;
                    return new ByteArrayInputStream(content);
                }));
        return new Source() {
            @Override
            public SourceId id() {
                return new SourceId("test", "links");
            }

            @Override
            public SourceReader open(BackupContext context) {
                Iterator<SourceEntry> it = entries.iterator();
                return new SourceReader() {
                    @Override
                    public Optional<SourceEntry> next() {
                        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    @Test
    void a_hard_link_takes_the_content_of_a_flagged_first_path_and_reads_its_own_otherwise() throws IOException {
        for (boolean flagged : new boolean[] {true, false}) {
            int[] opens = new int[2];
            try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo-" + flagged)))) {
                BackupResult result = Backup.pipeline().source(linked(flagged, opens)).to(repo).host("h").build().run();
                assertThat(opens[0]).isEqualTo(1);
                assertThat(opens[1]).as("the link's own content is read only when its first path was not flagged")
                        .isEqualTo(flagged ? 0 : 1);
                Entry second = repo.entries(result.snapshot()).stream().filter(e -> e.path().equals("b/second"))
                        .findFirst().orElseThrow();
                assertThat(second.hardLinkTo()).contains("a/first");
                // the link alone restores with its content
                try (InputStream in = repo.openEntry(result.snapshot(), "b/second")) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("the same inode");
                }
                List<String> restored = new ArrayList<>();
                repo.restore(SnapshotSelector.latest()).include("b").to(recording(restored)).run();
                assertThat(restored).containsExactly("b", "b/second");
                restored.clear();
                repo.restore(SnapshotSelector.latest()).to(recording(restored)).run();
                assertThat(restored).containsExactly("a", "a/first", "b", "b/second");
            }
        }
    }

    @Test
    void an_unchanged_directory_costs_no_new_tree_blob_in_the_next_snapshot() {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            BackupResult first = backup(repo, tree("1"));
            Set<BlobId> before = treeBlobs(repo);
            assertThat(before).as("root, a, a/deeper, b, b/c").hasSize(5);

            BackupResult second = backup(repo, tree("2"));   // only a/x.txt changed
            Set<BlobId> after = treeBlobs(repo);
            Set<BlobId> added = new HashSet<>(after);
            added.removeAll(before);
            assertThat(added).as("new trees: the changed directory and the root above it").hasSize(2);

            BlobId root1 = repo.store().manifest(first.snapshotId()).tree().orElseThrow();
            BlobId root2 = repo.store().manifest(second.snapshotId()).tree().orElseThrow();
            assertThat(root2).isNotEqualTo(root1);
            assertThat(subtree(repo, root2, "b")).as("b is unchanged: the same tree blob").isEqualTo(subtree(repo, root1, "b"));
            assertThat(subtree(repo, root2, "a")).isNotEqualTo(subtree(repo, root1, "a"));
            assertThat(added).contains(root2, subtree(repo, root2, "a"));

            BackupResult third = backup(repo, tree("2"));   // nothing changed
            assertThat(treeBlobs(repo)).as("an unchanged snapshot stores no tree").isEqualTo(after);
            assertThat(repo.store().manifest(third.snapshotId()).tree()).contains(root2);
            assertThat(third.bytesRead()).as("unchanged files are not read").isZero();
            assertThat(third.snapshot().parent()).contains(second.snapshotId());
        }
    }

    @Test
    void the_snapshot_object_stays_small_however_many_entries_there_are() {
        Map<String, String> many = new LinkedHashMap<>();
        for (int d = 0; d < 20; d++) {
            many.put("d" + d, null);
            for (int f = 0; f < 250; f++) {
                many.put("d" + d + "/f" + f, "content " + d + "/" + f);
            }
        }
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            BackupResult result = backup(repo, many);
            long size = repo.store().list(Manifest.PREFIX).get(0).size();
            assertThat(size).as("bytes of the snapshot object of 5,020 entries").isLessThan(2048);
            assertThat(repo.entries(result.snapshot())).hasSize(5020);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }

    @Test
    void directories_a_source_does_not_name_are_implicit_neither_listed_nor_restored() throws IOException {
        Map<String, String> dump = new LinkedHashMap<>();
        dump.put("shop/orders.bson", "orders");
        dump.put("shop/orders.metadata.json", "{}");
        dump.put("shop/sub/deep.bson", "deep");
        dump.put("crm/people.bson", "people");
        dump.put("globals.sql", "create role");
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            BackupResult result = backup(repo, dump);
            assertThat(repo.entries(result.snapshot())).extracting(Entry::path).containsExactlyElementsOf(dump.keySet());
            List<String> restored = new ArrayList<>();
            repo.restore(SnapshotSelector.latest()).to(recording(restored)).run();
            assertThat(restored).containsExactlyElementsOf(dump.keySet());
            // an include of an implicit directory restores what is below it
            restored.clear();
            repo.restore(SnapshotSelector.latest()).include("shop").to(recording(restored)).run();
            assertThat(restored).containsExactly("shop/orders.bson", "shop/orders.metadata.json", "shop/sub/deep.bson");
            try (InputStream in = repo.openEntry(result.snapshot(), "shop/sub/deep.bson")) {
                assertThat(in.readAllBytes()).isEqualTo("deep".getBytes(StandardCharsets.UTF_8));
            }
            // unchanged, the second backup reads nothing again
            assertThat(backup(repo, dump).bytesRead()).isZero();
        }
    }

    @Test
    void entries_keep_the_order_the_source_gave_them_within_a_directory() {
        Map<String, String> dump = new LinkedHashMap<>();
        dump.put("db", null);
        dump.put("db/toc.dat", "toc");
        dump.put("db/3001.dat", "a");
        dump.put("db/2001.dat", "b");
        dump.put("a-first.txt", "1");
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            backup(repo, dump);
            List<String> restored = new ArrayList<>();
            repo.restore(SnapshotSelector.latest()).to(recording(restored)).run();
            assertThat(restored).containsExactly("db", "db/toc.dat", "db/3001.dat", "db/2001.dat", "a-first.txt");
        }
    }

    @Test
    void a_source_that_breaks_the_order_fails_the_backup_and_names_the_entry() {
        Map<String, String> scattered = new LinkedHashMap<>();
        scattered.put("a/x", "1");
        scattered.put("b/y", "2");
        scattered.put("a/z", "3");
        Map<String, String> belowFile = new LinkedHashMap<>();
        belowFile.put("f", "1");
        belowFile.put("f/g", "2");
        Map<String, String> twice = new LinkedHashMap<>();
        twice.put("d", null);
        twice.put("d/x", "1");
        twice.put("e", "2");
        twice.put("d", null);
        Map<String, String> parentLate = new LinkedHashMap<>();
        parentLate.put("p/x", "1");
        parentLate.put("p", null);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            assertThatThrownBy(() -> backup(repo, scattered)).isInstanceOf(BackupException.class)
                    .hasMessageContaining("'a/z'").hasMessageContaining("out of order");
            assertThatThrownBy(() -> backup(repo, belowFile)).isInstanceOf(BackupException.class)
                    .hasMessageContaining("'f/g'");
            assertThatThrownBy(() -> backup(repo, parentLate)).isInstanceOf(BackupException.class)
                    .hasMessageContaining("'p'");
            assertThat(repo.snapshots()).as("nothing was committed").isEmpty();
        }
        assertThat(twice).hasSize(3); // a map cannot repeat a key: the flat case is covered by 'parentLate'
    }

    @Test
    void restoring_one_directory_reads_only_the_trees_on_its_way() throws IOException {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        Map<String, String> wide = new LinkedHashMap<>();
        for (int d = 0; d < 30; d++) {
            wide.put("d" + d, null);
            wide.put("d" + d + "/sub", null);
            wide.put("d" + d + "/sub/f.txt", "f" + d);
        }
        try (Repository repo = Repository.init(sink)) {
            backup(repo, wide);
            sink.treeReads.set(0);
            List<String> restored = new ArrayList<>();
            repo.restore(SnapshotSelector.latest()).include("d7/sub").to(recording(restored)).run();
            assertThat(restored).containsExactly("d7", "d7/sub", "d7/sub/f.txt");
            assertThat(sink.treeReads.get()).as("root, d7 and d7/sub, each read at most twice (fetch-ahead and write)")
                    .isBetween(3, 6);
        }
    }

    @Test
    void prune_and_verify_read_a_tree_shared_by_many_snapshots_once() {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink)) {
            for (int i = 0; i < 30; i++) {
                backup(repo, tree(i < 15 ? "1" : "2"));
            }
            // two states of the tree: 5 trees, then 2 new ones (a and the root)
            assertThat(treeBlobs(repo)).hasSize(7);
            sink.treeReads.set(0);
            PruneReport dry = repo.prune().policy(com.mintreplica.backup.core.retention.Retention.builder().keepLast(20).build())
                    .dryRun(true).run();
            assertThat(dry.removed()).hasSize(10);
            assertThat(sink.treeReads.get()).as("tree reads planning a prune of 30 snapshots").isLessThanOrEqualTo(7);
            sink.treeReads.set(0);
            assertThat(repo.verify(false).problems()).isEmpty();
            assertThat(sink.treeReads.get()).as("tree reads verifying 30 snapshots").isLessThanOrEqualTo(7);
        }
    }

    @Test
    void a_tree_with_two_entries_of_one_name_is_refused() {
        byte[] crafted = ("{\"entries\":[{\"name\":\"evil\",\"type\":\"symlink\",\"link\":\"/etc\"},"
                + "{\"name\":\"evil\",\"type\":\"dir\",\"tree\":\"" + "00".repeat(32) + "\"}]}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TreeFormat.decode(BlobId.wrap(new byte[32]), "", crafted))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("appears twice");
        byte[] slash = "{\"entries\":[{\"name\":\"a/b\",\"type\":\"file\",\"size\":0}]}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TreeFormat.decode(BlobId.wrap(new byte[32]), "", slash))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("no valid name");
    }

    private static RestoreTarget recording(List<String> paths) {
        return new RestoreTarget() {
            @Override
            public void begin(RestoreContext context) {
            }

            @Override
            public void write(Entry entry, InputStream content) throws IOException {
                paths.add(entry.path());
                if (entry.type() == EntryType.REGULAR) {
                    content.readAllBytes();
                }
            }

            @Override
            public void finish() {
            }
        };
    }
}
