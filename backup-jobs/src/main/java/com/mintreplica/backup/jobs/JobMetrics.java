package com.mintreplica.backup.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Micrometer meters for jobs, when the app has a registry ({@code micrometer-core} is an optional dependency: only
 * apps that use this class need it). Register it as a listener:
 * {@code JobScheduler.builder(config).listener(new JobMetrics(registry))}. Every meter is tagged {@code job}:
 *
 * <ul>
 *   <li>{@code mint.backup.job.last.success} (gauge, seconds since the epoch): when the job last succeeded; alert on
 *       {@code time() - value} to catch a backup that stopped silently;</li>
 *   <li>{@code mint.backup.job.duration} (timer, also tagged {@code outcome}): how long runs take;</li>
 *   <li>{@code mint.backup.job.bytes} (distribution summary, bytes): content bytes read per successful run;</li>
 *   <li>{@code mint.backup.job.failures} (counter): failed or stopped runs;</li>
 *   <li>for jobs whose source archives continuously (PostgreSQL with {@code wal-stall-after}), once
 *       {@link #continuity} has been called: {@code mint.backup.wal.archiving.stalled} (gauge, 1 or 0: archiving has
 *       stalled for longer than the job allows, or is failing), {@code mint.backup.wal.archive.failures} (gauge: the
 *       failures the server counts, {@code pg_stat_archiver.failed_count}) and {@code mint.backup.wal.last.archived}
 *       (gauge, seconds since the epoch: the newest WAL file in the repository).</li>
 * </ul>
 */
public final class JobMetrics implements JobListener {
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong[]> continuity = new ConcurrentHashMap<>();

    public JobMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Registers {@code job}'s meters before its first run in this process, so that they exist from the start: the
     * failures counter at 0 (a rate then sees the first failure) and, when given, when the job last succeeded (say,
     * its newest snapshot, read from the repository at start), so that a backup that stopped before this process
     * started still shows as old. A later success replaces it.
     */
    public void register(String job, java.util.Optional<java.time.Instant> lastSuccess) {
        failures(job);
        lastSuccess.ifPresent(t -> lastSuccess(job).accumulateAndGet(t.getEpochSecond(), Math::max));
    }

    @Override
    public void succeeded(JobResult result) {
        lastSuccess(result.job()).set(result.finished().getEpochSecond());
        timer(result).record(result.duration());
        DistributionSummary.builder("mint.backup.job.bytes").baseUnit("bytes").tag("job", result.job())
                .description("Content bytes read from the source per run").register(registry).record(result.bytes());
    }

    @Override
    public void failed(JobResult result) {
        timer(result).record(result.duration());
        failures(result.job()).increment();
    }

    /**
     * Records how continuous archiving of {@code job} stands ({@link JobStatus#continuity}); the daemon calls it every
     * minute. The first call registers the job's WAL meters.
     */
    public void continuity(String job, com.mintreplica.backup.core.drill.Preflight.Continuity value) {
        AtomicLong[] v = continuity.computeIfAbsent(job, j -> {
            AtomicLong[] values = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
            Gauge.builder("mint.backup.wal.archiving.stalled", values[0], AtomicLong::doubleValue).tag("job", j)
                    .description("1 when WAL archiving has stalled for longer than the job allows, or is failing")
                    .register(registry);
            Gauge.builder("mint.backup.wal.archive.failures", values[1], AtomicLong::doubleValue).tag("job", j)
                    .description("WAL archiving failures the server counts (pg_stat_archiver.failed_count)")
                    .register(registry);
            Gauge.builder("mint.backup.wal.last.archived", values[2], AtomicLong::doubleValue).tag("job", j)
                    .baseUnit("seconds")
                    .description("When the newest WAL file in the repository was archived, in seconds since the epoch")
                    .register(registry);
            return values;
        });
        v[0].set(value.stalled() || value.failing() ? 1 : 0);
        v[1].set(value.failures());
        value.newestInRepository().ifPresent(t -> v[2].set(t.getEpochSecond()));
    }

    private Counter failures(String job) {
        return Counter.builder("mint.backup.job.failures").tag("job", job)
                .description("Runs that failed or were stopped").register(registry);
    }

    private Timer timer(JobResult result) {
        return Timer.builder("mint.backup.job.duration").tag("job", result.job())
                .tag("outcome", result.outcome().name().toLowerCase(java.util.Locale.ROOT))
                .description("How long job runs take").register(registry);
    }

    private AtomicLong lastSuccess(String job) {
        return lastSuccess.computeIfAbsent(job, j -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("mint.backup.job.last.success", value, AtomicLong::doubleValue).tag("job", j).baseUnit("seconds")
                    .description("When the job last succeeded, in seconds since the epoch").register(registry);
            return value;
        });
    }
}
