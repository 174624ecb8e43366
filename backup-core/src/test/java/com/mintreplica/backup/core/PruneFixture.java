package com.mintreplica.backup.core;

import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Repositories with small chunks and packs, so that a few hundred KiB give many packs, and snapshots whose data
 * overlaps: snapshot {@code i} holds {@code shared.bin} (the same in all), {@code old-*} = R(i) (also in snapshot
 * i-1), {@code next-*} = R(i+1) (also in snapshot i+1) and {@code own-*} = U(i) (in no other snapshot). Each is its own
 * 6 KiB entry, so chunks do not straddle them and every 16 KiB pack holds several, and a backup's new blobs alternate between R(i+1) and U(i): when snapshot i
 * is removed but i+1 kept, every pack it wrote is partly used, whatever the repository's chunker seed. That is what
 * makes repacking happen.
 */
final class PruneFixture {
    static final Instant DAY0 = Instant.parse("2026-01-01T01:00:00Z");

    private PruneFixture() {
    }

    static RepositorySettings smallSettings() {
        return RepositorySettings.defaults().withChunkSizes(1024, 4096, 16 * 1024).withPackSize(16 * 1024);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Map<String, byte[]> files(int i) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("shared.bin", random(40 * 1024, 7));
        for (int j = 0; j < 6; j++) {
            files.put("old-" + j, part(i, j));
            files.put("next-" + j, part(i + 1, j));
            files.put("own-" + j, random(6 * 1024, 3000 + i * 10L + j));
        }
        files.put("note.txt", ("snapshot " + i).getBytes());
        return files;
    }

    /** Part j of R(r): {@code next-j} of snapshot r-1 is {@code old-j} of snapshot r. */
    private static byte[] part(int r, int j) {
        return random(6 * 1024, 1000 + r * 10L + j);
    }

    /** Backs up {@code files(i)} at day {@code i}. */
    static Snapshot backup(Repository repo, int i) {
        return backup(repo, i, new SourceId("map", "test"), "host");
    }

    static Snapshot backup(Repository repo, int i, SourceId source, String host, String... tags) {
        return Backup.pipeline().source(new MapSource(source, files(i))).to(repo).host(host).tags(tags)
                .time(DAY0.plus(Duration.ofDays(i))).parallelism(1).build().run().snapshot();
    }

    static Map<String, byte[]> restore(Repository repo, Snapshot snapshot) {
        MapTarget target = new MapTarget();
        repo.restore(SnapshotSelector.id(snapshot.id())).to(target).run();
        return target.files;
    }

    /** Every object on the Sink with its size, locks excluded. */
    static Map<String, Long> objects(Sink sink) {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<ObjectInfo> all = sink.list("")) {
            all.filter(o -> !o.name().startsWith("locks/")).forEach(o -> out.put(o.name(), o.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static long count(Sink sink, String prefix) {
        return objects(sink).keySet().stream().filter(n -> n.startsWith(prefix)).count();
    }

    /** Sets the time of every file below {@code root} back by {@code age}, as if written that long ago. */
    static void age(Path root, Duration age) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.filter(Files::isRegularFile)::iterator) {
                Files.setLastModifiedTime(p, FileTime.from(Files.getLastModifiedTime(p).toInstant().minus(age)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copy(Path from, Path to) {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Source of in-memory files. */
    static final class MapSource implements Source {
        private final SourceId id;
        private final Map<String, byte[]> files;

        MapSource(SourceId id, Map<String, byte[]> files) {
            this.id = id;
            this.files = files;
        }

        @Override
        public SourceId id() {
            return id;
        }

        @Override
        public SourceReader open(BackupContext context) {
            Iterator<Map.Entry<String, byte[]>> it = files.entrySet().iterator();
            return new SourceReader() {
                @Override
                public Optional<SourceEntry> next() {
                    if (!it.hasNext()) {
                        return Optional.empty();
                    }
                    Map.Entry<String, byte[]> e = it.next();
                    return Optional.of(SourceEntry.of(Entry.regular(e.getKey()).size(e.getValue().length).build(),
                            () -> new ByteArrayInputStream(e.getValue())));
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** A restore target that keeps what it is given. */
    static final class MapTarget implements RestoreTarget {
        final Map<String, byte[]> files = new LinkedHashMap<>();

        @Override
        public void begin(RestoreContext context) {
        }

        @Override
        public void write(Entry entry, InputStream content) throws IOException {
            files.put(entry.path(), content.readAllBytes());
        }

        @Override
        public void finish() {
        }

        @Override
        public void abort(Exception cause) {
        }
    }

    static List<String> ids(List<Snapshot> snapshots) {
        return snapshots.stream().map(Snapshot::id).toList();
    }
}
