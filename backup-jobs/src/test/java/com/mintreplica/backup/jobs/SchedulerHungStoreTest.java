package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.jobs.internal.RunClaims;
import com.mintreplica.backup.testkit.FakeClock;
import com.mintreplica.backup.testkit.FaultInjectingSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler with a store that stops answering, at the size of the shipped example config (docs/config-example.yaml:
 * 5 jobs, 3 repositories with a scheduled prune, 2 scheduled drills; its 2-minute lease). The repositories are real
 * local directories behind {@link HangingSinkProvider}'s fault-injecting Sinks; the claims, leases, records, prunes and
 * drills are real. Only the jobs' work is a stand-in ({@link JobAction}) that waits until the test lets it end, so runs
 * are in progress while the test moves the fake clock through several leases; each step then waits (bounded) for what
 * the step must bring, so nothing depends on how fast the machine is.
 */
@Timeout(120)
class SchedulerHungStoreTest {
    static final Instant SLOT = Instant.parse("2026-11-24T01:00:00Z");
    static final Duration LEASE = Duration.ofMinutes(2); // the example config's
    static final List<String> JOBS = List.of("j1", "j2", "j3", "j4", "j5");

    @TempDir
    Path temp;
    FakeClock clock;
    JobsConfig config;
    final Map<String, Integer> actions = new ConcurrentHashMap<>();
    final List<JobResult> results = new CopyOnWriteArrayList<>();
    final CountDownLatch finish = new CountDownLatch(1);
    JobScheduler scheduler;
    ScheduledExecutorService appExecutor;

