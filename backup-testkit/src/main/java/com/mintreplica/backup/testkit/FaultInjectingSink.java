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
 * Wraps a Sink to count what is written and to make calls fail, hang or crawl, for tests of what the repository does
 * when a store breaks in the middle (a killed backup or copy, a connection that never answers, a slow link). Not a
 * mock: every call that is not failed goes to the real Sink (a hung call too, once released).
 *
 * <pre>{@code
 * FaultInjectingSink faulty = new FaultInjectingSink(sink);
 * faulty.failPutsAfter(3, name -> name.startsWith("data/"));   // the 4th pack write throws
 * faulty.hang(name -> name.startsWith("data/"), Call.PUT);    // pack writes never return (until release())
 * faulty.throttle(16 * 1024, Duration.ofMillis(50));          // every read of content crawls, but moves
 * }</pre>
 */
public final class FaultInjectingSink implements Sink {
    /** The calls {@link #hang} can make hang. */
    public enum Call {
        PUT, GET, STAT, LIST, DELETE
    }

    private final Sink delegate;
    private volatile Predicate<String> hanging = name -> false;
    private volatile Set<Call> hangingCalls = java.util.EnumSet.noneOf(Call.class);
    private volatile java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
    private final AtomicInteger hangingNow = new AtomicInteger();
    private volatile int throttleBytes;
    private volatile long throttlePauseMillis;
    private final List<String> puts = new CopyOnWriteArrayList<>();
    private final AtomicInteger matchingPuts = new AtomicInteger();
    private volatile int failAfter = Integer.MAX_VALUE;
    private volatile Predicate<String> matching = name -> true;
    private volatile Predicate<String> retained = name -> false;
    private volatile Set<ObjectKind> retainedKinds = java.util.EnumSet.noneOf(ObjectKind.class);
    private final java.util.Map<String, ObjectKind> kinds = new java.util.concurrent.ConcurrentHashMap<>();
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
     * Refuses deletes of objects last written with one of {@code written} kinds with an {@link ObjectLockedException},
     * as a store under Object Lock does for what the Sink wrote with a retention date (a test double: neither test
     * server here enforces retention). Which kinds a real Sink protects is that Sink's rule, tested with it.
     */
    public FaultInjectingSink retainWrittenAs(ObjectKind... written) {
        this.retainedKinds = written.length == 0 ? java.util.EnumSet.noneOf(ObjectKind.class)
                : java.util.EnumSet.copyOf(java.util.Arrays.asList(written));
        return this;
    }

    /** The kind {@code name} was last written with through this wrapper, if it was. */
    public Optional<ObjectKind> kindOf(String name) {
        return Optional.ofNullable(kinds.get(name));
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

    /**
     * Makes the given calls on names matching {@code which} (for {@link Call#LIST}: on prefixes matching it) hang
     * before they reach the real Sink, as a connection that never answers does: they ignore interrupts and wait until
     * {@link #release()}, then go on to the real Sink.
     */
    public FaultInjectingSink hang(Predicate<String> which, Call... calls) {
        this.released = new java.util.concurrent.CountDownLatch(1);
        this.hangingCalls = calls.length == 0 ? java.util.EnumSet.allOf(Call.class)
                : java.util.EnumSet.copyOf(java.util.Arrays.asList(calls));
        this.hanging = Objects.requireNonNull(which, "which");
        return this;
    }

    /** Lets every hung call go on to the real Sink, and stops hanging new ones. */
    public FaultInjectingSink release() {
        this.hanging = name -> false;
        this.released.countDown();
        return this;
    }

    /** How many calls are hanging now. */
    public int hangingCalls() {
        return hangingNow.get();
    }

    /**
     * Makes every read of content crawl: puts read at most {@code bytesPerRead} bytes of their content per read and
     * gets hand out at most that many per read, each after {@code pause}. Bytes keep moving, slowly, as over a poor
     * link. {@code bytesPerRead} 0 stops throttling.
     */
    public FaultInjectingSink throttle(int bytesPerRead, java.time.Duration pause) {
        this.throttlePauseMillis = pause.toMillis();
        this.throttleBytes = bytesPerRead;
        return this;
    }

    private void maybeHang(Call call, String name) {
        if (!hangingCalls.contains(call) || !hanging.test(name)) {
            return;
        }
        java.util.concurrent.CountDownLatch latch = released;
        hangingNow.incrementAndGet();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    latch.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // a call stuck in the network does not answer interrupts
                }
            }
        } finally {
            hangingNow.decrementAndGet();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private InputStream throttled(InputStream in) {
        int bytes = throttleBytes;
        long pause = throttlePauseMillis;
        if (bytes <= 0) {
            return in;
        }
        return new java.io.FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while crawling");
                }
                return in.read(b, off, Math.min(len, bytes));
            }

            @Override
            public long transferTo(java.io.OutputStream out) throws IOException {
                byte[] buffer = new byte[bytes];
                long total = 0;
                int n;
                while ((n = read(buffer, 0, buffer.length)) >= 0) {
                    out.write(buffer, 0, n);
                    total += n;
                }
                return total;
            }
        };
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
        maybeHang(Call.PUT, name);
        delegate.put(name, throttled(content), length, kind);
        puts.add(name);
        kinds.put(name, kind);
        afterWrite.accept(name);
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        maybeFail(name);
        maybeHang(Call.PUT, name);
        boolean created = delegate.putIfAbsent(name, throttled(content), length, kind);
        if (created) {
            puts.add(name);
            kinds.put(name, kind);
        }
        afterWrite.accept(name);
        return created;
    }

    @Override
    public InputStream get(String name) throws IOException {
        maybeHang(Call.GET, name);
        return throttled(delegate.get(name));
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        maybeHang(Call.GET, name);
        return throttled(delegate.get(name, offset, length));
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        maybeHang(Call.STAT, name);
        return delegate.stat(name);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        maybeHang(Call.LIST, prefix);
        return delegate.list(prefix);
    }

    @Override
    public void delete(String name) throws IOException {
        maybeHang(Call.DELETE, name);
        ObjectKind kind = kinds.get(name);
        if (retained.test(name) || kind != null && retainedKinds.contains(kind)) {
            throw new ObjectLockedException(name, java.util.Optional.empty(), "'" + name + "' is retained (injected)");
        }
        delegate.delete(name);
        kinds.remove(name);
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
