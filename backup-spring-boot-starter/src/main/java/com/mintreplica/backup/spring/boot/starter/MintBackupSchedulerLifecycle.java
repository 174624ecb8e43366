package com.mintreplica.backup.spring.boot.starter;

import com.mintreplica.backup.jobs.JobScheduler;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the {@link JobScheduler} when the application context has started and closes it when the context stops.
 * Closing lets running jobs finish for the scheduler's shutdown timeout ({@code mint.backup.scheduler.shutdown-timeout},
 * by default Spring's {@code spring.lifecycle.timeout-per-shutdown-phase}), then stops them, so their slots can be
 * taken by another replica. The stop runs on its own thread: other phases of a graceful shutdown are not held up
 * beyond it. Its phase is {@link SmartLifecycle#DEFAULT_PHASE}: it stops before the web server, so health and the
 * endpoint answer while jobs finish.
 */
public final class MintBackupSchedulerLifecycle implements SmartLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(MintBackupSchedulerLifecycle.class);

    private final JobScheduler scheduler;
    private volatile boolean running;

    public MintBackupSchedulerLifecycle(JobScheduler scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    @Override
    public void start() {
        scheduler.start();
        running = true;
        LOG.info("mint-backup scheduler started: {}", scheduler.names());
    }

    @Override
    public void stop() {
        try {
            scheduler.close();
        } finally {
            running = false;
        }
    }

    @Override
    public void stop(Runnable callback) {
        Thread t = new Thread(() -> {
            try {
                stop();
                LOG.info("mint-backup scheduler stopped");
            } finally {
                callback.run();
            }
        }, "mint-backup-shutdown");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return DEFAULT_PHASE;
    }
}
