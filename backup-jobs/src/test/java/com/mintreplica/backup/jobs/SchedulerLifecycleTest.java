package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** start/close with the app: its executor, graceful shutdown, and a run stopped cleanly when it takes too long. */
class SchedulerLifecycleTest {
    @TempDir
    Path temp;
    FakeClock clock;
    JobsConfig config;
    ScheduledExecutorService appExecutor;
    final List<JobResult> results = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        clock = new FakeClock(Instant.parse("2026-11-24T00:59:00Z"));
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("a.txt"), "a\n");
        config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                .job(JobConfig.builder("hourly").source(SourceConfig.paths(data).build()).repository("primary")
                        .schedule(CronSchedule.parse("0 * * * *")).build())
                .build();
        AtomicInteger n = new AtomicInteger();
        appExecutor = Executors.newScheduledThreadPool(3, r -> new Thread(r, "app-pool-" + n.incrementAndGet()));
    }

    @AfterEach
    void tearDown() {
        appExecutor.shutdownNow();
    }

    private JobListener recorder() {
        return new JobListener() {
            @Override
            public void succeeded(JobResult r) {
                results.add(r);
            }

            @Override
            public void failed(JobResult r) {
                results.add(r);
            }
        };
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void started_it_runs_jobs_on_the_apps_executor_and_close_leaves_that_executor_running() throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        JobRunner runner = JobRunner.builder(config).clock(clock).build();
        JobScheduler scheduler = JobScheduler.builder(config).clock(clock).executor(appExecutor).tickEvery(Duration.ofMillis(10))
                .listener(recorder()).action((job, slot) -> {
                    threads.add(Thread.currentThread().getName());
                    return runner.run(job, slot);
                }).build();
        scheduler.start();
        Thread.sleep(100);
        assertThat(results).as("nothing is due before 01:00").isEmpty();
        clock.set(Instant.parse("2026-11-24T01:00:00Z"));
        await("the 01:00 run", () -> results.size() == 1);
        assertThat(results.get(0).succeeded()).isTrue();
        assertThat(threads).singleElement().satisfies(t -> assertThat(t).startsWith("app-pool-"));
        scheduler.close();
        assertThat(appExecutor.isShutdown()).isFalse();
        assertThat(appExecutor.submit(() -> "still usable").get()).isEqualTo("still usable");
    }

    /**
     * A run's end brings the next round forward; it must not start a second ticker beside the first (each would then
     * reschedule itself for ever, one more per run). Rounds are an hour apart here, so every ticker there is waits in
     * the executor's queue where the test can count it.
     */
    @Test
    void the_end_of_a_run_brings_the_round_forward_without_starting_another_ticker() throws Exception {
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(3);
        pool.setRemoveOnCancelPolicy(true); // a round brought forward leaves no cancelled task behind
        try {
            JobScheduler scheduler = JobScheduler.builder(config).clock(clock).executor(pool).tickEvery(Duration.ofHours(1))
                    .listener(recorder()).build();
            assertThat(scheduler.tick()).as("a round before the start learns the job's last slot: nothing due").isEmpty();
            scheduler.start(); // its first round finds nothing due before 01:00, the next is a minute away
            for (int hour = 1; hour <= 3; hour++) {
                clock.set(Instant.parse("2026-11-24T00:00:00Z").plus(Duration.ofHours(hour)));
                scheduler.tick(); // this round or the ticker's starts the slot
                int runs = hour;
                await("the run of hour " + hour, () -> results.size() == runs);
            }
            assertThat(results).allSatisfy(r -> assertThat(r.succeeded()).isTrue());
            await("one ticker left, waiting for its round", () -> pool.getActiveCount() == 0 && pool.getQueue().size() == 1);
            scheduler.close();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void close_lets_a_running_job_finish_within_the_shutdown_timeout() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        JobRunner runner = JobRunner.builder(config).clock(clock).build();
        JobScheduler scheduler = JobScheduler.builder(config).clock(clock).shutdownTimeout(Duration.ofSeconds(20))
                .listener(recorder()).action((job, slot) -> {
                    running.countDown();
                    Thread.sleep(300); // the run goes on while close() is called
                    return runner.run(job, slot);
                }).build();
        clock.set(Instant.parse("2026-11-24T01:00:00Z"));
        scheduler.tick();
        running.await();
        scheduler.close();
        assertThat(results).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo(JobResult.Outcome.SUCCEEDED));
        try (Repository repo = Repository.open(temp.resolve("repo").toString())) {
            assertThat(repo.snapshots()).hasSize(1);
        }
    }

    /**
     * An app (or the CLI's daemon) stops the scheduler from a thread that was interrupted. close() used to give up every
     * wait at once then, and returned while the run still wrote to the repository and the listeners were still to hear
     * of it. Now an interrupt means "do not wait out the shutdown timeout": the run is stopped, close() still returns
     * only after it ended, and the thread's interrupt is kept.
     */
    @Test
    void close_on_an_interrupted_thread_stops_the_run_and_returns_only_after_it_ended() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        JobScheduler scheduler = JobScheduler.builder(config).clock(clock).shutdownTimeout(Duration.ofMinutes(5))
                .listener(recorder()).action((job, slot) -> {
                    running.countDown();
                    try {
                        Thread.sleep(60_000); // interrupted by close()
                    } finally {
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait(); // what a run does on its way out: remove its temporary files
                        }
                        ended.countDown();
                    }
                    return null;
                }).build();
        clock.set(Instant.parse("2026-11-24T01:00:00Z"));
        scheduler.tick();
        running.await();
        boolean[] interruptKept = new boolean[1];
        long[] took = new long[1];
        Thread closer = new Thread(() -> {
            Thread.currentThread().interrupt();
            long t0 = System.nanoTime();
            scheduler.close();
            took[0] = System.nanoTime() - t0;
            interruptKept[0] = Thread.currentThread().isInterrupted();
        });
        closer.start();
        closer.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(closer.isAlive()).isFalse();
        assertThat(ended.getCount()).as("the run ended before close() returned").isZero();
        assertThat(results).as("the listeners heard of the end before close() returned").singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo(JobResult.Outcome.STOPPED));
        assertThat(Duration.ofNanos(took[0])).as("the shutdown timeout is not waited out").isLessThan(Duration.ofSeconds(10));
        assertThat(interruptKept[0]).isTrue();
    }

    @Test
    void a_run_past_the_shutdown_timeout_is_stopped_commits_nothing_and_its_slot_is_free_for_another_replica() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        JobRunner runner = JobRunner.builder(config).clock(clock).build();
        JobScheduler first = JobScheduler.builder(config).clock(clock).shutdownTimeout(Duration.ofMillis(200))
                .listener(recorder()).action((job, slot) -> {
                    running.countDown();
                    Thread.sleep(60_000); // reading a huge source; interrupted by close()
                    return runner.run(job, slot);
                }).build();
        clock.set(Instant.parse("2026-11-24T01:00:00Z"));
        first.tick();
        running.await();
        long t0 = System.nanoTime();
        first.close();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(JobResult.Outcome.STOPPED);
            assertThat(r.error()).contains("stopped by shutdown");
        });
        try (Repository repo = Repository.open(temp.resolve("repo").toString())) {
            assertThat(repo.snapshots()).as("nothing committed").isEmpty();
        } catch (com.mintreplica.backup.core.NotFoundException noRepositoryYet) {
            // the run was stopped before it created the repository: nothing committed either
        }

        // Another replica does not wait for the lease to expire: the slot was given up.
        results.clear();
        JobScheduler second = JobScheduler.builder(config).clock(clock).listener(recorder()).build();
        for (var f : second.tick()) {
            f.get();
        }
        second.close();
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(JobResult.Outcome.SUCCEEDED);
            assertThat(r.slot()).isEqualTo(Instant.parse("2026-11-24T01:00:00Z"));
        });
    }
}
