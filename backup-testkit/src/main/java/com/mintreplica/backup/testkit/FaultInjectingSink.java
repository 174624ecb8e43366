package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Wraps a Sink to count what is written and to make writes fail, for tests of what the repository does when a store
 * breaks in the middle (a killed backup or copy). Not a mock: every call that is not failed goes to the real Sink.
 *
 * <pre>{@code
 * FaultInjectingSink faulty = new FaultInjectingSink(sink);
 * faulty.failPutsAfter(3, name -> name.startsWith("data/"));   // the 4th pack write throws
 * }</pre>
 */
public final class FaultInjectingSink implements Sink {
    private final Sink delegate;
    private final List<String> puts = new CopyOnWriteArrayList<>();
    private final AtomicInteger matchingPuts = new AtomicInteger();
    private volatile int failAfter = Integer.MAX_VALUE;
    private volatile Predicate<String> matching = name -> true;
    private volatile Predicate<String> retained = name -> false;
    private volatile Consumer<String> afterWrite = name -> { };

    public FaultInjectingSink(Sink delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * Lets {@code n} more writes of names matching {@code which} through, then fails every further one with an
     * IOException (before anything reaches the real Sink).
     */
    public FaultInjectingSink failPutsAfter(int n, Predicate<String> which) {
        matchingPuts.set(0);
        this.matching = which;
        this.failAfter = n;
        return this;
    }

    /**
     * Refuses deletes of names matching {@code which} with an {@link ObjectLockedException}, as a store under Object
     * Lock or a legal hold does (a test double: neither test server here enforces retention).
     */
    public FaultInjectingSink retain(Predicate<String> which) {
        this.retained = Objects.requireNonNull(which, "which");
        return this;
    }

    /**
     * Runs {@code action} after each write (put or create) has reached the real Sink, before the caller sees it return:
     * a store that is slow to answer, for example one during which a test's clock moves on.
     */
    public FaultInjectingSink afterWrite(Consumer<String> action) {
        this.afterWrite = Objects.requireNonNull(action, "action");
        return this;
    }

    /** Stops failing writes. */
    public FaultInjectingSink heal() {
        this.failAfter = Integer.MAX_VALUE;
        return this;
    }

    /** The names of the objects written through this wrapper (put or created), in order. */
    public List<String> puts() {
        return List.copyOf(puts);
    }

    /** The names written whose name starts with {@code prefix}. */
    public long putsUnder(String prefix) {
        return puts.stream().filter(n -> n.startsWith(prefix)).count();
    }

    /** Forgets the writes counted so far. */
    public void resetCounts() {
        puts.clear();
    }

    private void maybeFail(String name) throws IOException {
        if (matching.test(name) && matchingPuts.incrementAndGet() > failAfter) {
            throw new IOException("injected failure writing '" + name + "'");
        }
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        maybeFail(name);
        delegate.put(name, content, length, kind);
        puts.add(name);
        afterWrite.accept(name);
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        maybeFail(name);
        boolean created = delegate.putIfAbsent(name, content, length, kind);
        if (created) {
            puts.add(name);
        }
        afterWrite.accept(name);
        return created;
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
        if (retained.test(name)) {
            throw new ObjectLockedException(name, java.util.Optional.empty(), "'" + name + "' is retained (injected)");
        }
        delegate.delete(name);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    /** Does not close the wrapped Sink: it was given, not created. */
    @Override
    public void close() {
    }
}
