package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupPipeline;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.encryption.EncryptionProvider;
import com.mintreplica.backup.core.encryption.Encryptions;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import com.mintreplica.backup.jobs.audit.AuditRecord;
import com.mintreplica.backup.jobs.config.CopyConfig;
import com.mintreplica.backup.jobs.config.EncryptionConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.KeyConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.RetentionConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.jobs.internal.KnownLocations;
import com.mintreplica.backup.jobs.internal.Redactor;
import com.mintreplica.backup.jobs.internal.Retentions;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one job once: opens (or creates) its repository, backs its source up, applies its retention, copies the new
 * snapshot to its copy targets (applying their retention there), and writes an audit line for each of these steps.
 * It never throws for a failed job: the {@link JobResult} says what happened. It does not coordinate with other
 * replicas; {@link JobScheduler} does.
 *
 * <p>Secrets (passwords, passphrases) are read from their references when the job runs, handed to the source or key
 * and never logged: every message that reaches a log, an audit line or a result has them replaced by {@code ***}.
 */
public final class JobRunner implements JobAction {
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
    /**
     * The logger a failed run is logged to, beside the {@link JobResult} that says it: a caller that shows results
     * itself (the CLI's {@code run} and {@code daemon}) turns it off, so that no failure is said twice.
     */
    public static final String FAILURES_LOGGER = "com.mintreplica.backup.jobs.failures";
    private static final org.slf4j.Logger FAILURES = org.slf4j.LoggerFactory.getLogger(FAILURES_LOGGER);

    /** Scheduled prunes run as jobs named {@code _prune-<repository>} (no job name starts with {@code _}). */
    public static final String PRUNE_PREFIX = "_prune-";
    /** How long a scheduled prune waits for running backups to release the repository. */
    static final Duration PRUNE_LOCK_WAIT = Duration.ofMinutes(30);

    private final JobsConfig config;
    private final Clock clock;
    private final Map<String, String> environment;
    private final String host;
    private final String user;
    private final Optional<AuditLog> audit;
    private final Optional<java.nio.file.Path> cache;
    /** The repository each location held when this host's jobs last opened it (in the cache directory, when given). */
    private final KnownLocations knownLocations;

    private JobRunner(Builder b) {
        this.config = b.config;
        this.clock = b.clock;
        this.environment = Map.copyOf(b.environment);
        this.host = b.host;
        this.user = b.user;
        this.audit = config.audit().file().map(AuditLog::at);
        this.cache = b.cache;
        this.knownLocations = new KnownLocations(b.cache);
    }

    public static Builder builder(JobsConfig config) {
        return new Builder(config);
    }

    /** The host name this runner records (in snapshots unless the config names one, and in audit lines). */
    public String host() {
        return host;
    }

    public JobsConfig config() {
        return config;
    }

