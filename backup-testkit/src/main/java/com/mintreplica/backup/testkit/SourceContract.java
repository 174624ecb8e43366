package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Source} and its {@link RestoreTarget} must have: what is backed up restores to the same
 * data, in both layouts; entries are valid, unique and in restore order (a directory before its entries, the entries
 * below a directory together: see {@link SourceReader}); unchanged data costs little in the next backup. An adapter's test extends this class over data it prepares:
 *
 * <pre>{@code
 * class DirectorySourceTest extends SourceContract {
 *     protected Source newSource() { return DirectorySource.of(tree); }
 *     protected RestoreTarget newTarget() { restored = Files.createTempDirectory("r"); return DirectoryTarget.to(restored); }
 *     protected void assertRestored(RestoreTarget target) { assertSameTree(tree, restored); }
 * }
 * }</pre>
 */
public abstract class SourceContract {

    /** A Source over the data the test prepared. Called several times; each must read the same data. */
    protected abstract Source newSource() throws Exception;

    /** A fresh, empty place to restore to. */
    protected abstract RestoreTarget newTarget() throws Exception;

    /** Asserts that {@code target}, after a restore, holds the same data as the source. */
    protected abstract void assertRestored(RestoreTarget target) throws Exception;

    /**
     * Secrets the source was given (passwords, tokens): none of them may appear in its id, its facts or its entries'
     * metadata, which are stored in clear in manifests and shown by the CLI. Default: none.
     */
    protected java.util.Set<String> secrets() {
        return java.util.Set.of();
    }

    /** How many bytes a backup of unchanged data may add; by default 5% of the data plus 8 MiB. */
    protected long unchangedAllowance(BackupResult first) {
        return first.snapshot().stats().totalBytes() / 20 + 8L * 1024 * 1024;
    }

    private BackupResult backup(Repository repo) throws Exception {
        return Backup.pipeline().source(newSource()).to(repo).host("contract").build().run();
    }

    private void roundTrip(Layout layout) throws Exception {
        try (Repository repo = Repository.init(new InMemorySink(), RepositorySettings.defaults().withLayout(layout))) {
            BackupResult result = backup(repo);
            assertThat(result.snapshot().source()).isEqualTo(newSource().id());
            RestoreTarget target = newTarget();
            repo.restore(SnapshotSelector.id(result.snapshotId())).to(target).run();
            assertRestored(target);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }

    /**
     * A dry run ({@code restore --dry-run}) counts every entry and its bytes as the restore does, through the target's
     * {@code plan}, and leaves the target such that a real restore into it afterwards is still exact.
     */
    @Test
    void a_dry_run_counts_what_a_restore_writes_and_a_restore_after_it_is_exact() throws Exception {
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult result = backup(repo);
            RestoreTarget target = newTarget();
            java.util.List<String> wouldRemove = new java.util.ArrayList<>();
            com.mintreplica.backup.core.RestoreResult planned = repo.restore(SnapshotSelector.id(result.snapshotId()))
                    .to(target).dryRun(wouldRemove::add).run();
            assertThat(planned.entries()).isEqualTo(repo.entries(result.snapshot()).size());
            com.mintreplica.backup.core.RestoreResult restored = repo.restore(SnapshotSelector.id(result.snapshotId()))
                    .to(target).run();
            assertThat(planned.entries()).isEqualTo(restored.entries());
            assertThat(planned.bytes()).isEqualTo(restored.bytes());
            assertRestored(target);
        }
    }

    @Test
    void what_is_backed_up_restores_the_same_in_the_chunked_layout() throws Exception {
        roundTrip(Layout.CHUNKED);
    }

    @Test
    void what_is_backed_up_restores_the_same_in_the_single_object_layout() throws Exception {
        roundTrip(Layout.SINGLE);
    }

