package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.retention.Retention;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Prune on a store that refuses some deletes (S3 Object Lock, GCS retention and holds): it keeps what the store keeps,
 * carries on with the rest, and never leaves a snapshot or an index without its data. The refusal is injected by
 * {@link FaultInjectingSink#retain}, since neither S3 test server enforces Object Lock.
 */
class PruneRetainedObjectsTest {
    private static final Instant DAY0 = Instant.parse("2026-11-01T01:00:00Z");

    private static List<Snapshot> fourDays(Repository repo) {
        List<Snapshot> out = new ArrayList<>();
        for (int day = 0; day < 4; day++) {
            out.add(Backup.pipeline()
                    .source(SampleSource.builder().generated("day-" + day + ".bin", 3_000_000, day).build())
                    .to(repo).time(DAY0.plus(Duration.ofDays(day))).build().run().snapshot());
        }
        return out;
    }

    @Test
    void a_retained_manifest_keeps_its_snapshot_and_its_data_and_the_rest_is_pruned() {
        FaultInjectingSink sink = new FaultInjectingSink(new InMemorySink());
        try (Repository repo = Repository.init(sink)) {
            List<Snapshot> days = fourDays(repo);
            String lockedManifest = "snapshots/" + days.get(0).id();
            sink.retain(name -> name.equals(lockedManifest));

            PruneReport report = repo.prune().policy(Retention.builder().keepLast(1).build()).run();

            assertThat(report.retainedObjects()).containsExactly(lockedManifest);
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(days.get(0).id(), days.get(3).id());
            assertThat(report.removed()).extracting(Snapshot::id).containsExactlyInAnyOrder(days.get(1).id(), days.get(2).id());
            assertThat(report.kept()).anySatisfy(k -> {
                assertThat(k.snapshot().id()).isEqualTo(days.get(0).id());
                assertThat(k.reasons()).anyMatch(r -> r.contains("retained by the store"));
            });
            assertThat(repo.verify(true).problems()).isEmpty();
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(days.get(0).id())).to(target).run();
        }
    }

    @Test
    void when_old_index_objects_are_retained_no_pack_is_deleted() throws Exception {
        FaultInjectingSink sink = new FaultInjectingSink(new InMemorySink());
        try (Repository repo = Repository.init(sink)) {
            List<Snapshot> days = fourDays(repo);
            sink.retain(name -> name.startsWith("index/"));
            long packsBefore = sink.list("data/").count();

            PruneReport report = repo.prune().policy(Retention.builder().keepLast(1).build()).run();

            assertThat(report.retainedObjects()).isNotEmpty().allMatch(n -> n.startsWith("index/"));
            assertThat(sink.list("data/").count()).as("packs listed by a retained index stay").isGreaterThanOrEqualTo(packsBefore);
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(days.get(3).id());
            assertThat(repo.verify(true).problems()).isEmpty();

            // Once the store lets go, the next prune frees what is left.
            sink.retain(name -> false);
            repo.prune().policy(Retention.builder().keepLast(1).build()).run();
            assertThat(sink.list("data/").count()).isLessThan(packsBefore);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }
}
