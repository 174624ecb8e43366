package com.mintreplica.backup.core.source;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Creates Sources and RestoreTargets from locations such as {@code postgresql://db/mint} or a directory path. Found
 * through {@code META-INF/services}, so the CLI and the config file reach every source a module on the class path
 * provides, while the core names none. Applications usually construct Sources directly instead.
 */
public interface SourceProvider {

    /** The source kind this provider handles, as {@link SourceId#kind()} records it: {@code postgresql}. */
    String kind();

    /**
     * The URI schemes it opens: {@code postgresql}, {@code postgres}. The provider for plain paths (no scheme) lists
     * {@code file}.
     */
    Set<String> schemes();

    /** The module that holds it, named in the error when it is needed and missing: {@code backup-postgres}. */
    String module();

    /**
     * A Source for {@code location}.
     *
     * @param options settings from the command line or config, by name (for example {@code exclude}); the provider
     *     rejects names it does not know with an {@link com.mintreplica.backup.core.InvalidInputException}
     */
    Source source(URI location, Map<String, String> options) throws IOException;

    /**
     * A target that restores snapshots of this kind to {@code location} (or, when {@code location} is empty, to where
     * the data came from, when the provider supports that).
     */
    RestoreTarget target(Optional<URI> location, Map<String, String> options) throws IOException;

    /**
     * A target that writes snapshots of this kind into {@code directory} as the files the kind's own tools read (for
     * MongoDB, the directory {@code mongodump} writes and {@code mongorestore} reads): an export, what
     * {@code restore --target DIR} does with a snapshot that is not a directory tree. Empty when the kind has no such
     * form.
     */
    default Optional<RestoreTarget> directoryTarget(Path directory, Map<String, String> options) throws IOException {
        return Optional.empty();
    }

    /**
     * This provider reading settings (credentials, tool paths) from {@code environment} instead of the process
     * environment: the CLI and config pass theirs, so environment variables are read only at the edge. Providers that
     * read no environment return themselves.
     */
    default SourceProvider withEnvironment(Map<String, String> environment) {
        return this;
    }

    /**
     * A target that checks a snapshot's entries without restoring them (for PostgreSQL: {@code pg_restore --list}),
     * run by {@code verify}. Empty when the repository's own checks are all there is.
     */
    default Optional<RestoreTarget> verifier(Map<String, String> options) {
        return Optional.empty();
    }

    /**
     * A Source of several locations of this kind at once, with globs of what to leave out ({@code exclude}) and of the
     * only entries to keep ({@code include}): a directory job's roots. The default takes one location and no globs and
     * is {@link #source(URI, Map)}; a provider whose kind has no such form refuses the rest.
     *
     * @throws com.mintreplica.backup.core.InvalidInputException when this kind takes one location, or no globs
     */
    default Source source(List<URI> locations, List<String> include, List<String> exclude, Map<String, String> options)
            throws IOException {
        if (locations.size() != 1 || !include.isEmpty() || !exclude.isEmpty()) {
            throw new com.mintreplica.backup.core.InvalidInputException("a " + kind() + " source takes one location and"
                    + " no include or exclude globs (" + locations.size() + " locations given)");
        }
        return source(locations.get(0), options);
    }

    /**
     * What is wrong with a job's source of this kind, checked when a config is loaded (before anything runs): options
     * it lacks or cannot take, each a sentence saying what to give. The default finds nothing; {@link #source} still
     * refuses what it cannot open.
     */
    default List<String> problems(URI location, Map<String, String> options) {
        return List.of();
    }

    /**
     * Called by a job after its retention ran, with the job's snapshots that remain (newest first): a kind that keeps
     * data of its own beside its snapshots in the repository (PostgreSQL's WAL archive) removes what none of them needs,
     * and never what one of them needs. Returns what it removed, for the audit log, when it removed something. The
     * default keeps nothing of its own and does nothing.
     *
     * @param location the job's source location
     * @param options the job's source options
     */
    default Optional<String> afterRetention(com.mintreplica.backup.core.Repository repository, URI location,
                                            Map<String, String> options, List<com.mintreplica.backup.core.Snapshot> retained)
            throws IOException {
        return Optional.empty();
    }

    /**
     * Called by a job after it copied a snapshot to one of its copy targets: a kind that keeps data of its own beside
     * its snapshots (PostgreSQL's WAL archive) copies what {@code target} lacks of it, so the copy restores as the
     * original does. Returns what it copied, for the audit log, when it copied something. The default does nothing.
     *
     * @param location the job's source location
     * @param options the job's source options
     */
    default Optional<String> afterCopy(com.mintreplica.backup.core.Repository repository,
                                       com.mintreplica.backup.core.Repository target, URI location,
                                       Map<String, String> options) throws IOException {
        return Optional.empty();
    }

    /**
     * The environment variable this kind reads its password from ({@code PGPASSWORD}), when it takes one: the config's
     * {@code password:} reference is resolved into it, so the password never appears in a URI or an argument.
     */
    default Optional<String> passwordVariable() {
        return Optional.empty();
    }

    /** How snapshots of this kind are drilled, when they can be. */
    default Optional<com.mintreplica.backup.core.drill.DrillSupport> drills() {
        return Optional.empty();
    }

    /** The doctor's checks of sources and restore servers of this kind, when it has any. */
    default Optional<com.mintreplica.backup.core.drill.Preflight> preflight() {
        return Optional.empty();
    }

    /**
     * The target options a recovery to {@code server} starts from for {@code latest} (the operator's options are put
     * over them): for MongoDB, restoring each database under its own name when the URI names none.
     *
     * @param chosen whether the operator chose this target for this snapshot's group (else it is the server given for
     *     every group of the kind)
     */
    default Map<String, String> recoveryOptions(com.mintreplica.backup.core.Snapshot latest, URI server, boolean chosen) {
        return Map.of();
    }

    /**
     * Whether a snapshot of this kind is recovered into a directory (disaster recovery's {@code --target-dir}) rather
     * than to a server: directory trees, and a PostgreSQL physical base backup (the new data directory). By default,
     * the kinds that read {@code file:} locations.
     */
    default boolean recoversIntoDirectory() {
        return schemes().contains("file");
    }

    /** What a restore target of this kind looks like, for messages: {@code a server such as postgresql://host:5432/}. */
    default String targetExample() {
        return "a " + kind() + " target";
    }
}
