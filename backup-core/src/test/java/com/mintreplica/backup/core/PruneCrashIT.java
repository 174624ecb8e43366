package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneFixture.files;
import static com.mintreplica.backup.core.PruneFixture.objects;
import static com.mintreplica.backup.core.PruneFixture.restore;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A prune in another process, killed with SIGKILL just before the N-th change of a kind: every remaining snapshot
 * still verifies with --read-data and restores, and the next prune leaves exactly what an uninterrupted prune leaves,
 * object for object.
 */
class PruneCrashIT {
    @TempDir
    static Path base;
    static Map<String, Long> uninterrupted;
    static Map<String, Integer> dayOf = new HashMap<>();

    @BeforeAll
    static void sixSnapshotsAndAnUninterruptedPrune() {
        try (Repository repo = Repository.init(new LocalDirectorySink(base.resolve("repo"), false),
                PruneFixture.smallSettings())) {
            for (int i = 1; i <= 6; i++) {
                dayOf.put(PruneFixture.backup(repo, i).id(), i);
            }
        }
        // The backups ran two days ago: what a killed prune leaves unindexed is past the grace period.
        PruneFixture.age(base.resolve("repo"), Duration.ofDays(2));
        PruneFixture.copy(base.resolve("repo"), base.resolve("reference"));
        LocalDirectorySink reference = new LocalDirectorySink(base.resolve("reference"), false);
        try (Repository repo = Repository.open(reference)) {
            PruneReport report = repo.prune().policy(policy()).maxUnused(0).run();
            assertThat(report.removed()).hasSize(3);
            assertThat(report.packsRepacked()).isGreaterThanOrEqualTo(2);
            assertThat(report.packsWritten()).isGreaterThanOrEqualTo(2);
        }
        uninterrupted = objects(reference);
    }

    static Retention policy() {
        return Retention.builder().keepLast(3).build();
    }

    @ParameterizedTest(name = "killed before {0} #{1}")
    @CsvSource({
        "REMOVE_SNAPSHOT, 2",   // one snapshot forgotten, two not yet
        "WRITE_PACK, 2",        // one repacked pack written, not indexed
        "WRITE_INDEX, 1",       // every repacked pack written, no new index
        "DELETE_INDEX, 3",      // new index written, two old index objects deleted
        "DELETE_PACK, 3",       // old index gone, two packs deleted, the rest unindexed
    })
    @Timeout(120)
    void a_killed_prune_leaves_every_snapshot_restorable_and_the_next_prune_finishes(Prune.Step step, int n,
                                                                                     @TempDir Path work) throws Exception {
        Path dir = work.resolve("repo");
        PruneFixture.copy(base.resolve("repo"), dir);

        try (ForkedWorker prune = ForkedWorker.start(work.resolve("prune.log"), "prune-until", dir.toString(),
                step.name(), Integer.toString(n))) {
            assertThat(prune.await("AT " + step, 60)).startsWith("AT " + step);
            assertThat(prune.kill()).as("killed by SIGKILL").isEqualTo(137);
        }

        LocalDirectorySink sink = new LocalDirectorySink(dir, false);
        try (Repository repo = Repository.open(sink)) {
            VerifyReport verify = repo.verify(true);
            assertThat(verify.problems()).isEmpty();
            List<Snapshot> left = repo.snapshots();
            assertThat(left).hasSizeGreaterThanOrEqualTo(3);
            for (Snapshot s : left) {
                Map<String, byte[]> restored = restore(repo, s);
                files(dayOf.get(s.id())).forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
            }

            PruneReport next = repo.prune().policy(policy()).maxUnused(0).run();

            assertThat(next.staleLocksRemoved()).as("the killed prune's lock").isEqualTo(1);
            assertThat(objects(sink)).isEqualTo(uninterrupted);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }
}
