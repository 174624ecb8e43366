package com.mintreplica.backup.jobs;

import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * One replica of the app for {@link ClusterIT}: a scheduler with a job every 10 minutes on a shared repository, on a
 * clock that runs {@code scale} times faster than real time from a start both replicas agree on. Each run backs up for
 * real, then takes 3 simulated minutes. Prints {@code START slot} and {@code END slot outcome} lines; runs until
 * killed.
 */
public final class ClusterWorker {
    private ClusterWorker() {
    }

    /** Simulated time: {@code simStart + (now - realStart) * scale}. */
    static final class ScaledClock extends Clock {
        private final Instant simStart;
        private final long realStart;
        private final long scale;

        ScaledClock(Instant simStart, long realStartMillis, long scale) {
            this.simStart = simStart;
            this.realStart = realStartMillis;
            this.scale = scale;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return simStart.plusMillis((System.currentTimeMillis() - realStart) * scale);
        }
    }

    static JobsConfig config(Path repo, Path data) {
        return JobsConfig.builder()
                .lease(Duration.ofMinutes(2))
                .repository(RepositoryConfig.of("shared", repo.toString()))
                .job(JobConfig.builder("every10").source(SourceConfig.paths(data).build()).repository("shared")
                        .schedule(CronSchedule.parse("*/10 * * * *")).build())
                .build();
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]);
        Path data = Path.of(args[1]);
        String name = args[2];
        ScaledClock clock = new ScaledClock(Instant.parse(args[3]), Long.parseLong(args[4]), Long.parseLong(args[5]));
        JobsConfig config = config(repo, data);
        JobRunner runner = JobRunner.builder(config).clock(clock).host(name).build();
        JobScheduler scheduler = JobScheduler.builder(config).clock(clock).host(name).tickEvery(Duration.ofMillis(50))
                .action((job, slot) -> {
                    say("START " + slot + " " + clock.instant());
                    // The long part of a backup, reading, comes before its commit: a replica killed here leaves no snapshot.
                    Instant end = clock.instant().plus(Duration.ofMinutes(3));
                    while (clock.instant().isBefore(end)) {
                        Thread.sleep(10);
                    }
                    JobResult result = runner.run(job, slot);
                    say("END " + slot + " " + result.outcome() + " " + result.snapshot().orElse("-"));
                    return result;
                }).build();
        scheduler.start();
        say("READY " + ProcessHandle.current().pid());
        Thread.sleep(Long.MAX_VALUE);
    }
}
