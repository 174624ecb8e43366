package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.JobStatus;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "status", description = {"Per job: the last run and its result, the next run, the age of the newest snapshot;"
        + " the same for each scheduled prune (_prune-REPOSITORY) and drill (_drill-NAME), without the age.",
    "Warns (and exits 1) when a job's newest snapshot is older than its schedule allows, or its last run failed:"
        + " for monitoring."})
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Option(names = "--config", required = true, paramLabel = "F", description = "The jobs config (YAML).")
    Path config;

    @Option(names = "--json", description = "Print the status as JSON.")
    boolean json;

    @Override
    public Integer call() {
        JobsConfig cfg = JobsSupport.load(config);
        Clock clock = Clock.systemUTC();
        Instant now = clock.instant();
        List<JobStatus> statuses = JobStatus.check(JobsSupport.runner(root, cfg), clock);
        boolean warned = statuses.stream().anyMatch(s -> !s.ok());
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (JobStatus s : statuses) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("job", s.job());
                m.put("schedule", s.schedule().orElse(null));
                m.put("lastRun", s.lastRun().map(RunCommand::result).orElse(null));
                m.put("nextRun", s.nextRun().map(Instant::toString).orElse(null));
                m.put("lastSnapshot", s.lastGood().orElse(null));
                m.put("lastSnapshotTime", s.lastGoodTime().map(Instant::toString).orElse(null));
                m.put("ageSeconds", s.age(now).map(d -> d.getSeconds()).orElse(null));
                m.put("warnings", s.warnings());
                out.add(m);
            }
            root.out.println(Json.write(out));
        } else {
            root.out.printf("%-20s %-28s %-9s %-20s %s%n", "JOB", "LAST RUN", "RESULT", "NEXT RUN", "NEWEST SNAPSHOT");
            for (JobStatus s : statuses) {
                root.out.printf("%-20s %-28s %-9s %-20s %s%n", s.job(),
                        s.lastRun().map(r -> Format.time(r.started()) + " " + r.host()).orElse("never"),
                        s.lastRun().map(r -> r.outcome().name().toLowerCase(java.util.Locale.ROOT)).orElse("-"),
                        s.nextRun().map(Format::time).orElse("by hand"),
                        newest(s, now));
            }
            for (JobStatus s : statuses) {
                for (String w : s.warnings()) {
                    root.err.println("warning: job " + s.job() + ": " + w);
                }
            }
        }
        return warned ? MintBackup.FAILED : MintBackup.OK;
    }

    /** The newest snapshot's age and id; a drill's, the snapshot it restored; a scheduled prune makes none. */
    private static String newest(JobStatus s, Instant now) {
        if (s.job().startsWith(com.mintreplica.backup.jobs.JobRunner.PRUNE_PREFIX)) {
            return "-";
        }
        if (s.lastGood().isEmpty()) {
            return "none";
        }
        return s.age(now).map(age -> JobStatus.words(age) + " old (" + s.lastGood().get() + ")")
                .orElse("drilled " + s.lastGood().get());
    }
}
