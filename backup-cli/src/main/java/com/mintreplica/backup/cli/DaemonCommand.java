package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.JobListener;
import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "daemon", description = {"Run the config's jobs on their schedules until stopped (SIGTERM or Ctrl-C).",
    "Replicas started with the same config share the work: each slot runs once. On stop, running jobs may finish"
        + " within --shutdown-timeout; then they are stopped and their slots left for another replica."})
final class DaemonCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Option(names = "--config", required = true, paramLabel = "F", description = "The jobs config (YAML).")
    Path config;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long running jobs may finish when stopped (default: ${DEFAULT-VALUE}).")
    long shutdownTimeout;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = "Serve the jobs' meters for Prometheus at http://HOST:PORT/metrics, and the HTML report"
                    + " (mint-backup report) at /report (:PORT: every interface).")
    String metricsAddress;

    @Option(names = "--wal-check-interval", paramLabel = "SECONDS", defaultValue = "60",
            description = "With --metrics-address: how often the WAL archiving of jobs with wal-stall-after is checked"
                    + " for the mint_backup_wal_* meters (default: ${DEFAULT-VALUE}).")
    long walCheckInterval;

    @Override
    public Integer call() {
        JobsConfig cfg = JobsSupport.load(config);
        CountDownLatch stop = new CountDownLatch(1);
        MetricsServer metrics = metricsAddress == null ? null : MetricsServer.start(metricsAddress);
        try {
            return run(cfg, stop, metrics);
        } finally {
            if (metrics != null) {
                metrics.close();
            }
        }
    }

    private Integer run(JobsConfig cfg, CountDownLatch stop, MetricsServer metrics) {
        JobScheduler.Builder builder = JobsSupport.scheduler(root, cfg);
        if (metrics != null) {
            builder.listener(metrics.metrics());
        }
        JobScheduler scheduler = builder.shutdownTimeout(Duration.ofSeconds(shutdownTimeout))
                .listener(new JobListener() {
                    @Override
                    public void started(JobConfig job, Instant slot) {
                        root.out.println(Instant.now() + " job " + job.name() + ": started (slot " + slot + ")");
                    }

                    @Override
                    public void succeeded(JobResult r) {
                        root.out.println(Instant.now() + " job " + r.job() + ": snapshot " + r.snapshot().orElse("-")
                                + " in " + Format.duration(r.duration()));
                    }

                    @Override
                    public void failed(JobResult r) {
                        root.err.println(Instant.now() + " job " + r.job() + " " + r.outcome().name().toLowerCase(java.util.Locale.ROOT)
                                + ": " + r.error().orElse(""));
                    }
                }).build();
        Thread hook = new Thread(() -> {
            stop.countDown();
            scheduler.close();
        }, "mint-backup-daemon-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        if (metrics != null) {
            metrics.register(JobsSupport.runner(root, cfg), scheduler.names(), java.time.Clock.systemUTC());
            metrics.serveReport(() -> ReportCommand.render(root, cfg, Instant.now()));
        }
        // wal-receive for jobs that ask for it, and the WAL archiving meters (the CLI names the adapter; jobs does not).
        WalServices wal = WalServices.start(root, JobsSupport.runner(root, cfg), metrics == null ? null : metrics.metrics(),
                Duration.ofSeconds(Math.max(1, walCheckInterval)));
        scheduler.start();
        root.out.println("mint-backup daemon: " + cfg.jobs().size() + " jobs scheduled from " + config + "; stop with SIGTERM");
        if (metrics != null) {
            root.out.println("mint-backup daemon: metrics for Prometheus at " + metrics.url());
            root.out.println("mint-backup daemon: the HTML report at " + metrics.reportUrl());
        }
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // embedded use: interrupting the thread stops the daemon
        } finally {
            scheduler.close();
            wal.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
        root.out.println("mint-backup daemon: stopped");
        return MintBackup.OK;
    }
}
