package com.mintreplica.backup.storage.s3.internal;

import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Chooses, among the versions of objects in a versioned bucket, the one that was current at a given time: the newest
 * version (or delete marker) written at or before that time. A key whose choice is a delete marker, or that had no
 * version yet, did not exist then.
 */
public final class VersionSelector {
    private VersionSelector() {
    }

    /**
     * One version of one key, as ListObjectVersions reports it.
     *
     * @param key the object key
     * @param versionId the version id
     * @param lastModified when this version was written
     * @param deleteMarker whether this version is a delete marker
     * @param size its size (0 for delete markers)
     * @param latest whether S3 says it is the current version
     * @param etag the version's ETag (empty for delete markers)
     */
    public record Version(String key, String versionId, Instant lastModified, boolean deleteMarker, long size,
                          boolean latest, String etag) {
    }

    /** For each key that existed at {@code time}, the version that was current then; sorted by key. */
    public static Map<String, Version> currentAt(Iterable<Version> versions, Instant time) {
        Map<String, Version> best = new HashMap<>();
        for (Version v : versions) {
            if (v.lastModified().isAfter(time)) {
                continue;
            }
            best.merge(v.key(), v, VersionSelector::newer);
        }
        Map<String, Version> out = new TreeMap<>();
        best.forEach((key, v) -> {
            if (!v.deleteMarker()) {
                out.put(key, v);
            }
        });
        return out;
    }

    /** The version of one key current at {@code time}, if the key existed then. */
    public static Optional<Version> currentOfKeyAt(List<Version> versionsOfOneKey, Instant time) {
        return versionsOfOneKey.stream()
                .filter(v -> !v.lastModified().isAfter(time))
                .reduce(VersionSelector::newer)
                .filter(v -> !v.deleteMarker());
    }

    // S3 times have a resolution of a second or a millisecond: two versions written within it tie. A tie goes to the
    // version S3 marks as latest, then to a delete marker (a delete right after a write wins).
    private static final Comparator<Version> ORDER = Comparator.comparing(Version::lastModified)
            .thenComparing(Version::latest)
            .thenComparing(Version::deleteMarker);

    private static Version newer(Version a, Version b) {
        return ORDER.compare(a, b) >= 0 ? a : b;
    }
}
