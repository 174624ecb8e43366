package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Prune over the in-memory Sink, with a fake clock for the lease and grace periods. */
class PruneInMemoryTest {
    static final Instant DAY0 = Instant.parse("2026-01-01T01:00:00Z");

    FakeClock clock;
    InMemorySink sink;
    Repository repo;

    @BeforeEach
    void repository() {
        // Starts at the real time: a backup's lease is written with the system clock, the Sink's times with this one.
        clock = new FakeClock(Instant.now());
        sink = new InMemorySink(clock);
        repo = Repository.init(sink, RepositorySettings.defaults().withChunkSizes(1024, 4096, 16 * 1024).withPackSize(16 * 1024));
    }

    static Map<String, byte[]> files(int day) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("same.bin", RepositoryRoundTripTest.random(30_000, 1));
        files.put("today.bin", RepositoryRoundTripTest.random(30_000, 100 + day));
        return files;
    }

    Snapshot backup(int day) {
        return Backup.pipeline().source(RepositoryRoundTripTest.mapSource(files(day))).to(repo)
                .time(DAY0.plus(Duration.ofDays(day))).build().run().snapshot();
    }

    long objects(String prefix) throws IOException {
        try (Stream<?> s = sink.list(prefix)) {
            return s.count();
        }
    }

    @Test
    void prune_keeps_the_policys_snapshots_whole_and_frees_the_rest() throws IOException {
        for (int day = 1; day <= 10; day++) {
            backup(day);
        }
        long before = sink.objects().values().stream().mapToLong(b -> b.length).sum();

        PruneReport report = repo.prune().policy(Retention.builder().keepDaily(3).keepWeekly(2).build())
                .clock(clock).run();

        // days 1..10 of January 2026 at 01:00 UTC; Jan 5 and Jan 12 start ISO weeks
        assertThat(repo.snapshots()).extracting(s -> s.time().toString()).containsExactly(
                "2026-01-04T01:00:00Z", "2026-01-09T01:00:00Z", "2026-01-10T01:00:00Z", "2026-01-11T01:00:00Z");
        assertThat(report.removed()).hasSize(6);
        assertThat(report.bytesFreed()).isPositive()
                .isEqualTo(before - sink.objects().values().stream().mapToLong(b -> b.length).sum());
        assertThat(repo.verify(true).problems()).isEmpty();
        MemoryTarget target = new MemoryTarget();
        repo.restore(SnapshotSelector.latestBefore(Instant.parse("2026-01-04T02:00:00Z"))).to(target).run();
        assertThat(target.files().get("today.bin")).isEqualTo(files(3).get("today.bin"));
        assertThat(objects("index/")).isEqualTo(1);
    }

    @Test
    void a_stuck_backups_lock_expires_after_thirty_minutes_and_that_backup_then_commits_nothing() throws Exception {
        backup(1);
        CountDownLatch release = new CountDownLatch(1);
        Source stuck = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("map", "test");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    boolean done;

                    @Override
                    public Optional<SourceEntry> next() {
                        if (done) {
                            return Optional.empty();
                        }
                        done = true;
                        try {
                            release.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        byte[] data = RepositoryRoundTripTest.random(20_000, 77);
                        return Optional.of(SourceEntry.of(Entry.regular("late.bin").size(data.length).build(),
                                () -> new ByteArrayInputStream(data)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        CompletableFuture<Snapshot> running = CompletableFuture.supplyAsync(
                () -> Backup.pipeline().source(stuck).to(repo).build().run().snapshot());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (objects("locks/") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(objects("locks/")).as("the backup holds its lease").isEqualTo(1);

        assertThatThrownBy(() -> repo.prune().clock(clock).run())
                .isInstanceOf(ConflictException.class).hasMessageContaining("back up map:test");

        clock.advance(Duration.ofMinutes(31));
        PruneReport report = repo.prune().clock(clock).run();
        assertThat(report.staleLocksRemoved()).isEqualTo(1);

        release.countDown();
        assertThatThrownBy(() -> running.get(60, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ConflictException.class).hasMessageContaining("was lost");
        assertThat(repo.snapshots()).hasSize(1);
        assertThat(objects("locks/")).isZero();
    }

    @Test
    void packs_no_index_lists_wait_out_the_grace_period() throws IOException {
        backup(1);
        Source dying = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("map", "test");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    int n;

                    @Override
                    public Optional<SourceEntry> next() throws IOException {
                        if (n++ > 0) {
                            throw new IOException("killed");
                        }
                        byte[] data = RepositoryRoundTripTest.random(100_000, 55);
                        return Optional.of(SourceEntry.of(Entry.regular("big.bin").size(data.length).build(),
                                () -> new ByteArrayInputStream(data)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        assertThatThrownBy(() -> Backup.pipeline().source(dying).to(repo).build().run()).hasMessageContaining("killed");
        long orphans = repo.verify(false).unreferencedPacks();
        assertThat(orphans).isPositive();

        clock.advance(Duration.ofHours(23));
        assertThat(repo.prune().clock(clock).run().unindexedPacksKept()).isEqualTo(orphans);

        clock.advance(Duration.ofHours(2));
        PruneReport report = repo.prune().clock(clock).run();
        assertThat(report.unindexedPacksDeleted()).isEqualTo(orphans);
        assertThat(repo.verify(true).unreferencedPacks()).isZero();
        assertThat(repo.verify(true).problems()).isEmpty();
        assertThat(List.copyOf(repo.snapshots())).hasSize(1);
    }
}
