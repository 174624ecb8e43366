package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.DrillReport.Check;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import com.mintreplica.backup.jobs.audit.AuditRecord;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.internal.Redactor;
import com.mintreplica.backup.jobs.internal.drill.DrillScratches;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs restore drills: restores a job's latest snapshot into a scratch target (a new directory, a new database on the
 * job's server or a drill server), checks it, and removes the scratch target again, whatever happened. Each drill
 * gives a {@link DrillReport} (never an exception for a failed drill) and an audit line (operation {@code drill}).
 *
 * <pre>{@code
 * DrillRunner drills = DrillRunner.builder(JobsConfig.load(Path.of("/etc/mint-backup/jobs.yaml")))
 *     .environment(System.getenv())
 *     .smokeCheck("postgres-daily", scratch -> { ... })   // optional: the app's own check of the restored data
 *     .build();
 * DrillReport report = drills.run("postgres-monthly");    // a drill of the config, or:
 * List<DrillReport> all = drills.runAll();                 // every job: its drills, or a drill with the defaults
 * if (!report.passed()) {
 *     pager.send(report.summary());
 * }
 * }</pre>
 *
 * <p>What is checked (see {@link DrillConfig#checks()}): {@code restore} (every block read is checked against its id:
 * a damaged blob fails it, naming the object); for directories {@code file-hashes} (each restored file read back from
 * the disk hashes as the snapshot's content did); for PostgreSQL {@code vacuum-analyze} and {@code row-counts} (every
 * table against the counts the backup took in the dump's own snapshot); {@code verify} when asked (every blob of the
 * snapshot read and checked); {@code smoke} (the config's SQL query or the application's {@link SmokeCheck}); and
 * {@code cleanup}, the removal of the scratch target, which runs in a {@code finally} block.
 *
 * <p>The measured RTO is the wall time of the restore, the target's own checks included; the RPO is the snapshot's age
 * when the drill started, by the runner's clock. Drills with a schedule are run by {@link JobScheduler} as
 * {@code _drill-<name>}, claimed like jobs so one replica runs each.
 */
public final class DrillRunner {
    private static final Logger LOG = LoggerFactory.getLogger(DrillRunner.class);
    /** Scheduled drills run as jobs named {@code _drill-<drill>}. */
    public static final String SCHEDULED_PREFIX = "_drill-";

    private final JobsConfig config;
    private final JobRunner jobs;
    private final Clock clock;
    private final Path tempDir;
    private final Map<String, SmokeCheck> smokeChecks;

    private DrillRunner(Builder b) {
        this.config = b.config;
        this.clock = b.clock;
        JobRunner.Builder jobs = JobRunner.builder(config).clock(b.clock).environment(b.environment).host(b.host)
                .user(b.user);
        b.cache.ifPresent(jobs::cacheDirectory);
        this.jobs = jobs.build();
        this.tempDir = b.tempDir;
        this.smokeChecks = Map.copyOf(b.smokeChecks);
    }

    public static Builder builder(JobsConfig config) {
        return new Builder(config);
    }

    public JobsConfig config() {
        return config;
    }

    /**
     * Runs the configured drill {@code name}.
     *
     * @throws NotFoundException naming the drills there are, when there is no such drill
     */
    public DrillReport run(String name) {
        DrillConfig drill = config.drills().get(name);
        if (drill == null) {
            throw new NotFoundException("no drill '" + name + "' in " + config.file().orElse("the config") + ": drills are "
                    + config.drills().keySet() + " (or drill a job by its name with runForJob)");
        }
        return run(drill);
    }

    /**
     * The drills of job {@code job}: its configured drills, or one with the defaults ({@link DrillConfig#of}) when it
     * has none.
     *
     * @throws NotFoundException naming the jobs there are, when there is no such job
     */
    public List<DrillReport> runForJob(String job) {
        config.job(job);
        List<DrillReport> out = new ArrayList<>();
        for (DrillConfig drill : drillsOf(job)) {
            out.add(run(drill));
        }
        return out;
    }

    /** Every job's drills (see {@link #runForJob}), in config order. */
    public List<DrillReport> runAll() {
        List<DrillReport> out = new ArrayList<>();
        for (String job : config.jobs().keySet()) {
            out.addAll(runForJob(job));
        }
        return out;
    }

    /** The drills {@link #runForJob} runs for {@code job}. */
    public List<DrillConfig> drillsOf(String job) {
        List<DrillConfig> configured = config.drills().values().stream().filter(d -> d.job().equals(job)).toList();
        return configured.isEmpty() ? List.of(DrillConfig.of(job)) : configured;
    }

    /** Runs {@code drill}: restore, checks, removal of the scratch target, audit line. Never throws for a failed drill. */
    public DrillReport run(DrillConfig drill) {
        JobConfig job = config.job(drill.job());
        Redactor redactor = new Redactor();
        Instant started = clock.instant();
        RepositoryConfig repository = config.repository(job.repository());
        List<Check> checks = new ArrayList<>();
        Optional<Snapshot> snapshot = Optional.empty();
        Optional<Duration> restoreTime = Optional.empty();
        Optional<Instant> recoverableUntil = Optional.empty();
        String scratchText = "-";
        long bytes = 0;
        String step = "repository";
        Sink sink = null;
        try {
            sink = Sinks.open(repository.location());
            if (!Repository.exists(sink)) {
                throw new NotFoundException("there is no repository at " + Sinks.redact(repository.location())
                        + " (repositories." + repository.name() + "): job " + job.name() + " has not run yet");
            }
            try (Repository repo = jobs.openRepository(repository, sink, redactor)) {
                step = "snapshot";
                Snapshot latest = repo.snapshot(SnapshotSelector.latest().job(job.name()));
                snapshot = Optional.of(latest);
                step = "scratch";
                Scratch scratch = scratch(drill, job, latest, repo, redactor);
                scratchText = scratch.describe();
                Optional<String> chosen = scratch.snapshot().filter(id -> !id.equals(latest.id()));
                // the kind may restore another snapshot (a point-in-time drill: the base backup before its moment)
                Snapshot s = chosen.isPresent() ? repo.snapshot(SnapshotSelector.id(chosen.get())) : latest;
                snapshot = Optional.of(s);
                recoverableUntil = scratch.recoverableUntil();
                try {
                    step = "restore";
                    Optional<Exception> failure = Optional.empty();
                    long entries = 0;
                    long t0 = System.nanoTime();
                    for (Scratch.Part part : scratch.parts()) {
                        try {
                            RestoreResult r = repo.restore(SnapshotSelector.id(s.id())).to(part.target())
                                    .include(part.includes()).stallTimeout(config.stallTimeout()).run();
                            entries += r.entries();
                            bytes += r.bytes();
                        } catch (RuntimeException e) {
                            failure = Optional.of(e);
                            break;
                        }
                    }
                    Duration took = Duration.ofNanos(System.nanoTime() - t0);
                    restoreTime = Optional.of(took);
                    Optional<RestoreResult> result = failure.isPresent() ? Optional.empty()
                            : Optional.of(new RestoreResult(s, entries, bytes, took));
                    checks.add(restoreCheck(result, failure, scratch.restoredInto(), redactor));
                    for (DrillCheck c : scratch.checks(result, failure)) {
                        checks.add(DrillScratches.check(c, redactor));
                    }
                    if (drill.checks().contains(DrillConfig.VERIFY)) {
                        step = DrillConfig.VERIFY;
                        checks.add(verify(repo, s));
                    }
                    smoke(drill, job, scratch, failure.isEmpty(), redactor).ifPresent(checks::add);
                } finally {
                    try {
                        checks.add(Check.passed(DrillConfig.CLEANUP, scratch.remove()));
                    } catch (Exception e) {
                        checks.add(Check.failed(DrillConfig.CLEANUP, "left behind: " + scratch.describe() + ": "
                                + redactor.message(e)));
                    }
                }
            }
        } catch (RuntimeException | IOException e) {
            String message = redactor.message(e);
            if (step.equals("snapshot") && e instanceof NotFoundException) {
                message = "job " + job.name() + " has no snapshot in " + Sinks.redact(repository.location())
                        + " yet: run it first (mint-backup run --config F --job " + job.name() + ")";
            }
            checks.add(Check.failed(step, message));
        }
        Instant finished = clock.instant();
        Optional<Instant> newest = recoverableUntil.isPresent() ? recoverableUntil : snapshot.map(Snapshot::time);
        Optional<Duration> age = newest.map(t -> Duration.between(t, started))
                .map(d -> d.isNegative() ? Duration.ZERO : d);
        DrillReport report = new DrillReport(drill.name(), job.name(), Sinks.redact(repository.location()),
                snapshot.map(Snapshot::id), snapshot.map(Snapshot::time), started, finished, restoreTime, age,
                scratchText, bytes, checks);
        try {
            audit(report, sink);
        } catch (RuntimeException e) {
            LOG.warn("drill {}: cannot write its audit line: {}", drill.name(), redactor.message(e));
        } finally {
            closeQuietly(sink);
        }
        if (report.passed()) {
            LOG.info("drill {} passed: snapshot {}, restore {}", drill.name(), report.snapshot().orElse("-"),
                    report.restoreTime().map(DrillReport::words).orElse("-"));
        } else {
            LOG.warn("drill {} failed: {}", drill.name(), report.failureSummary());
        }
        return report;
    }

    /**
     * The scratch target of the snapshot's kind, made by the {@link DrillSupport} its module offers: a directory under
     * the drill's target, or a database on the drill's server or the job's own.
     */
    private Scratch scratch(DrillConfig drill, JobConfig job, Snapshot s, Repository repo, Redactor redactor)
            throws IOException {
        String kind = s.source().kind();
        SourceProvider provider = Sources.requireKind(kind); // names the module to add when it is missing
        DrillSupport support = provider.drills().orElseThrow(() -> new UnsupportedException("drills restore the kinds"
                + " whose module offers them; snapshot " + s.id() + " is of a " + kind + " source (" + s.source()
                + "), and " + provider.module() + " offers no drills"));
        Map<String, String> environment = Map.of();
        Map<String, String> sourceOptions = Map.of();
        if (!support.directoryTarget()) {
            if (drill.target().isPresent()) {
                environment = jobs.environment(provider, drill.environment(), drill.password(), "drills." + drill.name(),
                        redactor);
            } else {
                if (job.source().location().isEmpty()) {
                    throw new UnsupportedException("job " + job.name() + " has no database location, yet its snapshot "
                            + s.id() + " is of " + s.source() + ": give the drill a target server");
                }
                environment = jobs.environment(provider, job.source().environment(), job.source().password(),
                        "jobs." + job.name() + ".source", redactor);
                sourceOptions = job.source().options();
            }
        }
        Set<String> wanted = support.checks().stream().filter(drill::wants).collect(Collectors.toSet());
        return support.scratch(new DrillSupport.Request(drill.name(), s, repo.entries(s), drill.target(),
                job.source().location(), environment, sourceOptions, drill.options(), wanted, tempDir,
                Optional.of(repo)));
    }

    /** The {@code restore} check from how the restore ended. */
    private static Check restoreCheck(Optional<RestoreResult> result, Optional<Exception> failure, String where,
                                      Redactor redactor) {
        if (failure.isPresent()) {
            return Check.failed("restore", redactor.message(failure.get()));
        }
        RestoreResult r = result.orElseThrow();
        return Check.passed("restore", "restored " + r.entries() + " entries, " + r.bytes() + " bytes, into " + where);
    }

    private static Check verify(Repository repo, Snapshot s) {
        VerifyReport report = repo.verify(SnapshotSelector.id(s.id()), true);
        if (report.ok()) {
            return Check.passed(DrillConfig.VERIFY, "read " + report.objectsRead() + " objects (" + report.bytesRead()
                    + " bytes): every blob of the snapshot matches its id");
        }
        return Check.failed(DrillConfig.VERIFY, report.problems().size() + " problems: " + report.problems().stream()
                .map(p -> p.object() + ": " + p.message()).collect(Collectors.joining("; ")));
    }

    private Optional<Check> smoke(DrillConfig drill, JobConfig job, Scratch scratch, boolean restored, Redactor redactor) {
        Optional<SmokeCheck> callback = Optional.ofNullable(smokeChecks.get(job.name()));
        boolean listed = drill.checks().contains(DrillConfig.SMOKE);
        if (callback.isEmpty() && drill.smoke().isEmpty()) {
            return listed ? Optional.of(Check.failed(DrillConfig.SMOKE, "no smoke check is given: set smoke: (an SQL"
                    + " query) in drills." + drill.name() + ", or pass one with DrillRunner.Builder.smokeCheck"))
                    : Optional.empty();
        }
        if (!restored) {
            return Optional.of(Check.skipped(DrillConfig.SMOKE, "the restore failed"));
        }
        if (drill.smoke().isPresent()) {
            Check query = DrillScratches.check(scratch.smokeQuery(drill.smoke().get()), redactor);
            if (query.status() != DrillReport.Status.PASSED || callback.isEmpty()) {
                return Optional.of(new Check(query.name(), query.status(), redactor.redact(query.detail())));
            }
        }
        try {
            callback.get().check(DrillScratches.view(scratch));
            return Optional.of(Check.passed(DrillConfig.SMOKE, "the application's smoke check passed"
                    + (drill.smoke().isPresent() ? ", and the smoke query returned a true value" : "")));
        } catch (Exception e) {
            return Optional.of(Check.failed(DrillConfig.SMOKE, "the application's smoke check failed: " + redactor.message(e)));
        }
    }

    private void audit(DrillReport report, Sink sink) {
        AuditRecord.Builder record = AuditRecord.builder(AuditOperation.DRILL, report.started()).job(report.job())
                .repository(config.repository(config.job(report.job()).repository()).location())
                .bytes(report.restoredBytes()).duration(report.duration())
                .detail("drill " + report.drill() + ": restore " + report.restoreTime().map(DrillReport::words).orElse("-")
                        + ", snapshot age " + report.snapshotAge().map(DrillReport::words).orElse("-") + ", into "
                        + report.scratch() + "; " + report.checks().stream().map(c -> c.name() + " " + c.status().text())
                        .collect(Collectors.joining(", ")));
        report.snapshot().ifPresent(record::snapshot);
        if (!report.passed()) {
            record.failed(report.failureSummary().replace('\n', ' '));
        }
        jobs.auditLine(record, sink);
    }

    /** The result the scheduler records for a scheduled drill. */
    JobResult result(DrillReport report, Instant slot) {
        return new JobResult(SCHEDULED_PREFIX + report.drill(), slot, jobs.host(), report.started(), report.finished(),
                report.passed() ? JobResult.Outcome.SUCCEEDED : JobResult.Outcome.FAILED, report.snapshot(),
                report.restoredBytes(), report.passed() ? Optional.empty() : Optional.of(report.failureSummary()), List.of());
    }

    private static void closeQuietly(Sink sink) {
        if (sink == null) {
            return;
        }
        try {
            sink.close();
        } catch (Exception e) {
            LOG.debug("closing {}: {}", sink.describe(), e.toString());
        }
    }

    /** Builds a {@link DrillRunner}. */
    public static final class Builder {
        private final JobsConfig config;
        private Clock clock = Clock.systemUTC();
        private Map<String, String> environment = Map.of();
        private String host = "localhost";
        private String user = "";
        private Path tempDir = Path.of(System.getProperty("java.io.tmpdir"));
        private final Map<String, SmokeCheck> smokeChecks = new HashMap<>();
        private Optional<Path> cache = Optional.empty();

        private Builder(JobsConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * The reader's local cache for the repositories a drill restores from ({@link JobRunner.Builder#cacheDirectory};
         * default: none): a drill out of S3 or GCS then reads each tree pack once.
         */
        public Builder cacheDirectory(Path value) {
            cache = Optional.of(Objects.requireNonNull(value, "cacheDirectory"));
            return this;
        }

        /** The clock of the RPO and of audit lines (default: the system clock). */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** What {@code env:NAME} references and the sources read (default: none); the CLI passes the process's. */
        public Builder environment(Map<String, String> value) {
            environment = Objects.requireNonNull(value, "environment");
            return this;
        }

        /** This machine's name, for audit lines. */
        public Builder host(String value) {
            host = Objects.requireNonNull(value, "host");
            return this;
        }

        /** The operating-system user, for audit lines. */
        public Builder user(String value) {
            user = Objects.requireNonNull(value, "user");
            return this;
        }

        /**
         * Where scratch directories of drills without a {@code target} are made, and PostgreSQL's temporary files go
         * (default: {@code java.io.tmpdir}).
         */
        public Builder tempDir(Path value) {
            tempDir = Objects.requireNonNull(value, "tempDir");
            return this;
        }

        /** The application's check of job {@code job}'s restored data, run in each of its drills. */
        public Builder smokeCheck(String job, SmokeCheck check) {
            smokeChecks.put(Objects.requireNonNull(job, "job"), Objects.requireNonNull(check, "check"));
            return this;
        }

        public DrillRunner build() {
            for (String job : smokeChecks.keySet()) {
                config.job(job); // a smoke check for a job that does not exist is a mistake to tell now
            }
            return new DrillRunner(this);
        }
    }
}
