package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.transform.Transformers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Property-style: no mix of entry sizes, compressibility, memory budget, pack size, chunk size or worker count makes a
 * backup wait forever, and every backup restores identically. A seeded generator makes a few hundred cases (the same
 * ones on every run); each runs under a watchdog timeout, so a deadlock fails the test naming its case instead of
 * hanging the build.
 */
class BackupNeverHangsPropertyTest {
    private static final long SEED = 0x5eed_12L;
    private static final int CASES = 200;
    private static final Duration PER_CASE = Duration.ofSeconds(30);

    /** One generated case; its toString is what a failure reports. */
    record Case(int index, long seed, int entries, long totalBytes, int packSize, int chunkMin, int chunkAvg,
                int chunkMax, long memoryBudget, int parallelism, boolean compressed) {
    }

    @Test
    @Timeout(600)
    void no_mix_of_sizes_budgets_and_workers_deadlocks_and_every_backup_restores_identically() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < CASES; i++) {
            long caseSeed = random.nextLong();
            SampleSource source = source(caseSeed, random);
            Case c = parameters(i, caseSeed, source, random);
            assertTimeoutPreemptively(PER_CASE, () -> backUpAndRestore(c, source),
                    () -> "backup or restore did not finish within " + PER_CASE + ": " + c);
        }
    }

    private static SampleSource source(long seed, SplittableRandom random) {
        SplittableRandom r = new SplittableRandom(seed);
        SampleSource.Builder b = SampleSource.builder();
        // Mostly many tiny entries (the shape that used to hang), sometimes a few large ones; at most 1.5 MiB per
        // case keeps a few hundred cases quick.
        int shape = random.nextInt(4);
        int count = switch (shape) {
            case 0 -> 1 + r.nextInt(5000);      // many tiny files
            case 1 -> 1 + r.nextInt(300);       // mixed
            case 2 -> 1 + r.nextInt(8);         // a few large ones
            default -> 1 + r.nextInt(1500);     // small files, now and then a larger one
        };
        long budget = 3L << 19;
        byte[] previous = new byte[0];
        for (int n = 0; n < count && budget > 0; n++) {
            int size = switch (shape) {
                case 0 -> r.nextInt(200);
                case 2 -> r.nextInt(1 << 20);
                default -> r.nextInt(50) == 0 ? r.nextInt(256 << 10) : r.nextInt(2048);
            };
            size = (int) Math.min(size, budget);
            // Seven directories, each one block of consecutive entries: a Source emits all entries below a directory
            // together (the order snapshots as trees rely on).
            String path = "d" + (n * 7L / count) + "/f-" + n;
            if (size > 64 << 10 && r.nextInt(3) == 0) {
                b.generated(path, size, r.nextLong()); // generated as it is read
                budget -= size;
                continue;
            }
            byte[] content = switch (r.nextInt(5)) {
                case 0 -> randomBytes(r, size);                              // incompressible
                case 1 -> new byte[size];                                    // compresses to almost nothing
                case 2 -> text(r, size);                                     // compresses well
                case 3 -> previous.length <= budget ? previous.clone() : text(r, size); // a duplicate: deduplicated
                default -> mixed(r, size);
            };
            budget -= content.length;
            previous = content;
            b.add(path, content);
        }
        return b.build();
    }

    private static Case parameters(int index, long seed, SampleSource source, SplittableRandom random) {
        int entries = source.digests().size();
        int packSize = logUniform(random, 256, 4 << 20);
        int chunkMin = logUniform(random, 128, 256 << 10);
        int chunkAvg = chunkMin * (1 + random.nextInt(4));
        int chunkMax = chunkAvg * (1 + random.nextInt(8));
        long memoryBudget = logUniform(random, 1, 32 << 20);
        int parallelism = 1 + random.nextInt(8);
        boolean compressed = random.nextInt(3) != 0;
        return new Case(index, seed, entries, source.totalBytes(), packSize, chunkMin, chunkAvg, chunkMax, memoryBudget,
                parallelism, compressed);
    }

    private static void backUpAndRestore(Case c, SampleSource source) {
        RepositorySettings settings = RepositorySettings.defaults()
                .withChunkSizes(c.chunkMin(), c.chunkAvg(), c.chunkMax())
                .withPackSize(c.packSize())
                .withTransformers(c.compressed() ? List.of(Transformers.zstd()) : List.of());
        try (Repository repo = Repository.init(new InMemorySink(), settings)) {
            BackupResult result = Backup.pipeline().source(source).to(repo)
                    .memoryBudget(c.memoryBudget()).parallelism(c.parallelism())
                    .build().run();
            assertThat(result.entries()).as("%s", c).isEqualTo(c.entries());
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(result.snapshotId())).to(target).parallelism(1 + c.parallelism() % 4).run();
            assertThat(target.finished()).as("%s", c).isTrue();
            assertThat(target.digests()).as("%s", c).isEqualTo(source.digests());
        }
    }

    /**
     * Snapshots are trees of per-directory tree blobs: a tree of many tiny directories (most with one small file or
     * none, nested up to eight deep) puts more tree blobs than chunks through the pipeline. Tree blobs take the tree
     * pack budget and closed listings the chunk budget, from budgets of a few bytes to a few MiB and packs smaller than
     * a single tree blob: nothing may wait forever, and every backup restores identically.
     */
    @Test
    @Timeout(600)
    void no_tree_of_many_tiny_directories_deadlocks_and_every_backup_restores_identically() {
        SplittableRandom random = new SplittableRandom(SEED ^ 0x7ee5L);
        for (int i = 0; i < TREE_CASES; i++) {
            long caseSeed = random.nextLong();
            SampleSource source = tinyDirectories(caseSeed);
            Case c = parameters(i, caseSeed, source, random);
            Case tight = new Case(c.index(), c.seed(), c.entries(), c.totalBytes(), logUniform(random, 64, 64 << 10),
                    c.chunkMin(), c.chunkAvg(), c.chunkMax(), logUniform(random, 1, 1 << 20), c.parallelism(),
                    c.compressed());
            assertTimeoutPreemptively(PER_CASE, () -> backUpAndRestore(tight, source),
                    () -> "backup or restore of a tree of tiny directories did not finish within " + PER_CASE + ": "
                            + tight);
        }
    }

    private static final int TREE_CASES = 60;

    /** Up to 3,000 directories in a random tree, depth first (the order a Source emits), each with 0 to 2 tiny files. */
    private static SampleSource tinyDirectories(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SampleSource.Builder b = SampleSource.builder();
        int directories = 1 + r.nextInt(3000);
        java.util.ArrayDeque<String> stack = new java.util.ArrayDeque<>();
        stack.push("t");
        for (int d = 0; d < directories; d++) {
            // go up a few levels, then one down: a new directory below the current one
            while (stack.size() > 1 && (stack.size() > 8 || r.nextInt(3) == 0)) {
                stack.pop();
            }
            String dir = stack.peek() + "/d" + d;
            stack.push(dir);
            int files = r.nextInt(3);
            for (int f = 0; f < files; f++) {
                b.add(dir + "/f" + f, r.nextInt(4) == 0 ? new byte[0] : text(r, r.nextInt(300)));
            }
        }
        return b.build();
    }

    private static int logUniform(SplittableRandom random, int min, int max) {
        double value = Math.exp(Math.log(min) + random.nextDouble() * (Math.log(max) - Math.log(min)));
        return (int) Math.max(min, Math.min(max, Math.round(value)));
    }

    private static byte[] randomBytes(SplittableRandom r, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static byte[] text(SplittableRandom r, int size) {
        StringBuilder sb = new StringBuilder(size + 64);
        while (sb.length() < size) {
            sb.append("2026-11-24,tx-").append(r.nextInt(1_000_000)).append(",EUR,").append(r.nextInt(10_000)).append('\n');
        }
        return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] mixed(SplittableRandom r, int size) {
        byte[] b = text(r, size);
        for (int i = 0; i < size / 3; i++) {
            b[r.nextInt(size)] = (byte) r.nextInt(256);
        }
        return b;
    }
}
