package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Removes chosen snapshots, as restic's {@code forget ID...}: `prune` removes what a policy does not keep, and an
 * operator who wants one snapshot gone (a backup of the wrong directory, a test run) had no command for it.
 */
@Command(name = "forget", description = {"Remove the snapshots given (ids, unique prefixes, latest); with --prune, then"
        + " the data only they used.",
    "A policy (keep daily, monthly) is `mint-backup prune`'s; this removes exactly the snapshots named."})
final class ForgetCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(arity = "1..*", paramLabel = "SNAPSHOT", description = "A snapshot id (or unique prefix), latest, or latest@TIME.")
    List<String> snapshots = new ArrayList<>();

    @Option(names = "--dry-run", description = "Show which snapshots would be removed; change nothing.")
    boolean dryRun;

    @Option(names = "--prune", description = "Then delete the data no remaining snapshot needs, as `mint-backup prune` does.")
    boolean prune;

    @Mixin
    StallOption stall;

    @Override
    public Integer call() throws Exception {
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.FORGET, facts, () -> forget(facts));
    }

    private int forget(CliAudit.Facts facts) {
        facts.repository = repository.location(root);
        stall.get(); // a bad duration is reported before anything is read
        try (Repository repo = repository.open(root)) {
            // every name is resolved before anything is removed: a typo in the third removes none of them
            Map<String, Snapshot> chosen = new LinkedHashMap<>();
            for (String s : snapshots) {
                Snapshot snapshot = repo.snapshot(SnapshotSelector.parse(s));
                chosen.put(snapshot.id(), snapshot);
            }
            for (Snapshot s : chosen.values()) {
                if (!dryRun) {
                    repo.forget(s);
                }
                if (root.quiet && !dryRun) {
                    continue; // -q: nothing but errors, as the other commands
                }
                root.out.printf("%s snapshot %s  %s  %s  %s%n", dryRun ? "would remove" : "removed", s.id(),
                        Format.time(s.time()), s.host(), s.source());
            }
            facts.snapshot = chosen.size() == 1 ? chosen.keySet().iterator().next() : null;
            facts.detail = (dryRun ? "dry run: " : "") + chosen.size() + " snapshots removed: " + String.join(", ", chosen.keySet());
            if (prune && !dryRun) {
                PruneReport report = repo.prune().stallTimeout(stall.get()).run();
                facts.bytes = report.bytesFreed();
                if (!root.quiet) {
                    root.out.printf("pruned: %d pack%s deleted, %d repacked; freed %s%n",
                            report.packsDeleted() + report.unindexedPacksDeleted(),
                            report.packsDeleted() + report.unindexedPacksDeleted() == 1 ? "" : "s", report.packsRepacked(),
                            Format.bytes(Math.max(0, report.bytesFreed())));
                }
            } else if (!dryRun && !root.quiet) {
                root.out.println("their data stays until `mint-backup prune` (or forget --prune) finds nothing needs it");
            }
        }
        return MintBackup.OK;
    }
}