    @Override
    public JobResult run(JobConfig job, Instant slot) {
        Redactor redactor = new Redactor();
        Instant started = clock.instant();
        RepositoryConfig repoConfig = config.repository(job.repository());
        String snapshotHost = config.hostOf(job).orElse(host);
        Optional<String> snapshotId = Optional.empty();
        long bytes = 0;
        List<String> copied = new ArrayList<>();
        List<String> copyErrors = new ArrayList<>();
        try (Sink sink = Sinks.open(repoConfig.location());
             Repository repo = openRepository(repoConfig, sink, redactor)) {
            long t0 = System.nanoTime();
            BackupResult result;
            try {
                Source source = source(job, redactor);
                BackupPipeline.Builder pipeline = Backup.pipeline().source(source).to(repo).job(job.name())
                        .host(snapshotHost).clock(clock).tags(job.tags().toArray(String[]::new))
                        .stallTimeout(config.stallTimeout());
                result = pipeline.build().run();
            } catch (RuntimeException | IOException e) {
                audit(AuditRecord.builder(AuditOperation.BACKUP, started).job(job.name()).repository(repoConfig.location())
                        .duration(Duration.ofNanos(System.nanoTime() - t0)).failed(redactor.message(e)), sink);
                throw e;
            }
            Snapshot snapshot = result.snapshot();
            snapshotId = Optional.of(snapshot.id());
            bytes = result.bytesRead();
            audit(AuditRecord.builder(AuditOperation.BACKUP, started).job(job.name()).snapshot(snapshot.id())
                    .repository(repoConfig.location()).bytes(result.bytesRead()).duration(result.duration())
                    .detail(result.entries() + " entries, " + result.bytesNew() + " bytes new, " + result.bytesStored()
                            + " bytes stored"), sink);
            if (job.retention().isPresent()) {
                List<Snapshot> forgotten = Retentions.forget(repo, snapshot,
                        Retentions.policy(job.retention().get(), zoneOf(job), clock));
                if (!forgotten.isEmpty()) {
                    audit(AuditRecord.builder(AuditOperation.FORGET, clock.instant()).job(job.name())
                            .repository(repoConfig.location()).detail("retention forgot " + ids(forgotten)), sink);
                }
            }
            if (job.retention().isPresent() && job.source().location().isPresent()) {
                try {
                    // what a provider deletes after retention (PostgreSQL: expired WAL) is a deletion, audited as prune
                    afterRetention(job, repo, snapshot, redactor).ifPresent(what -> audit(AuditRecord.builder(
                            AuditOperation.PRUNE, clock.instant()).job(job.name()).repository(repoConfig.location())
                            .detail(what), sink));
                } catch (RuntimeException | IOException e) {
                    copyErrors.add("after retention: " + redactor.message(e));
                }
            }
            for (CopyConfig copy : config.copiesOf(job)) {
                try {
                    copy(job, copy, repo, snapshot, redactor, sink);
                    copied.add(copy.repository());
                } catch (RuntimeException | IOException e) {
                    copyErrors.add("copy to " + copy.repository() + " failed: " + redactor.message(e));
                }
            }
        } catch (RuntimeException | IOException e) {
            String message = redactor.message(e);
            FAILURES.warn("job {} failed: {}", job.name(), message);
            return new JobResult(job.name(), slot, host, started, clock.instant(), JobResult.Outcome.FAILED, snapshotId,
                    bytes, Optional.of(message), copied);
        }
        if (!copyErrors.isEmpty()) {
            String message = String.join("; ", copyErrors);
            FAILURES.warn("job {}: {}", job.name(), message);
            return new JobResult(job.name(), slot, host, started, clock.instant(), JobResult.Outcome.FAILED, snapshotId,
                    bytes, Optional.of(message), copied);
        }
        return new JobResult(job.name(), slot, host, started, clock.instant(), JobResult.Outcome.SUCCEEDED, snapshotId,
                bytes, Optional.empty(), copied);
    }

    /**
     * Prunes {@code repository}: deletes the data no remaining snapshot needs (jobs' retention has forgotten their old
     * snapshots already). Waits for running backups up to half an hour. Audited as {@code prune}.
     */
    public JobResult prune(RepositoryConfig repository, Instant slot) {
        String name = PRUNE_PREFIX + repository.name();
        Redactor redactor = new Redactor();
        Instant started = clock.instant();
        try (Sink sink = Sinks.open(repository.location());
             Repository repo = openRepository(repository, sink, redactor)) {
            try {
                PruneReport report = repo.prune().clock(clock).lockWait(PRUNE_LOCK_WAIT)
                        .stallTimeout(config.stallTimeout()).run();
                audit(AuditRecord.builder(AuditOperation.PRUNE, started).repository(repository.location())
                        .bytes(report.bytesFreed()).duration(report.duration())
                        .detail(report.packsDeleted() + " packs deleted, " + report.packsRepacked() + " repacked, "
                                + report.indexObjectsDeleted() + " index objects replaced"), sink);
                return new JobResult(name, slot, host, started, clock.instant(), JobResult.Outcome.SUCCEEDED,
                        Optional.empty(), report.bytesFreed(), Optional.empty(), List.of());
            } catch (RuntimeException e) {
                audit(AuditRecord.builder(AuditOperation.PRUNE, started).repository(repository.location())
                        .duration(Duration.between(started, clock.instant())).failed(redactor.message(e)), sink);
                throw e;
            }
        } catch (RuntimeException | IOException e) {
            String message = redactor.message(e);
            FAILURES.warn("prune of {} failed: {}", repository.name(), message);
            return new JobResult(name, slot, host, started, clock.instant(), JobResult.Outcome.FAILED, Optional.empty(), 0,
                    Optional.of(message), List.of());
        }
    }

