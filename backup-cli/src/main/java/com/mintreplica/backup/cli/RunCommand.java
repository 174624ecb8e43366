package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "run", description = {"Run the config's jobs once, now: for system cron (0 1 * * * mint-backup run --config F).",
    "A scheduled job runs its newest slot unless that slot was run already, here or by another replica (--force runs"
        + " it anyway). Exits 1 when a job failed."})
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Option(names = "--config", required = true, paramLabel = "F", description = "The jobs config (YAML).")
    Path config;

    @Option(names = "--job", paramLabel = "NAME", description = "Run only this job (repeatable; _prune-REPOSITORY is a"
            + " repository's scheduled prune). Default: every job, then the prunes.")
    List<String> jobs = new ArrayList<>();

    @Option(names = "--force", description = "Run even when the job's newest slot was run already.")
    boolean force;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    @Override
    public Integer call() {
        JobsConfig cfg = JobsSupport.load(config);
        boolean failed = false;
        List<Map<String, Object>> out = new ArrayList<>();
        try (JobScheduler scheduler = JobsSupport.scheduler(root, cfg).build()) {
            List<String> names = jobs.isEmpty() ? scheduler.names() : jobs;
            for (String name : names) {
                if (!scheduler.names().contains(name)) {
                    // before anything runs, naming what there is: jobs, scheduled prunes and drills
                    throw new com.mintreplica.backup.core.NotFoundException("no job '" + name + "' in " + config
                            + ": jobs are " + scheduler.names());
                }
            }
            for (String name : names) {
                JobResult r = scheduler.runNow(name, force);
                failed |= r.outcome() == JobResult.Outcome.FAILED || r.outcome() == JobResult.Outcome.STOPPED;
                if (json) {
                    out.add(result(r));
                } else {
                    print(r);
                }
            }
        }
        if (json) {
            root.out.println(Json.write(out));
        }
        return failed ? MintBackup.FAILED : MintBackup.OK;
    }

    private void print(JobResult r) {
        switch (r.outcome()) {
            case SUCCEEDED -> {
                if (!root.quiet && r.job().startsWith(com.mintreplica.backup.jobs.DrillRunner.SCHEDULED_PREFIX)) {
                    root.out.printf("job %s: drill passed, snapshot %s restored (%s) and removed in %s%n", r.job(),
                            r.snapshot().orElse("-"), Format.bytes(r.bytes()), Format.duration(r.duration()));
                } else if (!root.quiet && r.job().startsWith(com.mintreplica.backup.jobs.JobRunner.PRUNE_PREFIX)) {
                    // a prune's bytes are those it freed; rewriting the index can make that a little below zero
                    root.out.printf("job %s: pruned, %s freed in %s%n", r.job(), Format.bytes(Math.max(0, r.bytes())),
                            Format.duration(r.duration()));
                } else if (!root.quiet) {
                    root.out.printf("job %s: snapshot %s, %s read in %s%s%n", r.job(), r.snapshot().orElse("-"),
                            Format.bytes(r.bytes()), Format.duration(r.duration()),
                            r.copies().isEmpty() ? "" : ", copied to " + String.join(", ", r.copies()));
                }
            }
            case SKIPPED -> {
                if (!root.quiet) {
                    root.out.printf("job %s: skipped: %s%n", r.job(), r.error().orElse(""));
                }
            }
            default -> root.err.printf("job %s %s: %s%n", r.job(), r.outcome().name().toLowerCase(java.util.Locale.ROOT),
                    r.error().orElse("no reason recorded"));
        }
    }

    static Map<String, Object> result(JobResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job", r.job());
        m.put("slot", r.slot().toString());
        m.put("host", r.host());
        m.put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
        m.put("snapshot", r.snapshot().orElse(null));
        m.put("bytes", r.bytes());
        m.put("started", r.started().toString());
        m.put("finished", r.finished().toString());
        m.put("error", r.error().orElse(null));
        m.put("copies", r.copies());
        return m;
    }
}
