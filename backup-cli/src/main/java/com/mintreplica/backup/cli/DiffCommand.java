package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotDiff;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.FileNames;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "diff", description = {"Show what changed between two snapshots, as restic's diff does.",
    "Marks: + added, - removed, M content changed, T type changed, U metadata only (with --metadata).",
    "Reads the snapshots' directory listings, no file content."})
final class DiffCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(index = "0", paramLabel = "OLDER", description = "A snapshot id (or unique prefix), latest, or latest@TIME.")
    String older;

    @Parameters(index = "1", paramLabel = "NEWER", description = "The snapshot to compare it with.")
    String newer;

    @Option(names = "--metadata", description = "Also list entries whose metadata alone changed (mode, owner, times, attributes).")
    boolean metadata;

    @Override
    public Integer call() {
        try (Repository repo = repository.open(root)) {
            long[] metadataOnly = {0};
            SnapshotDiff diff = repo.diff(SnapshotSelector.parse(older), SnapshotSelector.parse(newer), change -> {
                if (change.kind() == SnapshotDiff.Kind.METADATA) {
                    metadataOnly[0]++;
                    if (!metadata) {
                        return;
                    }
                }
                root.out.println(change.kind().mark() + "    /" + FileNames.display(change.entry().path())
                        + (change.entry().type() == EntryType.DIRECTORY ? "/" : ""));
            });
            if (!root.quiet) {
                root.out.printf("%n%d added, %d removed, %d changed (%d of them in metadata only)%n", diff.added(),
                        diff.removed(), diff.changed(), metadataOnly[0]);
                root.out.printf("added:   %s%nremoved: %s%n", Format.bytes(diff.bytesAdded()), Format.bytes(diff.bytesRemoved()));
            }
        }
        return MintBackup.OK;
    }
}