    private void copy(JobConfig job, CopyConfig copy, Repository from, Snapshot snapshot, Redactor redactor, Sink auditSink)
            throws IOException {
        RepositoryConfig targetConfig = config.repository(copy.repository());
        Instant started = clock.instant();
        long t0 = System.nanoTime();
        try (Sink targetSink = Sinks.open(targetConfig.location());
             Repository target = openRepository(targetConfig, targetSink, redactor)) {
            try {
                long copiedBytes = from.copyTo(target, List.of(snapshot), config.stallTimeout()).bytesCopied();
                audit(AuditRecord.builder(AuditOperation.COPY, started).job(job.name()).snapshot(snapshot.id())
                        .repository(targetConfig.location()).bytes(copiedBytes).duration(Duration.ofNanos(System.nanoTime() - t0))
                        .detail("from " + Sinks.redact(config.repository(job.repository()).location())), auditSink);
            } catch (RuntimeException e) {
                audit(AuditRecord.builder(AuditOperation.COPY, started).job(job.name()).snapshot(snapshot.id())
                        .repository(targetConfig.location()).duration(Duration.ofNanos(System.nanoTime() - t0))
                        .failed(redactor.message(e)), auditSink);
                throw e;
            }
            if (job.source().location().isPresent()) {
                // what the kind keeps beside its snapshots (PostgreSQL: the WAL archive) goes along, through its provider
                URI uri = Sources.toUri(job.source().location().get());
                Instant walStarted = clock.instant();
                Sources.forLocation(uri).afterCopy(from, target, uri, job.source().options()).ifPresent(what ->
                        audit(AuditRecord.builder(AuditOperation.COPY, walStarted).job(job.name())
                                .repository(targetConfig.location()).detail(what + " from "
                                        + Sinks.redact(config.repository(job.repository()).location())), auditSink));
            }
            Optional<RetentionConfig> retention = copy.retention().or(job::retention);
            if (retention.isPresent()) {
                List<Snapshot> forgotten = Retentions.forget(target, snapshot, Retentions.policy(retention.get(), zoneOf(job), clock));
                if (!forgotten.isEmpty()) {
                    audit(AuditRecord.builder(AuditOperation.FORGET, clock.instant()).job(job.name())
                            .repository(targetConfig.location()).detail("retention forgot " + ids(forgotten)), auditSink);
                }
                if (job.source().location().isPresent()) {
                    afterRetention(job, target, snapshot, redactor).ifPresent(what -> audit(AuditRecord.builder(
                            AuditOperation.PRUNE, clock.instant()).job(job.name()).repository(targetConfig.location())
                            .detail(what), auditSink));
                }
            }
        }
    }

    /**
     * Opens the repository job {@code jobName} writes to, with the keys the config gives it (a writer key on a
     * write-only host), on {@code sink}, which the caller opens ({@code Sinks.open(repositoryLocation(jobName))}) and
     * closes after the repository. For commands that act for a job outside a run: the WAL archive's
     * {@code wal-push --config F --job J}.
     */
    public Repository openJobRepository(String jobName, Sink sink) {
        return openRepository(config.repository(config.job(jobName).repository()), sink, new Redactor());
    }

    /** The location of the repository job {@code jobName} writes to (may hold credentials: never print it). */
    public String repositoryLocation(String jobName) {
        return config.repository(config.job(jobName).repository()).location();
    }

    /** Opens the repository of {@code config} on {@code sink}, creating it when it is missing and may be created. */
    Repository openRepository(RepositoryConfig repo, Sink sink, Redactor redactor) {
        if (JobsConfig.writeOnly(repo)) {
            // A backup host with a writer key: it neither creates the repository nor reads it.
            if (!Repository.exists(sink)) {
                throw new NotFoundException("there is no repository at " + Sinks.redact(repo.location()) + " (repositories."
                        + repo.name() + "): a writer key only writes to an existing one. Create it where a recipient's"
                        + " key is (mint-backup init --encrypt-to KEY.asc) and export the writer key from it");
            }
            return Repository.open(sink, writer(repo.encryption().get()));   // a writer keeps no reader's cache
        }
        Optional<RepositoryEncryption> unlock = repo.encryption().map(e -> encryption().unlockWith(secretKeys(e.unlock(), redactor)));
        if (!Repository.exists(sink)) {
            Optional<String> held = knownLocations.idAt(repo.location());
            if (held.isPresent()) {
                // create: true is for a repository that never was, not for one whose disk is not mounted
                throw new NotFoundException(missingMessage(repo, held.get()));
            }
            if (!repo.create()) {
                throw new NotFoundException("there is no repository at " + Sinks.redact(repo.location()) + " (repositories."
                        + repo.name() + "): create it with `mint-backup init`, or set create: true");
            }
            Instant started = clock.instant();
            try {
                Repository created = repo.encryption().isPresent()
                        ? Repository.init(sink, RepositorySettings.defaults(), encryption().create(publicKeys(repo.encryption().get().recipients())))
                        : Repository.init(sink);
                audit(AuditRecord.builder(AuditOperation.INIT, started).repository(repo.location())
                        .detail(repo.encryption().isPresent() ? "encrypted to " + repo.encryption().get().recipients() : "not encrypted"), sink);
                LOG.info("created the repository {} at {}", repo.name(), Sinks.redact(repo.location()));
                knownLocations.remember(repo.location(), created.id());
                return cached(created);
            } catch (ConflictException raced) {
                // another replica created it first: open theirs
            }
        }
        Repository opened = unlock.isPresent() ? Repository.open(sink, unlock.get()) : Repository.open(sink);
        knownLocations.remember(repo.location(), opened.id());
        return cached(opened);
    }

