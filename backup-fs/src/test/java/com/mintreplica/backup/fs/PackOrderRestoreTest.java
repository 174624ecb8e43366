package com.mintreplica.backup.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.PositionalFiles;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.testkit.ForwardingSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore into a directory reads the repository's packs in order, each once, and writes the files from several
 * threads (restic 0.17's design): counted here through a Sink that counts reads, and compared with the restore that
 * streams each file in turn (a target that does not offer positional writes).
 */
class PackOrderRestoreTest {
    /** Small chunks and packs, so that a small tree spreads over many packs and large files over several. */
    private static final RepositorySettings SMALL = RepositorySettings.defaults()
            .withChunkSizes(16 * 1024, 32 * 1024, 64 * 1024).withPackSize(96 * 1024);

    @TempDir
    Path temp;

    @Test
    void each_pack_is_read_once_when_the_files_of_a_snapshot_share_packs_in_interleaved_order() throws Exception {
        Path tree = temp.resolve("tree");
        for (int i = 0; i < 40; i++) {
            Trees.writeRandom(tree.resolve(String.format("d%d/f%02d.bin", i / 10, i)), 20_000 + 97L * i, i);
        }
        Trees.writeRandom(tree.resolve("big.bin"), 700_000, 99);
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, SMALL)) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            // Every other file changes: the second snapshot's files alternate between the first backup's packs and
            // the second's, so a restore in file order goes back and forth between packs.
            for (int i = 1; i < 40; i += 2) {
                Trees.writeRandom(tree.resolve(String.format("d%d/f%02d.bin", i / 10, i)), 20_000 + 97L * i, 1000 + i);
            }
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            sink.reads.clear();
            Path restored = temp.resolve("restored");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();

            Trees.assertSameTree(tree, Trees.restoredRoot(restored, tree));
            Map<String, AtomicInteger> dataReads = new java.util.TreeMap<>();
            sink.reads.forEach((name, n) -> {
                if (name.startsWith("data/")) {
                    dataReads.put(name, n);
                }
            });
            assertThat(dataReads).as("data packs read").hasSizeGreaterThan(5);
            assertThat(dataReads.values()).as("reads of each data pack: %s", dataReads)
                    .allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        }
    }

    /** A pack's run of small blobs is read in a few large reads, not one (or more) per blob: a system call each. */
    @Test
    void a_run_of_small_files_is_read_from_its_pack_in_a_few_reads_not_one_per_blob() throws Exception {
        Path tree = temp.resolve("tree");
        for (int i = 0; i < 300; i++) {
            Trees.writeRandom(tree.resolve(String.format("d%d/f%03d.bin", i / 50, i)), 500 + 7L * i, i);
        }
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, SMALL)) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            Path restored = temp.resolve("restored");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();
            Trees.assertSameTree(tree, Trees.restoredRoot(restored, tree));
        }
        assertThat(sink.dataRanges.get()).as("ranged reads of data packs").isPositive().isLessThan(60);
        assertThat(sink.dataRangeReads.get()).as("reads of their streams, for 300 blobs in %d ranges", sink.dataRanges.get())
                .isLessThanOrEqualTo(3 * sink.dataRanges.get());
    }

    /**
     * From a store whose ranged reads are requests (S3, GCS: no {@link SinkCapability#LOCAL_READS}), the blobs of one
     * pack are read through one ranged read, however many jobs its files are cut into for the heap: a restore of
     * 150,000 small files from S3 made one GET per job of about 40 files, 3,856 of them for 11 packs. The reads left
     * open from job to job are all closed at the end.
     */
    @Test
    void from_a_remote_store_the_small_files_of_a_pack_come_through_one_ranged_read() throws Exception {
        CountingSink sink = new CountingSink(new ForwardingSink(new LocalDirectorySink(temp.resolve("repo"))) {
            @Override
            public Set<SinkCapability> capabilities() {
                Set<SinkCapability> remote = java.util.EnumSet.noneOf(SinkCapability.class);
                remote.addAll(super.capabilities());
                remote.remove(SinkCapability.LOCAL_READS);
                return remote;
            }
        });
        List<String> packs = restoreSmallFiles(sink);
        assertThat(packs).as("data packs read").hasSizeGreaterThan(1);
        assertThat(sink.dataRanges.get()).as("ranged reads of the %d data packs", packs.size()).isEqualTo(packs.size());
        assertThat(sink.openRanges.get()).as("ranged reads left open").isZero();
    }

    /**
     * From a local directory the jobs of one pack are read by several threads at once, each its own range: the restore
     * of the same files reads its pack in several ranged reads.
     */
    @Test
    void from_a_local_directory_the_jobs_of_a_pack_are_read_in_ranges_of_their_own() throws Exception {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        List<String> packs = restoreSmallFiles(sink);
        assertThat(sink.dataRanges.get()).as("ranged reads of the %d data packs", packs.size()).isGreaterThan(packs.size());
        assertThat(sink.openRanges.get()).as("ranged reads left open").isZero();
    }

    /** Backs up 3,000 small files through {@code sink}, restores them (checked) and returns the data packs read. */
    private List<String> restoreSmallFiles(CountingSink sink) throws IOException {
        Path tree = temp.resolve("tree");
        for (int i = 0; i < 3000; i++) {
            Path file = tree.resolve("d" + i % 3).resolve("f" + i + ".txt");
            Files.createDirectories(file.getParent());
            Files.writeString(file, "entry " + i + " of a ledger export, line after line\n".repeat(1 + i % 4));
        }
        try (Repository repo = Repository.init(sink, SMALL)) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            sink.reads.clear();
            sink.dataRanges.set(0);
            Path restored = temp.resolve("restored");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();
            Trees.assertSameTree(tree, Trees.restoredRoot(restored, tree));
        }
        return sink.reads.keySet().stream().filter(name -> name.startsWith("data/")).toList();
    }

    @Test
    void a_file_with_three_links_counts_its_bytes_once_in_a_restore_and_its_dry_run_whichever_links_are_left_out()
            throws Exception {
        // With the first link excluded, the dry run said 0 B (it counted first paths only) and the restore twice the
        // file's size (each later link streamed its content, though the second was linked to the first written).
        Path tree = temp.resolve("tree");
        Files.createDirectories(tree.resolve("a"));
        Files.createDirectories(tree.resolve("b"));
        Files.writeString(tree.resolve("a/h1"), "content\n");
        Files.createLink(tree.resolve("b/h2"), tree.resolve("a/h1"));
        Files.createLink(tree.resolve("b/h3"), tree.resolve("a/h1"));
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            for (List<String> excluded : List.of(List.<String>of(), List.of("h1"), List.of("h2"), List.of("h1", "h2"))) {
                Path target = temp.resolve("restored-" + excluded.size() + String.join("", excluded));
                RestoreResult dry = repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(target))
                        .exclude(excluded).dryRun(path -> { }).run();
                RestoreResult real = repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(target))
                        .exclude(excluded).run();
                assertThat(real.bytes()).as("restore without %s", excluded).isEqualTo("content\n".length());
                assertThat(dry.bytes()).as("dry run without %s", excluded).isEqualTo(real.bytes());
                assertThat(dry.entries()).as("dry run without %s", excluded).isEqualTo(real.entries());
                Path root = Trees.restoredRoot(target, tree);
                List<Path> kept = new java.util.ArrayList<>();
                for (String name : List.of("a/h1", "b/h2", "b/h3")) {
                    Path p = root.resolve(name);
                    if (!excluded.contains(p.getFileName().toString())) {
                        assertThat(p).hasContent("content\n");
                        kept.add(p);
                    }
                }
                for (Path p : kept) {
                    assertThat(Files.getAttribute(p, "unix:ino")).as("%s is one file with %s", p, kept.get(0))
                            .isEqualTo(Files.getAttribute(kept.get(0), "unix:ino"));
                }
            }
        }
    }

    @Test
    void files_written_by_several_threads_come_back_as_a_streaming_restore_gives_them() throws Exception {
        Path tree = temp.resolve("tree");
        for (int i = 0; i < 60; i++) {
            Path f = tree.resolve(String.format("small/%02d/f%02d.txt", i % 6, i));
            Trees.writeRandom(f, 500 + 313L * i, i);
            Files.setAttribute(f, "unix:mode", i % 3 == 0 ? 0600 : 0644);
            Trees.setTime(f, "2020-01-0" + (1 + i % 9) + "T10:00:00.12345678" + (i % 10) + "Z");
        }
        Trees.writeRandom(tree.resolve("large/one.bin"), 1_500_000, 1);
        Trees.writeRandom(tree.resolve("large/two.bin"), 900_000, 2);
        Files.write(tree.resolve("large/empty"), new byte[0]);
        try (RandomAccessFile sparse = new RandomAccessFile(tree.resolve("large/sparse.bin").toFile(), "rw")) {
            sparse.seek(3_000_000);
            sparse.write(new byte[] {1, 2, 3});
            sparse.setLength(4_000_000);
        }
        Files.createDirectories(tree.resolve("links"));
        Files.writeString(tree.resolve("links/first.txt"), "linked content\n");
        Files.createLink(tree.resolve("links/second.txt"), tree.resolve("links/first.txt"));
        Files.createLink(tree.resolve("small/00/third.txt"), tree.resolve("links/first.txt"));
        Files.createSymbolicLink(tree.resolve("links/symlink"), Path.of("first.txt"));
        Files.setAttribute(tree.resolve("large"), "unix:mode", 0750);
        Trees.setTime(tree.resolve("large"), "2019-05-05T05:05:05Z");
        Trees.setTime(tree.resolve("small/03"), "2018-03-03T03:03:03.333333333Z");

        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")), SMALL)) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();

            Set<String> writers = ConcurrentHashMap.newKeySet();
            AtomicInteger pieces = new AtomicInteger();
            Path positional = temp.resolve("positional");
            repo.restore(SnapshotSelector.latest()).parallelism(4)
                    .to(new Delegating(DirectoryTarget.to(positional), true) {
                        @Override
                        public Optional<PositionalFiles> positionalFiles() {
                            PositionalFiles files = target.positionalFiles().orElseThrow();
                            return Optional.of((entry, length) -> {
                                PositionalFiles.Content content = files.open(entry, length);
                                return new PositionalFiles.Content() {
                                    @Override
                                    public void write(long offset, byte[] bytes, int off, int len) throws IOException {
                                        writers.add(Thread.currentThread().getName());
                                        pieces.incrementAndGet();
                                        content.write(offset, bytes, off, len);
                                    }

                                    @Override
                                    public void complete() throws IOException {
                                        content.complete();
                                    }

                                    @Override
                                    public void discard() {
                                        content.discard();
                                    }
                                };
                            });
                        }
                    }).run();
            Path streamed = temp.resolve("streamed");
            repo.restore(SnapshotSelector.latest()).to(new Delegating(DirectoryTarget.to(streamed), false)).run();

            assertThat(writers).as("threads that wrote pieces of files").hasSizeGreaterThan(1);
            assertThat(pieces.get()).isGreaterThan(60);
            Path a = Trees.restoredRoot(positional, tree);
            Path b = Trees.restoredRoot(streamed, tree);
            Trees.assertSameTree(tree, a);
            Trees.assertSameTree(b, a);
            for (Path root : List.of(a, b)) {
                Object inode = Files.getAttribute(root.resolve("links/first.txt"), "unix:ino");
                assertThat(Files.getAttribute(root.resolve("links/second.txt"), "unix:ino")).isEqualTo(inode);
                assertThat(Files.getAttribute(root.resolve("small/00/third.txt"), "unix:ino")).isEqualTo(inode);
                assertThat(Files.getAttribute(root.resolve("large/sparse.bin"), "unix:nlink")).isEqualTo(1);
            }
            long allocated = (Long) Files.getAttribute(a.resolve("large/sparse.bin"), "unix:size");
            assertThat(allocated).isEqualTo(4_000_000L);
            assertThat(blocks(a.resolve("large/sparse.bin"))).as("512-byte blocks of the sparse file").isLessThan(64);
            assertThat(temporaryFiles(positional)).isEmpty();
        }
    }

    /**
     * Files whose mode the umask leaves whole are created with it (no chmod); the others (bits the umask takes, no
     * owner write, setuid and setgid) still get it by chmod: every mode comes back exact, in pieces and streamed.
     */
    @Test
    void every_file_mode_comes_back_exact_whether_set_at_creation_or_by_chmod() throws Exception {
        int[] modes = {0600, 0644, 0640, 0664, 0666, 0777, 0755, 0700, 0400, 0444, 0604, 0620, 04755, 02750, 01644};
        Path tree = temp.resolve("tree");
        for (int i = 0; i < modes.length; i++) {
            for (int size : new int[] {300, 200_000}) {
                Path f = tree.resolve(String.format("m%d/f%04o.bin", size, modes[i]));
                Trees.writeRandom(f, size + i, i);
                Files.setAttribute(f, "unix:mode", modes[i]);
            }
        }
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")), SMALL)) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            for (boolean positional : new boolean[] {true, false}) {
                Path restored = temp.resolve("restored-" + positional);
                repo.restore(SnapshotSelector.latest()).to(new Delegating(DirectoryTarget.to(restored), positional)).run();
                Path root = Trees.restoredRoot(restored, tree);
                Trees.assertSameTree(tree, root);
                for (int mode : modes) {
                    assertThat((Integer) Files.getAttribute(root.resolve(String.format("m300/f%04o.bin", mode)),
                            "unix:mode") & 07777).as("mode %o", mode).isEqualTo(mode);
                }
            }
        }
    }

    @Test
    void a_damaged_pack_costs_only_the_files_that_need_it_and_every_other_file_is_restored() throws Exception {
        Path tree = temp.resolve("tree");
        int files = 30;
        for (int i = 0; i < files; i++) {
            Trees.writeRandom(tree.resolve(String.format("f%02d.bin", i)), 30_000, i);
        }
        Path repoDir = temp.resolve("repo");
        try (Repository repo = Repository.init(new LocalDirectorySink(repoDir), SMALL)) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
        }
        // The pack written first holds the first files of the walk: a restore in file order would stop there.
        Path damaged;
        try (Stream<Path> all = Files.walk(repoDir.resolve("data"))) {
            damaged = all.filter(Files::isRegularFile).min((x, y) -> {
                try {
                    return Files.getLastModifiedTime(x).compareTo(Files.getLastModifiedTime(y));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).orElseThrow();
        }
        try (RandomAccessFile pack = new RandomAccessFile(damaged.toFile(), "rw")) {
            pack.seek(100);
            int b = pack.read();
            pack.seek(100);
            pack.write(b ^ 0x55);
        }
        String packName = repoDir.relativize(damaged).toString();
        Path restored = temp.resolve("restored");
        try (Repository repo = Repository.open(new LocalDirectorySink(repoDir))) {
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run())
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(packName).hasMessageContaining("not restored")
                    .hasMessageContaining("every other entry was").hasMessageContaining("nothing corrupt was restored");
        }
        Path root = Trees.restoredRoot(restored, tree);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            String name = String.format("f%02d.bin", i);
            if (Files.exists(root.resolve(name))) {
                assertThat(root.resolve(name)).hasSameBinaryContentAs(tree.resolve(name));
            } else {
                missing.add(name);
            }
        }
        // A pack of 96 KiB holds at most 4 files of 30,000 bytes (they do not compress): no more may be lost.
        assertThat(missing).as("files not restored").isNotEmpty().hasSizeLessThanOrEqualTo(4);
        assertThat(temporaryFiles(restored)).as("partial files left").isEmpty();
    }

    private static long blocks(Path file) throws IOException {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
        try {
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(30, TimeUnit.SECONDS);
            return Long.parseLong(out);
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    private static List<Path> temporaryFiles(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> p.getFileName().toString().startsWith(".mint-restore-")).toList();
        }
    }

    /** A target around a directory target, offering its positional writes or not (then each file is streamed). */
    private static class Delegating implements RestoreTarget {
        final DirectoryTarget target;
        private final boolean positional;

        Delegating(DirectoryTarget target, boolean positional) {
            this.target = target;
            this.positional = positional;
        }

        @Override
        public void begin(RestoreContext context) throws IOException {
            target.begin(context);
        }

        @Override
        public void write(Entry entry, InputStream content) throws IOException {
            target.write(entry, content);
        }

        @Override
        public Optional<PositionalFiles> positionalFiles() {
            return positional ? target.positionalFiles() : Optional.empty();
        }

        @Override
        public void finish() throws IOException {
            target.finish();
        }

        @Override
        public void abort(Exception cause) {
            target.abort(cause);
        }
    }

    /** Backs {@code tree} up into {@code repo} and restores it into {@code restored}, where nothing was: nothing kept. */
    private RestoreResult backUpAndRestore(Repository repo, Path tree) {
        Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
        RestoreResult first = repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(temp.resolve("restored"))).run();
        assertThat(first.unchangedFiles()).isZero();
        return first;
    }

    /**
     * Explorers' D-10: a restore over a tree that already matched rewrote every file (2.8 times a fresh restore). A file
     * already in the target with the snapshot's size is now read and checked blob by blob; a match is kept where it is
     * (same inode) and given the snapshot's metadata, and none of its blobs is read. A file of another content or size,
     * a missing one, or one with another link is written as before.
     */
    @Test
    void a_restore_over_an_earlier_one_reads_and_writes_only_the_files_that_changed() throws Exception {
        Path tree = temp.resolve("tree");
        for (int i = 0; i < 40; i++) {
            Trees.writeRandom(tree.resolve(String.format("d%d/f%02d.bin", i / 10, i)), 20_000 + 97L * i, i);
        }
        Trees.writeRandom(tree.resolve("big.bin"), 700_000, 99);
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, SMALL)) {
            RestoreResult first = backUpAndRestore(repo, tree);
            Path restored = temp.resolve("restored");
            Path root = Trees.restoredRoot(restored, tree);
            Map<String, Object> inodes = new java.util.HashMap<>();
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    inodes.put(root.relativize(p).toString(), Files.getAttribute(p, "unix:ino"));
                }
            }
            Trees.writeRandom(root.resolve("d0/f01.bin"), 20_097, 5_000);          // same size, other content
            try (RandomAccessFile f = new RandomAccessFile(root.resolve("d0/f02.bin").toFile(), "rw")) {
                f.setLength(100);                                                   // another size
            }
            Files.delete(root.resolve("d1/f10.bin"));                               // gone
            Files.createLink(temp.resolve("outside-link"), root.resolve("d1/f11.bin")); // a second link
            Files.setPosixFilePermissions(root.resolve("d2/f20.bin"),               // same content, other metadata
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Trees.setTime(root.resolve("d2/f20.bin"), "2001-01-01T00:00:00Z");
            Trees.setTime(root.resolve("big.bin"), "2002-02-02T00:00:00Z");
            sink.reads.clear();

            RestoreResult again = repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();

            Trees.assertSameTree(tree, root);
            assertThat(again.entries()).isEqualTo(first.entries());
            assertThat(again.bytes()).isEqualTo(first.bytes());
            assertThat(again.unchangedFiles()).isEqualTo(41 - 4);
            for (String kept : List.of("d0/f00.bin", "d2/f20.bin", "big.bin", "d3/f39.bin")) {
                assertThat(Files.getAttribute(root.resolve(kept), "unix:ino")).as(kept).isEqualTo(inodes.get(kept));
            }
            for (String written : List.of("d0/f01.bin", "d0/f02.bin", "d1/f11.bin")) {
                assertThat(Files.getAttribute(root.resolve(written), "unix:ino")).as(written).isNotEqualTo(inodes.get(written));
            }
            assertThat(Files.getAttribute(temp.resolve("outside-link"), "unix:nlink")).isEqualTo(1);
            long dataReads = sink.reads.entrySet().stream().filter(e -> e.getKey().startsWith("data/"))
                    .mapToInt(e -> e.getValue().get()).sum();
            // the four files written need a few small packs; the whole snapshot spans many more
            assertThat(dataReads).as("data reads: %s", sink.reads).isBetween(1L, 8L);
        }
    }

    /**
     * Explorers' E-F8.3: every restore over an earlier one wrote each empty file again (a new inode, a temporary file
     * renamed over it). An empty regular file of one link is now kept where it is, given the snapshot's metadata; one
     * that is no longer empty, or is another kind of file, is replaced as before.
     */
    @Test
    void a_restore_over_an_earlier_one_keeps_the_empty_files_it_finds_empty() throws Exception {
        Path tree = temp.resolve("tree");
        Files.createDirectories(tree.resolve("d"));
        for (String name : List.of("a.empty", "b.empty", "c.empty", "d/e.empty")) {
            Files.createFile(tree.resolve(name));
        }
        Trees.writeRandom(tree.resolve("d/data.bin"), 10_000, 1);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")), SMALL)) {
            RestoreResult first = backUpAndRestore(repo, tree);
            Path restored = temp.resolve("restored");
            Path root = Trees.restoredRoot(restored, tree);
            Map<String, Object> inodes = new java.util.HashMap<>();
            for (String name : List.of("a.empty", "b.empty", "c.empty", "d/e.empty")) {
                inodes.put(name, Files.getAttribute(root.resolve(name), "unix:ino"));
            }
            Files.writeString(root.resolve("b.empty"), "not empty any more");
            Files.delete(root.resolve("c.empty"));
            Files.createSymbolicLink(root.resolve("c.empty"), root.resolve("a.empty"));
            Files.setPosixFilePermissions(root.resolve("d/e.empty"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Trees.setTime(root.resolve("d/e.empty"), "2001-01-01T00:00:00Z");

            RestoreResult again = repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();

            Trees.assertSameTree(tree, root);
            assertThat(again.entries()).isEqualTo(first.entries());
            // a.empty, d/e.empty and d/data.bin
            assertThat(again.unchangedFiles()).isEqualTo(3);
            assertThat(Files.getAttribute(root.resolve("a.empty"), "unix:ino")).isEqualTo(inodes.get("a.empty"));
            assertThat(Files.getAttribute(root.resolve("d/e.empty"), "unix:ino")).isEqualTo(inodes.get("d/e.empty"));
            assertThat(Files.getAttribute(root.resolve("b.empty"), "unix:ino")).isNotEqualTo(inodes.get("b.empty"));
            assertThat(Files.isRegularFile(root.resolve("c.empty"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        }
    }

    /**
     * Explorers' E-F8.8: a restore over an earlier one from a single-layout repository (one object per file) wrote
     * every file again. A file of the snapshot's size whose SHA-256 is the one the snapshot records for its object is
     * now kept where it is, given the snapshot's metadata; the object is not read. Another content of the same size is
     * written again.
     */
    @Test
    void a_restore_over_an_earlier_one_from_a_single_layout_repository_keeps_the_files_that_match() throws Exception {
        Path tree = temp.resolve("tree");
        for (int i = 0; i < 6; i++) {
            Trees.writeRandom(tree.resolve(String.format("d/f%d.bin", i)), 30_000 + 11L * i, i);
        }
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink,
                RepositorySettings.defaults().withLayout(com.mintreplica.backup.core.Layout.SINGLE))) {
            RestoreResult first = backUpAndRestore(repo, tree);
            Path root = Trees.restoredRoot(temp.resolve("restored"), tree);
            Map<String, Object> inodes = new java.util.HashMap<>();
            for (int i = 0; i < 6; i++) {
                String name = String.format("d/f%d.bin", i);
                inodes.put(name, Files.getAttribute(root.resolve(name), "unix:ino"));
            }
            Trees.writeRandom(root.resolve("d/f1.bin"), 30_011, 99);              // same size, other content
            Trees.setTime(root.resolve("d/f2.bin"), "2001-01-01T00:00:00Z");      // same content, other time
            sink.reads.clear();

            RestoreResult again = repo.restore(SnapshotSelector.latest())
                    .to(DirectoryTarget.to(temp.resolve("restored"))).run();

            Trees.assertSameTree(tree, root);
            assertThat(again.entries()).isEqualTo(first.entries());
            assertThat(again.unchangedFiles()).isEqualTo(5);
            assertThat(Files.getAttribute(root.resolve("d/f2.bin"), "unix:ino")).isEqualTo(inodes.get("d/f2.bin"));
            assertThat(Files.getAttribute(root.resolve("d/f1.bin"), "unix:ino")).isNotEqualTo(inodes.get("d/f1.bin"));
            long fileReads = sink.reads.entrySet().stream().filter(e -> e.getKey().startsWith("files/"))
                    .mapToInt(e -> e.getValue().get()).sum();
            assertThat(fileReads).as("objects read: %s", sink.reads).isEqualTo(1);
        }
    }

    /**
     * Explorers' E-F4: a file written by another process while the restore compared it was kept, and the snapshot's
     * times then hid the change. Before it keeps a file, the target looks at it again (inode, size, times, change
     * time): changed, it is not kept, and the restore writes it.
     */
    @Test
    void a_file_written_while_it_is_compared_is_not_kept() throws Exception {
        Path tree = temp.resolve("tree");
        Trees.writeRandom(tree.resolve("f.bin"), 50_000, 7);
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")), SMALL)) {
            Backup.pipeline().source(DirectorySource.of(tree)).to(repo).build().run();
            Path restored = temp.resolve("restored");
            repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();
            Path file = Trees.restoredRoot(restored, tree).resolve("f.bin");
            String entryPath = tree.toAbsolutePath().toString().substring(1) + "/f.bin";

            DirectoryTarget target = DirectoryTarget.to(restored);
            target.begin(new RestoreContext(repo.snapshot(SnapshotSelector.latest()), p -> true, false));
            PositionalFiles files = target.positionalFiles().orElseThrow();
            Optional<PositionalFiles.Existing> existing = files.existing(Entry.regular(entryPath).size(50_000).build(), 50_000);
            assertThat(existing).isPresent();
            Trees.writeRandom(file, 50_000, 8);   // another writer, while the restore reads it

            assertThatThrownBy(() -> existing.get().keep()).isInstanceOf(IOException.class)
                    .hasMessageContaining("changed while it was compared");
            target.abort(new IOException("test"));
            // the whole restore, run again, writes it back
            RestoreResult again = repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(restored)).run();
            assertThat(again.unchangedFiles()).isZero();
            Trees.assertSameTree(tree, Trees.restoredRoot(restored, tree));
        }
    }

    /** Counts reads of each object (ranged or whole) around a real Sink. */
    private static final class CountingSink extends ForwardingSink {
        final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
        /** Ranged reads of data packs, the reads of the streams they returned, and those streams not closed yet. */
        final AtomicInteger dataRanges = new AtomicInteger();
        final AtomicInteger dataRangeReads = new AtomicInteger();
        final AtomicInteger openRanges = new AtomicInteger();

        CountingSink(Sink delegate) {
            super(delegate);
        }

        @Override
        public InputStream get(String name) throws IOException {
            reads.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            return super.get(name);
        }

        @Override
        public InputStream get(String name, long offset, long length) throws IOException {
            reads.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            if (!name.startsWith("data/")) {
                return super.get(name, offset, length);
            }
            dataRanges.incrementAndGet();
            openRanges.incrementAndGet();
            return new java.io.FilterInputStream(super.get(name, offset, length)) {
                private boolean closed;

                @Override
                public void close() throws IOException {
                    if (!closed) {
                        closed = true;
                        openRanges.decrementAndGet();
                    }
                    super.close();
                }

                @Override
                public int read() throws IOException {
                    dataRangeReads.incrementAndGet();
                    return super.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    dataRangeReads.incrementAndGet();
                    return super.read(b, off, len);
                }
            };
        }
    }
}
