package com.mintreplica.backup.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.FileNames;
import com.mintreplica.backup.testkit.fs.HostileTree;
import com.mintreplica.backup.testkit.fs.TreeFacts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Restored means as it was: the hostile tree of the test kit, through backup and restore, with every attribute. */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FidelityTest {
    private static final long SPARSE = 64L << 20;

    @TempDir
    Path temp;

    /** The description of a tree as a restore should bring it back: sockets are not kept (as restic). */
    static Map<String, Map<String, String>> restorable(Path root) throws IOException {
        Map<String, Map<String, String>> facts = TreeFacts.describe(root);
        facts.values().removeIf(f -> f.get("type").equals("socket"));
        return facts;
    }

    static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "--format=%b %B", file.toString()).start();
        String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
        assertThat(p.waitFor()).isZero();
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    @Test
    void the_hostile_tree_comes_back_with_every_attribute_in_both_layouts() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), SPARSE);
        Map<String, Map<String, String>> expected = restorable(tree.root());
        for (Layout layout : Layout.values()) {
            Path restore = temp.resolve("restore-" + layout);
            try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo-" + layout)),
                    RepositorySettings.defaults().withLayout(layout))) {
                BackupResult result = Backup.pipeline().source(DirectorySource.of(tree.root())).to(repo).build().run();
                List<String> warnings = result.snapshot().warnings().stream().map(w -> w.path() + ": " + w.message()).toList();
                if (tree.parts().contains(HostileTree.Part.SOCKET)) {
                    assertThat(warnings).singleElement().asString().contains("special/socket: is a socket");
                } else {
                    assertThat(warnings).isEmpty();
                }
                repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).run();
                Path restored = Trees.restoredRoot(restore, tree.root());
                assertThat(TreeFacts.differences(expected, restorable(restored), TreeFacts.ATTRIBUTES))
                        .as("what the %s restore did not keep", layout).isEmpty();
                assertThat(repo.verify(true).ok()).isTrue();
            }
        }
        assertThat(expected).as("the tree had what this test is about").containsKeys(
                FileNames.decode(HostileTree.bytes("names/bad-", 0xff, 0xfe, ".bin")), "names/bad-\ufffd\ufffd.bin",
                "names/new\nline and  two spaces.txt", "links/b/third.txt", "special/fifo", "symlinks/dangling");
        assertThat(expected.get("links/b/third.txt")).containsEntry("hardlink", "links/a/first.txt");
        assertThat(expected.get("symlinks/dangling").get("mtime")).endsWith("123456791");
        if (HostileTree.runningAsRoot()) {
            assertThat(tree.parts()).contains(HostileTree.Part.DEVICES, HostileTree.Part.TRUSTED_XATTRS, HostileTree.Part.OWNERS);
        }
        if (TreeFacts.canReadXattrs()) {
            assertThat(tree.parts()).contains(HostileTree.Part.USER_XATTRS, HostileTree.Part.ACLS);
            assertThat(expected.get("acl/shared.txt").get("xattrs")).contains("system.posix_acl_access");
            assertThat(expected.get("acl/inherit").get("xattrs")).contains("system.posix_acl_default");
        }
    }

    @Test
    void a_sparse_file_restores_sparse_and_runs_of_zeros_cost_nothing_to_store() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), SPARSE);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            BackupResult result = Backup.pipeline().source(DirectorySource.of(tree.root())).to(repo).build().run();
            // 72 MiB of zeros (sparse and written) are a few distinct zero chunks, which compress to almost nothing
            assertThat(result.bytesStored()).isLessThan(1L << 20);
            Path restore = temp.resolve("restore");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).run();
            Path big = Trees.restoredRoot(restore, tree.sparseFile());
            assertThat(Files.size(big)).isEqualTo(SPARSE);
            assertThat(allocatedBytes(big)).isLessThanOrEqualTo(64L << 10);
            Path zeros = big.resolveSibling("zeros.bin");
            assertThat(allocatedBytes(tree.sparseFile().resolveSibling("zeros.bin"))).isGreaterThanOrEqualTo(8L << 20);
            assertThat(allocatedBytes(zeros)).isLessThanOrEqualTo(64L << 10);
            assertThat(Trees.sha256(big)).isEqualTo(Trees.sha256(tree.sparseFile()));

            Path dense = temp.resolve("dense");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(dense).sparse(false)).include(
                    tree.sparseFile().toString().substring(1)).run();
            assertThat(allocatedBytes(Trees.restoredRoot(dense, tree.sparseFile()))).isGreaterThanOrEqualTo(SPARSE);
        }
    }

    @Test
    void hard_links_come_back_linked_also_when_their_first_path_is_not_restored() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            BackupResult result = Backup.pipeline().source(DirectorySource.of(tree.root())).to(repo).build().run();
            List<Entry> entries = repo.entries(result.snapshot());
            String first = entry(entries, "links/a/first.txt").path();
            assertThat(entry(entries, "links/b/second.txt").hardLinkTo()).contains(first);
            Path restore = temp.resolve("restore");
            String linksB = first.substring(0, first.length() - "a/first.txt".length()) + "b";
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).include(linksB).run();
            Path second = restore.resolve(linksB).resolve("second.txt");
            Path third = restore.resolve(linksB).resolve("third.txt");
            assertThat(Files.readString(second)).isEqualTo("one file, three names\n");
            assertThat(Files.getAttribute(second, "unix:ino")).isEqualTo(Files.getAttribute(third, "unix:ino"));
            assertThat(Files.getAttribute(second, "unix:nlink")).isEqualTo(2);
            assertThat(Files.exists(restore.resolve(first))).isFalse();
        }
    }

    private static Entry entry(List<Entry> entries, String suffix) {
        return entries.stream().filter(e -> e.path().endsWith(suffix)).findFirst().orElseThrow();
    }

    @Test
    void access_and_modification_times_come_back_to_the_nanosecond_for_files_directories_and_links() throws Exception {
        Path tree = temp.resolve("t");
        Files.createDirectories(tree.resolve("dir"));
        Files.writeString(tree.resolve("dir/file"), "x");
        Files.createSymbolicLink(tree.resolve("link"), Path.of("dir/file"));
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            BackupResult result = Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            Path restore = temp.resolve("restore");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).run();
            for (Entry e : repo.entries(result.snapshot())) {
                Path p = restore.resolve(e.path());
                var a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                assertThat(a.lastModifiedTime().toInstant()).as("mtime of %s", e).isEqualTo(e.modified().orElseThrow());
                assertThat(a.lastAccessTime().toInstant()).as("atime of %s", e).isEqualTo(e.accessed().orElseThrow());
            }
        }
        // and the symlink of the hostile tree, whose time has nanoseconds the JDK's lutimes() cannot set
        HostileTree hostile = HostileTree.create(temp.resolve("h"), 1 << 20);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo2")))) {
            Backup.pipeline().source(DirectorySource.of(hostile.root().resolve("symlinks"))).to(repo).build().run();
            Path restore = temp.resolve("restore2");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).run();
            Path link = Trees.restoredRoot(restore, hostile.root().resolve("symlinks/dangling"));
            assertThat(Files.readAttributes(link, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).lastModifiedTime().toInstant())
                    .isEqualTo(HostileTree.TIME.plusNanos(2));
        }
    }

    @Test
    void names_and_attributes_round_trip_with_LANG_unset() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        Path repo = temp.resolve("repo");
        Path restore = temp.resolve("restore");
        String out = fork(Map.of(), List.of(), "backup", tree.root().toString(), repo.toString());
        assertThat(out).contains("sun.jnu.encoding=ANSI_X3.4-1968");
        fork(Map.of(), List.of(), "restore", repo.toString(), restore.toString());
        assertThat(TreeFacts.differences(restorable(tree.root()), restorable(Trees.restoredRoot(restore, tree.root())),
                TreeFacts.ATTRIBUTES)).isEmpty();
        // and LANG=C.UTF-8 reads the snapshot LANG unset wrote, name for name
        Path again = temp.resolve("again");
        fork(Map.of("LANG", "C.UTF-8"), List.of(), "restore", repo.toString(), again.toString());
        assertThat(TreeFacts.differences(restorable(tree.root()), restorable(Trees.restoredRoot(again, tree.root())),
                TreeFacts.ATTRIBUTES)).isEmpty();
    }

    @Test
    void a_target_that_cannot_hold_an_acl_never_gets_wider_group_bits() throws Exception {
        assumeTrue(TreeFacts.canReadXattrs(), "setfacl/getfattr (Debian's acl and attr packages) are needed");
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        assumeTrue(tree.parts().contains(HostileTree.Part.ACLS), "the file system of the temporary directory has no ACLs");
        Path file = tree.root().resolve("acl/shared.txt");
        assertThat((Integer) Files.getAttribute(file, "unix:mode") & 0777).as("mask rwx shows as group bits").isEqualTo(0670);
        Path repo = temp.resolve("repo");
        fork(Map.of("LANG", "C.UTF-8"), List.of(), "backup", tree.root().toString(), repo.toString());
        Path restore = temp.resolve("restore");
        // a restore without native access stands for a target that refuses ACLs: it cannot set them
        String out = fork(Map.of("LANG", "C.UTF-8"), List.of("-Dmint.backup.fs.noNative=true"), "restore", repo.toString(),
                restore.toString());
        Path restored = Trees.restoredRoot(restore, file);
        assertThat((Integer) Files.getAttribute(restored, "unix:mode") & 0777).as("the owning group's own r--").isEqualTo(0640);
        assertThat(out.lines().filter(l -> l.contains("POSIX ACLs cannot be restored"))).hasSize(1);
        // several access ACLs and a default ACL: one warning, then a count
        assertThat(out).containsPattern("the same \\(acl\\) [0-9]+ more times");
    }

    @Test
    void a_restore_into_a_directory_with_a_default_acl_gives_no_entry_an_acl_it_did_not_have() throws Exception {
        assumeTrue(TreeFacts.canReadXattrs(), "setfacl/getfattr (Debian's acl and attr packages) are needed");
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        assumeTrue(tree.parts().contains(HostileTree.Part.ACLS), "the file system of the temporary directory has no ACLs");
        Map<String, Map<String, String>> expected = restorable(tree.root());
        assertThat(expected.get("acl/inherit/before.txt").get("xattrs")).isEmpty();
        assertThat(expected.get("acl/inherit/after.txt").get("xattrs")).contains("system.posix_acl_access");
        Path restore = Files.createDirectories(temp.resolve("restore"));
        Process setfacl = new ProcessBuilder("setfacl", "-d", "-m", "u:nobody:rwx", restore.toString()).inheritIO().start();
        assertThat(setfacl.waitFor()).isZero();
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Backup.pipeline().source(DirectorySource.of(tree.root())).to(repo).build().run();
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).run();
        }
        assertThat(TreeFacts.differences(expected, restorable(Trees.restoredRoot(restore, tree.root())), TreeFacts.ATTRIBUTES))
                .isEmpty();
    }

    /**
     * The explorers' F21: files are replaced, so they came back exact, but a directory already in the target kept the
     * user attributes and ACL entries the snapshot does not have (an access ACL granting another user stayed).
     */
    @Test
    void a_restore_over_existing_directories_removes_the_attributes_and_acls_the_snapshot_lacks() throws Exception {
        assumeTrue(TreeFacts.canReadXattrs(), "setfacl/getfattr (Debian's acl and attr packages) are needed");
        Path tree = Files.createDirectories(temp.resolve("src/d/sub"));
        Files.writeString(tree.resolve("deep"), "y");
        Path root = temp.resolve("src");
        assumeTrue(run("setfattr", "-n", "user.kept", "-v", "1", root.resolve("d").toString()) == 0,
                "the temporary directory's file system holds no user attributes");
        Path restore = temp.resolve("restore");
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Backup.pipeline().source(DirectorySource.of(root)).to(repo).build().run();
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).run();
            Path restored = Trees.restoredRoot(restore, root);
            assumeTrue(run("setfacl", "-m", "u:nobody:rwx", restored.resolve("d/sub").toString()) == 0,
                    "the temporary directory's file system holds no ACLs");
            assertThat(run("setfattr", "-n", "user.stale", "-v", "1", restored.resolve("d").toString())).isZero();
            assertThat(TreeFacts.differences(restorable(root), restorable(restored), TreeFacts.ATTRIBUTES)).isNotEmpty();
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restore)).run();
            assertThat(TreeFacts.differences(restorable(root), restorable(restored), TreeFacts.ATTRIBUTES)).isEmpty();
            assertThat(restorable(restored).get("d").get("xattrs")).contains("user.kept");
        }
    }

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    /** Runs {@link ForkedFs} in a JVM with only {@code env} as its environment (so LANG is unset unless given). */
    private String fork(Map<String, String> env, List<String> jvmOptions, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ForkedFs.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void a_fifo_socket_or_device_as_the_source_path_is_refused_and_a_link_loop_is_named() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            assertThatThrownBy(() -> Backup.pipeline().source(DirectorySource.of(tree.root().resolve("special/fifo"))).to(repo).build().run())
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("it is a FIFO (named pipe); only files and directories can be source paths");
            assertThatThrownBy(() -> Backup.pipeline().source(DirectorySource.of(tree.root().resolve("special/socket"))).to(repo).build().run())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("it is a socket");
            if (tree.parts().contains(HostileTree.Part.DEVICES)) {
                assertThatThrownBy(() -> Backup.pipeline().source(DirectorySource.of(tree.root().resolve("special/null"))).to(repo).build().run())
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("it is a character device");
            }
            Path loop = temp.resolve("loop");
            Files.createSymbolicLink(loop, loop.getFileName());
            assertThatThrownBy(() -> Backup.pipeline().source(DirectorySource.of(loop)).to(repo).build().run())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("too many levels of symbolic links");
            assertThat(repo.snapshots()).isEmpty();
        }
    }

    @Test
    void a_file_appended_to_while_it_is_read_is_stored_with_a_warning() throws Exception {
        Path tree = temp.resolve("t");
        Path log = tree.resolve("app.log");
        Trees.writeRandom(log, 48L << 20, 5);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong appended = new AtomicLong();
        Thread writer = new Thread(() -> {
            byte[] line = "2024-01-01 a log line appended during the backup\n".getBytes(StandardCharsets.US_ASCII);
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.APPEND)) {
                while (!stop.get() && appended.get() < (256L << 20)) {
                    appended.addAndGet(ch.write(ByteBuffer.wrap(line)));
                    Thread.sleep(0, 200_000);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            while (appended.get() == 0) {
                Thread.onSpinWait();
            }
            BackupResult result = Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            stop.set(true);
            writer.join();
            assertThat(result.snapshot().warnings()).singleElement().satisfies(w -> {
                assertThat(w.path()).endsWith("t/app.log");
                assertThat(w.message()).contains("changed while it was read");
            });
            Snapshot stored = repo.snapshot(SnapshotSelector.latest());
            assertThat(stored.warnings()).extracting(Snapshot.Warning::message).singleElement().asString()
                    .contains("changed while it was read");
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void a_version_1_repository_made_before_this_change_still_restores() throws Exception {
        Path fixture = Path.of("src/test/resources/v1-repository").toAbsolutePath();
        assertThat(fixture.resolve("repo/config")).exists();
        Path copy = temp.resolve("v1");
        try (var files = Files.walk(fixture.resolve("repo"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.copy(p, copy.resolve(fixture.resolve("repo").relativize(p).toString()));
            }
        }
        Path restore = temp.resolve("restore");
        try (Repository repo = Repository.open(new LocalDirectorySink(copy))) {
            assertThat(repo.snapshots()).hasSize(2);
            for (Snapshot s : repo.snapshots()) {
                Path into = restore.resolve(s.id());
                repo.restore(SnapshotSelector.id(s.id())).to(DirectoryTarget.to(into)).run();
                Path root = into.resolve(s.facts().get("fs.root.0"));
                assertThat(Files.readString(root.resolve("ünïcødé/café.txt"))).isEqualTo("€ 12,50\n");
                assertThat(Files.readSymbolicLink(root.resolve("link"))).isEqualTo(Path.of("ünïcødé/café.txt"));
                assertThat(Files.getLastModifiedTime(root.resolve("ünïcødé/café.txt")).toInstant())
                        .isEqualTo(Instant.parse("2001-09-09T01:46:40.123456789Z"));
                assertThat(Trees.sha256(root.resolve("big.bin"))).isEqualTo(Files.readString(fixture.resolve("big.bin.sha256")).trim());
            }
            assertThat(repo.verify(true).ok()).isTrue();
        }
    }
}