    /** What a run says when the repository its jobs wrote to ({@code id}) is missing. */
    static String missingMessage(RepositoryConfig repo, String id) {
        return "there is no repository at " + Sinks.redact(repo.location()) + " (repositories." + repo.name() + "), but"
                + " jobs on this host wrote to the repository " + id + " there before: if it is on a disk or share that"
                + " is not mounted, mount it; no repository was created. If it is gone for good, make a new one with"
                + " `mint-backup init`";
    }

    /** {@code repository} with the reader's local cache, when this runner has one. */
    private Repository cached(Repository repository) {
        cache.ifPresent(repository::withCache);
        return repository;
    }

    /**
     * The encryption provider of the config's keys ({@link EncryptionConfig#SCHEME}), found on the class path.
     *
     * @throws com.mintreplica.backup.core.UnsupportedException naming the module to add when it is missing
     */
    static EncryptionProvider encryption() {
        return Encryptions.require(EncryptionConfig.SCHEME);
    }

    /**
     * The write-only encryption of a repository this host only writes to: its writer key, with its cache
     * ({@code encryption.cache}, else the XDG default).
     */
    RepositoryEncryption writer(EncryptionConfig encryption) {
        java.nio.file.Path cache = encryption.cache().orElseGet(() -> {
            String xdg = environment.get("XDG_CACHE_HOME");
            return xdg != null && !xdg.isBlank() ? java.nio.file.Path.of(xdg, "mint-backup")
                    : java.nio.file.Path.of(System.getProperty("user.home"), ".cache", "mint-backup");
        });
        return encryption().writeWith(encryption.writer().orElseThrow(), cache);
    }

    private List<EncryptionProvider.UnlockedKey> secretKeys(List<String> names, Redactor redactor) {
        EncryptionProvider provider = encryption();
        List<EncryptionProvider.UnlockedKey> out = new ArrayList<>();
        for (String name : names) {
            KeyConfig key = config.keys().get(name);
            Optional<Secret> passphrase = key.passphrase().map(ref -> redactor.track(ref.resolve(environment, "keys." + name + ".passphrase")));
            out.add(provider.unlock(key.secretKey().orElseThrow(), passphrase));
        }
        return out;
    }

    private List<java.nio.file.Path> publicKeys(List<String> names) {
        List<java.nio.file.Path> out = new ArrayList<>();
        for (String name : names) {
            KeyConfig key = config.keys().get(name);
            out.add(key.publicKey().or(key::secretKey).orElseThrow());
        }
        return out;
    }

    /**
     * Lets the job's kind remove what it keeps beside its snapshots and no retained snapshot needs (the WAL older than
     * the oldest retained base backup), through {@link SourceProvider#afterRetention}: the jobs layer names no kind.
     */
    private Optional<String> afterRetention(JobConfig job, Repository repo, Snapshot latest, Redactor redactor)
            throws IOException {
        URI uri = Sources.toUri(job.source().location().orElseThrow());
        List<Snapshot> retained = repo.snapshots().stream()
                .filter(s -> s.job().map(job.name()::equals).orElse(false) && s.source().equals(latest.source()))
                .sorted(java.util.Comparator.comparing(Snapshot::time).reversed())
                .toList();
        return Sources.forLocation(uri).afterRetention(repo, uri, job.source().options(), retained);
    }

    /** The job's Source: a directory tree, or what the provider of its location's scheme opens. */
    Source source(JobConfig job, Redactor redactor) throws IOException {
        SourceConfig s = job.source();
        if (s.isFiles()) {
            // the provider of file: locations (backup-fs) takes several roots and their globs
            List<URI> roots = s.paths().stream().map(java.nio.file.Path::toUri).toList();
            return Sources.forLocation(roots.get(0)).source(roots, s.include(), s.exclude(), Map.of());
        }
        URI uri = Sources.toUri(s.location().orElseThrow());
        SourceProvider provider = Sources.forLocation(uri);
        Map<String, String> env = environment(provider, s.environment(), s.password(), "jobs." + job.name() + ".source",
                redactor);
        return provider.withEnvironment(env).source(uri, s.options());
    }

