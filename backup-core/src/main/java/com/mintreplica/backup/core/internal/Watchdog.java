package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.StallException;
import com.mintreplica.backup.core.sink.Sink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The stall watchdog of one run (backup, restore, copy, prune). The run's body executes on a thread the watchdog
 * starts; the caller's thread waits for it and watches for progress. Progress is bytes or entries moving: bytes read
 * from the source, bytes streamed to or from the Sink (a slow upload is progress), entries and blobs done. When
 * nothing moved for the stall timeout, the run is abandoned:
 * <ol>
 *   <li>a {@link StallException} is built from what every registered stage is waiting for ({@link #activity});</li>
 *   <li>from then on the Sink views this watchdog made ({@link #watch}) refuse every call but the deletion of the
 *       run's own lease, so an abandoned thread can never write a pack, an index or a manifest; a manifest write that
 *       was already under way when the run was abandoned is deleted again when it returns (an index object is kept:
 *       see {@link WatchedSink});</li>
 *   <li>every thread in a registered stage, and the body thread, is interrupted; the caller waits a short grace for
 *       the body to end, runs the abandon hooks (the lease is released) and throws, even if a Sink call never returns
 *       (those threads are left behind, and can do nothing more).</li>
 * </ol>
 * Time spent inside a Source or a restore target between entries ({@link #exempt}: a directory-format pg_dump,
 * pg_restore building indexes) has no progress the pipeline can measure and does not count; neither does waiting for
 * another process's lock, which has its own timeout.
 *
 * <p>The watchdog creates one thread per run (the body's) and no timer: the caller's thread does the watching. A
 * watchdog with a zero timeout is off: {@link #run} calls the body in the caller's thread and nothing is watched.
 */
public final class Watchdog {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    private final String operation;
    private final String abandonNote;
    private final Duration timeout;
    private final long timeoutNanos;
    private final Object lock = new Object();
    private final Set<Activity> activities = new LinkedHashSet<>();
    private final List<Runnable> onAbandon = new CopyOnWriteArrayList<>();
    private volatile long lastProgress = System.nanoTime();
    private volatile StallException stall;
    private int exempt;
    private String commitObject;
    private Object commitResult;
    private boolean committed;
    private Thread body;

    private Watchdog(String operation, String abandonNote, Duration timeout) {
        this.operation = operation;
        this.abandonNote = abandonNote;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
    }

    /**
     * A watchdog for one run.
     *
     * @param operation what runs, for the message: {@code backup of fs:/etc to /srv/backup}
     * @param abandonNote what an abandoned run leaves, for the message: {@code no snapshot was committed}
     * @param timeout how long the run may make no progress; zero: never abandon it
     */
    public static Watchdog of(String operation, String abandonNote, Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("stall timeout must be zero (off) or positive: " + timeout);
        }
        return new Watchdog(operation, abandonNote, timeout);
    }

    /** A watchdog that never abandons anything. */
    public static Watchdog off(String operation) {
        return new Watchdog(operation, "", Duration.ZERO);
    }

    public boolean enabled() {
        return timeoutNanos > 0;
    }

    /** Something moved: bytes or entries. Cheap enough to call for every chunk and every Sink read. */
    public void progress() {
        lastProgress = System.nanoTime();
    }

    /** Whether the run was abandoned: an abandoned thread stops at the next check. */
    public boolean abandoned() {
        return stall != null;
    }

    /**
     * Throws the run's {@link StallException} once it was abandoned, so that an abandoned thread stops instead of
     * going on.
     */
    public void check() {
        StallException s = stall;
        if (s != null) {
            throw new BackupException(operation + " was abandoned after it stalled; this thread stops here", s);
        }
    }

    /** Runs when the run is abandoned, on the caller's thread (for example: release the lease). Must not block long. */
    public void onAbandon(Runnable hook) {
        onAbandon.add(hook);
    }

    /**
     * Declares the run's commit point: once the object {@code name} is written (a backup's manifest), the run has
     * committed and {@code result} is its outcome. A stall after that (releasing the lease, say) no longer fails the
     * run: {@link #run} returns {@code result}. Written and checked under the same lock that abandons the run, so a
     * run is either committed or abandoned, never both.
     */
    public void expectCommit(String name, Object result) {
        synchronized (lock) {
            commitObject = name;
            commitResult = result;
        }
    }

    /**
     * Registers what the current thread waits for, until the returned activity is closed. {@code what} is asked only
     * when a stall is reported, so it may describe the current state (bytes sent so far, budget held).
     *
     * @param stage the stage, as the diagnostic names it: {@code reader}, {@code worker}, {@code restore}, ...;
     *     {@code null}: the stage of the thread's enclosing activity (a Sink call inside a worker's is the worker's)
     */
    public Activity activity(String stage, Supplier<String> what) {
        return register(stage, what, false);
    }

    /**
     * Like {@link #activity}, for work whose progress the pipeline cannot see (a Source preparing its next entry, a
     * restore target finishing, waiting for another process's lock): the stall clock stops while it lasts.
     */
    public Activity exempt(String stage, Supplier<String> what) {
        return register(stage, what, true);
    }

    private Activity register(String stage, Supplier<String> what, boolean isExempt) {
        if (!enabled()) {
            return Activity.NONE;
        }
        Thread thread = Thread.currentThread();
        synchronized (lock) {
            String named = stage;
            if (named == null) {
                // A Sink call takes the stage of what its thread is doing: a worker's put is the worker's.
                named = "store";
                for (Activity other : activities) {
                    if (other.thread == thread) {
                        named = other.stage;
                    }
                }
            }
            Activity a = new Activity(this, thread, named, what, Instant.now(), isExempt);
            activities.add(a);
            if (isExempt) {
                exempt++;
            }
            return a;
        }
    }

    private void end(Activity a) {
        synchronized (lock) {
            if (activities.remove(a) && a.exempt) {
                exempt--;
                lastProgress = System.nanoTime(); // the clock starts again from here
            }
        }
    }

    /** A view of {@code sink} whose calls are watched (progress, what waits) and refused once the run is abandoned. */
    public Sink watch(Sink sink) {
        return enabled() ? new WatchedSink(sink, this) : sink;
    }

    /** Throws when the run is abandoned: the Sink view calls it before every call but the lease's deletion. */
    void beforeCall(String name) throws IOException {
        if (stall != null) {
            throw new java.io.InterruptedIOException(operation + " was abandoned after it stalled: '" + name
                    + "' is not touched");
        }
    }

    /**
     * After a manifest or index write returned: false when the run was abandoned meanwhile (the caller deletes a
     * manifest again); otherwise true, and when it was the commit object the run counts as committed from now on.
     */
    boolean afterMetadataWrite(String name) {
        synchronized (lock) {
            if (stall != null) {
                return false;
            }
            if (name.equals(commitObject)) {
                committed = true;
            }
            return true;
        }
    }

    /**
     * Runs {@code task} on a thread of its own and waits for it, abandoning it when it stalls.
     *
     * @param threadName the body thread's name
     * @throws StallException when the run made no progress for the timeout
     */
    @SuppressWarnings("unchecked")
    public <T> T run(String threadName, Callable<T> task) throws IOException {
        if (!enabled()) {
            return call(task);
        }
        FutureTask<T> future = new FutureTask<>(task);
        Thread caller = Thread.currentThread();
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        Thread thread = new Thread(() -> {
            if (mdc != null) {
                MDC.setContextMap(mdc);
            }
            future.run();
        }, threadName);
        thread.setDaemon(true);
        thread.setContextClassLoader(caller.getContextClassLoader());
        synchronized (lock) {
            body = thread;
            lastProgress = System.nanoTime();
        }
        thread.start();
        long poll = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
        try {
            while (true) {
                try {
                    return future.get(poll, TimeUnit.MILLISECONDS);
                } catch (TimeoutException notYet) {
                    StallException s;
                    Object result;
                    synchronized (lock) {
                        if (exempt > 0 || System.nanoTime() - lastProgress < timeoutNanos) {
                            continue;
                        }
                        result = committed ? commitResult : null;
                        s = committed ? null : diagnose();
                        stall = s;
                    }
                    if (s == null) {
                        LOG.warn("{} committed, then made no progress for {} while finishing: {}", operation,
                                human(timeout), String.join("; ", waits()));
                        return (T) result;
                    }
                    LOG.debug("{}", s.getMessage());
                    abandon(future);
                    throw s;
                }
            }
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            synchronized (lock) {
                if (stall == null && !committed) {
                    stall = new StallException(operation + " was interrupted", timeout, List.of());
                }
            }
            abandon(future);
            caller.interrupt();
            throw new BackupException(operation + " was interrupted; " + abandonNote);
        }
    }

    private <T> T call(Callable<T> task) throws IOException {
        try {
            return task.call();
        } catch (Exception e) {
            throw rethrow(e);
        }
    }

    private static RuntimeException rethrow(Throwable t) throws IOException {
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            throw u.getCause();
        }
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new BackupException(String.valueOf(t), t);
    }

    /** Interrupts what waits, gives the body a short grace to end, then runs the abandon hooks. */
    private void abandon(FutureTask<?> future) {
        List<Thread> threads = new ArrayList<>();
        synchronized (lock) {
            for (Activity a : activities) {
                threads.add(a.thread);
            }
            threads.add(body);
            // Interrupted under the lock an activity ends under: a pool thread is interrupted only while it is
            // still in this run's work, never in another task it took up since.
            for (Thread t : new LinkedHashSet<>(threads)) {
                t.interrupt();
            }
        }
        long grace = Math.max(100, Math.min(2000, timeout.toMillis()));
        try {
            future.get(grace, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | java.util.concurrent.CancellationException ignored) {
            // the body failed (as it should once interrupted) or is stuck in a call that never returns
        }
        List<String> stuck = new ArrayList<>();
        synchronized (lock) {
            for (Activity a : activities) {
                if (a.thread.isAlive() && !stuck.contains(a.thread.getName())) {
                    stuck.add(a.thread.getName());
                }
            }
        }
        if (!stuck.isEmpty()) {
            LOG.warn("{} was abandoned after making no progress for {}; threads still in a call that does not return are"
                    + " left behind (they can change nothing more in the repository): {}", operation,
                    human(timeout), String.join(", ", stuck));
        }
        for (Runnable hook : onAbandon) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                LOG.warn("{}: cleaning up after the stall failed: {}", operation, e.toString());
            }
        }
    }

    /** Under the lock: the exception naming what each stage waits for. */
    private StallException diagnose() {
        List<String> waits = waits();
        StringBuilder message = new StringBuilder();
        message.append(operation).append(" made no progress for ").append(human(timeout))
                .append(" (the stall timeout) and was abandoned; ").append(abandonNote).append(". ");
        message.append(waits.isEmpty() ? "No stage reported what it waits for." : "What each stage was waiting for:");
        for (String w : waits) {
            message.append("\n  - ").append(w);
        }
        message.append("\nThreads still in a call were interrupted and abandoned: they can change nothing more in the"
                + " repository. If the store or the source is only slow, raise the stall timeout (--stall-timeout,"
                + " stallTimeout).");
        return new StallException(message.toString(), timeout, waits);
    }

    private List<String> waits() {
        List<String> out = new ArrayList<>();
        Instant now = Instant.now();
        List<Activity> sorted = new ArrayList<>(activities);
        sorted.sort(Comparator.comparing((Activity a) -> a.since));
        Set<Thread> described = new java.util.HashSet<>();
        for (Activity a : sorted) {
            String what;
            try {
                what = a.what.get();
            } catch (RuntimeException e) {
                what = "(cannot describe: " + e + ")";
            }
            out.add(a.stage + " [" + a.thread.getName() + "]: " + what + ", since "
                    + a.since.truncatedTo(java.time.temporal.ChronoUnit.MILLIS) + " ("
                    + seconds(Duration.between(a.since, now).toNanos()) + ")" + (a.exempt ? " (not timed)" : ""));
            described.add(a.thread);
        }
        Thread b = body;
        if (b != null && b.isAlive() && !described.contains(b)) {
            StackTraceElement[] stack = b.getStackTrace();
            StringBuilder where = new StringBuilder("main [" + b.getName() + "]: in ");
            for (int i = 0; i < Math.min(4, stack.length); i++) {
                where.append(i == 0 ? "" : " < ").append(stack[i].getClassName().replaceAll(".*\\.", ""))
                        .append('.').append(stack[i].getMethodName());
            }
            out.add(where.toString());
        }
        return out;
    }

    /** {@code 1.0 s}, {@code 10 min}, {@code 1 h 30 min}: for messages. */
    static String human(Duration d) {
        long s = d.getSeconds();
        if (s < 60) {
            return seconds(d.toNanos());
        }
        long h = s / 3600;
        long m = s % 3600 / 60;
        long rest = s % 60;
        StringBuilder sb = new StringBuilder();
        if (h > 0) {
            sb.append(h).append(" h");
        }
        if (m > 0) {
            sb.append(sb.length() > 0 ? " " : "").append(m).append(" min");
        }
        if (rest > 0) {
            sb.append(sb.length() > 0 ? " " : "").append(rest).append(" s");
        }
        return sb.toString();
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** {@code 1234567 bytes (1.2 MiB)}, for diagnostics. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%d bytes (%.1f %s)", n, v, units[u]);
    }

    /** One stage's wait, registered until closed. */
    public static final class Activity implements AutoCloseable {
        static final Activity NONE = new Activity(null, null, "", () -> "", Instant.EPOCH, false);
        private final Watchdog owner;
        private final Thread thread;
        private final String stage;
        private final Supplier<String> what;
        private final Instant since;
        private final boolean exempt;

        private Activity(Watchdog owner, Thread thread, String stage, Supplier<String> what, Instant since, boolean exempt) {
            this.owner = owner;
            this.thread = thread;
            this.stage = stage;
            this.what = what;
            this.since = since;
            this.exempt = exempt;
        }

        @Override
        public void close() {
            if (owner != null) {
                owner.end(this);
            }
        }
    }
}
