package com.mintreplica.backup.core;

import com.mintreplica.backup.core.internal.PruneRun;
import com.mintreplica.backup.core.internal.RepositoryLock;
import com.mintreplica.backup.core.retention.GroupBy;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Describes one prune: which snapshots a retention policy removes, then the removal of every stored byte that no
 * remaining snapshot needs. Created by {@link Repository#prune()}.
 *
 * <pre>{@code
 * PruneReport report = repo.prune()
 *     .policy(Retention.builder().keepDaily(30).keepMonthly(12).build())
 *     .run();
 * }</pre>
 *
 * <p>What a prune does, in this order, so that a prune killed at any point leaves every remaining snapshot restorable
 * and the next prune finishes the work (see docs/prune.md):
 * <ol>
 *   <li>takes the repository's exclusive lock: no backup runs while it works, and none starts;</li>
 *   <li>applies the policy to each group of snapshots (see {@link #groupBy}) and removes the manifests it drops;
 *       without a policy no snapshot is removed;</li>
 *   <li>finds the blobs the remaining snapshots use, and refuses to go on if any is missing from the repository;</li>
 *   <li>copies the used blobs of packs that are mostly unused into new packs (see {@link #maxUnused});</li>
 *   <li>writes a new, consolidated index, then deletes the old index objects;</li>
 *   <li>only then deletes the packs no index lists any more: unused, repacked, and those left by interrupted runs
 *       once they are older than the grace period (see {@link #unindexedGrace}).</li>
 * </ol>
 *
 * <p>A group's newest snapshot is never removed unless {@link #protectNewest(boolean) protectNewest(false)} says so,
 * so no group is ever emptied by a policy that keeps only, say, tagged snapshots.
 */
public final class Prune {

    /** Unused share of the repository tolerated in partly used packs before they are repacked: 5%, as restic. */
    public static final double DEFAULT_MAX_UNUSED = 0.05;

    /** How old a pack that no index lists must be before it is deleted: a day. */
    public static final Duration DEFAULT_UNINDEXED_GRACE = Duration.ofHours(24);

    /** The changes a prune makes, in the order it makes them; reported to a {@link Listener} before each. */
    public enum Step {
        /** Removing a snapshot's manifest ({@code snapshots/<id>}). */
        REMOVE_SNAPSHOT,
        /** Writing a new pack of repacked blobs ({@code data/..}). */
        WRITE_PACK,
        /** Writing an object of the consolidated index ({@code index/..}). */
        WRITE_INDEX,
        /** Deleting an index object the consolidated index replaces. */
        DELETE_INDEX,
        /** Deleting a pack no index lists any more. */
        DELETE_PACK,
        /** Deleting a whole-entry object of the single-object layout ({@code files/..}). */
        DELETE_OBJECT
    }

    /** Told before each change; for progress output and for tests that stop a prune at a chosen point. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called before {@code step} changes {@code object}. An exception thrown here stops the prune at that point,
         * as a crash would.
         */
        void before(Step step, String object);
    }

    private final Repository repository;
    private RetentionPolicy policy;
    private GroupBy groupBy = GroupBy.defaults();
    private boolean dryRun;
    private boolean protectNewest = true;
    private double maxUnused = DEFAULT_MAX_UNUSED;
    private Duration unindexedGrace = DEFAULT_UNINDEXED_GRACE;
    private Duration lockWait = Duration.ZERO;
    private Clock clock = Clock.systemUTC();
    private Listener listener = (step, object) -> { };
    private Duration stallTimeout = Repository.DEFAULT_STALL_TIMEOUT;

    Prune(Repository repository) {
        this.repository = repository;
    }

    /**
     * The retention policy applied to each group. Without one, no snapshot is removed and the prune only deletes data
     * no snapshot needs.
     */
    public Prune policy(RetentionPolicy value) {
        this.policy = Objects.requireNonNull(value, "policy");
        return this;
    }

    /** How snapshots are grouped before the policy is applied (default: by host and source). */
    public Prune groupBy(GroupBy value) {
        this.groupBy = Objects.requireNonNull(value, "groupBy");
        return this;
    }

    /** Whether to only report what would be done, changing nothing (and taking no lock). */
    public Prune dryRun(boolean value) {
        this.dryRun = value;
        return this;
    }

    /**
     * Whether the newest snapshot of each group is kept whatever the policy says (default {@code true}). Such a
     * snapshot is kept with the reason {@code newest snapshot of its group}.
     */
    public Prune protectNewest(boolean value) {
        this.protectNewest = value;
        return this;
    }

    /**
     * The share of the repository (0 to 1) that unused blobs in partly used packs may take before packs are repacked
     * (default 0.05, restic's 5%). Packs with the largest unused share are repacked first, until the rest is within
     * the limit; 0 repacks every partly used pack, 1 never repacks.
     */
    public Prune maxUnused(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new InvalidInputException("maxUnused is a share between 0 and 1 (0.05 = 5%), not " + fraction);
        }
        this.maxUnused = fraction;
        return this;
    }

    /**
     * How old a pack that no index lists must be before it is deleted (default 24 hours). Backups write their index
     * only at the end, so such a pack may belong to a backup that is still running; the lock keeps prune and backups
     * apart, and this grace period is the second line of defence.
     */
    public Prune unindexedGrace(Duration value) {
        if (value.isNegative()) {
            throw new InvalidInputException("the grace period for unindexed packs cannot be negative: " + value);
        }
        this.unindexedGrace = value;
        return this;
    }

    /** How long to wait for running backups to release the repository (default: do not wait; fail at once). */
    public Prune lockWait(Duration value) {
        if (value.isNegative()) {
            throw new InvalidInputException("lockWait cannot be negative: " + value);
        }
        this.lockWait = value;
        return this;
    }

    /** The clock the grace period and the lock use (default: the system clock). */
    public Prune clock(Clock value) {
        this.clock = Objects.requireNonNull(value, "clock");
        return this;
    }

    /** Told before each change the prune makes. */
    public Prune listener(Listener value) {
        this.listener = Objects.requireNonNull(value, "listener");
        return this;
    }

    /**
     * How long the prune may make no progress (no object read, written or deleted) before it is abandoned with a
     * {@link StallException} naming what it waits for (default {@link Repository#DEFAULT_STALL_TIMEOUT}, 10 minutes;
     * {@link Duration#ZERO}: wait forever). Every step of a prune is safe to interrupt: the next prune finishes the
     * work. Waiting for running backups ({@link #lockWait}) does not count.
     */
    public Prune stallTimeout(Duration value) {
        if (value == null || value.isNegative()) {
            throw new InvalidInputException("stallTimeout must be zero (off) or positive: " + value);
        }
        this.stallTimeout = value;
        return this;
    }

    /**
     * Runs the prune.
     *
     * @throws ConflictException when a backup or another prune holds the repository past {@link #lockWait}, or the
     *     lock was lost while pruning (nothing more is changed then)
     * @throws CorruptDataException when a remaining snapshot needs data the repository does not have: the prune stops
     *     before deleting any data
     * @throws StallException when the prune made no progress for its {@link #stallTimeout}
     */
    public PruneReport run() {
        PruneRun.Options options = new PruneRun.Options(Optional.ofNullable(policy), groupBy, dryRun, protectNewest,
                maxUnused, unindexedGrace, lockWait, RepositoryLock.Settings.DEFAULT.withClock(clock), listener,
                stallTimeout);
        return new PruneRun(repository.store(), options).run();
    }
}
