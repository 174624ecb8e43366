package com.mintreplica.backup.storage.s3.internal;

import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.RepositoryObjects;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;

/**
 * A versioned bucket as it was at one time: for each key, the version that was current then (ListObjectVersions,
 * chosen by {@link VersionSelector}); and putting such versions back as current objects.
 */
public final class S3PointInTime {
    private static final Logger LOG = LoggerFactory.getLogger(S3PointInTime.class);

    /** Stores an object again, as the Sink's put does. */
    @FunctionalInterface
    public interface Putter {
        void put(String name, InputStream content, long length, ObjectKind kind) throws IOException;
    }

    private final S3Place place;
    private final Instant time;
    private final Map<String, Optional<VersionSelector.Version>> versionOf = new ConcurrentHashMap<>();

    public S3PointInTime(S3Place place, Instant time) {
        this.place = place;
        this.time = time;
    }

    public Instant time() {
        return time;
    }

    /** The version of {@code name} current at the time, or empty when it did not exist then. */
    public Optional<VersionSelector.Version> versionOf(String name) throws IOException {
        Optional<VersionSelector.Version> cached = versionOf.get(name);
        if (cached != null) {
            return cached;
        }
        String key = place.key(name);
        List<VersionSelector.Version> ofKey = new ArrayList<>();
        for (VersionSelector.Version v : versions(place, key)) {
            if (v.key().equals(key)) {
                ofKey.add(v);
            }
        }
        Optional<VersionSelector.Version> found = VersionSelector.currentOfKeyAt(ofKey, time);
        versionOf.put(name, found);
        return found;
    }

    public Optional<ObjectInfo> stat(String name) throws IOException {
        return versionOf(name).map(v -> new ObjectInfo(name, v.size(), v.lastModified()));
    }

    public Stream<ObjectInfo> list(String namePrefix) throws IOException {
        return VersionSelector.currentAt(versions(place, place.keyPrefix(namePrefix)), time).values().stream()
                .map(v -> new ObjectInfo(place.nameOf(v.key()), v.size(), v.lastModified()));
    }

    /**
     * Puts back, through {@code putter}, the versions current at {@code time} under {@code namePrefix} that differ from
     * what is current now; each keeps the kind the core's layout gives its name ({@link RepositoryObjects}), data
     * for a name outside it.
     *
     * @return the names put back
     */
    public static List<String> restore(S3Place place, Instant time, String namePrefix, Putter putter) throws IOException {
        List<VersionSelector.Version> all = versions(place, place.keyPrefix(namePrefix));
        Map<String, VersionSelector.Version> then = VersionSelector.currentAt(all, time);
        Map<String, VersionSelector.Version> now = VersionSelector.currentAt(all, Instant.MAX);
        List<String> restored = new ArrayList<>();
        for (VersionSelector.Version old : then.values()) {
            VersionSelector.Version current = now.get(old.key());
            if (current != null && (current.versionId().equals(old.versionId())
                    || !old.etag().isEmpty() && current.etag().equals(old.etag()))) {
                continue;   // still current, or already put back with the same content
            }
            String name = place.nameOf(old.key());
            try (InputStream in = place.s3().getObject(r -> r.bucket(place.bucket()).key(old.key()).versionId(old.versionId()))) {
                putter.put(name, in, old.size(), RepositoryObjects.kindOf(name).orElse(ObjectKind.DATA));
            } catch (SdkException e) {
                throw place.io("read version " + old.versionId() + " of", name, e);
            }
            restored.add(name);
        }
        LOG.info("restored {} objects of {} as of {}", restored.size(), place.where(), time);
        return restored;
    }

    private static List<VersionSelector.Version> versions(S3Place place, String keyPrefix) throws IOException {
        List<VersionSelector.Version> out = new ArrayList<>();
        try {
            for (ListObjectVersionsResponse page : place.s3().listObjectVersionsPaginator(r -> r.bucket(place.bucket()).prefix(keyPrefix))) {
                page.versions().forEach(v -> out.add(new VersionSelector.Version(v.key(), v.versionId(), v.lastModified(),
                        false, v.size() == null ? 0 : v.size(), Boolean.TRUE.equals(v.isLatest()),
                        v.eTag() == null ? "" : v.eTag())));
                page.deleteMarkers().forEach(d -> out.add(new VersionSelector.Version(d.key(), d.versionId(), d.lastModified(),
                        true, 0, Boolean.TRUE.equals(d.isLatest()), "")));
            }
        } catch (SdkException e) {
            throw place.io("list the versions of", keyPrefix + "*", e);
        }
        return out;
    }
}
