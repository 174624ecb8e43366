package com.mintreplica.backup.core.drill;

import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How snapshots of one source kind are drilled: restored into a scratch target made for the drill, checked the
 * kind's way, and removed again. Returned by {@link com.mintreplica.backup.core.source.SourceProvider#drills()}; the
 * jobs layer adds the checks every kind has ({@code restore}, {@code verify}, {@code smoke}).
 *
 * <p>Checked by {@code DrillSupportContract} in backup-testkit.
 */
public interface DrillSupport {

    /**
     * The checks this kind makes after a restore, by name: {@code file-hashes} for directories, {@code vacuum-analyze}
     * and {@code row-counts} for PostgreSQL. A drill config may list only these (and the common ones).
     */
    Set<String> checks();

    /**
     * Whether the drill's {@code target} is a directory the scratch is made in (true), or a server's location the
     * scratch database is made on (false; without a target, the job's own server).
     */
    boolean directoryTarget();

    /** Whether {@link Scratch#smokeQuery} runs the config's smoke queries (SQL). */
    default boolean smokeQueries() {
        return false;
    }

    /** Makes the scratch target of one drill (nothing is restored yet). */
    Scratch scratch(Request request) throws IOException;

    /**
     * What a scratch is made for.
     *
     * @param drill the drill's name (scratch directories carry it)
     * @param snapshot the snapshot to restore: its own database is never the scratch
     * @param entries the snapshot's entries
     * @param target the drill's target: a directory for {@link #directoryTarget()} kinds, else a server's location;
     *     empty: the temporary directory, or the job's own server ({@code sourceLocation})
     * @param sourceLocation the job's source location, when it has one
     * @param environment what the scratch's tools and connections read (the password in
     *     {@link com.mintreplica.backup.core.source.SourceProvider#passwordVariable()})
     * @param sourceOptions the job's source options, when the scratch is on the job's own server; else empty
     * @param options the drill's options
     * @param checks the checks of {@link #checks()} the drill wants
     * @param tempDir the temporary directory
     * @param repository the repository the snapshot is in, when the drill runner gives it: for kinds that keep data
     *     beside snapshots (PostgreSQL's WAL archive, whose listing bounds a point-in-time drill's window)
     */
    record Request(String drill, Snapshot snapshot, List<Entry> entries, Optional<String> target,
                   Optional<String> sourceLocation, Map<String, String> environment, Map<String, String> sourceOptions,
                   Map<String, String> options, Set<String> checks, Path tempDir,
                   Optional<com.mintreplica.backup.core.Repository> repository) {
        /** A request without the repository (as before it was given). */
        public Request(String drill, Snapshot snapshot, List<Entry> entries, Optional<String> target,
                       Optional<String> sourceLocation, Map<String, String> environment,
                       Map<String, String> sourceOptions, Map<String, String> options, Set<String> checks,
                       Path tempDir) {
            this(drill, snapshot, entries, target, sourceLocation, environment, sourceOptions, options, checks, tempDir,
                    Optional.empty());
        }

        public Request {
            Objects.requireNonNull(repository, "repository");
            Objects.requireNonNull(drill, "drill");
            Objects.requireNonNull(snapshot, "snapshot");
            entries = List.copyOf(entries);
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(sourceLocation, "sourceLocation");
            environment = Map.copyOf(environment);
            sourceOptions = Map.copyOf(sourceOptions);
            options = Map.copyOf(options);
            checks = Set.copyOf(checks);
            Objects.requireNonNull(tempDir, "tempDir");
        }

        @Override
        public String toString() {
            return "Request[" + drill + ", " + snapshot.id() + ", environment ***]";
        }
    }
}