    @Test
    void entries_are_valid_unique_and_each_comes_after_its_directory() throws Exception {
        List<Entry> entries = read(newSource());
        assertThat(entries).isNotEmpty();
        Set<String> seen = new HashSet<>();
        for (Entry e : entries) {
            assertThat(Entry.checkPath(e.path())).isEqualTo(e.path());
            assertThat(seen.add(e.path())).as("path %s appears once", e.path()).isTrue();
            int slash = e.path().lastIndexOf('/');
            if (slash > 0) {
                String parent = e.path().substring(0, slash);
                boolean parentListed = entries.stream().anyMatch(x -> x.path().equals(parent));
                if (parentListed) {
                    assertThat(seen).as("directory %s comes before %s", parent, e.path()).contains(parent);
                }
            }
        }
    }

    /**
     * The order {@link SourceReader} asks for: the entries below a directory come together (a backup stores one listing
     * per directory, written when it leaves the directory), and nothing lies below a file or symlink. Directories that
     * are not entries themselves are fine.
     */
    @Test
    void the_entries_below_a_directory_come_together_and_nothing_lies_below_a_file() throws Exception {
        java.util.Deque<String> open = new java.util.ArrayDeque<>();
        open.push("");
        Set<String> left = new HashSet<>();
        Set<String> notDirectories = new HashSet<>();
        for (Entry e : read(newSource())) {
            String path = e.path();
            int slash = path.lastIndexOf('/');
            String directory = slash < 0 ? "" : path.substring(0, slash);
            while (!within(directory, open.peek())) {
                left.add(open.pop());
            }
            while (!open.peek().equals(directory)) {
                String top = open.peek();
                int end = directory.indexOf('/', top.isEmpty() ? 0 : top.length() + 1);
                String next = end < 0 ? directory : directory.substring(0, end);
                assertThat(left).as("%s comes after the entries below %s were done", path, next).doesNotContain(next);
                assertThat(notDirectories).as("%s lies below %s, which is not a directory", path, next).doesNotContain(next);
                open.push(next);
            }
            if (e.type() == EntryType.DIRECTORY) {
                assertThat(left).as("directory %s comes after entries below it", path).doesNotContain(path);
                open.push(path);
            } else {
                notDirectories.add(path);
            }
        }
    }

    private static boolean within(String path, String directory) {
        return directory.isEmpty() || path.equals(directory) || path.startsWith(directory + "/");
    }

    @Test
    void no_secret_appears_in_the_source_id_facts_or_entries() throws Exception {
        java.util.Set<String> secrets = secrets();
        org.junit.jupiter.api.Assumptions.assumeFalse(secrets.isEmpty(), "this source is given no secrets");
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult result = backup(repo);
            StringBuilder stored = new StringBuilder(newSource().id().toString());
            result.snapshot().facts().forEach((k, v) -> stored.append(k).append('=').append(v).append('\n'));
            for (Entry e : repo.entries(result.snapshot())) {
                stored.append(e.path()).append(e.attributes()).append(e.linkTarget().orElse("")).append('\n');
            }
            for (String secret : secrets) {
                assertThat(stored.toString()).as("stored metadata").doesNotContain(secret);
            }
        }
    }

    @Test
    void reading_twice_gives_the_same_entries() throws Exception {
        List<String> first = read(newSource()).stream().map(e -> e.type() + " " + e.path()).toList();
        List<String> second = read(newSource()).stream().map(e -> e.type() + " " + e.path()).toList();
        assertThat(second).isEqualTo(first);
    }

    @Test
    void a_second_backup_of_unchanged_data_adds_little() throws Exception {
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult first = backup(repo);
            BackupResult second = backup(repo);
            assertThat(second.bytesNew()).isLessThanOrEqualTo(unchangedAllowance(first));
            assertThat(second.snapshot().parent()).contains(first.snapshotId());
        }
    }

    /** Reads every entry and its content, as a backup does. */
    protected static List<Entry> read(Source source) throws Exception {
        List<Entry> out = new ArrayList<>();
        try (SourceReader reader = source.open(new RecordingContext())) {
            Optional<SourceEntry> next;
            while ((next = reader.next()).isPresent()) {
                Entry e = next.get().entry();
                out.add(e);
                if (e.type() == EntryType.REGULAR) {
                    try (InputStream in = next.get().openContent()) {
                        in.transferTo(OutputStream.nullOutputStream());
                    }
                }
            }
        }
        return out;
    }
}
