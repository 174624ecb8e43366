package com.mintreplica.backup.cli;

import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalSpool;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "wal-fetch", description = {"Fetch an archived PostgreSQL WAL file: for restore_command.",
    "  restore_command = 'mint-backup wal-fetch --config /etc/mint-backup/jobs.yaml --job db --spool /var/tmp/mint-fetch-db %%f %%p'",
    "Exits 0 when fetched (checked against its hash), 1 when the archive has no such file, 2 on bad input. With"
        + " --spool, also fetches the next segments (--prefetch) into the spool, so the next restore_command is a move"
        + " done by the launcher without Java."})
final class WalFetchCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    WalOptions wal;

    @Option(names = "--spool", paramLabel = "DIR", description = "A directory for prefetched segments (a new one per restore).")
    Path spool;

    @Option(names = "--prefetch", paramLabel = "N", defaultValue = "8",
            description = "With --spool: segments fetched ahead (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
            description = "Segments prefetched at once (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Parameters(index = "0", paramLabel = "NAME", description = "The WAL file's name (%%f).")
    String name;

    @Parameters(index = "1", paramLabel = "DEST", description = "Where to write it (%%p).")
    Path destination;

    @Override
    public Integer call() throws Exception {
        if (!WalArchive.isWalFileName(name)) {
            throw new com.mintreplica.backup.core.InvalidInputException("'" + name + "' is not the name of a WAL file");
        }
        try (WalOptions.Opened opened = wal.open(root)) {
            boolean found = spool == null ? opened.archive().fetch(name, destination)
                    : WalSpool.open(spool).fetch(opened.archive(), name, destination, prefetch, parallel);
            if (!found) {
                if (root.verbose) {
                    root.err.println(name + " is not in " + opened.archive());
                }
                return MintBackup.FAILED; // 1: "not there", as restore_command must say
            }
            return MintBackup.OK;
        }
    }
}
