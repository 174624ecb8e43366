package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneFixture.files;
import static com.mintreplica.backup.core.PruneFixture.restore;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups and prunes in two processes on one repository. Each backup reuses half of the previous snapshot's data, so
 * it finds blobs in the index that the prune would delete if the two overlapped. Whatever interleaving happens, every
 * snapshot the backup process reports as committed is either still there and verifies with --read-data and restores,
 * or was removed by a prune that says so.
 */
class PruneRaceIT {

    @Test
    @Timeout(300)
    void prune_racing_backups_in_another_process_loses_nothing(@TempDir Path work) throws Exception {
        Path dir = work.resolve("repo");
        Repository.init(new LocalDirectorySink(dir, false), PruneFixture.smallSettings()).close();
        Path stop = work.resolve("stop");

        List<String> committed;
        List<String> removed;
        try (ForkedWorker prunes = ForkedWorker.start(work.resolve("prunes.log"), "prunes", dir.toString(), stop.toString());
             ForkedWorker backups = ForkedWorker.start(work.resolve("backups.log"), "backups", dir.toString(), "1", "30")) {
            assertThat(backups.waitFor(240)).as("backups exit code; log in " + work).isZero();
            Files.createFile(stop);
            assertThat(prunes.waitFor(120)).as("prunes exit code").isZero();
            committed = backups.linesStartingWith("COMMITTED ");
            removed = prunes.linesStartingWith("REMOVED ").stream().map(l -> l.substring("REMOVED ".length())).toList();
            assertThat(prunes.linesStartingWith("PRUNED ")).as("prunes ran between the backups")
                    .filteredOn(l -> !l.startsWith("PRUNED 0 ")).hasSizeGreaterThanOrEqualTo(3);
        }

        assertThat(committed).hasSize(30);
        Map<String, Integer> dayOf = new HashMap<>();
        committed.forEach(l -> {
            String[] parts = l.split(" ");
            dayOf.put(parts[2], Integer.parseInt(parts[1]));
        });
        Set<String> expected = new HashSet<>(dayOf.keySet());
        removed.forEach(expected::remove);
        try (Repository repo = Repository.open(new LocalDirectorySink(dir, false))) {
            Set<String> present = new HashSet<>(PruneFixture.ids(repo.snapshots()));
            assertThat(present).as("nothing vanished that no prune removed, and the prunes kept the newest")
                    .isEqualTo(expected).hasSizeGreaterThanOrEqualTo(2);
            VerifyReport verify = repo.verify(true);
            assertThat(verify.problems()).isEmpty();
            for (Snapshot s : repo.snapshots()) {
                Map<String, byte[]> restored = restore(repo, s);
                files(dayOf.get(s.id())).forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
            }
        }
    }
}
