package com.mintreplica.backup.jobs.internal.drill;

import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.jobs.DrillReport;
import com.mintreplica.backup.jobs.DrillScratch;
import com.mintreplica.backup.jobs.internal.Redactor;
import java.util.List;
import java.util.Optional;

/** A scratch target of one drill: where the restore goes, the checks that follow it, and its removal. */
public interface Scratch extends DrillScratch {

    /** The restore target; one per drill. */
    RestoreTarget target();

    /**
     * The restores the drill runs, in order: one of the whole snapshot into {@link #target()} unless the kind needs
     * several (a MongoDB snapshot of several databases is restored one database at a time).
     */
    default List<Part> parts() {
        return List.of(new Part(List.of(), target()));
    }

    /**
     * One restore.
     *
     * @param includes the entry paths it restores (empty: all)
     * @param target where to
     */
    record Part(List<String> includes, RestoreTarget target) {
    }

    /**
     * The {@code restore} check and the checks of this kind, after the restore ended.
     *
     * @param result what the restore did, when it succeeded
     * @param failure why it failed, when it did
     */
    List<DrillReport.Check> checks(Optional<RestoreResult> result, Optional<Exception> failure, Redactor redactor);

    /**
     * Removes everything the drill made; does nothing for what it did not make. Safe to call when nothing was made.
     *
     * @return what was removed, in words
     */
    String remove() throws Exception;

    /** Runs the config's smoke query in the scratch target. */
    default DrillReport.Check smokeQuery(String query) {
        throw new UnsupportedException("a smoke query is SQL, for PostgreSQL drills");
    }

    @Override
    default java.sql.Connection connect() {
        throw new UnsupportedException("a " + kind() + " scratch target has no SQL connection");
    }

    /** The {@code restore} check from how the restore ended. */
    static DrillReport.Check restoreCheck(Optional<RestoreResult> result, Optional<Exception> failure, String where,
                                          Redactor redactor) {
        if (failure.isPresent()) {
            return DrillReport.Check.failed("restore", redactor.message(failure.get()));
        }
        RestoreResult r = result.orElseThrow();
        return DrillReport.Check.passed("restore", "restored " + r.entries() + " entries, " + r.bytes() + " bytes, into "
                + where);
    }
}
