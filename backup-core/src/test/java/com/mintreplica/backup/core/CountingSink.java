package com.mintreplica.backup.core;

import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A Sink that counts reads of tree packs (ranged reads and whole downloads) and of snapshot objects, around a real one. */
final class CountingSink implements Sink {
    final Sink delegate;
    final AtomicInteger treeReads = new AtomicInteger();
    final AtomicInteger snapshotReads = new AtomicInteger();
    final AtomicInteger treePackDownloads = new AtomicInteger();

    CountingSink(Sink delegate) {
        this.delegate = delegate;
    }

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        delegate.put(name, content, length, kind);
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        return delegate.putIfAbsent(name, content, length, kind);
    }

    @Override
    public InputStream get(String name) throws IOException {
        if (name.startsWith("snapshots/")) {
            snapshotReads.incrementAndGet();
        }
        if (name.startsWith("tree/")) {
            treePackDownloads.incrementAndGet();
        }
        return delegate.get(name);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        if (name.startsWith("tree/")) {
            treeReads.incrementAndGet();
        }
        return delegate.get(name, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        return delegate.stat(name);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        return delegate.list(prefix);
    }

    @Override
    public void delete(String name) throws IOException {
        delegate.delete(name);
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