    /**
     * The environment job {@code jobName}'s source is given: the runner's, the job's {@code environment}, and its
     * {@code password} in the variable its kind reads. For tools that reach the job's source themselves
     * ({@code mint-backup wal-receive --config F --job J}); it holds secrets, so never log or print it.
     *
     * @throws com.mintreplica.backup.core.InvalidInputException when there is no such job, or a secret cannot be read
     */
    public Map<String, String> sourceEnvironment(String jobName) {
        JobConfig job = config.job(jobName);
        SourceConfig s = job.source();
        if (s.isFiles()) {
            return Map.copyOf(environment);
        }
        SourceProvider provider = Sources.forLocation(Sources.toUri(s.location().orElseThrow()));
        return Map.copyOf(environment(provider, s.environment(), s.password(), "jobs." + job.name() + ".source",
                new Redactor()));
    }

    /**
     * The environment a source or target of {@code provider}'s kind is given: the runner's, then {@code variables}, then
     * the password in the variable the kind reads ({@link SourceProvider#passwordVariable()}). Every secret resolved is
     * tracked by {@code redactor}.
     *
     * @param field where these come from in the config, for messages ({@code jobs.NAME.source})
     */
    Map<String, String> environment(SourceProvider provider, Map<String, SecretRef> variables, Optional<SecretRef> passwordRef,
                                    String field, Redactor redactor) {
        Map<String, String> env = new HashMap<>(environment);
        variables.forEach((variable, ref) -> {
            Secret value = ref.resolve(environment, field + ".environment." + variable);
            if (ref.kind() != SecretRef.Kind.LITERAL) {
                redactor.track(value);
            }
            env.put(variable, value.reveal());
        });
        if (passwordRef.isPresent()) {
            Secret password = redactor.track(passwordRef.get().resolve(environment, field + ".password"));
            String variable = provider.passwordVariable().orElseThrow(() -> new InvalidInputException(field
                    + ".password: a " + provider.kind() + " source takes no password here: give its credentials"
                    + " through environment"));
            env.put(variable, password.reveal());
        }
        return env;
    }

    /** Appends {@code record} (with this runner's host and user) to the audit log, if there is one. */
    void auditLine(AuditRecord.Builder record, Sink repository) {
        audit(record, repository);
    }

    Clock clock() {
        return clock;
    }

    Map<String, String> environment() {
        return environment;
    }

    private void audit(AuditRecord.Builder record, Sink repository) {
        if (audit.isEmpty()) {
            return;
        }
        AuditRecord r = record.host(host).user(user).build();
        audit.get().append(r, config.audit().repository() ? List.of(repository) : List.of());
    }

    /** Days and weeks of retention are those of the job's schedule zone (else the config's). */
    private java.time.ZoneId zoneOf(JobConfig job) {
        return job.schedule().map(CronSchedule::zone).orElse(config.zone());
    }

    private static String ids(List<Snapshot> snapshots) {
        return snapshots.size() + " snapshot" + (snapshots.size() == 1 ? "" : "s") + ": "
                + String.join(", ", snapshots.stream().map(Snapshot::id).toList());
    }

    /** Builds a {@link JobRunner}. */
    public static final class Builder {
        private final JobsConfig config;
        private Clock clock = Clock.systemUTC();
        private Map<String, String> environment = Map.of();
        private String host = "localhost";
        private String user = "";
        private Optional<java.nio.file.Path> cache = Optional.empty();

        private Builder(JobsConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * A reader's local cache (snapshot summaries, index objects, tree packs; by repository id) for the repositories
         * this runner opens with reader keys, as the CLI keeps one: a copy out of a remote store then reads each tree
         * pack once, not one request per directory. Default: none (a library writes nowhere it was not told to).
         * The runner also records there which repository each location held: a job never creates a new repository
         * where one it wrote to before has gone missing (a backup disk that is not mounted), whatever {@code create}.
         */
        public Builder cacheDirectory(java.nio.file.Path value) {
            cache = Optional.of(Objects.requireNonNull(value, "cacheDirectory"));
            return this;
        }

        /** The clock of snapshots and audit lines (default: the system clock). */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * The environment variables secret references ({@code env:NAME}) and sources read (default: none). The CLI
         * passes the process environment; an app may pass its own.
         */
        public Builder environment(Map<String, String> value) {
            environment = Objects.requireNonNull(value, "environment");
            return this;
        }

        /** This machine's name, for audit lines and snapshots of jobs whose config names no host. */
        public Builder host(String value) {
            host = Objects.requireNonNull(value, "host");
            return this;
        }

        /** The operating-system user, for audit lines. */
        public Builder user(String value) {
            user = Objects.requireNonNull(value, "user");
            return this;
        }

        public JobRunner build() {
            return new JobRunner(this);
        }
    }
}
