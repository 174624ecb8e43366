package com.mintreplica.backup.core.drill;

import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A scratch target of one drill: made by {@link DrillSupport#scratch} for the drill alone, restored into through
 * {@link #parts()}, checked by {@link #checks}, and removed by {@link #remove()} whatever happened (the caller calls it in
 * a {@code finally} block). It never touches what it did not make: the original data stays as it is.
 */
public interface Scratch {

    /** The kind of snapshot it holds: {@code fs}, {@code postgresql}, ... */
    String kind();

    /** Where it is, for messages: a directory, {@code host:port/database}; never with credentials. */
    String describe();

    /** Where the restore went, for the {@code restore} check: {@code host:5432/mint_drill_1a2b with pg_restore}. */
    default String restoredInto() {
        return describe();
    }

    /** For a directory kind: the scratch directory, under which the snapshot's paths are restored. */
    default Optional<Path> directory() {
        return Optional.empty();
    }

    /** For a database kind: the (first) scratch database's name. */
    default Optional<String> database() {
        return Optional.empty();
    }

    /**
     * The id of the snapshot this scratch restores, when the kind chose another than the one requested (a
     * point-in-time drill draws a moment over the whole recoverable window and restores the base backup before it);
     * empty: the requested snapshot.
     */
    default Optional<String> snapshot() {
        return Optional.empty();
    }

    /**
     * The newest moment the repository can restore this job's data to, when that is later than the snapshot's time
     * (PostgreSQL: the time of the WAL archive's newest file). The drill's RPO is measured from it: what a restore
     * would have lost had the primary gone when the drill started. Empty: the snapshot's time.
     */
    default Optional<java.time.Instant> recoverableUntil() {
        return Optional.empty();
    }

    /**
     * The restores the drill runs, in order: one of the whole snapshot unless the kind needs several (a MongoDB
     * snapshot of several databases is restored one database at a time).
     */
    List<Part> parts();

    /**
     * One restore.
     *
     * @param includes the entry paths it restores (empty: all)
     * @param target where to
     */
    record Part(List<String> includes, RestoreTarget target) {
        public Part {
            includes = List.copyOf(includes);
            Objects.requireNonNull(target, "target");
        }
    }

    /**
     * The checks of this kind after the restore ended (the {@code restore} check itself is the caller's).
     *
     * @param result what the restore did, when it succeeded
     * @param failure why it failed, when it did
     */
    List<DrillCheck> checks(Optional<RestoreResult> result, Optional<Exception> failure);

    /**
     * Runs a smoke query (SQL, for kinds whose {@link DrillSupport#smokeQueries()} is true) in the scratch target: it
     * passes when the first column of the first row is a true value.
     */
    default DrillCheck smokeQuery(String query) {
        throw new UnsupportedException("a smoke query is SQL, for PostgreSQL drills");
    }

    /**
     * For an SQL kind: a new JDBC connection to the scratch database, with the drill's login; the caller closes it.
     *
     * @throws UnsupportedException for other kinds
     */
    default java.sql.Connection connect() {
        throw new UnsupportedException("a " + kind() + " scratch target has no SQL connection");
    }

    /**
     * Removes everything the drill made; does nothing for what it did not make. Safe to call when nothing was made.
     *
     * @return what was removed, in words
     */
    String remove() throws IOException;
}
