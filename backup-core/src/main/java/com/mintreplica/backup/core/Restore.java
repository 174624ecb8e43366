package com.mintreplica.backup.core;

import com.mintreplica.backup.core.source.RestoreTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * Describes one restore: which snapshot, into which target, which entries. Created by {@link Repository#restore}.
 *
 * <pre>{@code
 * repo.restore(SnapshotSelector.latest())
 *     .to(new DirectoryTarget(Path.of("/tmp/restore")))
 *     .include("etc/mint")
 *     .run();
 * }</pre>
 */
public final class Restore {
    private final Repository repository;
    private final SnapshotSelector selector;
    private RestoreTarget target;
    private final List<String> includes = new ArrayList<>();
    private ExcludePatterns excludes = ExcludePatterns.of(List.of());
    private Executor executor;
    // Blob reads wait on the store (disk, network) more than on the CPU: a few more than the processors keep both busy.
    private int parallelism = defaultParallelism(Runtime.getRuntime().availableProcessors(),
            Runtime.getRuntime().maxMemory());
    private Duration stallTimeout = Repository.DEFAULT_STALL_TIMEOUT;
    private java.util.function.Consumer<String> dryRun;

    Restore(Repository repository, SnapshotSelector selector) {
        this.repository = repository;
        this.selector = Objects.requireNonNull(selector, "selector");
    }

    /**
     * Twice the processors, at least four, but no more than one per 24 MiB of heap and at least two: each reader holds a
     * blob's stored, decrypted and plain forms (up to three largest chunks), and four readers of random data ran an
     * encrypted restore out of a 64 MiB heap.
     */
    static int defaultParallelism(int processors, long maxHeap) {
        int wanted = Math.max(4, 2 * processors);
        return (int) Math.max(2, Math.min(wanted, maxHeap / (24 << 20)));
    }

    /**
     * Makes this a dry run: the selected entries are walked (their directory listings read, no file content) and the
     * target changes nothing; the result counts what a restore would write, and {@code wouldRemove} is told each path
     * the target would remove (a directory target in mirror mode: what lies under the snapshot's roots and is not in
     * it). As restic's {@code restore --dry-run}.
     */
    public Restore dryRun(java.util.function.Consumer<String> wouldRemove) {
        this.dryRun = Objects.requireNonNull(wouldRemove, "wouldRemove");
        return this;
    }

    /**
     * Leaves out entries matching these glob patterns, and everything below a directory that matches (restic's
     * {@code restore --exclude}). As restic's: a pattern with a leading {@code /} matches an entry's whole path
     * ({@code /var/lib/app/tmp}); one without a {@code /} its name ({@code *.log}, {@code cache}); another the end of
     * its path from any directory on ({@code app/tmp}, {@code lib/**}). A trailing {@code /} is ignored, and
     * {@code \xe9} is the byte as {@code ls} shows it in a name that is not UTF-8.
     * {@code *} and {@code ?} stay within a name, {@code **} crosses them, {@code [...]} and {@code {a,b}} as in
     * shells. A target that mirrors leaves what they match alone, as anything outside the selection.
     */
    public Restore exclude(Collection<String> patterns) {
        excludes = excludes.and(ExcludePatterns.of(patterns));
        return this;
    }

    /** See {@link #exclude(Collection)}. */
    public Restore exclude(String... patterns) {
        return exclude(List.of(patterns));
    }

    /** Where to restore to. Required. */
    public Restore to(RestoreTarget value) {
        this.target = Objects.requireNonNull(value, "target");
        return this;
    }

    /**
     * Restores only these entry paths and what lies below them (a directory path includes its contents). Paths are as
     * the snapshot lists them, relative; a leading {@code /} is ignored.
     */
    public Restore include(String... paths) {
        return include(List.of(paths));
    }

    /** See {@link #include(String...)}. */
    public Restore include(Collection<String> paths) {
        for (String p : paths) {
            String clean = p.replaceAll("/+$", "").replaceAll("^/+", "");
            if (clean.isEmpty()) {
                throw new InvalidInputException("an include path is empty: give an entry path such as etc/mint/app.yaml");
            }
            includes.add(clean);
        }
        return this;
    }

    /** The executor that fetches blobs ahead; by default the restore runs its own threads and stops them after. */
    public Restore executor(Executor value) {
        this.executor = value;
        return this;
    }

    /** How many blobs to fetch ahead in parallel (default: twice the number of processors, at least 4). */
    public Restore parallelism(int value) {
        if (value < 1) {
            throw new InvalidInputException("parallelism must be at least 1: " + value);
        }
        this.parallelism = value;
        return this;
    }

    /**
     * How long the restore may make no progress (no bytes handed to the target, no blob fetched) before it is
     * abandoned with a {@link StallException} naming what it waits for, e.g. blob B of pack P (default
     * {@link Repository#DEFAULT_STALL_TIMEOUT}, 10 minutes; {@link Duration#ZERO}: wait forever). The target is told
     * to abort. A target's own work before the first and after the last entry (pg_restore building indexes) does not
     * count.
     */
    public Restore stallTimeout(Duration value) {
        if (value == null || value.isNegative()) {
            throw new InvalidInputException("stallTimeout must be zero (off) or positive: " + value);
        }
        this.stallTimeout = value;
        return this;
    }

    /**
     * Runs the restore.
     *
     * @throws NotFoundException when the snapshot or an included path does not exist
     * @throws CorruptDataException when stored data is damaged; nothing corrupt reaches the target
     * @throws StallException when the restore made no progress for its {@link #stallTimeout}
     */
    public RestoreResult run() {
        if (target == null) {
            throw new InvalidInputException("a restore needs a target: call to(...)");
        }
        return repository.runRestore(this);
    }

    SnapshotSelector selector() {
        return selector;
    }

    RestoreTarget target() {
        return target;
    }

    Executor executor() {
        return executor;
    }

    int parallelism() {
        return parallelism;
    }

    Duration stallTimeout() {
        return stallTimeout;
    }

    java.util.Optional<java.util.function.Consumer<String>> dryRun() {
        return java.util.Optional.ofNullable(dryRun);
    }

    boolean isPartial() {
        return !includes.isEmpty();
    }

    /**
     * Selected: an included path, anything below one, and the directories above one (so they get their metadata);
     * minus what an exclude pattern matches, and what lies below a directory one matches.
     */
    Predicate<String> selection() {
        Predicate<String> included = included();
        if (excludes.isEmpty()) {
            return included;
        }
        ExcludePatterns patterns = excludes;
        return path -> included.test(path) && !patterns.excludes(path);
    }

    private Predicate<String> included() {
        if (includes.isEmpty()) {
            return path -> true;
        }
        List<String> chosen = List.copyOf(includes);
        return path -> {
            for (String include : chosen) {
                if (path.equals(include) || path.startsWith(include + "/") || include.startsWith(path + "/")) {
                    return true;
                }
            }
            return false;
        };
    }

    /** Checks every include with {@code exists} (whether the snapshot has the path, or anything below it). */
    void checkIncludesExist(Predicate<String> exists, Snapshot snapshot) {
        for (int i = 0; i < includes.size(); i++) {
            String include = includes.get(i);
            boolean found = exists.test(include);
            String shown = com.mintreplica.backup.core.source.FileNames.parseDisplayed(include);
            if (!found && !shown.equals(include) && exists.test(shown)) {
                includes.set(i, shown);   // named as `ls` shows it: a byte that is not UTF-8 as \xff
                found = true;
            }
            if (!found) {
                throw new NotFoundException("snapshot " + snapshot.id() + " has no entry '" + include
                        + "': `mint-backup ls " + snapshot.id() + "` lists its entries");
            }
        }
    }
}
