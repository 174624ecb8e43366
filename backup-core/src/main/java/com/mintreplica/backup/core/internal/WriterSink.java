package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Sink as a writer (write-only keys) uses it: it creates objects and never replaces or deletes one, except its own
 * leases under {@code locks/}. So a writer needs no permission to overwrite or delete anything a reader relies on (an
 * S3 policy grants it {@code DeleteObject} on {@code locks/*} only), and a bug cannot make it do so. Creating goes
 * through {@link Sink#putIfAbsent} where the store has it; an object that exists already fails the write.
 */
final class WriterSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(WriterSink.class);
    private final Sink sink;

    WriterSink(Sink sink) {
        this.sink = sink;
    }

    private static boolean own(String name) {
        return name.startsWith(RepositoryLock.PREFIX);
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return sink.capabilities();
    }

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        if (own(name) || !sink.capabilities().contains(SinkCapability.ATOMIC_CREATE)) {
            sink.put(name, content, length, kind);
        } else if (!sink.putIfAbsent(name, content, length, kind)) {
            throw new FileAlreadyExistsException(name, null, "it exists already in " + sink.describe()
                    + ", and a writer never replaces an object");
        }
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        return sink.putIfAbsent(name, content, length, kind);
    }

    @Override
    public InputStream get(String name) throws IOException {
        return sink.get(name);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        return sink.get(name, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        return sink.stat(name);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        return sink.list(prefix);
    }

    @Override
    public void delete(String name) throws IOException {
        if (own(name)) {
            sink.delete(name);
        } else {
            // e.g. the object of a file that vanished while it was read: unreferenced, a reader's prune removes it
            LOG.info("a writer does not delete '{}' from {}: a prune with a reader's key removes it if unused", name,
                    sink.describe());
        }
    }

    @Override
    public String describe() {
        return sink.describe();
    }

    @Override
    public void close() throws IOException {
        sink.close();
    }
}
