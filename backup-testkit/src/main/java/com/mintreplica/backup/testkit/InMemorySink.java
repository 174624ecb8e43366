package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * A Sink that keeps objects in memory: for unit tests of apps and adapters. Thread-safe, with atomic create-if-absent.
 * Tests can inspect and damage what is stored ({@link #objects()}, {@link #corrupt}) and record the kind each object
 * was written as ({@link #kindOf}).
 *
 * <pre>{@code
 * InMemorySink sink = new InMemorySink();
 * Repository repo = Repository.init(sink);
 * }</pre>
 */
public final class InMemorySink implements Sink {
    private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>();
    private final Clock clock;

    private record Stored(byte[] data, java.time.Instant time, ObjectKind kind) {
    }

    public InMemorySink() {
        this(Clock.systemUTC());
    }

    /** A sink whose object times come from {@code clock}. */
    public InMemorySink(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.ATOMIC_CREATE);
    }

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        checkName(name);
        byte[] data = content.readAllBytes();
        checkLength(name, data, length);
        objects.put(name, new Stored(data, clock.instant(), kind));
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        checkName(name);
        byte[] data = content.readAllBytes();
        checkLength(name, data, length);
        return objects.putIfAbsent(name, new Stored(data, clock.instant(), kind)) == null;
    }

    @Override
    public InputStream get(String name) throws IOException {
        return new ByteArrayInputStream(stored(name).data());
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        byte[] data = stored(name).data();
        int from = (int) Math.min(offset, data.length);
        int to = (int) Math.min(data.length, offset + length);
        return new ByteArrayInputStream(data, from, to - from);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) {
        Stored s = objects.get(name);
        return s == null ? Optional.empty() : Optional.of(new ObjectInfo(name, s.data().length, s.time()));
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        List<ObjectInfo> found = objects.tailMap(prefix, true).entrySet().stream()
                .takeWhile(e -> e.getKey().startsWith(prefix))
                .map(e -> new ObjectInfo(e.getKey(), e.getValue().data().length, e.getValue().time()))
                .toList();
        return found.stream();
    }

    @Override
    public void delete(String name) {
        objects.remove(name);
    }

    @Override
    public String describe() {
        return "memory:" + Integer.toHexString(System.identityHashCode(this));
    }

    /** A copy of every stored object's bytes, by name. */
    public Map<String, byte[]> objects() {
        Map<String, byte[]> out = new java.util.TreeMap<>();
        objects.forEach((k, v) -> out.put(k, v.data().clone()));
        return out;
    }

    /** The kind {@code name} was last written as. */
    public Optional<ObjectKind> kindOf(String name) {
        return Optional.ofNullable(objects.get(name)).map(Stored::kind);
    }

    /** Flips the bits of one byte of an object, as a damaged disk would. */
    public void corrupt(String name, int offset) {
        objects.computeIfPresent(name, (k, v) -> {
            byte[] copy = v.data().clone();
            copy[offset] ^= (byte) 0xff;
            return new Stored(copy, v.time(), v.kind());
        });
    }

    /** The total size of all stored objects. */
    public long totalBytes() {
        return objects.values().stream().mapToLong(s -> s.data().length).sum();
    }

    private Stored stored(String name) throws NoSuchObjectException {
        Stored s = objects.get(name);
        if (s == null) {
            throw new NoSuchObjectException(name, "no object '" + name + "' in " + describe());
        }
        return s;
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.startsWith("/") || name.startsWith(".") || name.contains("..")) {
            throw new IllegalArgumentException("invalid object name: '" + name + "'");
        }
    }

    private static void checkLength(String name, byte[] data, long length) throws IOException {
        if (length >= 0 && length != data.length) {
            throw new IOException("'" + name + "': " + data.length + " bytes given, " + length + " announced");
        }
    }
}
