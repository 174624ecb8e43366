package com.mintreplica.backup.jobs;

import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * One replica of the app for {@link ClusterIT}: a scheduler with a job every 10 minutes on a shared repository, on a
 * simulated clock that the test moves (a file both replicas read). Each run reads for 3 simulated minutes, then backs
 * up for real. Prints {@code START slot time}, {@code COMMIT slot time} (reading is over, the backup starts) and
 * {@code END slot outcome snapshot} lines; runs until killed.
 */
public final class ClusterWorker {
    static final Duration READING = Duration.ofMinutes(3);

    private ClusterWorker() {
    }

    /**
     * Simulated time: the instant written in a file, which only the test changes (atomically). The replicas' time thus
     * never runs ahead of what the test has checked, however slow the machine: a stalled JVM cannot let a lease expire.
     */
    static final class FileClock extends Clock {
        private final Path file;

        FileClock(Path file) {
            this.file = file;
        }

        /** Sets the time of every FileClock reading {@code file}. */
        static void set(Path file, Instant time) {
            try {
                Path temp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.writeString(temp, time.toString(), StandardCharsets.UTF_8);
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
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
            try {
                return Instant.parse(Files.readString(file, StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
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
        FileClock clock = new FileClock(Path.of(args[3]));
        JobsConfig config = config(repo, data);
        JobRunner runner = JobRunner.builder(config).clock(clock).host(name).build();
        JobScheduler scheduler = JobScheduler.builder(config).clock(clock).host(name).tickEvery(Duration.ofMillis(50))
                .action((job, slot) -> {
                    Instant start = clock.instant();
                    say("START " + slot + " " + start);
                    // The long part of a backup, reading, comes before its commit: a replica killed here leaves no snapshot.
                    Instant end = start.plus(READING);
                    while (clock.instant().isBefore(end)) {
                        Thread.sleep(10);
                    }
                    say("COMMIT " + slot + " " + clock.instant());
                    JobResult result = runner.run(job, slot);
                    say("END " + slot + " " + result.outcome() + " " + result.snapshot().orElse("-"));
                    return result;
                }).build();
        scheduler.start();
        say("READY " + ProcessHandle.current().pid());
        Thread.sleep(Long.MAX_VALUE);
    }
}
