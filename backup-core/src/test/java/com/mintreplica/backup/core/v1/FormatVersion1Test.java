package com.mintreplica.backup.core.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.CopyResult;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Repositories written by mint-backup before snapshots were trees (format version 1: flat manifests, index objects
 * without blob types; committed under {@code src/test/resources/format-v1}, see its README) still list, restore and
 * verify, take new (tree) snapshots whose parent is a flat one, and prune and copy with both kinds in them.
 */
@Timeout(120)
class FormatVersion1Test {
    @TempDir
    Path temp;

    private Repository open(String layout) throws IOException, URISyntaxException {
        Path fixture = Path.of(FormatVersion1Test.class.getResource("/format-v1/" + layout + "/config").toURI()).getParent();
        Path copy = temp.resolve(layout);
        try (Stream<Path> files = Files.walk(fixture)) {
            for (Path f : files.toList()) {
                Path to = copy.resolve(fixture.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        return Repository.open(new LocalDirectorySink(copy));
    }

    /** What a restore hands over, as fixture items. */
    private static List<V1Fixture.Item> restore(Repository repo, Snapshot snapshot) {
        List<V1Fixture.Item> out = new ArrayList<>();
        repo.restore(SnapshotSelector.id(snapshot.id())).to(new RestoreTarget() {
            @Override
            public void begin(RestoreContext context) {
            }

            @Override
            public void write(Entry e, InputStream content) throws IOException {
                String type = switch (e.type()) {
                    case DIRECTORY -> "dir";
                    case SYMLINK -> "symlink";
                    default -> "file";
                };
                byte[] bytes = e.type() == EntryType.REGULAR ? content.readAllBytes() : null;
                out.add(new V1Fixture.Item(e.path(), type, bytes, e.linkTarget().orElse(null), e.mode().orElse(-1)));
            }

            @Override
            public void finish() {
            }
        }).run();
        return out;
    }

    private static void assertSame(List<V1Fixture.Item> actual, List<V1Fixture.Item> expected) {
        assertThat(actual).extracting(V1Fixture.Item::path).containsExactlyElementsOf(
                expected.stream().map(V1Fixture.Item::path).toList());
        for (int i = 0; i < expected.size(); i++) {
            V1Fixture.Item a = actual.get(i);
            V1Fixture.Item e = expected.get(i);
            assertThat(a.type()).as(e.path()).isEqualTo(e.type());
            assertThat(a.mode()).as(e.path()).isEqualTo(e.mode());
            assertThat(a.link()).as(e.path()).isEqualTo(e.link());
            assertThat(a.content()).as(e.path()).isEqualTo(e.content());
        }
    }

    private static void assertVerifies(Repository repo) {
        VerifyReport report = repo.verify(true);
        assertThat(report.problems()).isEmpty();
        assertThat(report.unreferencedPacks()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked", "single"})
    void lists_restores_and_verifies_as_it_was_written(String layout) throws Exception {
        try (Repository repo = open(layout)) {
            List<Snapshot> snapshots = repo.snapshots();
            assertThat(snapshots).extracting(Snapshot::time).containsExactly(V1Fixture.TIMES);
            assertThat(snapshots).allSatisfy(s -> {
                assertThat(s.host()).isEqualTo(V1Fixture.HOST);
                assertThat(s.source()).isEqualTo(V1Fixture.SOURCE);
                assertThat(s.job()).contains("fixture");
            });
            assertThat(snapshots.get(1).parent()).contains(snapshots.get(0).id());
            for (int state = 0; state < 2; state++) {
                assertSame(restore(repo, snapshots.get(state)), V1Fixture.state(state));
                assertThat(repo.entries(snapshots.get(state))).extracting(Entry::path)
                        .containsExactlyElementsOf(V1Fixture.state(state).stream().map(V1Fixture.Item::path).toList());
                assertThat(repo.entries(snapshots.get(state))).allMatch(e -> e.attributes().equals(java.util.Map.of("fixture", "v1")));
            }
            try (InputStream in = repo.openEntry(snapshots.get(1), "docs/ledger.csv")) {
                assertThat(in.readAllBytes()).isEqualTo(V1Fixture.state(1).get(2).content());
            }
            assertVerifies(repo);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked", "single"})
    void ls_of_one_directory_of_a_flat_snapshot_lists_what_is_in_it(String layout) throws Exception {
        try (Repository repo = open(layout)) {
            Snapshot flat = repo.snapshot(SnapshotSelector.latest());
            List<String> in = new ArrayList<>();
            repo.forEachEntryIn(flat, "/docs", false, e -> in.add(e.path()));
            assertThat(in).containsExactly("docs/readme.txt", "docs/ledger.csv", "docs/empty");
            in.clear();
            // a directory the source named no entry for: the flat manifest has only what is below it
            repo.forEachEntryIn(flat, "dump", true, e -> in.add(e.path()));
            assertThat(in).containsExactly("dump/orders.bson");
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> repo.forEachEntryIn(flat, "docs/readme.txt", false, e -> { }))
                    .isInstanceOf(com.mintreplica.backup.core.InvalidInputException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked", "single"})
    void a_new_backup_on_top_of_a_flat_parent_is_a_tree_and_reuses_unchanged_files(String layout) throws Exception {
        try (Repository repo = open(layout)) {
            Snapshot flat = repo.snapshot(SnapshotSelector.latest());
            BackupResult next = Backup.pipeline().source(V1Fixture.source(1)).to(repo).host(V1Fixture.HOST).job("fixture")
                    .build().run();
            assertThat(next.snapshot().parent()).contains(flat.id());
            if (layout.equals("chunked")) {
                assertThat(next.bytesRead()).as("every file unchanged since the flat parent: none read").isZero();
                assertThat(next.bytesNew()).isZero();
            }
            assertSame(restore(repo, next.snapshot()), V1Fixture.state(1));
            assertThat(repo.snapshots()).hasSize(3);
            assertVerifies(repo);
            // the repository now holds trees: its config says so, so older versions ask to be upgraded
            String config = new String(Files.readAllBytes(temp.resolve(layout).resolve("config")),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(config).contains("\"version\" : 2");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked", "single"})
    void prune_and_copy_handle_flat_and_tree_snapshots_together(String layout) throws Exception {
        try (Repository repo = open(layout)) {
            Backup.pipeline().source(V1Fixture.source(1)).to(repo).host(V1Fixture.HOST).job("fixture").build().run();
            try (Repository target = Repository.init(new LocalDirectorySink(temp.resolve("copy")))) {
                CopyResult copied = repo.copyTo(target);
                assertThat(copied.copied()).hasSize(3);
                List<Snapshot> copies = target.snapshots();
                assertSame(restore(target, copies.get(0)), V1Fixture.state(0));
                assertSame(restore(target, copies.get(1)), V1Fixture.state(1));
                assertSame(restore(target, copies.get(2)), V1Fixture.state(1));
                assertVerifies(target);
            }
            PruneReport report = repo.prune().policy(Retention.builder().keepLast(1).build()).run();
            assertThat(report.removed()).hasSize(2);
            Snapshot kept = repo.snapshot(SnapshotSelector.latest());
            assertThat(repo.snapshots()).containsExactly(kept);
            assertSame(restore(repo, kept), V1Fixture.state(1));
            assertVerifies(repo);
            if (layout.equals("chunked")) {
                assertThat(report.packsDeleted() + report.packsRepacked()).as("data only the first snapshot used is gone")
                        .isPositive();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked"})
    void the_fixture_is_of_format_version_1_and_reading_it_changes_nothing(String layout) throws Exception {
        try (Repository repo = open(layout)) {
            Path dir = temp.resolve(layout);
            repo.snapshots().forEach(s -> restore(repo, s));
            assertVerifies(repo);
            String config = new String(Files.readAllBytes(dir.resolve("config")), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(config).contains("\"version\" : 1");
            assertThat(dir.resolve("tree")).doesNotExist();
            assertThat(repo.layout()).isEqualTo(Layout.CHUNKED);
        }
    }
}
