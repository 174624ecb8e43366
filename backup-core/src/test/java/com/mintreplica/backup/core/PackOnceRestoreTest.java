package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.internal.Manifest;
import com.mintreplica.backup.core.internal.RestoreRun;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.PositionalFiles;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore into a target that takes files in pieces reads every pack once for the whole restore (issue 12), even when
 * the plan of the tree is far larger than its memory budget: no byte of a pack is read twice, seen through a Sink that
 * records reads around a real local Sink, with a budget so small that the restore before this change planned the tree in dozens of batches and read
 * a pack once per batch that needed it. The target is an in-memory one (positional writes into arrays): the file
 * system target is tested in backup-fs; here the point is the order and number of reads.
 */
@Timeout(120)
class PackOnceRestoreTest {
    private static final RepositorySettings SMALL = RepositorySettings.defaults()
            .withChunkSizes(1024, 4096, 16 * 1024).withPackSize(64 * 1024);
    private static final int FILES = 1200;

    @TempDir
    Path temp;

    @Test
    void every_pack_is_read_once_when_the_plan_is_many_times_its_budget() throws Exception {
        Map<String, byte[]> tree = tree(0);
        CountingReads sink = new CountingReads(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, SMALL)) {
            Backup.pipeline().source(source(tree)).to(repo).parallelism(2).build().run();
            // Every other file changes: the second snapshot's files alternate between the first backup's packs and the
            // second's, and the content shared by every tenth file sits in one pack that files all over the tree need.
            Map<String, byte[]> changed = tree(1);
            BackupResult second = Backup.pipeline().source(source(changed)).to(repo).parallelism(2).build().run();
            sink.reads.clear();

            Manifest manifest = repo.store().manifest(second.snapshotId());
            MemoryTarget target = new MemoryTarget();
            ExecutorService executor = Repository.newExecutor("test-restore", 4);
            Set<String> plansBefore = plans();
            try {
                // 64 KiB: the plan of this tree (about 2,700 pieces) is several sorted runs on disk.
                new RestoreRun(repo.store(), manifest, executor, 4).batchBudget(64 << 10).run(target, p -> true, false);
            } finally {
                executor.shutdownNow();
            }

            assertThat(target.files.keySet()).containsExactlyInAnyOrderElementsOf(changed.entrySet().stream()
                    .filter(e -> e.getValue() != null).map(Map.Entry::getKey).toList());
            changed.forEach((path, content) -> {
                if (content != null) {
                    assertThat(target.files.get(path)).as(path).isEqualTo(content);
                }
            });
            assertThat(target.opened).as("files opened twice").isEmpty();
            // Each byte of a pack is read at most once: its needed blobs in one pass, front to back. A pack whose plan
            // is larger than a job (this budget is tiny) is read as consecutive ranges, by several threads.
            Map<String, List<long[]>> dataReads = new java.util.TreeMap<>();
            sink.reads.forEach((name, ranges) -> {
                if (name.startsWith("data/")) {
                    dataReads.put(name, ranges);
                }
            });
            assertThat(dataReads).as("data packs read").hasSizeGreaterThan(20);
            dataReads.forEach((name, ranges) -> {
                List<long[]> sorted = new ArrayList<>(ranges);
                sorted.sort(java.util.Comparator.comparingLong(x -> x[0]));
                for (int i = 1; i < sorted.size(); i++) {
                    assertThat(sorted.get(i)[0]).as("pack %s read twice: ranges %s", name, sorted.stream()
                            .map(x -> x[0] + "+" + x[1]).toList()).isGreaterThanOrEqualTo(sorted.get(i - 1)[0] + sorted.get(i - 1)[1]);
                }
            });
            long readOnce = dataReads.values().stream().filter(r -> r.size() == 1).count();
            assertThat(readOnce).as("packs read in a single range").isGreaterThan(dataReads.size() / 2);
            assertThat(plans()).as("the plan's temporary files are removed").isEqualTo(plansBefore);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (treeThreads() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(treeThreads()).as("threads loading trees ahead, left running").isZero();
        }
    }

