package com.mintreplica.backup.core;

import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A second process for the prune tests: runs backups or prunes on a repository directory and says on stdout what it
 * committed or removed, so the test can check that nothing else changed. Modes:
 *
 * <ul>
 *   <li>{@code backups DIR FIRST COUNT}: backs up {@code PruneFixture.files(i)} for COUNT values of i from FIRST,
 *       printing {@code COMMITTED <i> <id>} after each;</li>
 *   <li>{@code prunes DIR STOPFILE}: prunes (keep-last 2, repack everything) until STOPFILE exists, printing
 *       {@code REMOVED <id>} for each snapshot removed and {@code PRUNED} after each run;</li>
 *   <li>{@code prune-until DIR STEP N}: one prune (keep-last 3, repack everything) that stops before the N-th change of
 *       kind STEP, printing {@code AT <step> <object>} and then waiting to be killed.</li>
 * </ul>
 */
public final class PruneWorker {
    private PruneWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        try (Repository repo = Repository.open(new LocalDirectorySink(dir, false))) {
            switch (args[0]) {
                case "backups" -> backups(repo, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
                case "prunes" -> prunes(repo, Path.of(args[2]));
                case "prune-until" -> pruneUntil(repo, Prune.Step.valueOf(args[2]), Integer.parseInt(args[3]));
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    private static void backups(Repository repo, int first, int count) {
        for (int i = first; i < first + count; i++) {
            Snapshot s = Backup.pipeline().source(new PruneFixture.MapSource(new SourceId("map", "test"),
                            PruneFixture.files(i))).to(repo).host("host").time(PruneFixture.DAY0.plus(Duration.ofHours(i)))
                    .parallelism(2).lockWait(Duration.ofMinutes(2)).build().run().snapshot();
            System.out.println("COMMITTED " + i + " " + s.id());
            System.out.flush();
            pause();
        }
    }

    private static void prunes(Repository repo, Path stop) {
        while (!Files.exists(stop)) {
            PruneReport report = repo.prune().policy(Retention.builder().keepLast(2).build()).maxUnused(0)
                    .lockWait(Duration.ofMinutes(2)).run();
            for (Snapshot s : report.removed()) {
                System.out.println("REMOVED " + s.id());
            }
            System.out.println("PRUNED " + report.removed().size() + " " + report.packsRepacked());
            System.out.flush();
            pause();
        }
    }

    /** A moment between runs, of random length, so the other process gets its turn at the lock. */
    private static void pause() {
        try {
            Thread.sleep(100 + java.util.concurrent.ThreadLocalRandom.current().nextInt(400));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pruneUntil(Repository repo, Prune.Step stopAt, int n) throws InterruptedException {
        int[] seen = {0};
        repo.prune().policy(Retention.builder().keepLast(3).build()).maxUnused(0).listener((step, object) -> {
            if (step == stopAt && ++seen[0] == n) {
                System.out.println("AT " + step + " " + object);
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }).run();
    }
}
