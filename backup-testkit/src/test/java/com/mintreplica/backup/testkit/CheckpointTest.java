package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
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
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint index objects: the packs a backup that dies has finished are indexed while it runs, so the next backup
 * reuses them; prune collects what a dead run leaves, the indexed packs at once (no backup can be running beside a
 * prune) and the unindexed rest after its grace period.
 */
class CheckpointTest {
    static final byte[] DUMP = RepositoryRoundTripTest.random(1 << 20, 5);

    FakeClock clock;
    InMemorySink sink;
    Repository repo;

    @BeforeEach
    void repository() {
        clock = new FakeClock(Instant.now());
        sink = new InMemorySink(clock);
        // 16 KiB packs: the 1 MiB entry fills about 64 of them
        repo = Repository.init(sink, RepositorySettings.defaults().withChunkSizes(1024, 4096, 16 * 1024).withPackSize(16 * 1024));
    }

    /** A source that hands over the dump whole, then dies before its second entry, as a killed run would. */
    static Source dying() {
        return new Source() {
            @Override
            public SourceId id() {
                return new SourceId("sample", "db");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    int n;

                    @Override
                    public Optional<SourceEntry> next() throws IOException {
                        if (n++ == 0) {
                            return Optional.of(SourceEntry.of(Entry.regular("db.dump").size(DUMP.length).build(),
                                    () -> new ByteArrayInputStream(DUMP)));
                        }
                        throw new IOException("killed");
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    long objects(String prefix) throws IOException {
        try (Stream<?> s = sink.list(prefix)) {
            return s.count();
        }
    }

    @Test
    void the_packs_a_failed_backup_finished_are_indexed_and_the_next_backup_reuses_them() throws IOException {
        assertThatThrownBy(() -> Backup.pipeline().source(dying()).to(repo).build().run()).hasMessageContaining("killed");

        long packs = objects("data/");
        long unindexed = repo.verify(false).unreferencedPacks();
        assertThat(packs).isGreaterThan(50);
        assertThat(objects("index/")).as("checkpoints").isGreaterThan(1);
        assertThat(unindexed).as("only the packs since the last checkpoint are unindexed").isLessThan(4);
        assertThat(repo.snapshots()).isEmpty();

        Snapshot next = Backup.pipeline().source(SampleSource.of(new SourceId("sample", "db"), Map.of("db.dump", DUMP)))
                .to(repo).build().run().snapshot();

        assertThat(next.stats().bytesNew()).as("stored again").isLessThan(DUMP.length / 10);
        DigestTarget target = new DigestTarget();
        repo.restore(SnapshotSelector.id(next.id())).to(target).run();
        assertThat(target.digests()).containsEntry("db.dump", SampleSource.of(new SourceId("sample", "db"),
                Map.of("db.dump", DUMP)).digests().get("db.dump"));
        assertThat(repo.verify(true).problems()).isEmpty();
    }

    @Test
    void prune_collects_a_dead_runs_indexed_packs_at_once_and_its_unindexed_ones_after_the_grace_period() throws IOException {
        Snapshot earlier = Backup.pipeline().source(SampleSource.builder().generated("notes.bin", 40_000, 9).build())
                .to(repo).build().run().snapshot();
        long earlierPacks = objects("data/");
        assertThatThrownBy(() -> Backup.pipeline().source(dying()).to(repo).build().run()).hasMessageContaining("killed");
        long unindexed = repo.verify(false).unreferencedPacks();
        long checkpointed = objects("data/") - earlierPacks - unindexed;
        assertThat(checkpointed).isGreaterThan(50);

        PruneReport now = repo.prune().clock(clock).run();

        assertThat(now.packsDeleted()).as("indexed packs no snapshot uses").isEqualTo(checkpointed);
        assertThat(now.unindexedPacksKept()).isEqualTo(unindexed);
        assertThat(objects("data/")).isEqualTo(earlierPacks + unindexed);
        assertThat(objects("index/")).isEqualTo(1);

        clock.advance(Duration.ofHours(25));
        PruneReport later = repo.prune().clock(clock).run();

        assertThat(later.unindexedPacksDeleted()).isEqualTo(unindexed);
        assertThat(objects("data/")).isEqualTo(earlierPacks);
        assertThat(repo.verify(true).problems()).isEmpty();
        DigestTarget target = new DigestTarget();
        repo.restore(SnapshotSelector.id(earlier.id())).to(target).run();
        assertThat(target.digests()).hasSize(1);
    }
}
