package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RewriteReport;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Leaves entries out of existing snapshots, as restic's {@code rewrite --exclude}: a file backed up by mistake (a
 * secret, a dump in the wrong directory), or one person's data under GDPR's right to erasure. With {@code --forget}
 * the originals go, and {@code --prune} then deletes the bytes only they held, repacking every pack that holds any.
 */
@Command(name = "rewrite", description = {"Write, beside each snapshot holding entries the patterns match, a new snapshot"
        + " without them (restic's rewrite --exclude); with --forget remove the originals, and with --prune then delete"
        + " their data from the repository.",
    "To erase a file from backups: rewrite --exclude PATTERN --forget --prune, then the same in each copy of the"
        + " repository (and expire old object versions where the store keeps them)."})
final class RewriteCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--exclude", paramLabel = "PATTERN", required = true, description = "Leave out entries this glob"
            + " matches, and all below a directory it matches, as restore --exclude: /a/b the whole path, *.log a name,"
            + " a/b the path's end from any directory on (repeatable; at least one).")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--forget", description = "Remove each original once its new snapshot is written.")
    boolean forget;

    @Option(names = "--prune", description = "With --forget: then delete the data no remaining snapshot needs, repacking"
            + " every pack that holds any of it (prune --max-unused 0), so that no byte of what was left out stays.")
    boolean prune;

    @Option(names = "--dry-run", description = "Show what would be left out of which snapshots; change nothing.")
    boolean dryRun;

    @Parameters(arity = "0..*", paramLabel = "SNAPSHOT", description = "Only these snapshots (ids, id prefixes, the hex part of an id, or latest; default: all).")
    List<String> snapshots = new ArrayList<>();

    @Mixin
    StallOption stall;

    @Override
    public Integer call() throws Exception {
        if (prune && !forget) {
            throw new InvalidInputException("--prune deletes the data of the originals that --forget removes: give both"
                    + " (without --forget the originals keep their data)");
        }
        stall.get(); // a bad duration is reported before anything is read
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, AuditOperation.REWRITE, facts, () -> {
            facts.repository = repository.location(root);
            try (Repository repo = repository.open(root)) {
                RewriteReport r = repo.rewrite(snapshots, excludes, dryRun, forget);
                print(r);
                // the patterns are not written to the audit log: they may name the person whose data is erased
                facts.detail = (r.dryRun() ? "dry run: " : "") + r.rewritten().size() + " snapshots rewritten, "
                        + r.unchanged().size() + " unchanged, " + r.forgotten().size() + " forgotten";
                if (prune && !dryRun) {
                    PruneReport report = repo.prune().maxUnused(0).stallTimeout(stall.get()).run();
                    facts.bytes = report.bytesFreed();
                    root.out.printf("pruned: %d pack%s deleted, %d repacked; freed %s%n",
                            report.packsDeleted() + report.unindexedPacksDeleted(),
                            report.packsDeleted() + report.unindexedPacksDeleted() == 1 ? "" : "s", report.packsRepacked(),
                            Format.bytes(Math.max(0, report.bytesFreed())));
                } else if (!dryRun && !r.rewritten().isEmpty()) {
                    root.out.println(forget
                            ? "the data left out stays in the repository until `mint-backup prune --max-unused 0` (or"
                                    + " rewrite --prune) deletes it"
                            : "the originals stay, with all their data: --forget removes them");
                }
            }
            return MintBackup.OK;
        });
    }

    private void print(RewriteReport r) {
        String would = r.dryRun() ? "would " : "";
        for (RewriteReport.Rewritten s : r.rewritten()) {
            root.out.println("snapshot " + s.original() + ": " + s.removed().size()
                    + (s.removed().size() == 1 ? " entry" : " entries") + " left out:");
            if (root.verbose || s.removed().size() <= 20) {
                for (String path : s.removed()) {
                    root.out.println("  -  " + path);
                }
            } else {
                for (String path : s.removed().subList(0, 20)) {
                    root.out.println("  -  " + path);
                }
                root.out.println("  ... and " + (s.removed().size() - 20) + " more (-v lists them all)");
            }
            root.out.println("  " + (s.replacement().isPresent() ? "snapshot " + s.replacement().get() : "a new snapshot")
                    + " with the other " + s.entriesKept() + " entries" + (r.forgotten().contains(s.original())
                    ? "; " + would + "remove " + s.original() : "; " + s.original() + " stays"));
        }
        root.out.printf("%d snapshot%s %s, %d unchanged%s%n", r.rewritten().size(), r.rewritten().size() == 1 ? "" : "s",
                r.dryRun() ? "to rewrite" : "rewritten", r.unchanged().size(), r.dryRun() ? " (dry run: nothing changed)" : "");
    }
}
