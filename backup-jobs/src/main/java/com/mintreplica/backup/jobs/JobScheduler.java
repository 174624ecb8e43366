package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.internal.Redactor;
import com.mintreplica.backup.jobs.internal.RunClaims;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a config's jobs on their schedules, inside the app or as {@code mint-backup daemon}. The app starts it and
 * closes it with itself:
 *
 * <pre>{@code
 * JobScheduler scheduler = JobScheduler.builder(JobsConfig.load(Path.of("/etc/mint-backup/jobs.yaml")))
 *     .executor(appScheduledExecutor)          // optional: else it runs its own threads
 *     .listener(new JobListener() {
 *         public void failed(JobResult r) { pager.send("backup " + r.job() + " failed: " + r.error().orElse("")); }
 *     })
 *     .build();
 * scheduler.start();
 * ...
 * scheduler.close();                           // lets running jobs finish, up to the shutdown timeout
 * }</pre>
 *
 * <p>Rules:
 * <ul>
 *   <li>A job never overlaps itself: a slot that comes while the job runs is not started beside it.</li>
 *   <li>Missed slots run once: after downtime, a suspended machine, or a run longer than the interval, the newest slot
 *       that is due runs once, not once per missed slot. A job that never ran waits for its first slot (a slot less
 *       than a minute old when the scheduler first looks counts as coming).</li>
 *   <li>Each slot starts after a random delay below the job's jitter.</li>
 *   <li>Replicas that share a config and a repository run each slot once: the run is claimed on the repository's Sink
 *       by atomic create, with a lease renewed while the job runs; when its holder dies, another replica takes the
 *       slot over once the lease has expired (see docs/jobs.md).</li>
 *   <li>{@link #close()} starts no new run, waits up to the shutdown timeout for running jobs, then interrupts them
 *       and gives their slots up, so another replica may run them; no half-made snapshot is ever committed.</li>
 * </ul>
 *
 * <p>Repositories with a {@code prune.schedule} are pruned as the job {@code _prune-<repository>}, and drills with a
 * schedule run as {@code _drill-<drill>} ({@link DrillRunner}), claimed on their job's repository like any job; a drill
 * that fails is a failed run for the listeners.
 *
 * <p>Time comes from the injected {@link Clock}. {@link #tick()} does one round of the work (due jobs) at the clock's
 * time: {@link #start()} runs rounds on the executor until {@link #close()}; tests and apps with their own timer may
 * call it directly instead. No call to a Sink is made while the scheduler's lock is held: claims, records and lease
 * renewals run on the executor's threads, each task on its own, so a store that stops answering holds up only the
 * tasks that use it, never {@link #isRunning}, another task's run or renewal, or {@link #close()} (docs/architecture.md,
 * "The scheduler and its lock").
 */
public final class JobScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobScheduler.class);
    /** How many run records per job are kept in the repository. */
    static final int KEEP_RECORDS = 200;

    private final JobsConfig config;
    private final Clock clock;
    private final JobAction action;
    private final JobRunner runner;
    private final DrillRunner drills;
    private final List<JobListener> listeners;
    private final Duration tickEvery;
    private final Duration renewCheckEvery;
    private final Duration shutdownTimeout;
    private final Random random;
    private final String host;
    private final String holder = UUID.randomUUID().toString().replace("-", "");
    private final ScheduledExecutorService givenExecutor;
    /**
     * Guards the scheduling state: each task's {@code busy}, {@code lastSlot} and jitter, the ticker and the executor.
     * Held only for decisions and bookkeeping, never across a call to a Sink, a runner or a listener: a store that
     * stops answering must not stop {@link #isRunning}, the end of another run or {@link #close()}.
     */
    private final Object lock = new Object();
    private final Map<String, JobState> states = new LinkedHashMap<>();
    private final Map<String, Sink> sinks = new ConcurrentHashMap<>();
    /** What the runner recorded of the repository each location held (its cache directory). */
    private final com.mintreplica.backup.jobs.internal.KnownLocations knownLocations;
    private ScheduledExecutorService ownExecutor;
    private volatile boolean started;
    private volatile boolean closing;
    /**
     * The threads in a task's claim phase (reading the last slot, claiming): {@link #close} interrupts them and waits
     * a little for them, so no claim writes to a repository after close returned, yet a store that does not answer
     * cannot hold close up.
     */
    private final Set<Thread> claiming = ConcurrentHashMap.newKeySet();
    private static final Duration CLAIM_GRACE = Duration.ofSeconds(2);
    private ScheduledFuture<?> ticker;
    /** A round was asked for while one was in progress: the ticker runs the next one at once. */
    private boolean roundAgain;

    private JobScheduler(Builder b) {
        this.config = b.config;
        this.clock = b.clock;
        this.listeners = List.copyOf(b.listeners);
        this.tickEvery = b.tickEvery;
        this.shutdownTimeout = b.shutdownTimeout;
        this.random = b.random;
        this.host = b.host;
        this.givenExecutor = b.executor;
        JobRunner.Builder runnerBuilder = JobRunner.builder(config).clock(clock).environment(b.environment).host(host)
                .user(b.user);
        b.cache.ifPresent(runnerBuilder::cacheDirectory);
        this.runner = runnerBuilder.build();
        this.knownLocations = new com.mintreplica.backup.jobs.internal.KnownLocations(b.cache);
        this.action = b.action != null ? b.action : runner;
        DrillRunner.Builder drillsBuilder = DrillRunner.builder(config).clock(clock).environment(b.environment).host(host)
                .user(b.user);
        b.cache.ifPresent(drillsBuilder::cacheDirectory);
        this.drills = drillsBuilder.build();
        // A renewal falls due a third of a lease after the lease written; looking six times a lease (or every tick, if
        // that is more often) renews while at least half of the lease is left.
        Duration sixth = config.lease().dividedBy(6);
        Duration every = tickEvery.compareTo(sixth) < 0 ? tickEvery : sixth;
        this.renewCheckEvery = every.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : every;
        for (JobConfig job : config.jobs().values()) {
            states.put(job.name(), new JobState(job));
        }
        for (RepositoryConfig repository : config.repositories().values()) {
            if (repository.prune().isPresent()) {
                JobState prune = new JobState(repository);
                states.put(prune.name, prune);
            }
        }
        for (DrillConfig drill : config.drills().values()) {
            if (drill.schedule().isPresent()) {
                JobState st = new JobState(drill, config.job(drill.job()));
                states.put(st.name, st);
            }
        }
    }

    /** A builder for a scheduler of {@code config}'s jobs. */
    public static Builder builder(JobsConfig config) {
        return new Builder(config);
    }

    public JobsConfig config() {
        return config;
    }

    /**
     * How many threads the scheduler may use at once, which its own pool has and an executor given to it should have:
     * one for each task (job, scheduled prune, scheduled drill) to claim and run its slot, one for each task's lease
     * renewals (a renewal that waits on a slow store must not hold up another task's), and one for the rounds.
     */
    public int threadsNeeded() {
        return 2 * states.size() + 1;
    }

    /**
     * Starts running jobs on their schedules, on the executor. Returns at once.
     *
     * @throws IllegalStateException when started already or closed
     */
    public void start() {
        synchronized (lock) {
            if (started || closing) {
                throw new IllegalStateException(closing ? "the scheduler is closed" : "the scheduler is running already");
            }
            started = true;
            ticker = executor().schedule(this::tickLoop, 0, TimeUnit.MILLISECONDS);
        }
        LOG.info("scheduler started: {} jobs, {} tasks, host {}", config.jobs().size(), states.size(), host);
    }

    /**
     * The ticker: one round, then the next after the round's sleep (at most {@code tickEvery}). There is exactly one
     * ticker at a time; {@link #wake()} moves it forward instead of starting another.
     */
    private void tickLoop() {
        Duration next = tickEvery;
        try {
            next = round().sleep();
        } catch (RuntimeException e) {
            LOG.warn("scheduler round failed: {}", e.toString());
        } catch (Error e) {
            // a scheduler that silently stops ticking is the worst outcome: say so loudly, and keep ticking
            LOG.error("scheduler round failed", e);
        } finally {
            synchronized (lock) {
                if (!closing) {
                    Duration delay = roundAgain ? Duration.ZERO : next.compareTo(tickEvery) < 0 ? next : tickEvery;
                    roundAgain = false;
                    try {
                        ticker = executor().schedule(this::tickLoop, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
                    } catch (RejectedExecutionException e) {
                        LOG.warn("the executor refused the next scheduler round: the scheduler stops ticking");
                    }
                }
            }
        }
    }

    /** Asks for a round soon (a run ended, a task learned its last slot): brings the pending round forward. */
    private void wake() {
        synchronized (lock) {
            if (!started || closing || ticker == null) {
                return;
            }
            if (ticker.cancel(false)) {
                try {
                    ticker = executor().schedule(this::tickLoop, 0, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    LOG.warn("the executor refused a scheduler round: {}", e.toString());
                }
            } else {
                roundAgain = true; // the round is running now: it schedules the next at once
            }
        }
    }

    /**
     * One round at the clock's time: starts every job whose newest slot is due and not yet run (here or by another
     * replica), and waits until each has been claimed or found taken. The claims are made on the executor's threads;
     * leases of running jobs are renewed on their own timers, not by rounds.
     *
     * @return the runs started in this round
     */
    public List<Future<JobResult>> tick() {
        List<Future<JobResult>> startedNow = new ArrayList<>();
        for (Dispatch d : round().dispatched()) {
            if (d.claimed.join()) {
                startedNow.add(d.result);
            }
        }
        return startedNow;
    }

    private record Round(List<Dispatch> dispatched, Duration sleep) {
    }

    /** A task handed to the executor to claim its slot (after learning its last slot, if need be) and run it. */
    private static final class Dispatch {
        final JobState st;
        final Instant now;
        /** Completes with whether the slot was claimed (then {@link #result} completes when the run ends). */
        final CompletableFuture<Boolean> claimed = new CompletableFuture<>();
        final CompletableFuture<JobResult> result = new CompletableFuture<>();

        Dispatch(JobState st, Instant now) {
            this.st = st;
            this.now = now;
        }
    }

    /**
     * Decides, under the lock and without I/O, which tasks need their slot claimed now, marks them busy and hands them
     * to the executor. A task whose last slot is not known yet (the first round) is handed over too: it reads the
     * repository's records on its own thread.
     */
    private Round round() {
        Instant now = clock.instant();
        List<Dispatch> dispatched = new ArrayList<>();
        Duration sleep = tickEvery;
        synchronized (lock) {
            if (closing) {
                return new Round(List.of(), sleep);
            }
            for (JobState st : states.values()) {
                if (st.schedule.isEmpty() || st.busy) {
                    continue;
                }
                if (st.lastSlot != null) {
                    Optional<Duration> wait = waitFor(st, now);
                    if (wait.isPresent()) {
                        sleep = min(sleep, wait.get());
                        continue;
                    }
                }
                st.busy = true;
                dispatched.add(new Dispatch(st, now));
            }
        }
        List<Dispatch> handed = new ArrayList<>();
        for (Dispatch d : dispatched) {
            try {
                executor().execute(() -> attempt(d));
                handed.add(d);
            } catch (RejectedExecutionException e) {
                LOG.warn("cannot schedule job {}: the executor refused it ({})", d.st.name, e.toString());
                idle(d.st);
                d.claimed.complete(false);
            }
        }
        return new Round(handed, sleep);
    }

    /** How long until {@code st}'s newest slot is due, or empty when it is due now. Under the lock. */
    private Optional<Duration> waitFor(JobState st, Instant now) {
        Instant latest = st.schedule.get().previousOrSame(now);
        if (!latest.isAfter(st.lastSlot)) {
            return Optional.of(Duration.between(now, due(st, st.schedule.get().next(st.lastSlot))));
        }
        Instant due = due(st, latest);
        return now.isBefore(due) ? Optional.of(Duration.between(now, due)) : Optional.empty();
    }

    /** On the executor: the I/O of one dispatched task, with no lock held. */
    private void attempt(Dispatch d) {
        JobState st = d.st;
        Instant now = d.now;
        boolean claimedIt = false;
        claiming.add(Thread.currentThread());
        try {
            if (closing) {
                return;
            }
            RunClaims claims = claims(st);
            boolean known;
            synchronized (lock) {
                known = st.lastSlot != null;
            }
            if (!known) {
                // A job that never ran waits for its first slot; one less than a minute old counts as coming.
                Optional<Instant> recorded = claims.lastSlot();
                boolean due;
                synchronized (lock) {
                    if (st.lastSlot == null) {
                        st.lastSlot = recorded.orElse(st.schedule.get().previousOrSame(now.minus(Duration.ofMinutes(1))));
                    }
                    due = waitFor(st, now).isEmpty();
                }
                if (!due) {
                    idle(st);
                    wake(); // the next round knows when it is due now
                    return;
                }
            }
            if (closing) {
                return; // the store answered only as the scheduler closed: claim nothing
            }
            Instant slot = st.schedule.get().previousOrSame(now);
            Optional<String> missing = missingRepository(st);
            if (missing.isPresent()) {
                // A failed run, said to the listeners once a slot, and no lease or record written at the location:
                // they made directories under the mount point of a backup disk that is not mounted.
                synchronized (lock) {
                    st.lastSlot = slot;
                }
                org.slf4j.LoggerFactory.getLogger(JobRunner.FAILURES_LOGGER).warn("job {}: {}", st.name, missing.get());
                notify(failed(st.name, slot, now, missing.get()));
                return;
            }
            RunClaims.Attempt attempt = claims.tryClaim(slot);
            if (attempt instanceof RunClaims.Claimed c) {
                Running running = new Running(slot, c.claim());
                boolean closed;
                synchronized (lock) {
                    st.lastSlot = slot;
                    closed = closing;
                    if (!closed) {
                        st.running = running;
                    }
                }
                if (closed) {
                    LOG.info("job {} slot {} was claimed as the scheduler closed: giving it up", st.name, slot);
                    c.claim().release();
                    return;
                }
                claimedIt = true;
                endClaim();
                d.claimed.complete(true);
                d.result.complete(execute(st, running));
            } else if (attempt instanceof RunClaims.Done done) {
                synchronized (lock) {
                    st.lastSlot = slot;
                }
                LOG.debug("job {} slot {} was run by {}", st.name, slot, done.record().host());
                notify(JobResult.skipped(st.name, slot, host, now, "run by " + done.record().host()));
            } else if (attempt instanceof RunClaims.Held held) {
                LOG.debug("job {} slot {} is running on {} (lease until {})", st.name, slot, held.host(), held.expires());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot schedule job {}: {}", st.name, new Redactor().message(e));
            if (claimedIt && !d.result.isDone()) {
                d.result.completeExceptionally(e);
            }
        } finally {
            endClaim();
            if (!claimedIt) {
                idle(st);
                d.claimed.complete(false);
            }
        }
    }

    private void endClaim() {
        synchronized (claiming) {
            claiming.remove(Thread.currentThread());
        }
    }

    private void idle(JobState st) {
        synchronized (lock) {
            st.busy = false;
        }
    }

    private static Duration min(Duration a, Duration b) {
        Duration positive = b.isNegative() ? Duration.ZERO : b;
        return a.compareTo(positive) <= 0 ? a : positive;
    }

    private Instant due(JobState st, Instant slot) {
        if (!slot.equals(st.jitterSlot)) {
            long range = st.jitter.toMillis();
            st.jitterSlot = slot;
            st.jitterOffset = range <= 0 ? Duration.ZERO : Duration.ofMillis((long) (random.nextDouble() * range));
        }
        return slot.plus(st.jitterOffset);
    }

    /**
     * Renews the lease of a running task on its own timer, on the executor: a renewal that waits on a slow store holds
     * up only this task's next renewal, never a round or another task's renewal.
     */
    private void startRenewals(JobState st, Running r) {
        if (r.claim == null) {
            return;
        }
        long every = renewCheckEvery.toMillis();
        try {
            r.renewer = executor().scheduleWithFixedDelay(() -> renew(st, r), every, every, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.warn("cannot renew the claim of job {} slot {}: the executor refused the timer", st.name, r.slot);
        }
    }

    private void renew(JobState st, Running r) {
        if (r.claim == null || r.ended.getCount() == 0 || !r.claim.renewalDue()) {
            return;
        }
        try {
            if (!r.claim.renew()) {
                LOG.warn("job {} lost its claim on slot {} to another replica: stopping it", st.name, r.slot);
                r.stop();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot renew the claim of job {} slot {}: {}", st.name, r.slot, e.toString());
        }
    }

    private JobResult execute(JobState st, Running running) {
        startRenewals(st, running);
        JobConfig job = st.job;
        String name = st.name;
        JobResult result;
        Instant begun = clock.instant();
        running.thread = Thread.currentThread();
        try {
            if (st.drill != null) {
                result = drills.result(drills.run(st.drill), running.slot);
            } else if (job != null) {
                listeners.forEach(l -> safely(() -> l.started(job, running.slot)));
                result = action.run(job, running.slot);
            } else {
                result = runner.prune(st.prune, running.slot);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result = failed(name, running.slot, begun, "interrupted");
        } catch (Exception e) {
            result = failed(name, running.slot, begun, new Redactor().message(e));
        }
        running.thread = null;
        Thread.interrupted(); // an interrupt meant for the run must not reach the recording
        if (running.renewer != null) {
            running.renewer.cancel(false);
        }
        try {
            if (running.stopRequested || (running.claim != null && running.claim.lost())) {
                result = new JobResult(name, running.slot, host, result.started(), clock.instant(),
                        JobResult.Outcome.STOPPED, Optional.empty(), result.bytes(), Optional.of(running.claim != null
                        && running.claim.lost() ? "its claim was taken over by another replica" : "stopped by shutdown"),
                        List.of());
                if (running.claim != null) {
                    running.claim.release();
                }
            } else if (running.claim != null) {
                running.claim.complete(result);
                claims(st).prune(KEEP_RECORDS);
            } else {
                claims(st).recordManual(result);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot record the run of job {} slot {}: {}", name, running.slot, e.toString());
        } finally {
            synchronized (lock) {
                st.running = null;
                st.busy = false;
            }
        }
        try {
            notify(result);
        } finally {
            running.ended.countDown(); // close() returns only after the listeners have heard of the end
        }
        wake(); // a slot that came while it ran is due now
        return result;
    }

    private JobResult failed(String job, Instant slot, Instant started, String message) {
        return new JobResult(job, slot, host, started, clock.instant(), JobResult.Outcome.FAILED, Optional.empty(),
                0, Optional.of(message), List.of());
    }

    private void notify(JobResult result) {
        for (JobListener l : listeners) {
            safely(() -> {
                switch (result.outcome()) {
                    case SUCCEEDED -> l.succeeded(result);
                    case SKIPPED -> l.skipped(result);
                    default -> l.failed(result);
                }
            });
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("a job listener failed: {}", e.toString());
        }
    }

    /**
     * Runs {@code name} now, in this thread, and returns what happened. For a scheduled job this is its newest slot,
     * claimed like the scheduler claims it: when that slot ran already (here or on another replica) or runs now, it is
     * skipped, unless {@code force}. A forced run, or a job without schedule, runs at once and is recorded as a run by
     * hand. This is what {@code mint-backup run} does for system cron.
     *
     * @throws com.mintreplica.backup.core.NotFoundException when the config has no such job
     */
    public JobResult runNow(String name, boolean force) {
        JobState st = states.get(name);
        if (st == null) {
            config.job(name); // throws, naming the jobs there are
        }
        Instant now = clock.instant();
        synchronized (lock) {
            if (st.busy) {
                Running r = st.running;
                return JobResult.skipped(name, r != null ? r.slot : now, host, now, r != null
                        ? "running now in this process" : "its slot is being claimed in this process now");
            }
            st.busy = true;
        }
        RunClaims.Claim claim = null;
        Instant slot = now;
        boolean handedOver = false;
        try {
            Optional<String> missing = missingRepository(st);
            if (missing.isPresent()) {
                JobResult r = failed(name, st.schedule.map(s -> s.previousOrSame(now)).orElse(now), now, missing.get());
                notify(r);
                return r;
            }
            if (!force && st.schedule.isPresent()) {
                slot = st.schedule.get().previousOrSame(now);
                RunClaims.Attempt attempt;
                try {
                    attempt = claims(st).tryClaim(slot);
                } catch (IOException e) {
                    throw new BackupException("cannot claim the run of job " + name + " in "
                            + Sinks.redact(config.repository(st.repository).location()) + ": " + e.getMessage(), e);
                }
                if (attempt instanceof RunClaims.Done done) {
                    JobResult r = JobResult.skipped(name, slot, host, now, "its run for " + slot + " was made already by "
                            + done.record().host() + " (" + done.record().outcome().name().toLowerCase(java.util.Locale.ROOT)
                            + ", finished " + done.record().finished() + "); --force runs it again");
                    notify(r);
                    return r;
                }
                if (attempt instanceof RunClaims.Held held) {
                    JobResult r = JobResult.skipped(name, slot, host, now, "its run for " + slot + " is running on "
                            + held.host() + " (pid " + held.pid() + "), claimed until " + held.expires());
                    notify(r);
                    return r;
                }
                claim = ((RunClaims.Claimed) attempt).claim();
            }
            Running running = new Running(slot, claim);
            synchronized (lock) {
                if (claim != null) {
                    st.lastSlot = slot;
                }
                st.running = running;
            }
            handedOver = true;
            return execute(st, running);
        } finally {
            if (!handedOver) {
                idle(st);
            }
        }
    }

    /** Whether a run of {@code job} is in progress in this process. Never waits: it reads what the runs set. */
    public boolean isRunning(String job) {
        JobState st = states.get(job);
        return st != null && st.running != null;
    }

    /**
     * When the repository this host's jobs wrote to at {@code st}'s location is missing (a backup disk that is not
     * mounted), what the run says; then it claims nothing and writes no record there.
     */
    private Optional<String> missingRepository(JobState st) {
        com.mintreplica.backup.jobs.config.RepositoryConfig repo = config.repository(st.repository);
        Optional<String> held = knownLocations.idAt(repo.location());
        if (held.isEmpty()) {
            return Optional.empty();
        }
        try {
            return com.mintreplica.backup.core.Repository.exists(sinkOf(st)) ? Optional.empty()
                    : Optional.of(JobRunner.missingMessage(repo, held.get()));
        } catch (RuntimeException unreachable) {
            return Optional.empty();   // the run says what is wrong with the store
        }
    }

    /** The store of {@code st}'s repository, opened once. */
    private Sink sinkOf(JobState st) {
        return sinks.computeIfAbsent(st.repository, r -> Sinks.open(config.repository(r).location()));
    }

    private RunClaims claims(JobState st) {
        Sink sink = sinkOf(st);
        String recordedHost = st.job != null && st.drill == null ? config.hostOf(st.job).orElse(host) : config.host().orElse(host);
        return new RunClaims(sink, st.name, clock, config.lease(), holder, recordedHost);
    }

    /**
     * The names {@link #runNow} takes: every job, {@code _prune-<repository>} for each scheduled prune and
     * {@code _drill-<drill>} for each scheduled drill.
     */
    public List<String> names() {
        return List.copyOf(states.keySet());
    }

    private ScheduledExecutorService executor() {
        if (givenExecutor != null) {
            return givenExecutor;
        }
        synchronized (lock) {
            if (ownExecutor == null) {
                AtomicInteger n = new AtomicInteger();
                // Threads are made as tasks need them, up to one per task, one per task's renewals and one for rounds.
                ownExecutor = Executors.newScheduledThreadPool(threadsNeeded(), r -> {
                    Thread t = new Thread(r, "mint-backup-jobs-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
            }
            return ownExecutor;
        }
    }

    /**
     * Stops: starts no new run, waits up to the shutdown timeout for running jobs to finish, then interrupts them and
     * gives their slots up (another replica may run them), waits a little more, and releases what it created (its
     * own threads, the Sinks it opened; never the executor it was given). A claim still waiting on a store is not
     * waited for: if it wins after this, it gives its slot up at once.
     *
     * <p>Called on an interrupted thread, or interrupted while it waits, it does not wait out the shutdown timeout: it
     * stops the running jobs at once, but still returns only after they ended (as {@code ExecutorService.close} does),
     * and keeps the thread's interrupt.
     */
    @Override
    public void close() {
        List<Running> running = new ArrayList<>();
        synchronized (lock) {
            if (closing) {
                return;
            }
            closing = true;
            if (ticker != null) {
                ticker.cancel(false);
            }
            for (JobState st : states.values()) {
                if (st.running != null) {
                    running.add(st.running);
                }
            }
        }
        // An interrupt (before or during the wait) only cuts the shutdown timeout short: the waits below must not
        // end at once on it, or close would return while runs still write to their repositories.
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        for (Running r : running) {
            if (interrupted) {
                break;
            }
            try {
                r.ended.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        for (Running r : running) {
            if (r.ended.getCount() > 0) {
                if (interrupted) {
                    LOG.warn("stopping the run of slot {}: the scheduler was closed by an interrupted thread", r.slot);
                } else {
                    LOG.warn("stopping the run of slot {}: the shutdown timeout of {} has passed", r.slot, shutdownTimeout);
                }
                r.stop();
            }
        }
        long grace = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (Running r : running) {
            while (r.ended.getCount() > 0 && System.nanoTime() < grace) {
                try {
                    r.ended.await(Math.max(0, grace - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (r.ended.getCount() > 0) {
                LOG.error("a run of slot {} did not stop within 30 seconds of being interrupted", r.slot);
            }
        }
        synchronized (lock) {
            if (ownExecutor != null) {
                ownExecutor.shutdownNow();
            }
        }
        // Claims still under way (on the app's executor too): interrupted, and given a moment to end, so none writes
        // to a repository once close returned; a claim stuck on a store that does not answer is left behind.
        synchronized (claiming) {
            claiming.forEach(Thread::interrupt); // under the monitor endClaim takes: never a thread that moved on
        }
        long claimsEnd = System.nanoTime() + CLAIM_GRACE.toNanos();
        while (!claiming.isEmpty() && System.nanoTime() < claimsEnd) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (!claiming.isEmpty()) {
            LOG.warn("{} claim(s) of a slot still wait on their store after the scheduler closed", claiming.size());
        }
        for (Sink sink : List.copyOf(sinks.values())) {
            try {
                sink.close();
            } catch (Exception e) {
                LOG.debug("closing {}: {}", sink.describe(), e.toString());
            }
        }
        sinks.clear();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A job, the scheduled prune of a repository (named {@code _prune-<repository>}) or a scheduled drill (named
     * {@code _drill-<drill>}, claimed on its job's repository).
     */
    private static final class JobState {
        final String name;
        final JobConfig job;
        final RepositoryConfig prune;
        final DrillConfig drill;
        final Optional<CronSchedule> schedule;
        final String repository;
        final Duration jitter;
        /** Guarded by the scheduler's lock: the newest slot run or given up to another replica. */
        Instant lastSlot;
        Instant jitterSlot;
        Duration jitterOffset = Duration.ZERO;
        /** Guarded by the scheduler's lock: a claim or a run of this task is in progress (at most one at a time). */
        boolean busy;
        /** The run in progress, once its slot is claimed; read without the lock. */
        volatile Running running;

        JobState(JobConfig job) {
            this.name = job.name();
            this.job = job;
            this.prune = null;
            this.drill = null;
            this.schedule = job.schedule();
            this.repository = job.repository();
            this.jitter = job.jitter();
        }

        JobState(RepositoryConfig repository) {
            this.name = JobRunner.PRUNE_PREFIX + repository.name();
            this.job = null;
            this.prune = repository;
            this.drill = null;
            this.schedule = repository.prune();
            this.repository = repository.name();
            this.jitter = Duration.ZERO;
        }

        JobState(DrillConfig drill, JobConfig job) {
            this.name = DrillRunner.SCHEDULED_PREFIX + drill.name();
            this.job = job;
            this.prune = null;
            this.drill = drill;
            this.schedule = drill.schedule();
            this.repository = job.repository();
            this.jitter = Duration.ZERO;
        }
    }

    private static final class Running {
        final Instant slot;
        final RunClaims.Claim claim;
        final CountDownLatch ended = new CountDownLatch(1);
        volatile boolean stopRequested;
        volatile Thread thread;
        volatile ScheduledFuture<?> renewer;

        Running(Instant slot, RunClaims.Claim claim) {
            this.slot = slot;
            this.claim = claim;
        }

        void stop() {
            stopRequested = true;
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }
    }

    /** Builds a {@link JobScheduler}. */
    public static final class Builder {
        private final JobsConfig config;
        private Clock clock = Clock.systemUTC();
        private JobAction action;
        private final List<JobListener> listeners = new ArrayList<>();
        private ScheduledExecutorService executor;
        private Duration tickEvery = Duration.ofSeconds(15);
        private Duration shutdownTimeout = Duration.ofMinutes(1);
        private Random random = new Random();
        private Map<String, String> environment = Map.of();
        private String host = "localhost";
        private String user = "";
        private Optional<java.nio.file.Path> cache = Optional.empty();

        private Builder(JobsConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** The clock of schedules, leases and snapshots (default: the system clock). */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Runs the scheduler's rounds, claims, lease renewals and runs on {@code value}, which it never shuts down. It
         * needs {@link JobScheduler#threadsNeeded()} threads (two per job, scheduled prune and scheduled drill, and one
         * more): with fewer, runs wait in its queue while their leases run down. Default: its own pool of that size
         * (threads made as needed), stopped by {@link #close()}.
         */
        public Builder executor(ScheduledExecutorService value) {
            executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        /** What a run does (default: a {@link JobRunner} of the config); to wrap the runner with the app's steps. */
        public Builder action(JobAction value) {
            action = Objects.requireNonNull(value, "action");
            return this;
        }

        public Builder listener(JobListener value) {
            listeners.add(Objects.requireNonNull(value, "listener"));
            return this;
        }

        /**
         * The longest pause between two rounds (default 15 seconds): how soon a clock jump or a takeover is seen. Rounds
         * also happen when a slot is due and when a run ends. Leases are looked at on their own timer, every sixth of the
         * lease or every {@code tickEvery}, whichever is shorter.
         */
        public Builder tickEvery(Duration value) {
            tickEvery = Objects.requireNonNull(value, "tickEvery");
            return this;
        }

        /** How long {@link #close()} lets running jobs finish before it stops them (default one minute). */
        public Builder shutdownTimeout(Duration value) {
            shutdownTimeout = Objects.requireNonNull(value, "shutdownTimeout");
            return this;
        }

        /** The source of jitter (default: a new {@link Random}); a seeded one makes tests repeatable. */
        public Builder random(Random value) {
            random = Objects.requireNonNull(value, "random");
            return this;
        }

        /** Environment variables for secret references and sources of the default runner (default: none). */
        public Builder environment(Map<String, String> value) {
            environment = Objects.requireNonNull(value, "environment");
            return this;
        }

        /** This machine's name, for run records, audit lines and snapshots of jobs whose config names no host. */
        public Builder host(String value) {
            host = Objects.requireNonNull(value, "host");
            return this;
        }

        /** The operating-system user, for audit lines. */
        public Builder user(String value) {
            user = Objects.requireNonNull(value, "user");
            return this;
        }

        /** The local cache of the default runner and of drills ({@link JobRunner.Builder#cacheDirectory}; default: none). */
        public Builder cacheDirectory(java.nio.file.Path value) {
            cache = Optional.of(Objects.requireNonNull(value, "cacheDirectory"));
            return this;
        }

        public JobScheduler build() {
            return new JobScheduler(this);
        }
    }
}
