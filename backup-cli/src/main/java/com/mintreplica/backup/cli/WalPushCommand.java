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

@Command(name = "wal-push", description = {"Archive a PostgreSQL WAL file: for archive_command.",
    "  archive_command = 'mint-backup wal-push --config /etc/mint-backup/jobs.yaml --job db --spool /var/spool/mint-backup/db %%p'",
    "With --spool, also pushes the other segments PostgreSQL has marked ready (up to --batch), in parallel, and leaves"
        + " an acknowledgement for each in the spool once it is stored: PostgreSQL's next archive_command for one of them"
        + " then returns at once from the launcher, without starting Java. Exits 0 only once the file is stored in the"
        + " repository. A failing request to a remote store is retried for up to a minute (retryFor=... in the repository"
        + " URI sets another time), then the command fails and PostgreSQL runs it again later. See docs/postgresql-pitr.md."})
final class WalPushCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    WalOptions wal;

    @Option(names = "--spool", paramLabel = "DIR", description = "The local spool (acknowledgements): enables batches.")
    Path spool;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
            description = "With --spool: push at most this many files per run, the requested one included (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
            description = "Files pushed at once (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Parameters(index = "0", paramLabel = "FILE", description = "The WAL file (%%p), relative to the data directory.")
    Path file;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || parallel < 1) {
            throw new com.mintreplica.backup.core.InvalidInputException("--batch and --parallel must be at least 1");
        }
        WalSpool spooled = spool == null ? null : WalSpool.open(spool);
        if (spooled != null && spooled.consumeAcknowledgement(file)) {
            return MintBackup.OK; // the launcher's fast path, when it was not taken
        }
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new com.mintreplica.backup.core.InvalidInputException("'" + file + "' is not a file: archive_command"
                    + " passes %p, the WAL file's path relative to the data directory");
        }
        try (WalOptions.Opened opened = wal.open(root, WalOptions.commandSink())) {
            WalArchive archive = opened.archive();
            if (spooled == null) {
                WalArchive.Pushed p = archive.push(file);
                if (root.verbose) {
                    root.err.println((p.stored() ? "archived " : "archived already: ") + p.file().name() + " as " + p.file().object());
                }
                return MintBackup.OK;
            }
            WalSpool.Batch b = spooled.push(archive, file, batch, parallel);
            if (root.verbose) {
                root.err.println("archived " + b.requested().file().name() + " and " + b.acknowledged().size()
                        + " more ahead" + (b.failed().isEmpty() ? "" : "; " + b.failed().size() + " failed: " + b.failed()));
            }
            return MintBackup.OK;
        }
    }
}
