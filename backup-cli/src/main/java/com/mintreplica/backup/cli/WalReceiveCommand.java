package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.wal.WalReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "wal-receive", description = {
    "Stream a PostgreSQL server's WAL over the replication protocol, through a physical replication slot, into the"
        + " WAL archive (as pg_receivewal does into a directory), until stopped (SIGTERM or Ctrl-C).",
    "  mint-backup wal-receive --config /etc/mint-backup/jobs.yaml --job db --slot mint_backup",
    "The segment being filled is pushed as <segment>.partial at most every --partial-interval while WAL arrives, a"
        + " completed segment whole; the slot is told WAL is flushed only once it is durable in the repository, so"
        + " PostgreSQL keeps what the archive lacks. The user needs the REPLICATION attribute and a 'host replication'"
        + " line in pg_hba.conf. See docs/postgresql-pitr.md."})
final class WalReceiveCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    WalOptions wal;

    @Option(names = "--connection", paramLabel = "URI", description = "The server: postgresql://USER@HOST:PORT/DB"
            + " (password from PGPASSWORD or ~/.pgpass). Default with --config/--job: the job's source and password.")
    String connection;

    @Option(names = "--slot", paramLabel = "NAME", defaultValue = "mint_backup",
            description = "The physical replication slot (default: ${DEFAULT-VALUE}).")
    String slot;

    @Option(names = "--create-slot", description = "Create the slot (reserving WAL at once) when it does not exist;"
            + " without it, a missing slot is an error.")
    boolean createSlot;

    @Option(names = "--spool", paramLabel = "DIR", description = "Where the segment being filled is kept (one segment;"
            + " default: a temporary directory).")
    Path spool;

    @Option(names = "--partial-interval", paramLabel = "MILLIS", defaultValue = "500",
            description = "Push the segment being filled at most this often, in milliseconds, while WAL arrives"
                    + " (default: ${DEFAULT-VALUE}).")
    long partialInterval;

    @Option(names = "--stop-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM, how long the last push may take before the process ends anyway"
                    + " (default: ${DEFAULT-VALUE}).")
    long stopTimeout;

    @Override
    public Integer call() throws Exception {
        PostgresConnection server = server();
        try (WalOptions.Opened opened = wal.open(root)) {
            WalReceiver.Builder builder = WalReceiver.builder().connection(server).slot(slot).createSlot(createSlot)
                    .archive(opened.archive()).partialInterval(Duration.ofMillis(partialInterval));
            if (spool != null) {
                builder.spoolDirectory(spool); // else a temporary directory, removed at the end
            }
            WalReceiver receiver = builder.build();
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            Thread hook = new Thread(() -> {
                receiver.stop();
                try {
                    // The JVM ends when this hook returns: wait until the command has said where it stopped.
                    if (!done.await(stopTimeout, java.util.concurrent.TimeUnit.SECONDS)) {
                        root.err.println("mint-backup wal-receive: the last push did not end in " + stopTimeout
                                + " s; stopping anyway (the slot keeps what was not archived)");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "mint-backup-wal-receive-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            root.out.println("mint-backup wal-receive: streaming from " + server.describe() + " through slot '" + slot
                    + "' into the WAL archive '" + opened.archive().cluster() + "'; stop with SIGTERM");
            try {
                receiver.run();
                WalReceiver.Progress p = receiver.progress();
                root.out.println("mint-backup wal-receive: stopped; archived up to " + p.durable().orElse("nothing")
                        + " on timeline " + p.timeline() + " (" + p.segmentsPushed() + " segments, "
                        + p.partialPushes() + " partial pushes)");
                root.out.flush();
            } finally {
                done.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it waits for us
                }
            }
            return MintBackup.OK;
        }
    }

    private PostgresConnection server() {
        if (connection != null) {
            return PostgresConnection.builder().url(connection).environment(root.env).build();
        }
        if (wal.config == null || wal.job == null) {
            throw new InvalidInputException("no server given: use --connection postgresql://USER@HOST/DB, or --config F"
                    + " --job J for a PostgreSQL job's source");
        }
        JobRunner runner = JobsSupport.runner(root, JobsSupport.load(wal.config));
        JobConfig job = runner.config().job(wal.job);
        String location = job.source().location().orElseThrow(() -> new InvalidInputException("job '" + wal.job
                + "' backs up files, not a PostgreSQL server: give --connection"));
        Map<String, String> env = runner.sourceEnvironment(wal.job);
        return PostgresConnection.builder().url(WalServices.libpq(location)).environment(env).build();
    }
}
