package com.mintreplica.backup.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.Entry;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup reads its files without changing their access times (O_NOATIME, as restic), so that the next backup of an
 * unchanged tree finds every entry as it was and stores no tree again.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AccessTimeTest {
    /** Access and modification times that make a read on a {@code relatime} mount set the access time. */
    private static final FileTime ACCESSED = FileTime.from(Instant.now().minus(Duration.ofDays(3)));
    private static final FileTime MODIFIED = FileTime.from(Instant.now().minus(Duration.ofDays(2)));

    @TempDir
    Path temp;

    @Test
    void a_backup_leaves_access_times_alone_and_the_next_backup_of_the_unchanged_tree_stores_nothing() throws Exception {
        Path tree = temp.resolve("tree");
        List<Path> files = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            for (int f = 0; f < 20; f++) {
                Path file = tree.resolve("dir" + d).resolve("file" + f + ".txt");
                Files.createDirectories(file.getParent());
                Files.writeString(file, "content of " + d + "/" + f + "\n".repeat(f * 50));
                files.add(file);
            }
        }
        assumeReadsSetAccessTimes();
        Map<Path, FileTime> before = new LinkedHashMap<>();
        for (Path file : files) {
            setTimes(file);
            before.put(file, accessed(file));
        }
        for (Path dir : List.of(tree.resolve("dir0"), tree.resolve("dir1"), tree.resolve("dir2"), tree)) {
            setTimes(dir); // the walk lists directories: that must not change what the next backup sees either
            before.put(dir, accessed(dir));
        }
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            BackupResult first = Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            assertThat(first.bytesRead()).isPositive();
            for (Map.Entry<Path, FileTime> e : before.entrySet()) {
                assertThat(accessed(e.getKey())).as("access time of %s after the backup read it", e.getKey())
                        .isEqualTo(e.getValue());
            }
            BackupResult second = Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            assertThat(second.bytesRead()).isZero();
            // The second snapshot's entries of the tree are the first's, access times included: its trees are the same
            // objects, none stored again (the ancestors' trees may differ: /tmp changes under any test run).
            assertThat(entriesOf(repo, second, tree)).hasSize(files.size() + 4).isEqualTo(entriesOf(repo, first, tree));
            Path restored = temp.resolve("restored");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();
            Path back = Trees.restoredRoot(restored, tree);
            for (Path file : files) {
                Path copy = back.resolve(tree.relativize(file).toString());
                assertThat(accessed(copy)).as("restored access time of %s", file).isEqualTo(before.get(file));
                assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(file));
            }
        }
    }

    /**
     * Without CAP_FOWNER, O_NOATIME is refused (EPERM) for a file or directory of another owner: the backup reads or
     * lists it as any reader would. Root runs the backup in a JVM of its own without that capability ({@code setpriv}, so no mock), the file
     * belonging to nobody.
     */
    @Test
    void another_owners_file_is_still_read_by_a_process_that_may_not_keep_its_access_time() throws Exception {
        assumeTrue(isRoot(), "needs root (to give a file to another owner and drop CAP_FOWNER)");
        assumeTrue(new File("/usr/bin/setpriv").canExecute(), "needs setpriv (util-linux)");
        Path tree = temp.resolve("tree");
        Files.createDirectories(tree);
        Path theirs = tree.resolve("theirs.txt");
        Path ours = tree.resolve("ours.txt");
        Files.writeString(theirs, "belongs to nobody\n".repeat(1000));
        Files.writeString(ours, "belongs to root\n".repeat(1000));
        Files.setAttribute(theirs, "unix:uid", 65534);
        Path theirDir = Files.createDirectory(tree.resolve("their-dir"));
        Files.writeString(theirDir.resolve("inside.txt"), "in a directory of nobody's\n");
        Files.setAttribute(theirDir, "unix:uid", 65534);
        Path repoDir = temp.resolve("repo");
        List<String> command = new ArrayList<>(List.of("/usr/bin/setpriv", "--bounding-set=-fowner", "--inh-caps=-fowner",
                "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ForkedFs.class.getName(), "backup", tree.toString(),
                repoDir.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as("the forked backup's warnings").doesNotContain("warning:");
        Path restored = temp.resolve("restored");
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();
        }
        Path back = Trees.restoredRoot(restored, tree);
        assertThat(Files.readString(back.resolve("theirs.txt"))).isEqualTo(Files.readString(theirs));
        assertThat(Files.readString(back.resolve("ours.txt"))).isEqualTo(Files.readString(ours));
        assertThat(Files.readString(back.resolve("their-dir/inside.txt"))).isEqualTo("in a directory of nobody's\n");
    }

    private static List<Entry> entriesOf(Repository repo, BackupResult backup, Path tree) {
        String root = tree.toAbsolutePath().toString().substring(1);
        return repo.entries(backup.snapshot()).stream()
                .filter(e -> e.path().equals(root) || e.path().startsWith(root + "/")).toList();
    }

    /** Skips where a read does not set an old access time (a file system mounted noatime, or no such clock). */
    private void assumeReadsSetAccessTimes() throws IOException {
        Path probe = temp.resolve("probe");
        Files.writeString(probe, "probe");
        setTimes(probe);
        FileTime was = accessed(probe);
        Files.readAllBytes(probe);
        assumeTrue(!accessed(probe).equals(was), "reads do not set access times on this file system");
    }

    private static void setTimes(Path path) throws IOException {
        Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(MODIFIED, ACCESSED, null);
    }

    private static FileTime accessed(Path path) throws IOException {
        return (FileTime) Files.getAttribute(path, "lastAccessTime", LinkOption.NOFOLLOW_LINKS);
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of(System.getProperty("user.home")), "unix:uid"))
                    && "root".equals(System.getProperty("user.name"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
