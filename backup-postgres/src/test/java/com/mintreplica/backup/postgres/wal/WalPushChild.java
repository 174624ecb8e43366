package com.mintreplica.backup.postgres.wal;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;

/**
 * One archive_command run in its own JVM, as {@code mint-backup wal-push --spool} does it: pushes the file and a batch
 * of the other ready ones, acknowledging each in the spool. Args: repository directory, spool, WAL file. Prints
 * {@code DONE} when it returns.
 */
public final class WalPushChild {
    private WalPushChild() {
    }

    public static void main(String[] args) {
        try (Repository repo = Repository.open(new LocalDirectorySink(Path.of(args[0])))) {
            WalSpool.Batch b = WalSpool.open(Path.of(args[1])).push(WalArchive.open(repo, "db1"), Path.of(args[2]), 100, 2);
            System.out.println("DONE " + (1 + b.acknowledged().size()));
        }
    }
}
