package com.mintreplica.backup.postgres.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the archiver at random moments, 20 trials: a child JVM runs what {@code wal-push --spool} runs (a batch of
 * real ready segments, acknowledged in the spool as each is stored) and is killed with SIGKILL at a random moment
 * within the time a whole batch takes. After each kill: every acknowledged segment is in the repository, fetches and
 * is identical (nothing is acknowledged before it is stored); every stored object checks against its hash (no half
 * object under a final name). Then the retry PostgreSQL makes (archive_command again for the first segment not
 * confirmed, then each next one, through the acknowledgements) succeeds and leaves the chain without a gap.
 *
 * <p>What this does not show: a power loss. The Sink's fsync of file and directory before an acknowledgement is
 * written is what covers that (LocalDirectorySink; docs/postgresql-pitr.md states the promise).
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WalPushKillIT {
    private static final int TRIALS = 20;

    @TempDir
    Path temp;

    private Process child(Path repo, Path spool, Path segment, Path log) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), WalPushChild.class.getName(),
                repo.toString(), spool.toString(), segment.toString());
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    void no_segment_is_acknowledged_before_it_is_stored_no_gap_appears_and_the_retry_succeeds() throws Exception {
        List<Path> segments;
        try (PostgresCluster pg = WalSegments.keepingWal()) {
            WalSegments.write(pg, 10);
            segments = WalSegments.copy(pg, temp.resolve("data"), 10);
        }
        // how long one whole batch takes here, to kill inside it
        long full = 0;
        {
            Path repo = temp.resolve("measure");
            Repository.init(new LocalDirectorySink(repo)).close();
            long t0 = System.nanoTime();
            Process p = child(repo, temp.resolve("measure-spool"), segments.get(0), temp.resolve("measure.log"));
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(temp.resolve("measure.log"))).isZero();
            full = (System.nanoTime() - t0) / 1_000_000;
        }
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int killedMidway = 0;
        List<String> outcomes = new ArrayList<>();
        for (int trial = 0; trial < TRIALS; trial++) {
            Path repo = temp.resolve("repo-" + trial);
            Path spool = temp.resolve("spool-" + trial);
            Repository.init(new LocalDirectorySink(repo)).close();
            Path log = temp.resolve("child-" + trial + ".log");
            long delay = (long) (full * (0.05 + 0.9 * random.nextDouble()));
            Process p = child(repo, spool, segments.get(0), log);
            boolean ended = p.waitFor(delay, TimeUnit.MILLISECONDS);
            if (!ended) {
                p.destroyForcibly(); // SIGKILL
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            boolean done = Files.readString(log, StandardCharsets.UTF_8).contains("DONE");
            if (!done) {
                killedMidway++;
            }
            try (Repository r = Repository.open(new LocalDirectorySink(repo))) {
                WalArchive archive = WalArchive.open(r, "db1");
                List<String> acked = new ArrayList<>();
                Path acks = spool.resolve(WalSpool.ARCHIVE);
                if (Files.isDirectory(acks)) {
                    try (Stream<Path> s = Files.list(acks)) {
                        s.map(a -> a.getFileName().toString()).filter(n -> n.endsWith(".ok"))
                                .map(n -> n.substring(0, n.length() - 3)).sorted().forEach(acked::add);
                    }
                }
                for (String name : acked) {
                    Path back = temp.resolve("back");
                    assertThat(archive.fetch(name, back)).as("trial %d: %s was acknowledged, so it must be stored", trial, name)
                            .isTrue();
                    assertThat(Files.mismatch(back, temp.resolve("data/pg_wal").resolve(name))).isEqualTo(-1);
                }
                int stored = archive.list().size();
                assertThat(archive.verify(true).problems()).as("trial %d", trial).isEmpty();
                outcomes.add(String.format("trial %d: killed after %d ms%s, %d stored, %d acknowledged", trial, delay,
                        done ? " (had finished)" : "", stored, acked.size()));

                // PostgreSQL's retry: archive_command again for the first segment, then for each next one
                WalSpool spooled = WalSpool.open(spool);
                for (Path segment : segments) {
                    if (!spooled.consumeAcknowledgement(segment)) {
                        spooled.push(archive, segment, 100, 2);
                    }
                }
                WalVerifyReport report = archive.verify(true);
                assertThat(report.ok()).as("trial %d: %s", trial, report).isTrue();
                assertThat(archive.list()).extracting(WalFile::name)
                        .containsExactlyElementsOf(segments.stream().map(s -> s.getFileName().toString()).toList());
            }
        }
        System.out.println("WalPushKillIT (seed " + seed + ", a whole batch took " + full + " ms):\n  "
                + String.join("\n  ", outcomes));
        assertThat(killedMidway).as("trials killed before the batch finished (seed %d)", seed).isGreaterThanOrEqualTo(TRIALS / 2);
    }
}
