package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's view of its Sink, for its {@link Watchdog}: every call is registered as what its thread waits for
 * ({@code Sink.put of 'data/..' (16 MiB, 3 MiB of it read by the Sink)}), bytes streamed either way and calls that
 * return count as progress, and once the run is abandoned every call is refused, except deleting the run's own lease.
 * Calls on leases ({@code locks/}) are never progress: a lease refreshed every few minutes must not keep a stalled
 * run alive.
 */
final class WatchedSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(WatchedSink.class);
    private final Sink delegate;
    private final Watchdog watch;

    WatchedSink(Sink delegate, Watchdog watch) {
        this.delegate = delegate;
        this.watch = watch;
    }

    private static boolean isLease(String name) {
        return name.startsWith(RepositoryLock.PREFIX);
    }

    private void done(String name) {
        if (!isLease(name)) {
            watch.progress();
        }
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public void put(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        watch.beforeCall(name);
        CountingStream counted = new CountingStream(content, !isLease(name));
        try (Watchdog.Activity a = watch.activity(stage(), () -> "Sink.put of '" + name + "' ("
                + (length >= 0 ? Watchdog.bytes(length) : "length unknown") + ", " + counted.count.get()
                + " bytes of it read by the Sink so far)")) {
            delegate.put(name, counted, length, kind);
        }
        undoIfAbandoned(name, kind);
        done(name);
    }

    @Override
    public boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        watch.beforeCall(name);
        CountingStream counted = new CountingStream(content, !isLease(name));
        boolean created;
        try (Watchdog.Activity a = watch.activity(stage(), () -> "Sink.putIfAbsent of '" + name + "' ("
                + Watchdog.bytes(Math.max(0, length)) + ", " + counted.count.get() + " bytes of it read by the Sink so far)")) {
            created = delegate.putIfAbsent(name, counted, length, kind);
        }
        if (created) {
            undoIfAbandoned(name, kind);
        }
        done(name);
        return created;
    }

    /**
     * A manifest whose write was under way when the run was abandoned is deleted again: an abandoned run commits
     * nothing, even when its store answers late. An index object is kept: it lists only packs already stored (a
     * checkpoint of a failed run is kept for the next backup to reuse, and prune collects what no snapshot uses), and
     * its name is the hash of its content, so the same object may already be there, written by another run (a prune
     * consolidating an unchanged index, a backup beside it storing the same packs): deleting it could unlist packs a
     * live snapshot needs.
     */
    private void undoIfAbandoned(String name, ObjectKind kind) throws IOException {
        if (kind == ObjectKind.INDEX) {
            if (!watch.afterMetadataWrite(name)) {
                watch.beforeCall(name); // throws: the run is abandoned
            }
            return;
        }
        if (kind == ObjectKind.SNAPSHOT && !watch.afterMetadataWrite(name)) {
            try {
                delegate.delete(name);
                LOG.warn("'{}' was written after its run was abandoned; deleted it again", name);
            } catch (IOException | RuntimeException e) {
                LOG.warn("'{}' was written after its run was abandoned, and cannot be deleted again: {}", name, e.toString());
            }
            watch.beforeCall(name); // throws: the run is abandoned
        }
    }

    @Override
    public InputStream get(String name) throws IOException {
        watch.beforeCall(name);
        InputStream in;
        try (Watchdog.Activity a = watch.activity(stage(), () -> "Sink.get of '" + name + "'")) {
            in = delegate.get(name);
        }
        done(name);
        return new ProgressStream(in, name, -1);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        watch.beforeCall(name);
        InputStream in;
        try (Watchdog.Activity a = watch.activity(stage(), () -> "Sink.get of '" + name + "' (" + Watchdog.bytes(length)
                + " at offset " + offset + ")")) {
            in = delegate.get(name, offset, length);
        }
        done(name);
        return new ProgressStream(in, name, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        watch.beforeCall(name);
        try (Watchdog.Activity a = watch.activity(stage(), () -> "Sink.stat of '" + name + "'")) {
            Optional<ObjectInfo> info = delegate.stat(name);
            done(name);
            return info;
        }
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        watch.beforeCall(prefix);
        try (Watchdog.Activity a = watch.activity(stage(), () -> "Sink.list of '" + prefix + "'")) {
            // Collected here: a lazily paged listing would otherwise wait outside any registered activity.
            java.util.List<ObjectInfo> all;
            try (Stream<ObjectInfo> s = delegate.list(prefix)) {
                all = s.peek(o -> done(prefix)).toList();
            }
            done(prefix);
            return all.stream();
        }
    }

    @Override
    public void delete(String name) throws IOException {
        if (!isLease(name)) {
            watch.beforeCall(name); // a lease may always be given back, even by an abandoned run
        }
        try (Watchdog.Activity a = watch.activity(stage(), () -> "Sink.delete of '" + name + "'")) {
            delegate.delete(name);
        }
        done(name);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    /** The view closes nothing: the Sink belongs to the repository. */
    @Override
    public void close() {
    }

    /** The stage of the calling thread's enclosing activity. */
    private static String stage() {
        return null;
    }

    /** Counts the bytes the Sink reads from a put's content: an upload that streams slowly is progress. */
    private final class CountingStream extends FilterInputStream {
        final AtomicLong count = new AtomicLong();
        private final boolean progress;

        CountingStream(InputStream in, boolean progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                moved(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                moved(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(n);
            if (skipped > 0) {
                moved(skipped);
            }
            return skipped;
        }

        private void moved(long n) {
            count.addAndGet(n);
            if (progress) {
                watch.progress();
            }
        }

        /** The caller closes the content, not the Sink. */
        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** A read from the store: each read that returns bytes is progress; a read that waits says where. */
    private final class ProgressStream extends FilterInputStream {
        private final String name;
        private final long length;
        private long read;

        ProgressStream(InputStream in, String name, long length) {
            super(in);
            this.name = name;
            this.length = length;
        }

        @Override
        public int read() throws IOException {
            watch.beforeCall(name);
            try (Watchdog.Activity a = watch.activity(stage(), this::describe)) {
                int b = in.read();
                if (b >= 0) {
                    moved(1);
                }
                return b;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            watch.beforeCall(name);
            try (Watchdog.Activity a = watch.activity(stage(), this::describe)) {
                int n = in.read(b, off, len);
                if (n > 0) {
                    moved(n);
                }
                return n;
            }
        }

        private void moved(int n) {
            read += n;
            if (!isLease(name)) {
                watch.progress();
            }
        }

        private String describe() {
            return "reading '" + name + "' from the store (" + read + (length >= 0 ? " of " + length : "")
                    + " bytes so far)";
        }
    }
}
