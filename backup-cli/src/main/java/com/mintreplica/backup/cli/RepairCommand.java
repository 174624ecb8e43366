package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.DamagedSnapshot;
import com.mintreplica.backup.core.IndexRepairReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotRepairReport;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code repair index} and {@code repair snapshots}, as restic's commands of the same names. */
@Command(name = "repair", description = {"Repair a damaged repository (run `mint-backup verify` first to see the damage).",
    "Both take the repository's exclusive lock (as prune does) unless --dry-run; new objects are written before old ones"
        + " are deleted."},
        subcommands = {RepairCommand.Index.class, RepairCommand.Snapshots.class})
final class RepairCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Override
    public Integer call() {
        root.err.println("mint-backup: repair what? `mint-backup repair index` or `mint-backup repair snapshots`");
        return MintBackup.USAGE;
    }

    @Command(name = "index", description = {"Rebuild the index from the packs: packs no index object lists are indexed"
            + " from their headers, packs that are gone are dropped, damaged index objects are replaced."})
    static final class Index implements Callable<Integer> {
        @ParentCommand
        RepairCommand parent;

        @Mixin
        RepositoryOptions repository;

        @Option(names = "--dry-run", description = "Show what would change; change nothing.")
        boolean dryRun;

        @Option(names = "--read-all-packs", description = "Read and check the header of every pack, not only of those no index lists.")
        boolean readAllPacks;

        @Option(names = "--read-data", description = "Read every pack whole and leave out of the index each blob damaged"
                + " in the store (verify --read-data names them): the next backup then stores it again where its source"
                + " still has it, and `repair snapshots` saves the rest.")
        boolean readData;

        @Override
        public Integer call() throws Exception {
            MintBackup root = parent.root;
            CliAudit.Facts facts = new CliAudit.Facts();
            return CliAudit.around(root, AuditOperation.REPAIR, facts, () -> {
                facts.repository = repository.location(root);
                try (Repository repo = repository.open(root)) {
                    IndexRepairReport r = repo.repairIndex(dryRun, readAllPacks, readData);
                    String would = r.dryRun() ? "would " : "";
                    for (VerifyReport.Problem p : r.damagedIndexObjects()) {
                        root.out.println("damaged index object " + p.object() + ": " + p.message());
                    }
                    for (String pack : r.packsAdded()) {
                        root.out.println(would + "index " + pack + " (from its header; no index object listed it)");
                    }
                    for (String pack : r.packsDropped()) {
                        root.out.println(would + "drop " + pack + " from the index: the pack is gone;"
                                + " `mint-backup repair snapshots` then saves what is left of the snapshots that used it");
                    }
                    for (VerifyReport.Problem p : r.damagedPacks()) {
                        root.out.println("damaged pack " + p.object() + ": " + p.message());
                    }
                    for (VerifyReport.Problem p : r.damagedBlobs()) {
                        root.out.println((r.dryRun() ? "(dry run) " : "") + "in pack " + p.object() + ": " + p.message());
                    }
                    if (!r.damagedBlobs().isEmpty() && !r.dryRun()) {
                        root.out.println("back up the sources again (a blob whose content they still have is stored"
                                + " again, and the snapshots that need it are whole), then `mint-backup repair snapshots`"
                                + " for what is left");
                    }
                    if (r.unchanged()) {
                        root.out.printf("the index of %s already lists all %d stored packs: nothing to repair%s%n",
                                repo.location(), r.packsIndexed(), r.dryRun() ? " (dry run)" : "");
                    } else {
                        root.out.printf("%s%d packs in the new index (%d added, %d dropped, %d headers read); %s%d index"
                                        + " objects, %s%d old ones%s%n", r.dryRun() ? "would have " : "", r.packsIndexed(),
                                r.packsAdded().size(), r.packsDropped().size(), r.headersRead(), r.dryRun() ? "would write " : "wrote ",
                                r.indexObjectsWritten(), r.dryRun() ? "would delete " : "deleted ", r.indexObjectsDeleted(),
                                r.dryRun() ? " (dry run: nothing changed)" : "");
                    }
                    facts.detail = (r.dryRun() ? "dry run: " : "") + "index: " + r.packsIndexed() + " packs, "
                            + r.packsAdded().size() + " added, " + r.packsDropped().size() + " dropped";
                }
                return MintBackup.OK;
            });
        }
    }

    @Command(name = "snapshots", description = {"Write, beside each snapshot whose data is partly gone, a new snapshot"
            + " (tagged '" + Repository.REPAIRED_TAG + "') without the entries whose data is gone, and report them.",
        "Run `repair index` first when index objects are damaged or missing."})
    static final class Snapshots implements Callable<Integer> {
        @ParentCommand
        RepairCommand parent;

        @Mixin
        RepositoryOptions repository;

        @Option(names = "--dry-run", description = "Show what would change; change nothing.")
        boolean dryRun;

        @Option(names = "--forget", description = "Remove each damaged snapshot once its repaired copy is written, and"
                + " snapshots whose manifest cannot be read at all.")
        boolean forget;

        @Parameters(arity = "0..*", paramLabel = "SNAPSHOT", description = "Only these snapshots (ids, id prefixes, the hex part of an id, or latest; default: all).")
        List<String> snapshots = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            MintBackup root = parent.root;
            CliAudit.Facts facts = new CliAudit.Facts();
            return CliAudit.around(root, AuditOperation.REPAIR, facts, () -> {
                facts.repository = repository.location(root);
                try (Repository repo = repository.open(root)) {
                    SnapshotRepairReport r = repo.repairSnapshots(snapshots, dryRun, forget);
                    print(root, r);
                    facts.detail = (r.dryRun() ? "dry run: " : "") + "snapshots: " + r.repaired().size() + " repaired, "
                            + r.unreadable().size() + " unreadable, " + r.forgotten().size() + " forgotten";
                }
                return MintBackup.OK;
            });
        }

        private static void print(MintBackup root, SnapshotRepairReport r) {
            String would = r.dryRun() ? "would " : "";
            for (SnapshotRepairReport.Repaired s : r.repaired()) {
                root.out.println("snapshot " + s.original() + ": " + s.lost().size() + (s.lost().size() == 1
                        ? " entry lost its data:" : " entries lost their data:"));
                for (SnapshotRepairReport.LostEntry l : s.lost()) {
                    root.out.println("  lost  " + l.path() + "  (" + l.reason() + ")");
                }
                root.out.println("  " + (s.earlier() ? "repaired before as snapshot " + s.replacement().get()
                        + " (it is checked on its own)"
                        : (s.replacement().isPresent() ? "wrote snapshot " + s.replacement().get()
                        : "would write a new snapshot") + " with the other " + s.entriesKept() + " entries, tagged '"
                        + Repository.REPAIRED_TAG + "'") + (r.forgotten().contains(s.original())
                        ? "; " + would + "remove " + s.original() : "; " + s.original() + " stays"));
            }
            for (DamagedSnapshot d : r.unreadable()) {
                root.out.println("snapshot " + d.id() + " cannot be read (" + d.problem() + "): nothing of it can be saved"
                        + (r.forgotten().contains(d.id()) ? "; " + would + "remove it" : "; --forget removes it"));
            }
            root.out.printf("%d snapshot%s intact, %d %s, %d unreadable%s%n", r.intact().size(), r.intact().size() == 1 ? "" : "s",
                    r.repaired().size(), r.dryRun() ? "to repair" : "repaired", r.unreadable().size(),
                    r.dryRun() ? " (dry run: nothing changed)" : "");
        }
    }
}