    @BeforeEach
    void setUp() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("app.yaml"), "db: postgresql://db/mint\n");
        Path drills = Files.createDirectories(temp.resolve("drills"));
        CronSchedule daily = CronSchedule.parse("0 1 * * *");
        JobsConfig.Builder b = JobsConfig.builder().lease(LEASE);
        for (String repo : List.of("a", "b", "c")) {
            b.repository(RepositoryConfig.of(repo, "hanging://" + temp.resolve(repo)).withPrune(daily));
        }
        // j1 and the prune of c use repository c, whose store stops answering in the first test
        String[] repoOf = {"c", "a", "a", "b", "b"};
        for (int i = 0; i < JOBS.size(); i++) {
            b.job(JobConfig.builder(JOBS.get(i)).source(SourceConfig.paths(data).build()).repository(repoOf[i])
                    .schedule(daily).build());
        }
        b.drill(DrillConfig.builder("da", "j2").schedule(daily).target(drills.toString()).build());
        b.drill(DrillConfig.builder("db", "j4").schedule(daily).target(drills.toString()).build());
        config = b.build();

        // Yesterday's snapshots, so the prunes and drills have a repository and something to restore.
        clock = new FakeClock(SLOT.minus(Duration.ofDays(1)));
        JobRunner seed = JobRunner.builder(config).clock(clock).build();
        for (String job : JOBS) {
            assertThat(seed.run(config.job(job), clock.instant()).succeeded()).isTrue();
        }
        clock.set(SLOT.minusSeconds(10));
    }

    @AfterEach
    void tearDown() throws Exception {
        finish.countDown();
        HangingSinkProvider.releaseAll();
        if (scheduler != null) {
            scheduler.close();
        }
        if (appExecutor != null) {
            appExecutor.shutdownNow();
            appExecutor.awaitTermination(20, TimeUnit.SECONDS);
        }
    }

    private JobScheduler.Builder scheduler() {
        return JobScheduler.builder(config).clock(clock).host("app-1").tickEvery(Duration.ofMillis(20))
                .shutdownTimeout(Duration.ofSeconds(1))
                .listener(new JobListener() {
                    @Override
                    public void succeeded(JobResult r) {
                        results.add(r);
                    }

                    @Override
                    public void failed(JobResult r) {
                        results.add(r);
                    }
                })
                .action((job, slot) -> {
                    actions.merge(job.name(), 1, Integer::sum);
                    Instant started = clock.instant();
                    finish.await(); // the job's work goes on until the test ends it
                    return new JobResult(job.name(), slot, "app-1", started, clock.instant(), JobResult.Outcome.SUCCEEDED,
                            java.util.Optional.empty(), 0, java.util.Optional.empty(), List.of());
                });
    }

    private Path repoOf(String task) {
        if (task.startsWith("_prune-")) {
            return temp.resolve(task.substring("_prune-".length()));
        }
        String job = task.equals("_drill-da") ? "j2" : task.equals("_drill-db") ? "j4" : task;
        return temp.resolve(config.job(job).repository());
    }

    private static final Pattern EXPIRES = Pattern.compile("\"expires\":\"([^\"]+)\"");

    /** The expiry of the newest lease of {@code task}'s claim on SLOT, as stored. */
    private Instant leaseExpiry(String task) {
        Path dir = repoOf(task).resolve("jobs").resolve(task).resolve(RunClaims.slotName(SLOT));
        try (Stream<Path> files = Files.list(dir)) {
            Path newest = files.filter(p -> p.getFileName().toString().startsWith("lease-")).max(Path::compareTo).orElseThrow();
            Matcher m = EXPIRES.matcher(Files.readString(newest));
            assertThat(m.find()).isTrue();
            return Instant.parse(m.group(1));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** What another replica (its own holder id) finds when it tries to claim {@code task}'s slot now. */
    private RunClaims.Attempt otherReplicaTries(String task) throws IOException {
        return new RunClaims(new LocalDirectorySink(repoOf(task), false), task, clock, LEASE, "replica-2", "app-2")
                .tryClaim(SLOT);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /**
     * Moves the clock through five leases in 20-second steps while {@code running} run. After each step every lease is
     * renewed before less than half of it is left (a third of a lease after it was written, the holder renews), and
     * another replica that tries to claim the slot finds it held: no lease lapses while its holder lives.
     */
    private void fiveLeasesPass(List<String> running) throws Exception {
        for (int step = 0; step < 15; step++) {
            clock.advance(Duration.ofSeconds(20));
            for (String task : running) {
                await("the lease of " + task + " renewed at " + clock.instant(),
                        () -> Duration.between(clock.instant(), leaseExpiry(task)).compareTo(LEASE.dividedBy(2)) > 0);
                assertThat(otherReplicaTries(task)).as("another replica's claim of %s at %s", task, clock.instant())
                        .isInstanceOf(RunClaims.Held.class);
                assertThat(scheduler.isRunning(task)).as(task).isTrue();
            }
        }
    }

    private void assertEachRanOnce(List<String> tasks) {
        assertThat(results).extracting(JobResult::job).containsExactlyInAnyOrderElementsOf(tasks);
        assertThat(results).allSatisfy(r -> {
            assertThat(r.outcome()).as(r.toString()).isEqualTo(JobResult.Outcome.SUCCEEDED);
            assertThat(r.slot()).isEqualTo(SLOT);
        });
        for (String task : tasks) {
            Path slotDir = repoOf(task).resolve("jobs").resolve(task).resolve(RunClaims.slotName(SLOT));
            assertThat(slotDir.resolve("done")).as("the run record of " + task).exists();
            try (Stream<Path> left = Files.list(slotDir)) {
                assertThat(left).as("its leases are gone").extracting(p -> p.getFileName().toString()).containsExactly("done");
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void a_store_that_stops_answering_holds_up_only_its_own_tasks_never_isRunning_other_runs_their_leases_or_close()
            throws Exception {
        // Every call to repository c's jobs/ objects hangs: j1's and c's prune's claims never get an answer.
        HangingSinkProvider.hang((root, name) -> root.equals(temp.resolve("c")) && name.startsWith("jobs/"),
                FaultInjectingSink.Call.values());
        appExecutor = Executors.newScheduledThreadPool(21); // the app's executor, sized as the scheduler asks
        scheduler = scheduler().executor(appExecutor).build();
        assertThat(scheduler.threadsNeeded()).as("two threads for each of the 10 tasks, and one").isEqualTo(21);
        scheduler.start();
        clock.set(SLOT);

        await("a call to repository c hanging", () -> HangingSinkProvider.hanging() > 0);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThat(scheduler.isRunning("j1")).isFalse(),
                "isRunning waited for a store that does not answer");
        List<String> running = List.of("j2", "j3", "j4", "j5");
        await("the jobs of repositories a and b running", () -> running.stream().allMatch(scheduler::isRunning));
        await("the prunes of a and b and both drills ended", () -> results.size() == 4);

        fiveLeasesPass(running);

        finish.countDown();
        await("the jobs ended", () -> results.size() == 8);
        assertEachRanOnce(List.of("j2", "j3", "j4", "j5", "_prune-a", "_prune-b", "_drill-da", "_drill-db"));
        assertThat(actions).containsOnlyKeys(running).allSatisfy((job, n) -> assertThat(n).as(job).isEqualTo(1));
        assertThat(HangingSinkProvider.hanging()).as("repository c still does not answer").isPositive();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> scheduler.close(),
                "close waited for a store that does not answer");

        // When c answers again, after the scheduler closed, its late claims run nothing.
        HangingSinkProvider.releaseAll();
        appExecutor.shutdown();
        assertThat(appExecutor.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        assertThat(actions).doesNotContainKey("j1");
        assertThat(temp.resolve("c/jobs/j1").resolve(RunClaims.slotName(SLOT)).resolve("done")).doesNotExist();
        assertThat(results).hasSize(8);
    }

    @Test
    void close_returns_once_claims_under_way_have_ended_when_the_store_answers_within_a_moment() throws Exception {
        // Reading the runs of every repository hangs, so every task is in its claim phase when close is called; the
        // stores answer again 300 ms later. Close gives claims under way a moment (2 s) to end, so that none is
        // still at work on a repository once it returned (a daemon's test directory was once deleted under one).
        HangingSinkProvider.hang((root, name) -> name.startsWith("jobs/"), FaultInjectingSink.Call.values());
        java.util.concurrent.ScheduledThreadPoolExecutor pool = new java.util.concurrent.ScheduledThreadPoolExecutor(21);
        appExecutor = pool;
        scheduler = scheduler().executor(appExecutor).build();
        scheduler.start();
        clock.set(SLOT);
        await("the claims hanging", () -> HangingSinkProvider.hanging() >= 5);
        Thread answers = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            HangingSinkProvider.releaseAll();
        });
        answers.start();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> scheduler.close());
        long settled = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        while (pool.getActiveCount() > 0 && System.nanoTime() < settled) {
            Thread.sleep(5);
        }
        assertThat(pool.getActiveCount()).as("tasks still at work on a repository after close returned").isZero();
        assertThat(actions).as("nothing ran: every claim came after close").isEmpty();
        answers.join();
    }

    @Test
    void ten_tasks_due_at_once_all_run_at_once_on_the_schedulers_own_threads_and_keep_their_leases() throws Exception {
        // The prunes and drills wait on their repositories (reading the config hangs), the jobs on the test: all ten
        // tasks of the example config's size are in progress at once.
        HangingSinkProvider.hang((root, name) -> name.equals("config"), FaultInjectingSink.Call.GET);
        scheduler = scheduler().build();
        scheduler.start();
        clock.set(SLOT);

        List<String> tasks = List.of("j1", "j2", "j3", "j4", "j5", "_prune-a", "_prune-b", "_prune-c", "_drill-da", "_drill-db");
        assertThat(scheduler.names()).containsExactlyInAnyOrderElementsOf(tasks);
        await("all ten tasks running", () -> tasks.stream().allMatch(scheduler::isRunning));

        fiveLeasesPass(tasks);

        HangingSinkProvider.releaseAll();
        finish.countDown();
        await("all ten ended", () -> results.size() == 10);
        assertEachRanOnce(tasks);
        assertThat(actions).containsOnlyKeys(JOBS).allSatisfy((job, n) -> assertThat(n).as(job).isEqualTo(1));
    }
}
