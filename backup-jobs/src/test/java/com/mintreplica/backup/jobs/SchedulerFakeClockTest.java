package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler on a fake clock. Each run is a real backup of a small directory into a local repository, followed by
 * a simulated duration: the run's thread waits until the test has moved the clock past its end, so runs really are in
 * progress while later slots come due.
 */
class SchedulerFakeClockTest {
    static final Instant START = Instant.parse("2026-11-24T00:30:00Z");

    @TempDir
    Path temp;
    FakeClock clock;
    JobsConfig config;
    final List<Run> runs = Collections.synchronizedList(new ArrayList<>());
    final Map<Instant, Instant> waiting = new ConcurrentHashMap<>();
    final AtomicInteger concurrent = new AtomicInteger();
    final AtomicInteger maxConcurrent = new AtomicInteger();
    final List<Future<JobResult>> pending = new ArrayList<>();
    JobScheduler scheduler;

    record Run(Instant slot, Instant start, Instant end) {
    }

    @BeforeEach
    void setUp() throws Exception {
        clock = new FakeClock(START);
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("app.yaml"), "db: postgresql://db/mint\n");
        config = config("0 * * * *", Duration.ZERO);
    }

    JobsConfig config(String cron, Duration jitter) {
        return JobsConfig.builder()
                .lease(Duration.ofHours(2)) // the clock moves in 10-minute steps
                .repository(RepositoryConfig.of("primary", temp.resolve("repo").toString()))
                .job(JobConfig.builder("hourly").source(SourceConfig.paths(temp.resolve("data")).build()).repository("primary")
                        .schedule(CronSchedule.parse(cron)).jitter(jitter).host("app").build())
                .build();
    }

    @AfterEach
    void tearDown() {
        if (scheduler != null) {
            clock.advance(Duration.ofHours(3)); // a run in progress ends, so close() need not wait for it
            scheduler.close();
        }
    }

    /** A scheduler whose runs back up for real, then take {@code duration(slot)} of simulated time. */
    JobScheduler scheduler(JobsConfig cfg, Function<Instant, Duration> duration) {
        JobRunner real = JobRunner.builder(cfg).clock(clock).host("test-host").build();
        return JobScheduler.builder(cfg).clock(clock).host("test-host").random(new Random(7)).shutdownTimeout(Duration.ofSeconds(20)).action((job, slot) -> {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            try {
                Instant start = clock.instant();
                JobResult result = real.run(job, slot);
                assertThat(result.succeeded()).as(result.toString()).isTrue();
                Instant end = start.plus(duration.apply(slot));
                runs.add(new Run(slot, start, end));
                waiting.put(slot, end);
                while (clock.instant().isBefore(end)) {
                    Thread.sleep(1);
                }
                waiting.remove(slot);
                return result;
            } finally {
                concurrent.decrementAndGet();
            }
        }).build();
    }

    /** Moves the clock, runs one round, and waits until every run is either done or waiting for a later time. */
    void step(Duration d) throws Exception {
        clock.advance(d);
        settle(); // runs whose end has passed finish before the round, as they would have in real time
        pending.addAll(scheduler.tick());
        settle();
    }

    void settle() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            pending.removeIf(Future::isDone);
            boolean allWaiting = pending.size() == waiting.size()
                    && waiting.values().stream().allMatch(end -> end.isAfter(clock.instant()));
            if (allWaiting) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("runs did not settle: " + pending.size() + " pending, waiting " + waiting);
            }
            Thread.sleep(1);
        }
        // Let a run that was just released by the clock finish recording before the next round.
        for (Future<JobResult> f : List.copyOf(pending)) {
            if (f.isDone()) {
                f.get();
            }
        }
    }

    void runFor(Duration total, Duration step) throws Exception {
        for (Duration passed = Duration.ZERO; passed.compareTo(total) < 0; passed = passed.plus(step)) {
            step(step);
        }
    }

    List<Snapshot> snapshots() {
        try (Repository repo = Repository.open(temp.resolve("repo").toString())) {
            return repo.snapshots();
        }
    }

    @Test
    void an_hourly_job_over_three_days_runs_72_times_never_overlapping() throws Exception {
        // Runs take 50 to 59 minutes: each is still running at the round before the next slot.
        scheduler = scheduler(config, slot -> Duration.ofMinutes(50 + slot.atZone(java.time.ZoneOffset.UTC).getHour() % 10));
        runFor(Duration.ofDays(3), Duration.ofMinutes(10));

        assertThat(runs).hasSize(72);
        assertThat(maxConcurrent.get()).isEqualTo(1);
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            assertThat(r.slot()).isEqualTo(Instant.parse("2026-11-24T01:00:00Z").plus(Duration.ofHours(i)));
            assertThat(r.start()).isBetween(r.slot(), r.slot().plus(Duration.ofMinutes(10)));
            if (i > 0) {
                assertThat(r.start()).as("run %d starts after run %d ended", i, i - 1).isAfterOrEqualTo(runs.get(i - 1).end());
            }
        }
        List<Snapshot> snapshots = snapshots();
        assertThat(snapshots).hasSize(72);
        assertThat(snapshots).allSatisfy(s -> {
            assertThat(s.job()).contains("hourly");
            assertThat(s.host()).isEqualTo("app");
        });
    }

    @Test
    void a_slot_that_comes_while_the_job_runs_is_not_started_beside_it_and_runs_once_after() throws Exception {
        Instant longRun = Instant.parse("2026-11-24T03:00:00Z");
        scheduler = scheduler(config, slot -> slot.equals(longRun) ? Duration.ofMinutes(150) : Duration.ofMinutes(20));
        runFor(Duration.ofHours(8), Duration.ofMinutes(10));

        assertThat(maxConcurrent.get()).isEqualTo(1);
        List<Instant> slots = runs.stream().map(Run::slot).toList();
        // 03:00 runs until 05:30: the 04:00 slot is skipped, the 05:00 slot runs once, right after.
        assertThat(slots).containsExactly(
                Instant.parse("2026-11-24T01:00:00Z"), Instant.parse("2026-11-24T02:00:00Z"), longRun,
                Instant.parse("2026-11-24T05:00:00Z"), Instant.parse("2026-11-24T06:00:00Z"),
                Instant.parse("2026-11-24T07:00:00Z"), Instant.parse("2026-11-24T08:00:00Z"));
        Run afterLong = runs.get(3);
        assertThat(afterLong.start()).isAfterOrEqualTo(runs.get(2).end()).isBefore(runs.get(2).end().plus(Duration.ofMinutes(11)));
    }

    @Test
    void after_a_five_hour_outage_the_missed_slots_run_once() throws Exception {
        scheduler = scheduler(config, slot -> Duration.ofMinutes(15));
        runFor(Duration.ofHours(5), Duration.ofMinutes(10)); // 00:30 -> 05:30: slots 01:00 .. 05:00
        assertThat(runs).hasSize(5);
        scheduler.close(); // the process stops
        scheduler = null;

        clock.advance(Duration.ofHours(5).plusMinutes(15)); // 10:45: slots 06:00 .. 10:00 were missed
        scheduler = scheduler(config, slot -> Duration.ofMinutes(15)); // a new process, same repository
        runFor(Duration.ofMinutes(60), Duration.ofMinutes(10)); // to 11:45

        List<Instant> slots = runs.stream().map(Run::slot).toList();
        assertThat(slots.subList(5, slots.size())).containsExactly(
                Instant.parse("2026-11-24T10:00:00Z"), Instant.parse("2026-11-24T11:00:00Z"));
        assertThat(runs.get(5).start()).isEqualTo(Instant.parse("2026-11-24T10:55:00Z"));
        assertThat(snapshots()).hasSize(7);
    }

    @Test
    void a_machine_that_sleeps_through_slots_runs_the_newest_once_when_it_wakes() throws Exception {
        scheduler = scheduler(config, slot -> Duration.ofMinutes(5));
        runFor(Duration.ofHours(2), Duration.ofMinutes(10)); // slots 01:00, 02:00
        step(Duration.ofHours(5)); // suspended: 02:30 -> 07:30
        runFor(Duration.ofMinutes(20), Duration.ofMinutes(10));
        assertThat(runs.stream().map(Run::slot).toList()).containsExactly(Instant.parse("2026-11-24T01:00:00Z"),
                Instant.parse("2026-11-24T02:00:00Z"), Instant.parse("2026-11-24T07:00:00Z"));
    }

    @Test
    void a_job_that_never_ran_waits_for_its_first_slot() throws Exception {
        scheduler = scheduler(config("0 6 * * *", Duration.ZERO), slot -> Duration.ofMinutes(5));
        runFor(Duration.ofHours(5), Duration.ofMinutes(10)); // 00:30 -> 05:30
        assertThat(runs).isEmpty();
        runFor(Duration.ofHours(1), Duration.ofMinutes(10));
        assertThat(runs).extracting(Run::slot).containsExactly(Instant.parse("2026-11-24T06:00:00Z"));
    }

    @Test
    void jitter_delays_each_start_by_less_than_its_bound_and_not_always_the_same() throws Exception {
        scheduler = scheduler(config("0 * * * *", Duration.ofMinutes(20)), slot -> Duration.ofMinutes(5));
        runFor(Duration.ofHours(12), Duration.ofMinutes(1));
        assertThat(runs).hasSize(12);
        List<Duration> delays = runs.stream().map(r -> Duration.between(r.slot(), r.start())).toList();
        assertThat(delays).allSatisfy(d -> assertThat(d).isBetween(Duration.ZERO, Duration.ofMinutes(20)));
        assertThat(delays.stream().distinct().count()).isGreaterThan(3);
    }
}
