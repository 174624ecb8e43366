package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.audit.AuditReport;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** The audit log. */
@Command(name = "audit", description = "Check the audit log.", subcommands = AuditCommand.Verify.class)
final class AuditCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Override
    public Integer call() {
        root.err.println("mint-backup audit: give a subcommand: verify");
        return MintBackup.USAGE;
    }

    @Command(name = "verify", description = {"Check that no line of the audit log was edited, removed or moved.",
        "With the config's repositories (or --repo), also compare the file with the copies of its lines stored there,"
            + " which finds a cut-off end. Exits 1 when a problem is found."})
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;

        @Option(names = "--config", paramLabel = "F", description = "The jobs config: its audit file and repositories.")
        Path config;

        @Option(names = "--file", paramLabel = "F", description = "The audit log file (default: the config's, or $"
                + CliAudit.ENV + ").")
        Path file;

        @Option(names = "--repo", paramLabel = "R", description = "A repository holding copies of the lines (repeatable).")
        List<String> repos = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            MintBackup root = parent.root;
            Path log = file;
            List<String> locations = new ArrayList<>(repos);
            if (config != null) {
                JobsConfig cfg = JobsSupport.load(config);
                if (log == null) {
                    log = cfg.audit().file().orElseThrow(() -> new InvalidInputException(config
                            + " configures no audit file (audit.file): give --file F"));
                }
                if (cfg.audit().repository() && repos.isEmpty()) {
                    cfg.repositories().values().forEach(r -> locations.add(r.location()));
                }
            }
            if (log == null) {
                log = CliAudit.file(root).orElseThrow(() -> new InvalidInputException(
                        "which audit log? give --config F, --file F or set " + CliAudit.ENV));
            }
            List<AuditReport> reports = new ArrayList<>();
            if (locations.isEmpty()) {
                reports.add(AuditLog.verify(log));
            }
            for (String location : locations) {
                try (Sink sink = Sinks.open(location)) {
                    reports.add(AuditLog.verify(log, sink));
                }
            }
            int problems = 0;
            for (AuditReport report : reports) {
                for (AuditReport.Problem p : report.problems()) {
                    root.err.println("error: " + log + ": " + p);
                    problems++;
                }
                if (!root.quiet) {
                    report.notes().forEach(n -> root.out.println(n));
                }
            }
            if (problems > 0) {
                root.err.println("audit verify found " + problems + " problem" + (problems == 1 ? "" : "s") + " in " + log);
                return MintBackup.FAILED;
            }
            if (!root.quiet) {
                root.out.println("the audit log " + log + " is whole: " + reports.get(0).lines() + " lines, chain unbroken");
            }
            return MintBackup.OK;
        }
    }
}
