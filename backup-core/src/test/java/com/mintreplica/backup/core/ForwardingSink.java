package com.mintreplica.backup.core;

import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A Sink that passes every call to another one, for core's tests that count or alter one call: the test kit's
 * {@code com.mintreplica.backup.testkit.ForwardingSink}, which core's tests cannot use (the test kit depends on core).
 * {@link #close()} closes the wrapped Sink too.
 */
abstract class ForwardingSink implements Sink {
    private final Sink delegate;

    ForwardingSink(Sink delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The Sink every call goes to. */
    final Sink delegate() {
        return delegate;
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return delegate.capabilities();
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
        return delegate.get(name);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
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
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
