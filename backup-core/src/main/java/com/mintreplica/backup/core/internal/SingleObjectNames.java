package com.mintreplica.backup.core.internal;

import java.util.Optional;

/**
 * Object names of the single-object layout: {@code files/<job>/<snapshot>/<path>} for a snapshot taken by a job,
 * {@code files/<snapshot>/<path>} for one taken without (and for every snapshot written before job directories were
 * introduced). A job's directory lists its snapshots in time order, so someone with only a bucket browser, {@code aws s3
 * ls} or {@code ls} finds a job's latest snapshot in a repository shared by several jobs; the manifest records each
 * object's full name, so a restore never depends on this scheme and older repositories keep restoring.
 *
 * <p>In an encrypted repository the job's name is visible in object names, as it already is in the names of scheduled
 * runs' lease objects ({@code jobs/<job>/...}) and as snapshot times are in snapshot ids; entry paths are not (they
 * are a keyed hash).
 */
final class SingleObjectNames {
    static final String PREFIX = "files/";

    private SingleObjectNames() {
    }

    /** Where a snapshot's objects go: {@code files/<job>/<snapshot>/} or {@code files/<snapshot>/}. */
    static String directory(Optional<String> job, String snapshotId) {
        return PREFIX + job.map(j -> jobSegment(j) + "/").orElse("") + snapshotId + "/";
    }

    /**
     * A job's name as one portable name segment ({@code [A-Za-z0-9._-]}); never one that reads as a snapshot id, so
     * {@link #snapshotOf} can tell the two layouts apart.
     */
    static String jobSegment(String job) {
        String clean = segment(job);
        return SnapshotIds.isValid(clean) ? "job-" + clean : clean;
    }

    /** A path segment with characters that are not portable in object names replaced, never starting with a dot. */
    static String segment(String segment) {
        String clean = segment.replaceAll("[^A-Za-z0-9._-]", "_");
        return clean.startsWith(".") || clean.isEmpty() ? "_" + clean : clean;
    }

    /** The snapshot an object of the layout belongs to, by its name: the first or second segment after files/. */
    static Optional<String> snapshotOf(String name) {
        if (!name.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] segments = name.substring(PREFIX.length()).split("/", 3);
        if (segments.length >= 2 && SnapshotIds.isValid(segments[0])) {
            return Optional.of(segments[0]);
        }
        if (segments.length == 3 && SnapshotIds.isValid(segments[1])) {
            return Optional.of(segments[1]);
        }
        return Optional.empty();
    }
}
