package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.JobMetrics;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.JobStatus;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalReceiver;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the daemon runs beside the scheduler for continuous WAL archiving:
 * <ul>
 *   <li>a {@link WalReceiver} for each PostgreSQL job (logical or physical kind) whose source options say
 *   {@code wal-receive: true} (slot {@code wal-slot}, default {@code mint_backup}; created only with
 *   {@code wal-create-slot: true}), into the job's WAL archive (named {@code wal-cluster}, else the physical kind's
 *   {@code cluster}, else the job's name), with the job's login;</li>
 *   <li>with metrics, the continuity check of each job that has one ({@code wal-stall-after}) every
 *   {@code --wal-check-interval}, into the {@code mint_backup_wal_*} meters.</li>
 * </ul>
 * It lives in the CLI, not in backup-jobs, because it names the PostgreSQL adapter: the jobs layer names none. An app
 * that embeds the scheduler runs a {@code WalReceiver} itself, the same way.
 */
final class WalServices implements AutoCloseable {
    private final List<Running> receivers = new ArrayList<>();
    private final ScheduledExecutorService checks;
    private final MintBackup root;

    private record Running(String job, WalReceiver receiver, Thread thread, Repository repository, Sink sink) {
    }

    private WalServices(MintBackup root, ScheduledExecutorService checks) {
        this.root = root;
        this.checks = checks;
    }

    static WalServices start(MintBackup root, JobRunner runner, JobMetrics metrics, Duration checkEvery) {
        ScheduledExecutorService checks = null;
        if (metrics != null) {
            checks = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "mint-backup-wal-checks");
                t.setDaemon(true);
                return t;
            });
            checks.scheduleWithFixedDelay(() -> {
                for (JobConfig job : runner.config().jobs().values()) {
                    try {
                        JobStatus.continuity(runner, job, Clock.systemUTC().instant())
                                .ifPresent(c -> metrics.continuity(job.name(), c));
                    } catch (RuntimeException e) {
                        root.err.println("mint-backup daemon: cannot check WAL archiving of job " + job.name() + ": "
                                + e.getMessage());
                    }
                }
            }, 0, checkEvery.toMillis(), TimeUnit.MILLISECONDS);
        }
        WalServices services = new WalServices(root, checks);
        for (JobConfig job : runner.config().jobs().values()) {
            Map<String, String> options = job.source().options();
            if (job.source().location().isEmpty() || !bool(options.get("wal-receive"))) {
                continue;
            }
            services.receive(runner, job);
        }
        return services;
    }

    private void receive(JobRunner runner, JobConfig job) {
        Map<String, String> options = job.source().options();
        Sink sink = Sinks.open(runner.repositoryLocation(job.name()));
        Repository repository;
        try {
            repository = runner.openJobRepository(job.name(), sink);
        } catch (RuntimeException e) {
            closeQuietly(sink);
            throw e;
        }
        // the logical kind's wal-cluster, the physical kind's cluster, else the job's name
        WalArchive archive = WalArchive.open(repository,
                options.getOrDefault("wal-cluster", options.getOrDefault("cluster", job.name())).strip());
        PostgresConnection server = PostgresConnection.builder().url(libpq(job.source().location().get()))
                .environment(runner.sourceEnvironment(job.name())).build();
        WalReceiver receiver = WalReceiver.builder().connection(server)
                .slot(options.getOrDefault("wal-slot", "mint_backup").strip())
                .createSlot(bool(options.get("wal-create-slot"))).archive(archive).build();
        Thread thread = new Thread(() -> {
            try {
                receiver.run();
            } catch (RuntimeException e) {
                root.err.println(java.time.Instant.now() + " job " + job.name() + ": wal-receive stopped: "
                        + e.getMessage());
            }
        }, "mint-backup-wal-receive-" + job.name());
        thread.start();
        receivers.add(new Running(job.name(), receiver, thread, repository, sink));
        root.out.println("mint-backup daemon: job " + job.name() + ": streaming WAL from " + server.describe()
                + " into its WAL archive");
    }

    /** Stops the receivers (each pushes what it received) within 30 s, and the checks. */
    @Override
    public void close() {
        if (checks != null) {
            checks.shutdownNow();
        }
        receivers.forEach(r -> r.receiver().stop());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Running r : receivers) {
            try {
                long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                if (!r.receiver().awaitStopped(Duration.ofMillis(left))) {
                    root.err.println("mint-backup daemon: job " + r.job() + ": wal-receive did not stop in 30 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                r.repository().close();
            } finally {
                closeQuietly(r.sink());
            }
        }
    }

    /** A postgresql-physical:// location as the libpq URI it stands for. */
    static String libpq(String location) {
        String prefix = "postgresql-physical://";
        return location.regionMatches(true, 0, prefix, 0, prefix.length())
                ? "postgresql://" + location.substring(prefix.length()) : location;
    }

    private static boolean bool(String value) {
        return value != null && switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "", "true", "yes", "on", "1" -> true;
            default -> false;
        };
    }

    private static void closeQuietly(Sink sink) {
        try {
            sink.close();
        } catch (Exception ignored) {
            // closing after a failure
        }
    }
}