    /**
     * {@code FILES} files in 12 directories: sizes from empty to 40 KiB (several chunks), every tenth file the same
     * 3,000 bytes, and one hard link (d0/link, to d0/f12); {@code generation} 1 changes every other file.
     */
    private static Map<String, byte[]> tree(int generation) {
        Map<String, byte[]> t = new LinkedHashMap<>();
        Random shared = new Random(7);
        byte[] common = new byte[3000];
        shared.nextBytes(common);
        for (int d = 0; d < 12; d++) {
            t.put("d" + d, null);
            for (int i = d; i < FILES; i += 12) {
                String path = "d" + d + "/f" + i;
                if (i % 10 == 0) {
                    t.put(path, common);
                    continue;
                }
                Random r = new Random(i * 31L + (i % 2 == 1 ? generation : 0));
                byte[] content = new byte[i % 97 == 0 ? 0 : i % 13 == 0 ? 20_000 + r.nextInt(20_000) : 100 + r.nextInt(3000)];
                r.nextBytes(content);
                t.put(path, content);
                if (i == 12) {
                    t.put("d0/link", content); // a hard link to d0/f12 (see source)
                }
            }
        }
        return t;
    }

    private static Source source(Map<String, byte[]> entries) {
        return new Source() {
            @Override
            public SourceId id() {
                return new SourceId("test", "pack-once");
            }

            @Override
            public SourceReader open(BackupContext context) {
                Iterator<Map.Entry<String, byte[]>> it = entries.entrySet().iterator();
                return new SourceReader() {
                    @Override
                    public Optional<SourceEntry> next() {
                        if (!it.hasNext()) {
                            return Optional.empty();
                        }
                        Map.Entry<String, byte[]> e = it.next();
                        if (e.getKey().equals("d0/link")) {
                            byte[] content = e.getValue();
                            return Optional.of(SourceEntry.of(Entry.regular("d0/link").size(content.length).mode(0644)
                                    .hardLinkTo("d0/f12").build(), () -> new ByteArrayInputStream(content)));
                        }
                        if (e.getValue() == null) {
                            return Optional.of(SourceEntry.of(Entry.directory(e.getKey()).mode(0755).build(),
                                    InputStream::nullInputStream));
                        }
                        byte[] content = e.getValue();
                        return Optional.of(SourceEntry.of(Entry.regular(e.getKey()).size(content.length).mode(0644)
                                .build(), () -> new ByteArrayInputStream(content)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    private static long treeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("mint-backup-restore-trees")).count();
    }

    private static Set<String> plans() throws IOException {
        try (Stream<Path> all = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("mint-restore-plan-"))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    /**
     * Files written in pieces into arrays; a hard link whose first path was restored shares its array without reading
     * its content (as a directory target links it), otherwise its content is read.
     */
    private static final class MemoryTarget implements RestoreTarget {
        final Map<String, byte[]> files = new ConcurrentHashMap<>();
        final Set<String> openedOnce = ConcurrentHashMap.newKeySet();
        final List<String> opened = new ArrayList<>();

        @Override
        public void begin(RestoreContext context) {
        }

        @Override
        public void write(Entry entry, InputStream content) throws IOException {
            if (entry.hardLinkTo().isPresent() && files.containsKey(entry.hardLinkTo().get())) {
                files.put(entry.path(), files.get(entry.hardLinkTo().get())); // linked, as a directory target does
            } else if (entry.type() == EntryType.REGULAR) {
                files.put(entry.path(), content.readAllBytes());
            }
        }

        @Override
        public Optional<PositionalFiles> positionalFiles() {
            return Optional.of((entry, length) -> {
                if (!openedOnce.add(entry.path())) {
                    synchronized (opened) {
                        opened.add(entry.path());
                    }
                }
                byte[] content = new byte[(int) length];
                return new PositionalFiles.Content() {
                    @Override
                    public void write(long offset, byte[] bytes, int off, int len) {
                        System.arraycopy(bytes, off, content, (int) offset, len);
                    }

                    @Override
                    public void complete() {
                        files.put(entry.path(), content);
                    }

                    @Override
                    public void discard() {
                    }
                };
            });
        }

        @Override
        public void finish() {
        }

        @Override
        public void abort(Exception cause) {
        }
    }

    /** Records the reads of each object (ranged or whole) around a real Sink. */
    private static final class CountingReads extends ForwardingSink {
        /** Each read of an object: offset and length (a whole read: 0 and its size). */
        final Map<String, List<long[]>> reads = new ConcurrentHashMap<>();

        CountingReads(Sink delegate) {
            super(delegate);
        }

        @Override
        public InputStream get(String name) throws IOException {
            long size = delegate().stat(name).map(ObjectInfo::size).orElse(Long.MAX_VALUE);
            reads.computeIfAbsent(name, n -> java.util.Collections.synchronizedList(new ArrayList<>())).add(new long[] {0, size});
            return super.get(name);
        }

        @Override
        public InputStream get(String name, long offset, long length) throws IOException {
            reads.computeIfAbsent(name, n -> java.util.Collections.synchronizedList(new ArrayList<>())).add(new long[] {offset, length});
            return super.get(name, offset, length);
        }
    }
}
