package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.StallException;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.testkit.FaultInjectingSink.Call;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A backup, restore, copy or prune whose store stops answering fails within its stall timeout with a diagnostic of what
 * each stage waits for, commits nothing, gives its lease back and returns even though the stuck call never does; an
 * abandoned thread writes nothing later. A store that is slow but moving never trips it. The stuck calls are
 * {@link FaultInjectingSink#hang}s, which ignore interrupts as a call stuck in the network does.
 */
@Timeout(120)
class StallWatchdogTest {
    private static final Duration STALL = Duration.ofSeconds(1);
    /** The stall timeout, the grace for the body to end, the lease release, and a loaded machine's slack. */
    private static final long PROMPT_MILLIS = 12_000;

    private final InMemorySink memory = new InMemorySink();
    private final FaultInjectingSink store = new FaultInjectingSink(memory);

    @AfterEach
    void releaseHungCalls() throws InterruptedException {
        store.release();
        awaitRunThreadsGone();
    }

    private static RepositorySettings smallPacks() {
        return RepositorySettings.defaults().withChunkSizes(4 << 10, 8 << 10, 16 << 10).withPackSize(64 << 10);
    }

    private static SampleSource source(long bytes) {
        return source(bytes, 42);
    }

    private static SampleSource source(long bytes, long seed) {
        return SampleSource.builder().add("etc/app.yaml", "port: 8080\n".getBytes())
                .generated("var/ledger.bin", bytes, seed).build();
    }

    private Set<String> objects(String prefix) {
        return memory.objects().keySet().stream().filter(n -> n.startsWith(prefix)).collect(Collectors.toSet());
    }

    private static Predicate<String> under(String prefix) {
        return name -> name.startsWith(prefix);
    }

    /**
     * Waits until no thread of a run is left: then nothing of an abandoned run can write any more, and what the store
     * holds is final.
     */
    private static void awaitRunThreadsGone() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            boolean any = Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.isAlive() && t.getName().startsWith("mint-backup-"));
            if (!any) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("threads of an abandoned run are still alive: " + Thread.getAllStackTraces().keySet()
                .stream().map(Thread::getName).filter(n -> n.startsWith("mint-backup-")).toList());
    }

    @Test
    void a_backup_whose_pack_uploads_hang_fails_within_the_stall_timeout_saying_what_each_stage_waits_for()
            throws Exception {
        try (Repository repo = Repository.init(store, smallPacks())) {
            store.hang(under("data/"), Call.PUT);
            long start = System.nanoTime();
            StallException stall = catchThrowableOfType(() -> Backup.pipeline().source(source(4L << 20)).to(repo)
                    .memoryBudget(64 << 10).parallelism(2).stallTimeout(STALL).build().run(), StallException.class);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(stall).as("the backup fails with a stall").isNotNull();
            assertThat(millis).as("it returns promptly though the uploads never return").isLessThan(PROMPT_MILLIS);
            assertThat(store.hangingCalls()).as("the stuck uploads are still stuck").isPositive();
            assertThat(stall.stallTimeout()).isEqualTo(STALL);
            assertThat(stall.getMessage())
                    .contains("backup of sample:test", "made no progress for 1.0 s", "no snapshot was committed")
                    .containsPattern("worker \\[[^]]+\\]: Sink.put of 'data/[0-9a-f]{2}/[0-9a-f]{64}' \\(\\d+ bytes")
                    .containsPattern("reader \\[mint-backup-backup\\]: waiting for \\d+ bytes of the chunk budget")
                    .contains("since ");
            assertThat(stall.waits()).anySatisfy(w -> assertThat(w).startsWith("worker [").contains("Sink.put of 'data/"));
            assertThat(objects("snapshots/")).as("no manifest").isEmpty();
            assertThat(objects("index/")).as("no index").isEmpty();
            assertThat(objects("locks/")).as("the lease is released").isEmpty();
        }
        // The stuck uploads return now: their threads find the run abandoned and write nothing more.
        store.release();
        awaitRunThreadsGone();
        assertThat(objects("snapshots/")).isEmpty();
        assertThat(objects("index/")).isEmpty();
        assertThat(objects("locks/")).isEmpty();
    }

    /**
     * A worker's encoding of a large chunk holds the encodings budget until the blob is in its pack; a worker whose
     * upload hangs keeps holding it, and the workers after it wait for that budget: the stall names it. Chunks of 64 to
     * 256 KiB (above the size that skips the budget), a tiny memory budget (the encodings budget is then two of the
     * largest chunks), and packs of one blob each, so every worker uploads and hangs. How many encodings hold the
     * budget when the uploads hang depends on the chunks' sizes and on which worker got there first (three smaller
     * ones on a busy CI machine, where the test said one or two): any number is the diagnostic this test is about.
     */
    @Test
    void workers_waiting_for_the_encodings_budget_are_named_when_the_uploads_hang() throws Exception {
        RepositorySettings settings = RepositorySettings.defaults().withChunkSizes(64 << 10, 128 << 10, 256 << 10)
                .withPackSize(64 << 10);
        try (Repository repo = Repository.init(store, settings)) {
            store.hang(under("data/"), Call.PUT);
            StallException stall = catchThrowableOfType(() -> Backup.pipeline().source(source(8L << 20)).to(repo)
                    .memoryBudget(1).parallelism(4).stallTimeout(STALL).build().run(), StallException.class);

            assertThat(stall).as("the backup fails with a stall").isNotNull();
            assertThat(stall.getMessage()).contains("made no progress for 1.0 s", "no snapshot was committed")
                    .containsPattern("worker \\[[^]]+\\]: Sink.put of 'data/")
                    .containsPattern("worker \\[[^]]+\\]: waiting for \\d+ bytes of the encoding budget for blob"
                            + " [0-9a-f]{64} \\(\\d+ of 524288 bytes held by \\d+ items?\\)");
            assertThat(objects("snapshots/")).as("no manifest").isEmpty();
        }
    }

    /**
     * How far the reader reads ahead of the workers follows their number, not the memory budget alone: with uploads
     * stuck and a generous budget, the reader stops after four average chunks a worker (two of the largest at least),
     * and the stall names that budget. It was half the memory budget, here 32 MiB of chunks waiting in the heap.
     */
    @Test
    void the_reader_reads_ahead_four_average_chunks_a_worker_not_half_the_memory_budget() throws Exception {
        try (Repository repo = Repository.init(store, smallPacks())) {
            store.hang(under("data/"), Call.PUT);
            StallException stall = catchThrowableOfType(() -> Backup.pipeline().source(source(8L << 20)).to(repo)
                    .memoryBudget(64L << 20).parallelism(2).stallTimeout(STALL).build().run(), StallException.class);

            assertThat(stall).as("the backup fails with a stall").isNotNull();
            long budget = 4 * 2 * (8 << 10);
            assertThat(stall.getMessage())
                    .containsPattern("reader \\[mint-backup-backup\\]: waiting for \\d+ bytes of the chunk budget \\(\\d+ of "
                            + budget + " bytes held");
        }
    }

    /** 2,000 directories, each with one tiny file: far more tree blobs than a 64 KiB tree pack holds. */
    private static SampleSource tinyDirectories() {
        SampleSource.Builder b = SampleSource.builder();
        for (int d = 0; d < 2000; d++) {
            b.add("srv/d" + d + "/f", ("file " + d + "\n").getBytes());
        }
        return b.build();
    }

    /**
     * Snapshots are trees: directory listings go into tree packs through the same watched store. When the tree pack
     * uploads hang, the backup fails within the stall timeout naming the tree pack, workers with trees to store wait
     * for the tree pack budget (held by the stuck uploads) instead of piling tree blobs up in memory, and nothing is
     * committed; once the uploads return, the next backup of the same tree works.
     */
    @Test
    void a_backup_whose_tree_pack_uploads_hang_fails_within_the_stall_timeout_and_trees_wait_for_their_budget()
            throws Exception {
        SampleSource source = tinyDirectories();
        try (Repository repo = Repository.init(store, smallPacks())) {
            store.hang(under("tree/"), Call.PUT);
            long start = System.nanoTime();
            StallException stall = catchThrowableOfType(() -> Backup.pipeline().source(source).to(repo)
                    .memoryBudget(64 << 10).parallelism(3).stallTimeout(STALL).build().run(), StallException.class);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(stall).as("the backup fails with a stall").isNotNull();
            assertThat(millis).as("it returns promptly though the uploads never return").isLessThan(PROMPT_MILLIS);
            assertThat(store.hangingCalls()).as("the stuck tree pack uploads are still stuck").isPositive();
            assertThat(stall.getMessage())
                    .contains("backup of sample:test", "made no progress for 1.0 s", "no snapshot was committed")
                    .containsPattern("worker \\[[^]]+\\]: Sink.put of 'tree/[0-9a-f]{2}/[0-9a-f]{64}' \\(\\d+ bytes")
                    .containsPattern("worker \\[[^]]+\\]: waiting for \\d+ bytes of the tree pack budget for blob"
                            + " [0-9a-f]{64} \\(\\d+ of \\d+ bytes held: \\d+ by the open pack \\(\\d+ blobs\\), \\d+ by \\d+"
                            + " packs? being uploaded\\)")
                    .containsPattern("reader \\[mint-backup-backup\\]: waiting for \\d+ bytes of the chunk budget");
            assertThat(objects("snapshots/")).as("no snapshot object").isEmpty();
            assertThat(objects("locks/")).as("the lease is released").isEmpty();
        }
        store.release();
        awaitRunThreadsGone();
        assertThat(objects("snapshots/")).as("nothing is committed late").isEmpty();
        try (Repository repo = Repository.open(memory)) {
            BackupResult again = Backup.pipeline().source(source).to(repo).memoryBudget(64 << 10).parallelism(3).build()
                    .run();
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(again.snapshotId())).to(target).run();
            assertThat(target.digests()).isEqualTo(source.digests());
            assertThat(repo.verify(true).ok()).isTrue();
        }
    }

    @Test
    void a_manifest_whose_write_was_stuck_when_the_run_was_abandoned_is_deleted_when_it_returns() throws Exception {
        try (Repository repo = Repository.init(store)) {
            store.hang(under("snapshots/"), Call.PUT);
            assertThatThrownBy(() -> Backup.pipeline().source(source(300_000)).to(repo).stallTimeout(STALL).build().run())
                    .isInstanceOf(StallException.class)
                    .hasMessageContaining("Sink.put of 'snapshots/");
            assertThat(objects("locks/")).isEmpty();
            assertThat(objects("snapshots/")).isEmpty();
        } finally {
            // The stuck write reaches the store only now, after the run failed: it is taken back at once.
            store.release();
        }
        awaitRunThreadsGone();
        assertThat(objects("snapshots/")).as("the late manifest was deleted again").isEmpty();
    }

    /**
     * An index object is kept when its write returns after the run was abandoned: it lists only packs already stored,
     * and it is named by its content, so deleting it could take away another run's identical index object. It is a
     * failed run's checkpoint like any other: the next backup reuses its packs.
     */
    @Test
    void an_index_whose_write_was_stuck_when_the_run_was_abandoned_is_kept_and_reused_by_the_next_backup()
            throws Exception {
        SampleSource source = source(300_000);
        try (Repository repo = Repository.init(store)) {
            store.hang(under("index/"), Call.PUT);
            assertThatThrownBy(() -> Backup.pipeline().source(source).to(repo).stallTimeout(STALL).build().run())
                    .isInstanceOf(StallException.class)
                    .hasMessageContaining("Sink.put of 'index/");
            assertThat(objects("locks/")).isEmpty();
        } finally {
            store.release();
        }
        awaitRunThreadsGone();
        assertThat(objects("snapshots/")).as("nothing committed").isEmpty();
        assertThat(objects("index/")).as("the late index object is kept").hasSize(1);
        try (Repository repo = Repository.open(memory)) {
            BackupResult again = Backup.pipeline().source(source).to(repo).build().run();
            assertThat(again.bytesNew()).as("the packs the abandoned run stored are reused").isZero();
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(again.snapshotId())).to(target).run();
            assertThat(target.digests()).isEqualTo(source.digests());
            assertThat(repo.verify(true).ok()).isTrue();
        }
    }

    private Repository repositoryWithOneSnapshot(Sink sink) {
        Repository repo = Repository.init(sink, smallPacks());
        Backup.pipeline().source(source(1L << 20)).to(repo).build().run();
        return repo;
    }

    @Test
    void a_restore_whose_reads_hang_fails_naming_the_blob_and_pack_it_waits_for() {
        try (Repository repo = repositoryWithOneSnapshot(store)) {
            store.hang(under("data/"), Call.GET);
            DigestTarget target = new DigestTarget();
            long start = System.nanoTime();
            StallException stall = catchThrowableOfType(() -> repo.restore(SnapshotSelector.latest()).to(target)
                    .stallTimeout(STALL).run(), StallException.class);
            assertThat(stall).isNotNull();
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(PROMPT_MILLIS);
            assertThat(stall.getMessage())
                    .contains("restore of snapshot ", "made no progress", "the restore target was told to abort")
                    .containsPattern("restore \\[mint-backup-restore\\]: waiting for blob [0-9a-f]{64} of pack 'data/")
                    .containsPattern("fetcher \\[[^]]+\\]: Sink.get of 'data/");
            assertThat(target.finished()).isFalse();
        }
    }

    @Test
    void a_copy_whose_target_hangs_fails_and_commits_nothing_there() {
        InMemorySink targetMemory = new InMemorySink();
        FaultInjectingSink target = new FaultInjectingSink(targetMemory);
        try (Repository from = repositoryWithOneSnapshot(memory);
             Repository to = Repository.init(target, smallPacks())) {
            target.hang(under("data/"), Call.PUT);
            long start = System.nanoTime();
            StallException stall = catchThrowableOfType(() -> from.copyTo(to, from.snapshots(), STALL),
                    StallException.class);
            assertThat(stall).isNotNull();
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(PROMPT_MILLIS);
            assertThat(stall.getMessage())
                    .contains("copy from " + memory.describe() + " to " + targetMemory.describe(), "made no progress")
                    .containsPattern("copy \\[mint-backup-copy\\]: Sink.put of 'data/");
            assertThat(targetMemory.objects().keySet()).noneMatch(n -> n.startsWith("snapshots/") || n.startsWith("locks/"));
        } finally {
            target.release();
        }
    }

    @Test
    void a_copy_whose_source_hangs_fails_naming_the_blob_it_reads() {
        try (Repository from = repositoryWithOneSnapshot(store);
             Repository to = Repository.init(new InMemorySink(), smallPacks())) {
            store.hang(under("data/"), Call.GET);
            assertThatThrownBy(() -> from.copyTo(to, from.snapshots(), STALL))
                    .isInstanceOf(StallException.class)
                    .hasMessageContaining("copy [mint-backup-copy]: waiting for the next blob to be read")
                    .hasMessageContaining(": Sink.get of 'data/")
                    .satisfies(e -> assertThat(((StallException) e).waits())
                            .anySatisfy(w -> assertThat(w).containsPattern("reading blob [0-9a-f]{64} of pack 'data/")));
            assertThat(to.snapshots()).isEmpty();
        }
    }

    @Test
    void a_prune_whose_deletes_hang_fails_naming_the_pack_and_releases_its_lock() {
        try (Repository repo = repositoryWithOneSnapshot(store)) {
            Snapshot old = repo.snapshots().get(0);
            Backup.pipeline().source(source(1L << 20, 43)).to(repo).build().run();
            store.hang(under("data/"), Call.DELETE);
            long start = System.nanoTime();
            StallException stall = catchThrowableOfType(() -> repo.prune().policy(Retention.builder().keepLast(1).build())
                    .stallTimeout(STALL).run(), StallException.class);
            assertThat(stall).isNotNull();
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(PROMPT_MILLIS);
            assertThat(stall.getMessage())
                    .contains("prune of " + memory.describe(), "made no progress", "run it again to finish")
                    .containsPattern("prune \\[mint-backup-prune\\]: delete pack 'data/")
                    .containsPattern("prune \\[mint-backup-prune\\]: Sink.delete of 'data/");
            assertThat(objects("locks/")).as("the exclusive lock is released").isEmpty();
            assertThat(objects("snapshots/")).doesNotContain("snapshots/" + old.id());
        }
        // The next prune, with a store that answers, finishes the work.
        store.release();
        try (Repository repo = Repository.open(store)) {
            assertThat(repo.prune().unindexedGrace(Duration.ZERO).run().unindexedPacksDeleted()).isPositive();
            assertThat(repo.verify(true).ok()).isTrue();
            assertThat(repo.snapshots()).hasSize(1);
        }
    }

    @Test
    void a_store_that_is_slow_but_moving_never_trips_the_watchdog() {
        // Every read of content moves 16 KiB after a pause of 50 ms: the 2 MiB pack takes over 6 s to upload and as long
        // to read back, three times the stall timeout, but bytes keep moving.
        Duration stall = Duration.ofSeconds(2);
        try (Repository repo = Repository.init(store, RepositorySettings.defaults())) {
            store.throttle(16 << 10, Duration.ofMillis(50));
            SampleSource source = source(2L << 20);
            long start = System.nanoTime();
            BackupResult result = Backup.pipeline().source(source).to(repo).stallTimeout(stall).build().run();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(stall.multipliedBy(2));
            DigestTarget target = new DigestTarget();
            start = System.nanoTime();
            repo.restore(SnapshotSelector.id(result.snapshotId())).to(target).parallelism(1).stallTimeout(stall).run();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(stall.multipliedBy(2));
            assertThat(target.digests()).isEqualTo(source.digests());
            store.throttle(0, Duration.ZERO);
            assertThat(repo.verify(true).ok()).isTrue();
        }
    }
}
