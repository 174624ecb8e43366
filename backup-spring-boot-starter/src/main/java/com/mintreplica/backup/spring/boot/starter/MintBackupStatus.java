package com.mintreplica.backup.spring.boot.starter;

import com.mintreplica.backup.jobs.DrillRunner;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.jobs.JobStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How the jobs and the scheduled drills stand, read from their repositories ({@link JobStatus}), as the health
 * indicator and the {@code mintbackup} endpoint show it: plain maps of text, so any JSON writer renders them.
 */
public final class MintBackupStatus {
    private final JobRunner runner;
    private final JobScheduler scheduler;
    private final Clock clock;

    public MintBackupStatus(JobRunner runner, JobScheduler scheduler, Clock clock) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Every job's status, then every scheduled prune's and every scheduled drill's, at the clock's time. */
    public List<JobStatus> check() {
        return JobStatus.check(runner, clock);
    }

    /** {@code status} as a map: kind, ok, schedule, repository, running, next run, last run, latest snapshot, warnings. */
    public Map<String, Object> describe(JobStatus status) {
        Instant now = clock.instant();
        Map<String, Object> m = new LinkedHashMap<>();
        boolean drill = status.job().startsWith(DrillRunner.SCHEDULED_PREFIX);
        boolean prune = status.job().startsWith(JobRunner.PRUNE_PREFIX);
        m.put("kind", drill ? "drill" : prune ? "prune" : "job");
        m.put("status", status.ok() ? "OK" : "ATTENTION");
        status.schedule().ifPresent(s -> m.put("schedule", s));
        if (prune) {
            m.put("repository", status.job().substring(JobRunner.PRUNE_PREFIX.length()));
        } else if (!drill) {
            m.put("repository", runner.config().job(status.job()).repository());
        }
        m.put("running", scheduler.names().contains(status.job()) && scheduler.isRunning(status.job()));
        status.nextRun().ifPresent(t -> m.put("nextRun", t.toString()));
        status.lastRun().ifPresent(r -> m.put("lastRun", run(r)));
        status.lastGood().ifPresent(id -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("id", id);
            status.lastGoodTime().ifPresent(t -> {
                s.put("time", t.toString());
                s.put("age", JobStatus.words(java.time.Duration.between(t, now)));
            });
            m.put(drill ? "lastDrilledSnapshot" : "latestSnapshot", s);
        });
        m.put("warnings", status.warnings());
        return m;
    }

    private static Map<String, Object> run(JobResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("slot", r.slot().toString());
        m.put("host", r.host());
        m.put("started", r.started().toString());
        m.put("finished", r.finished().toString());
        m.put("outcome", r.outcome().name());
        r.snapshot().ifPresent(s -> m.put("snapshot", s));
        m.put("bytes", r.bytes());
        r.error().ifPresent(e -> m.put("error", e));
        if (!r.copies().isEmpty()) {
            m.put("copies", r.copies());
        }
        return m;
    }
}
