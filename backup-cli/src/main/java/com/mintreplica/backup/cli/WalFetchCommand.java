package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalSpool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "wal-fetch", description = {"Fetch an archived PostgreSQL WAL file: for restore_command.",
    "  restore_command = 'mint-backup wal-fetch --config /etc/mint-backup/jobs.yaml --job db --spool /var/tmp/mint-fetch-db %%f %%p'",
    "Exits 0 when fetched (checked against its hash), 1 when the archive was read and has no such file, 2 on bad input."
        + " A failing request to a remote store is retried for up to a minute (retryFor=... in the repository URI sets"
        + " another time), and a failure to read the archive is tried again (3 attempts); under PostgreSQL's targeted or end-of-archive"
        + " recovery (recovery.signal in the data directory, no standby.signal) any failure other than absence exits 255,"
        + " so that PostgreSQL stops the recovery instead of ending it early as if the archive held no more WAL. With"
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

    /** Attempts at reading the archive before a failure is reported (the store's client retries each request too). */
    static final int ATTEMPTS = 3;

    /** Pause before the second attempt; doubled before each later one. */
    static long firstPauseMillis = 1000;

    @Override
    public Integer call() throws Exception {
        try {
            return fetch();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            if (stopsRecovery(destination)) {
                return abortRecovery(e, root);
            }
            throw e;
        }
    }

    private int fetch() throws Exception {
        if (!WalArchive.isWalFileName(name)) {
            throw new InvalidInputException("'" + name + "' is not the name of a WAL file");
        }
        long pause = firstPauseMillis;
        for (int attempt = 1; ; attempt++) {
            try (WalOptions.Opened opened = wal.open(root, WalOptions.commandSink())) {
                boolean found = spool == null ? opened.archive().fetch(name, destination)
                        : WalSpool.open(spool).fetch(opened.archive(), name, destination, prefetch, parallel);
                if (!found) {
                    if (root.verbose) {
                        root.err.println(name + " is not in " + opened.archive());
                    }
                    return MintBackup.FAILED; // 1: "not there", as restore_command must say
                }
                return MintBackup.OK;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if ((e instanceof BackupException be && be.isCallerError()) || attempt == ATTEMPTS) {
                    throw e;
                }
                root.err.println("mint-backup: wal-fetch " + name + ": " + e.getMessage() + "; trying again in "
                        + pause + " ms (attempt " + (attempt + 1) + " of " + ATTEMPTS + ")");
                Thread.sleep(pause);
                pause *= 2;
            }
        }
    }

    /**
     * Whether a failed restore_command must stop PostgreSQL's recovery: it runs in the data directory (and %p is
     * pg_wal/RECOVERYXLOG there), and a recovery.signal without a standby.signal is a recovery that ends at the end of
     * the archive or at a target. PostgreSQL takes any exit status from 1 to 125 for "no such file" and, in such a
     * recovery, ends it and opens the database: a store that failed, a damaged copy or a typo in restore_command would
     * silently give a database older than the archive. A standby retries instead, so it gets the usual codes.
     */
    static boolean stopsRecovery(Path destination) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(Path.of("").toAbsolutePath());
        if (destination != null) {
            Path parent = destination.toAbsolutePath().getParent();
            if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("pg_wal")
                    && parent.getParent() != null) {
                dirs.add(parent.getParent());
            }
        }
        for (Path dir : dirs) {
            if (Files.exists(dir.resolve("recovery.signal")) && !Files.exists(dir.resolve("standby.signal"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reports {@code failure} and exits 255, which PostgreSQL takes as a failed command, not a missing file (above
     * 125; not 126 or 127, which its log would call "command not executable" and "command not found").
     */
    static int abortRecovery(Exception failure, MintBackup root) {
        if (root.debug) {
            failure.printStackTrace(root.err);
        }
        root.err.println("mint-backup: wal-fetch failed: " + failure.getMessage());
        root.err.println("mint-backup: exiting " + STOP_RECOVERY + " so that PostgreSQL stops this recovery rather than"
                + " end it here as if the archive held no more WAL; mend the cause and start the server again: recovery"
                + " goes on from where it stopped");
        return STOP_RECOVERY;
    }

    /** An exit status above 125, which PostgreSQL's startup process treats as fatal for restore_command. */
    static final int STOP_RECOVERY = 255;
}
