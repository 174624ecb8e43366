package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import java.io.InputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "cat", description = "Write one entry's content to standard output, checked as it is read.")
final class CatCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "A snapshot id (or unique prefix), latest, or latest@TIME.")
    String snapshot;

    @Parameters(index = "1", paramLabel = "ENTRY", description = "The entry's path, as `mint-backup ls` shows it.")
    String entry;

    @Override
    public Integer call() throws Exception {
        try (Repository repo = repository.open(root)) {
            Snapshot s = repo.snapshot(SnapshotSelector.parse(snapshot));
            String path = entry.startsWith("/") ? entry.substring(1) : entry;
            try (InputStream in = repo.openEntry(s, path)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    root.out.write(buffer, 0, n);
                    if (root.out.checkError()) {
                        return MintBackup.FAILED;   // the output cannot be written (the launcher says why): stop reading
                    }
                }
            }
            root.out.flush();
        }
        return root.out.checkError() ? MintBackup.FAILED : MintBackup.OK;
    }
}
