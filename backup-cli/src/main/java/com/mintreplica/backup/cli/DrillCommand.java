package com.mintreplica.backup.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mintreplica.backup.jobs.DrillReport;
import com.mintreplica.backup.jobs.DrillRunner;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "drill", description = {"Restore drills: restore the latest snapshot of each job into a scratch target"
        + " (a new directory; a new database on the job's server or the drill's), check it, and remove the scratch"
        + " target again.",
    "Reports pass or fail per check, the restore time (RTO) and the snapshot's age (RPO); appends a drill line to the"
        + " audit log. Exits 1 when a drill failed."})
final class DrillCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Option(names = "--config", required = true, paramLabel = "F", description = "The jobs config (YAML).")
    Path config;

    @Option(names = "--job", paramLabel = "NAME", description = "Drill only this job (repeatable): its drills from the"
            + " config, or one with the defaults. Default: every job.")
    List<String> jobs = new ArrayList<>();

    @Option(names = "--drill", paramLabel = "NAME", description = "Run only this drill of the config (repeatable).")
    List<String> drills = new ArrayList<>();

    @Option(names = "--temp-dir", paramLabel = "DIR", description = "Where scratch directories (of drills without a"
            + " target) and temporary files go. Default: the system's temporary directory.")
    Path tempDir;

    @Option(names = "--json", description = "Print the reports as a JSON array.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        JobsConfig cfg = JobsSupport.load(config);
        DrillRunner.Builder b = DrillRunner.builder(cfg).environment(root.env).host(JobsSupport.host()).user(JobsSupport.user());
        RepositoryOptions.envCacheDirectory(root).ifPresent(b::cacheDirectory);
        if (tempDir != null) {
            b.tempDir(tempDir);
        }
        DrillRunner runner = b.build();
        for (String job : jobs) {
            cfg.job(job); // an unknown name fails before anything runs, naming the jobs there are
        }
        for (String drill : drills) {
            if (!cfg.drills().containsKey(drill)) {
                runner.run(drill); // throws, naming the drills there are
            }
        }
        List<DrillReport> reports = new ArrayList<>();
        if (jobs.isEmpty() && drills.isEmpty()) {
            reports.addAll(runner.runAll());
        }
        for (String job : jobs) {
            reports.addAll(runner.runForJob(job));
        }
        for (String drill : drills) {
            reports.add(runner.run(drill));
        }
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            List<Object> out = new ArrayList<>();
            for (DrillReport r : reports) {
                out.add(mapper.readTree(r.toJson()));
            }
            root.out.println(Json.write(out));
        } else {
            for (DrillReport r : reports) {
                (r.passed() ? root.out : root.err).print(r.summary());
            }
        }
        return reports.stream().allMatch(DrillReport::passed) ? MintBackup.OK : MintBackup.FAILED;
    }
}
