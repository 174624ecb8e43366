package com.mintreplica.backup.jobs.internal;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import com.mintreplica.backup.jobs.config.RetentionConfig;
import java.util.ArrayList;
import java.util.List;

/** A job's retention and copies on the core's API. */
public final class Retentions {
    private Retentions() {
    }

    /** The core policy a job's retention config stands for. */
    public static RetentionPolicy policy(RetentionConfig config) {
        throw new UnsupportedException("retention policies need the retention module (issue 3), which has not landed");
    }

    /** Copies {@code snapshot} from {@code from} into {@code to}; returns the bytes sent. */
    public static long copy(Repository from, Repository to, Snapshot snapshot) {
        throw new UnsupportedException("copies need Repository.copyTo (issue 6), which has not landed");
    }

    /**
     * Applies {@code policy} in {@code repository} to the group of {@code snapshot} (same source and host) and forgets
     * what it drops, never {@code snapshot} itself; returns the snapshots forgotten.
     */
    public static List<Snapshot> forget(Repository repository, Snapshot snapshot, RetentionPolicy policy) {
        List<Snapshot> group = repository.snapshots().stream()
                .filter(s -> s.source().equals(snapshot.source()) && s.host().equals(snapshot.host()))
                .toList();
        RetentionDecision decision = policy.apply(group);
        List<Snapshot> forgotten = new ArrayList<>();
        for (Snapshot s : decision.removed()) {
            if (!s.id().equals(snapshot.id())) {
                repository.forget(s);
                forgotten.add(s);
            }
        }
        return forgotten;
    }
}
