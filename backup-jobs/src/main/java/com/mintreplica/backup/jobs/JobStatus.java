package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.internal.Redactor;
import com.mintreplica.backup.jobs.internal.RunClaims;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How one job stands, read from its repository (so every replica sees the same): its last run and result, its next
 * slot, and the age of its newest snapshot, with a warning when that snapshot is older than the schedule allows (a
 * backup that silently stopped is the worst failure).
 *
 * <p>The rule: once a slot is older than the job's grace ({@code alertAfter}; by default half the time between slots,
 * at least 10 minutes and at most 2 hours), a snapshot taken at or after that slot must exist. So an hourly job warns
 * when its 13:00 snapshot is still missing at 13:30, and a daily job at 01:00 warns at 03:00 the same night, not a day
 * later.
 *
 * @param job the job's name
 * @param schedule its cron expression and zone, when it has one
 * @param lastRun its newest run record (any replica's)
 * @param nextRun its next slot after now
 * @param lastGood the id of its newest snapshot
 * @param lastGoodTime when that snapshot was taken
 * @param warnings what needs attention; empty when all is well
 */
public record JobStatus(String job, Optional<String> schedule, Optional<JobResult> lastRun, Optional<Instant> nextRun,
                        Optional<String> lastGood, Optional<Instant> lastGoodTime, List<String> warnings) {
    public JobStatus {
        Objects.requireNonNull(job, "job");
        warnings = List.copyOf(warnings);
    }

    /** How old the newest snapshot is at {@code now}. */
    public Optional<Duration> age(Instant now) {
        return lastGoodTime.map(t -> Duration.between(t, now));
    }

    public boolean ok() {
        return warnings.isEmpty();
    }

    /**
     * The status of everything {@code runner}'s config schedules, at {@code clock}'s time: every job, then each
     * repository's scheduled prune ({@code _prune-<repository>}), then each scheduled drill ({@code _drill-<drill>}):
     * the names {@link JobScheduler#runNow} takes.
     */
    public static List<JobStatus> check(JobRunner runner, Clock clock) {
        Instant now = clock.instant();
        List<JobStatus> out = new ArrayList<>();
        for (JobConfig job : runner.config().jobs().values()) {
            out.add(check(runner, job, now));
        }
        for (RepositoryConfig repository : runner.config().repositories().values()) {
            if (repository.prune().isPresent()) {
                out.add(check(runner, repository, now));
            }
        }
        for (DrillConfig drill : runner.config().drills().values()) {
            if (drill.schedule().isPresent()) {
                out.add(check(runner, drill, now));
            }
        }
        return out;
    }

    /**
     * The status of {@code repository}'s scheduled prune ({@code _prune-<repository>}) at {@code now}: its last run
     * (a warning when it failed) and its next slot. A prune makes no snapshot, so there is no age to check.
     */
    public static JobStatus check(JobRunner runner, RepositoryConfig repository, Instant now) {
        String name = JobRunner.PRUNE_PREFIX + repository.name();
        List<String> warnings = new ArrayList<>();
        Optional<JobResult> lastRun = Optional.empty();
        Redactor redactor = new Redactor();
        try (Sink sink = Sinks.open(repository.location())) {
            lastRun = new RunClaims(sink, name, Clock.fixed(now, java.time.ZoneOffset.UTC), runner.config().lease(),
                    "status", runner.host()).history().stream().max(Comparator.comparing(JobResult::finished));
        } catch (Exception e) {
            warnings.add("cannot read its repository " + Sinks.redact(repository.location()) + ": " + redactor.message(e));
        }
        lastRun.filter(r -> r.outcome() == JobResult.Outcome.FAILED)
                .ifPresent(r -> warnings.add("its last prune (" + r.slot() + " on " + r.host() + ") failed: "
                        + r.error().orElse("no reason recorded")));
        return new JobStatus(name, repository.prune().map(CronSchedule::toString), lastRun,
                repository.prune().map(s -> s.next(now)), Optional.empty(), Optional.empty(), warnings);
    }

    /** The status of {@code job} at {@code now}. */
    public static JobStatus check(JobRunner runner, JobConfig job, Instant now) {
        List<String> warnings = new ArrayList<>();
        Optional<JobResult> lastRun = Optional.empty();
        Optional<Good> lastGood = Optional.empty();
        Redactor redactor = new Redactor();
        String location = runner.config().repository(job.repository()).location();
        try (Sink sink = Sinks.open(location)) {
            List<JobResult> history = new RunClaims(sink, job.name(), Clock.fixed(now, java.time.ZoneOffset.UTC), runner.config().lease(), "status",
                    runner.host()).history();
            lastRun = history.stream().max(Comparator.comparing(JobResult::finished));
            if (com.mintreplica.backup.jobs.config.JobsConfig.writeOnly(runner.config().repository(job.repository()))) {
                // A write-only host cannot read snapshots: its run records say what it committed, and when.
                lastGood = history.stream().filter(r -> r.succeeded() && r.snapshot().isPresent())
                        .max(Comparator.comparing(JobResult::finished))
                        .map(r -> new Good(r.snapshot().get(), timeOf(r.snapshot().get()).orElse(r.started())));
            } else if (Repository.exists(sink)) {
                try (Repository repo = runner.openRepository(runner.config().repository(job.repository()), sink, redactor)) {
                    lastGood = repo.snapshots().stream().filter(s -> s.job().filter(job.name()::equals).isPresent())
                            .max(Comparator.comparing(Snapshot::time)).map(s -> new Good(s.id(), s.time()));
                }
            }
        } catch (Exception e) {
            warnings.add("cannot read its repository " + Sinks.redact(location) + ": " + redactor.message(e));
        }
        lastRun.filter(r -> r.outcome() == JobResult.Outcome.FAILED)
                .ifPresent(r -> warnings.add("its last run (" + r.slot() + " on " + r.host() + ") failed: "
                        + r.error().orElse("no reason recorded")));
        Optional<Instant> next = job.schedule().map(s -> s.next(now));
        if (job.schedule().isPresent()) {
            CronSchedule schedule = job.schedule().get();
            Instant latest = schedule.previousOrSame(now);
            Duration gap = Duration.between(schedule.previousOrSame(latest.minusSeconds(1)), latest);
            Duration grace = job.alertAfter().orElse(clamp(gap.dividedBy(2), Duration.ofMinutes(10), Duration.ofHours(2)));
            Instant expected = latest; // the newest slot whose grace has passed
            for (int i = 0; i < 10_000 && expected.plus(grace).isAfter(now); i++) {
                expected = schedule.previousOrSame(expected.minusSeconds(1));
            }
            if (lastGood.isEmpty()) {
                warnings.add("it has no snapshot yet; the run of " + expected + " should have made one by " + expected.plus(grace));
            } else if (lastGood.get().time().isBefore(expected)) {
                warnings.add("its newest snapshot is " + words(Duration.between(lastGood.get().time(), now))
                        + " old: the run of " + expected + " should have made one by " + expected.plus(grace));
            }
        }
        continuity(runner, job, now).ifPresent(c -> c.findings().stream()
                .filter(f -> f.severity() != Preflight.Severity.OK)
                .forEach(f -> warnings.add(f.check() + ": " + redactor.redact(f.message()))));
        return new JobStatus(job.name(), job.schedule().map(CronSchedule::toString), lastRun, next,
                lastGood.map(Good::id), lastGood.map(Good::time), warnings);
    }

    /**
     * How continuous archiving of {@code job}'s source stands at {@code now}, when its kind checks it and its options
     * ask for it (PostgreSQL: {@code wal-stall-after}): WAL archiving stalled or failing on the server, nothing new in
     * the repository. Empty too when the repository or the job's secrets cannot be read (status and doctor report
     * that themselves).
     */
    public static Optional<Preflight.Continuity> continuity(JobRunner runner, JobConfig job, Instant now) {
        Optional<SourceProvider> provider = com.mintreplica.backup.jobs.config.JobsConfig.providerOf(job);
        Optional<Preflight> preflight = provider.flatMap(SourceProvider::preflight);
        if (preflight.isEmpty() || job.source().location().isEmpty()) {
            return Optional.empty();
        }
        Redactor redactor = new Redactor();
        String location = runner.config().repository(job.repository()).location();
        try (Sink sink = Sinks.open(location)) {
            Map<String, String> env = runner.environment(provider.get(), job.source().environment(),
                    job.source().password(), "jobs." + job.name() + ".source", redactor);
            try (Repository repo = runner.openJobRepository(job.name(), sink)) {
                return preflight.get().continuity(Sources.toUri(job.source().location().get()), job.source().options(),
                        env, repo, job.name(), now);
            }
        } catch (Exception e) {
            // The repository or the job's secrets cannot be read: status and doctor say so on their own.
            return Optional.empty();
        }
    }

    private record Good(String id, Instant time) {
    }

    /** The time a snapshot id starts with ({@code yyyyMMdd-HHmmss}, UTC). */
    private static Optional<Instant> timeOf(String snapshotId) {
        try {
            return Optional.of(java.time.LocalDateTime.parse(snapshotId.substring(0, 15),
                    java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")).toInstant(java.time.ZoneOffset.UTC));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * How the scheduled drill {@code drill} stands at {@code now}, read from its job's repository: its newest run
     * record (named {@code _drill-<drill>}, any replica's) and its next slot, with a warning when that run failed
     * (a backup that cannot be restored is no backup). {@code lastGood} is the snapshot the last passing drill
     * restored. A drill without a schedule leaves no run record: its status has no last run.
     */
    public static JobStatus check(JobRunner runner, DrillConfig drill, Instant now) {
        String name = DrillRunner.SCHEDULED_PREFIX + drill.name();
        List<String> warnings = new ArrayList<>();
        Optional<JobResult> lastRun = Optional.empty();
        Redactor redactor = new Redactor();
        JobConfig job = runner.config().job(drill.job());
        String location = runner.config().repository(job.repository()).location();
        try (Sink sink = Sinks.open(location)) {
            lastRun = new RunClaims(sink, name, Clock.fixed(now, java.time.ZoneOffset.UTC), runner.config().lease(),
                    "status", runner.host()).history().stream().max(Comparator.comparing(JobResult::finished));
        } catch (Exception e) {
            warnings.add("cannot read its repository " + Sinks.redact(location) + ": " + redactor.message(e));
        }
        lastRun.filter(r -> r.outcome() == JobResult.Outcome.FAILED)
                .ifPresent(r -> warnings.add("its last drill (" + r.slot() + " on " + r.host() + ") failed: "
                        + r.error().orElse("no reason recorded")));
        Optional<JobResult> passed = lastRun.filter(JobResult::succeeded);
        return new JobStatus(name, drill.schedule().map(CronSchedule::toString), lastRun,
                drill.schedule().map(s -> s.next(now)), passed.flatMap(JobResult::snapshot), Optional.empty(), warnings);
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }

    /** {@code 2d 3h}, {@code 5h 12m}, {@code 42m}, {@code 30s}. */
    public static String words(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s >= 86_400) {
            return s / 86_400 + "d " + (s % 86_400) / 3600 + "h";
        }
        if (s >= 3600) {
            return s / 3600 + "h " + (s % 3600) / 60 + "m";
        }
        if (s >= 60) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
