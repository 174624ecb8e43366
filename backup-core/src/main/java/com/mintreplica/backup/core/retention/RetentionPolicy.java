package com.mintreplica.backup.core.retention;

import com.mintreplica.backup.core.Snapshot;
import java.util.List;

/**
 * Decides which snapshots of one group (one source on one host, by default) to keep. The decision is made on the
 * snapshots' times and tags alone, so it is a pure function: the same group gives the same decision.
 *
 * <p>Contract, checked by {@code RetentionPolicyContract} in backup-testkit: every snapshot of the group is either kept
 * (with at least one reason) or removed, never both; the order of the input does not matter.
 */
@FunctionalInterface
public interface RetentionPolicy {

    /** Decides for {@code group}, given in any order. */
    RetentionDecision apply(List<Snapshot> group);
}
