package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "verify", aliases = "check", description = {"Check the repository: manifests, indexes, and that every blob a snapshot needs exists.",
    "With --read-data, read every pack and check every blob against its hash, and run the source's own check"
        + " (pg_restore --list for PostgreSQL dumps). Exits 1 when a problem is found."})
final class VerifyCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--read-data", description = "Also read and check all stored data.")
    boolean readData;

    @Option(names = "--read-data-subset", paramLabel = "n/t|x%", description = "Read only part n of t of the packs"
            + " (parts 1 to t read each pack once between them: a part a day), or a random x%% of them, as restic's check.")
    String readDataSubset;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SNAPSHOT", description = "Check only this snapshot.")
    String snapshot;

    @Override
    public Integer call() throws Exception {
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.VERIFY, facts, () -> verify(facts));
    }

    private int verify(CliAudit.Facts facts) {
        facts.repository = repository.location(root);
        facts.snapshot = snapshot;
        if (readData && readDataSubset != null) {
            throw new com.mintreplica.backup.core.InvalidInputException("--read-data reads every pack and"
                    + " --read-data-subset a part of them: give one of the two");
        }
        com.mintreplica.backup.core.DataSubset subset = readDataSubset != null
                ? com.mintreplica.backup.core.DataSubset.parse(readDataSubset)
                : readData ? com.mintreplica.backup.core.DataSubset.all() : com.mintreplica.backup.core.DataSubset.none();
        boolean readAll = subset.readsAll();
        try (Repository repo = repository.open(root)) {
            VerifyReport report = snapshot == null ? repo.verify(subset)
                    : repo.verify(SnapshotSelector.parse(snapshot), subset);
            List<String> problems = new ArrayList<>();
            report.problems().forEach(p -> problems.add(p.toString()));
            if (readAll && report.ok()) {
                problems.addAll(sourceChecks(repo, report.snapshots()));
            }
            int walArchives = 0;
            if (snapshot == null) {
                walArchives = walChecks(repo, problems);
            }
            if (!problems.isEmpty()) {
                for (String p : problems) {
                    root.err.println("error: " + p);
                }
                root.err.println("verify found " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                        + " in " + repo.location());
                facts.detail = problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + " found: " + problems.get(0);
                return MintBackup.FAILED;
            }
            facts.bytes = report.bytesRead();
            facts.detail = report.snapshots().size() + " snapshots checked" + (readAll ? ", data read"
                    : subset.readsData() ? ", data subset " + subset + " read" : "");
            if (!root.quiet) {
                root.out.printf("no problems found in %s: %d snapshot%s checked%s%s%n", repo.location(), report.snapshots().size(),
                        report.snapshots().size() == 1 ? "" : "s",
                        subset.readsData() ? ", " + report.objectsRead() + " object" + (report.objectsRead() == 1 ? "" : "s")
                                + " (" + Format.bytes(report.bytesRead()) + ") read"
                                + (readAll ? "" : " (data subset " + subset + ")") : "",
                        report.unreferencedPacks() > 0 ? "; " + report.unreferencedPacks()
                                + " unreferenced packs from interrupted backups or copies (prune removes them once a day old;"
                                + " `prune --unindexed-grace 0` at once)" : "");
                if (walArchives > 0) {
                    root.out.printf("no problems found in %d WAL archive%s%n", walArchives, walArchives == 1 ? "" : "s");
                }
            }
        }
        return MintBackup.OK;
    }

    /**
     * The chain of every WAL archive in the repository ({@code wal/<cluster>/<system id>/}): a missing segment is a
     * problem naming it and the LSN range it breaks. Returns how many archives were checked.
     */
    private int walChecks(Repository repo, List<String> problems) {
        int checked = 0;
        for (String cluster : com.mintreplica.backup.postgres.wal.WalArchive.clusters(repo)) {
            com.mintreplica.backup.postgres.wal.WalArchive archive = com.mintreplica.backup.postgres.wal.WalArchive.open(repo, cluster);
            for (long system : archive.systemIdentifiers()) {
                var report = archive.system(system).verify(readData);
                String where = "WAL archive '" + cluster + "' (system " + Long.toUnsignedString(system) + "): ";
                report.gaps().forEach(g -> problems.add(where + g + ": recovery cannot pass it"));
                report.problems().forEach(p -> problems.add(where + p));
                checked++;
            }
        }
        return checked;
    }

    /** Runs each snapshot's source-specific check (pg_restore --list) where its module offers one. */
    private List<String> sourceChecks(Repository repo, List<Snapshot> snapshots) {
        List<String> problems = new ArrayList<>();
        for (Snapshot s : snapshots) {
            Optional<SourceProvider> provider = Sources.forKind(s.source().kind());
            Optional<RestoreTarget> verifier = provider.flatMap(p -> p.withEnvironment(root.env).verifier(Map.of()));
            if (verifier.isEmpty()) {
                continue;
            }
            try {
                repo.restore(SnapshotSelector.id(s.id())).to(verifier.get()).run();
            } catch (BackupException e) {
                problems.add("snapshot " + s.id() + ": " + e.getMessage());
            }
        }
        return problems;
    }
}
