package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkOptions;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.encryption.EncryptionProvider;
import com.mintreplica.backup.core.encryption.EncryptionProvider.KeyInfo;
import com.mintreplica.backup.core.encryption.EncryptionProvider.UnlockedKey;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.jobs.DoctorReport.Finding;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.KeyConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.internal.Redactor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Checks that a config's jobs can run here, before they have to: {@code mint-backup doctor}. Each finding says what
 * was checked, and each problem what to do about it.
 *
 * <ul>
 *   <li>keys: every key file reads, every secret key unlocks with its passphrase, none has expired (a warning 30 days
 *       before), by this doctor's clock;</li>
 *   <li>repositories: reachable and writable (a probe object under {@code doctor/} is created, read, listed and
 *       deleted), the repository exists or may be created, its {@code unlock} keys open it; and the clock: the store's
 *       time of the probe against this machine's;</li>
 *   <li>PostgreSQL jobs: the login works, and pg_dump and pg_restore are found where a backup looks and are at least
 *       the server's major version (backup-postgres' own preflight); the same for the server of a drill; MongoDB jobs:
 *       the server answers and the login works;</li>
 *   <li>free space and write access in the temporary directory (and in PostgreSQL's {@code temp-dir}s and directory
 *       drills' targets), against the size of the latest snapshots that go through it;</li>
 *   <li>the audit log's directory is writable.</li>
 * </ul>
 *
 * <p>Nothing here changes a repository: the probe object is deleted again, and repositories that do not exist are not
 * created. Secrets are read from their references as a run would read them, and never appear in a finding.
 */
public final class Doctor {
    /** Where probe objects are written: apart from every prefix the repository, jobs and prune use. */
    public static final String PROBE_PREFIX = "doctor/";
    /**
     * The doctor answers within seconds: a failing request to a remote store is retried for 10 seconds, not a backup's
     * 15 minutes, so a store that is down is reported as a problem at once, and one that fails now and then still
     * passes its probe (unless the repository's URI names its own retryFor).
     */
    private static final SinkOptions PROBE_SINK = SinkOptions.defaults().retryFor(java.time.Duration.ofSeconds(10));
    static final Duration KEY_WARNING = Duration.ofDays(30);
    static final Duration SKEW_WARNING = Duration.ofSeconds(5);
    static final Duration SKEW_PROBLEM = Duration.ofSeconds(60);
    static final long LOW_SPACE = 1L << 30;

    private final JobsConfig config;
    private final JobRunner jobs;
    /** What the jobs' runner recorded of the repositories at each location (its cache directory), read only. */
    private final com.mintreplica.backup.jobs.internal.KnownLocations knownLocations;
    private final Clock clock;
    private final Map<String, String> environment;
    private final Path tempDir;
    private final String host;

    private Doctor(Builder b) {
        this.config = b.config;
        this.clock = b.clock;
        this.environment = Map.copyOf(b.environment);
        this.tempDir = b.tempDir;
        this.host = b.host;
        this.jobs = JobRunner.builder(config).clock(b.clock).environment(b.environment).host(b.host).build();
        this.knownLocations = new com.mintreplica.backup.jobs.internal.KnownLocations(b.cache);
    }

    public static Builder builder(JobsConfig config) {
        return new Builder(config);
    }

    /** Runs every check. Never throws for what it finds: that is the report. */
    public DoctorReport run() {
        List<Finding> out = new ArrayList<>();
        Redactor redactor = new Redactor();
        Map<String, UnlockedKey> unlocked = keys(out, redactor);
        Map<String, Long> latestSizes = new LinkedHashMap<>();
        for (RepositoryConfig repository : config.repositories().values()) {
            repository(repository, unlocked, latestSizes, out, redactor);
        }
        for (JobConfig job : config.jobs().values()) {
            paths(job, out);
            database(job, out, redactor);
        }
        for (DrillConfig drill : config.drills().values()) {
            drillServer(drill, out, redactor);
        }
        tempSpace(latestSizes, out);
        auditLog(out);
        return new DoctorReport(out);
    }

    // ---- keys

    private Map<String, UnlockedKey> keys(List<Finding> out, Redactor redactor) {
        Map<String, UnlockedKey> unlocked = new LinkedHashMap<>();
        if (config.keys().isEmpty()) {
            return unlocked;
        }
        EncryptionProvider encryption;
        try {
            encryption = JobRunner.encryption();
        } catch (BackupException e) {
            for (KeyConfig key : config.keys().values()) {
                out.add(Finding.problem("key", "keys." + key.name(), redactor.message(e), "add the module of the keys'"
                        + " scheme (" + com.mintreplica.backup.jobs.config.EncryptionConfig.SCHEME + ") to the class path"));
            }
            return unlocked;
        }
        for (KeyConfig key : config.keys().values()) {
            String subject = "keys." + key.name();
            if (key.publicKey().isPresent()) {
                Path file = key.publicKey().get();
                try {
                    for (KeyInfo k : encryption.publicKeys(file)) {
                        out.add(expiry(encryption, subject, "public key " + k.fingerprint() + " " + k.userIds() + " in "
                                + file, k, file));
                    }
                } catch (BackupException e) {
                    out.add(Finding.problem("key", subject, "cannot read the public key file " + file + ": "
                            + redactor.message(e), "export the key again (gpg --export --armor FINGERPRINT > " + file
                            + ") and make the file readable by the user that runs the jobs"));
                }
            }
            if (key.secretKey().isPresent()) {
                Path file = key.secretKey().get();
                Optional<Secret> passphrase;
                try {
                    passphrase = key.passphrase().map(ref -> redactor.track(ref.resolve(environment, subject + ".passphrase")));
                } catch (BackupException e) {
                    out.add(Finding.problem("key", subject, redactor.message(e), "set the variable or create the file "
                            + subject + ".passphrase refers to, with the passphrase on its first line"));
                    continue;
                }
                try {
                    UnlockedKey secret = encryption.unlock(file, passphrase);
                    unlocked.put(key.name(), secret);
                    KeyInfo info = secret.info();
                    out.add(expiry(encryption, subject, "secret key " + info.fingerprint() + " " + info.userIds() + " in "
                            + file + " unlocks", info, file));
                } catch (AccessDeniedException e) {
                    out.add(Finding.problem("key", subject, redactor.message(e), key.passphrase().isPresent()
                            ? "put the key's passphrase where " + subject + ".passphrase (" + key.passphrase().get()
                            + ") refers to, or check that " + file + " is the right key"
                            : "give the passphrase: " + subject + ".passphrase: env:NAME or file:/path"));
                } catch (BackupException e) {
                    out.add(Finding.problem("key", subject, "cannot read the secret key file " + file + ": "
                            + redactor.message(e), "export the key again (gpg --export-secret-keys --armor FINGERPRINT > "
                            + file + ") and make the file readable by the user that runs the jobs, and no one else"));
                }
            }
        }
        return unlocked;
    }

    private Finding expiry(EncryptionProvider encryption, String subject, String what, KeyInfo key, Path file) {
        String renewal = encryption.renewal(key, file);
        if (key.problem().isPresent()) {
            return Finding.problem("key", subject, what + ": " + key.problem().get(), renewal);
        }
        Optional<Instant> expires = key.expires();
        Instant now = clock.instant();
        if (expires.isEmpty()) {
            return Finding.ok("key", subject, what + ", never expires");
        }
        if (!expires.get().isAfter(now)) {
            return Finding.problem("key", subject, what + ", expired on " + expires.get()
                    + ": nothing can be encrypted to it", renewal);
        }
        Duration left = Duration.between(now, expires.get());
        if (left.compareTo(KEY_WARNING) < 0) {
            return Finding.warning("key", subject, what + ", expires on " + expires.get() + ", in "
                    + JobStatus.words(left), renewal);
        }
        return Finding.ok("key", subject, what + ", valid until " + expires.get());
    }

    // ---- repositories and the clock

    private void repository(RepositoryConfig repository, Map<String, UnlockedKey> unlocked,
                            Map<String, Long> latestSizes, List<Finding> out, Redactor redactor) {
        String subject = "repositories." + repository.name();
        String where = Sinks.redact(repository.location());
        String reach = "check that " + where + " is reachable from this machine (network, endpoint, DNS), that the"
                + " credentials are set (S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or a role; GCS:"
                + " GOOGLE_APPLICATION_CREDENTIALS; a directory: its owner and mode) and allow put, get, list and delete"
                + " under it";
        Sink sink;
        try {
            sink = Sinks.open(repository.location(), PROBE_SINK);
        } catch (BackupException e) {
            out.add(Finding.problem("storage", subject, "cannot open " + where + ": " + redactor.message(e),
                    "correct " + subject + ".location; " + reach));
            return;
        }
        try {
            if (knownLocations.idAt(repository.location()).isPresent() && missing(sink)) {
                // No probe object: writing one would make directories under an unmounted disk's mount point.
                state(repository, sink, unlocked, latestSizes, out, redactor);
                return;
            }
            if (!probe(sink, subject, where, reach, out, redactor)) {
                return;
            }
            state(repository, sink, unlocked, latestSizes, out, redactor);
        } finally {
            try {
                sink.close();
            } catch (Exception ignored) {
                // nothing to report: the checks are done
            }
        }
    }

    /** Whether the store answers that there is no repository (an error is for the probe to report). */
    private static boolean missing(Sink sink) {
        try {
            return !Repository.exists(sink);
        } catch (RuntimeException unreachable) {
            return false;
        }
    }

    /** Creates, reads, lists and deletes a probe object; compares the store's time with this machine's. */
    private boolean probe(Sink sink, String subject, String where, String reach, List<Finding> out, Redactor redactor) {
        String name = PROBE_PREFIX + "probe-" + UUID.randomUUID();
        byte[] payload = ("mint-backup doctor probe from " + host + "\n").getBytes(StandardCharsets.UTF_8);
        String step = "write";
        Instant before = clock.instant();
        long t0 = System.nanoTime();
        try {
            sink.put(name, new ByteArrayInputStream(payload), payload.length, ObjectKind.LOCK);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            Instant written = before.plus(took.dividedBy(2));
            step = "read";
            Optional<ObjectInfo> info = sink.stat(name);
            byte[] read;
            try (InputStream in = sink.get(name)) {
                read = in.readAllBytes();
            }
            if (info.isEmpty() || !Arrays.equals(read, payload)) {
                out.add(Finding.problem("storage", subject, where + " did not give back the probe object " + name
                        + " as written", "check that nothing between this machine and the store rewrites objects"
                        + " (a proxy, a gateway), and the store's health"));
                return false;
            }
            step = "list";
            boolean listed;
            try (var objects = sink.list(PROBE_PREFIX)) {
                listed = objects.anyMatch(o -> o.name().equals(name));
            }
            step = "delete";
            sink.delete(name);
            if (sink.stat(name).isPresent()) {
                out.add(Finding.problem("storage", subject, "the probe object " + name + " in " + where
                        + " is still there after deleting it", "allow deleting objects (prune needs it): check the"
                        + " store's permissions, retention or Object Lock on the " + PROBE_PREFIX + " prefix"));
                return false;
            }
            if (!listed) {
                out.add(Finding.problem("storage", subject, "the probe object " + name + " was written to " + where
                        + " but not listed under " + PROBE_PREFIX, "allow listing objects (s3:ListBucket) under the"
                        + " repository's prefix: snapshots are found by listing"));
                return false;
            }
            out.add(Finding.ok("storage", subject, "reachable and writable: wrote, read, listed and deleted "
                    + name + " in " + where + " (" + took.toMillis() + " ms to write)"));
            out.add(skew(subject, where, info.get().lastModified(), written, took));
            return true;
        } catch (IOException | RuntimeException e) {
            out.add(Finding.problem("storage", subject, "cannot " + step + " a probe object in " + where + ": "
                    + redactor.message(e), reach));
            try {
                sink.delete(name);
            } catch (IOException | RuntimeException ignored) {
                // best effort: it may never have been written
            }
            return false;
        }
    }

    private Finding skew(String subject, String where, Instant storeTime, Instant localTime, Duration took) {
        Duration skew = Duration.between(localTime, storeTime);
        // Stores keep whole seconds (S3, GCS), and the write itself took time: within that, the clocks agree.
        Duration tolerance = Duration.ofSeconds(1).plus(took.dividedBy(2));
        Duration off = skew.abs().minus(tolerance);
        String text = "this machine's clock is " + DrillReport.words(skew.abs()) + (skew.isNegative() ? " ahead of " : " behind ")
                + where + "'s";
        String fix = "synchronise this machine's clock (NTP: timedatectl set-ntp true; chronyc tracking shows the"
                + " offset): replicas compare lease expiries with their own clocks, snapshot times and schedules come"
                + " from it, and S3 refuses requests signed more than 15 minutes off";
        if (off.compareTo(SKEW_PROBLEM) > 0) {
            return Finding.problem("clock", subject, text, fix);
        }
        if (off.compareTo(SKEW_WARNING) > 0) {
            return Finding.warning("clock", subject, text, fix);
        }
        return Finding.ok("clock", subject, "this machine's clock agrees with " + where + "'s (within "
                + DrillReport.words(tolerance.plus(SKEW_WARNING)) + ")");
    }

    private void state(RepositoryConfig repository, Sink sink, Map<String, UnlockedKey> unlocked,
                       Map<String, Long> latestSizes, List<Finding> out, Redactor redactor) {
        String subject = "repositories." + repository.name();
        String where = Sinks.redact(repository.location());
        try {
            if (!Repository.exists(sink)) {
                Optional<String> held = knownLocations.idAt(repository.location());
                if (held.isPresent()) {
                    out.add(Finding.problem("repository", subject, "there is no repository at " + where + ", but jobs"
                            + " on this host wrote to the repository " + held.get() + " there before; runs fail"
                            + " rather than create a new one", "if a backup disk or share should be mounted there, it"
                            + " is not: mount it; if the repository is gone for good, `mint-backup init --repo " + where
                            + "` makes a new one"));
                } else if (repository.create()) {
                    // A warning, not "ok": the classic cause is a backup disk that is not mounted, and the first run
                    // would then make a new repository on the disk underneath.
                    out.add(Finding.warning("repository", subject, "there is no repository at " + where + " yet: the"
                            + " first job run creates one there", "if a backup disk or share should be mounted there,"
                            + " it is not: mount it; if the repository is to be new, `mint-backup init --repo " + where
                            + "` makes it now (or set " + subject + ".create: false to have jobs fail instead)"));
                } else {
                    out.add(Finding.problem("repository", subject, "there is no repository at " + where + " and "
                            + subject + ".create is false", "create it: mint-backup init --repo " + where
                            + (repository.encryption().isPresent() ? " --encrypt-to PUBLIC-KEY.asc" : "")
                            + ", or set " + subject + ".create: true"));
                }
                return;
            }
            if (JobsConfig.writeOnly(repository)) {
                // A write-only host: opening checks the writer key (this repository's, not revoked) and that the
                // recipients are those it encrypts to; it reads no snapshot.
                try (Repository repo = Repository.open(sink, jobs.writer(repository.encryption().get()))) {
                    out.add(Finding.ok("repository", subject, "opens with the writer key "
                            + repository.encryption().get().writer().get() + " (write-only: backs up and copies into it,"
                            + " reads nothing); its recipients are those the key encrypts to"));
                }
                return;
            }
            Repository repo;
            if (repository.encryption().isPresent()) {
                List<String> names = repository.encryption().get().unlock();
                List<UnlockedKey> keys = names.stream().filter(unlocked::containsKey).map(unlocked::get).toList();
                if (keys.isEmpty()) {
                    out.add(Finding.problem("repository", subject, where + " is encrypted and none of its unlock keys "
                            + names + " could be read (see keys above)", "fix the keys above"));
                    return;
                }
                repo = Repository.open(sink, JobRunner.encryption().unlockWith(keys));
            } else {
                repo = Repository.open(sink);
            }
            try (repo) {
                List<Snapshot> snapshots = repo.snapshots();
                out.add(Finding.ok("repository", subject, "opens" + (repository.encryption().isPresent()
                        ? " with keys " + repository.encryption().get().unlock() : "") + ": " + snapshots.size()
                        + " snapshots"));
                for (Snapshot s : snapshots) {
                    s.job().ifPresent(job -> latestSizes.merge(job, s.stats().totalBytes(), (a, b) -> b));
                }
            }
        } catch (AccessDeniedException e) {
            out.add(Finding.problem("repository", subject, redactor.message(e), "unlock must name a key the repository"
                    + " is encrypted to: mint-backup key list --repo " + where + " shows them; add one with mint-backup"
                    + " key add"));
        } catch (BackupException e) {
            out.add(Finding.problem("repository", subject, "cannot open the repository at " + where + ": "
                    + redactor.message(e), "check " + subject + ".location; mint-backup verify --repo " + where
                    + " tells more"));
        }
    }

    // ---- source paths

    /**
     * A job's source paths: each there and readable. A path that is missing fails every run of the job (a mistyped
     * path, or a share that is not mounted), and the doctor said nothing of it.
     */
    private void paths(JobConfig job, List<Finding> out) {
        String subject = "jobs." + job.name();
        for (Path path : job.source().paths()) {
            if (!Files.exists(path)) {
                out.add(Finding.problem("source", subject, "the source path " + path + " does not exist: every run of"
                        + " the job fails", "correct " + subject + ".source.paths, or mount or create " + path));
            } else if (!Files.isReadable(path)) {
                out.add(Finding.problem("source", subject, "the source path " + path + " cannot be read by this user",
                        "run the jobs as a user who may read it, or give that user access"));
            }
        }
    }

    // ---- databases

    /** A job's source, by its kind's {@link Preflight}: the login works, the tools are there and fit the server. */
    private void database(JobConfig job, List<Finding> out, Redactor redactor) {
        Optional<SourceProvider> provider = JobsConfig.providerOf(job);
        Optional<Preflight> preflight = provider.flatMap(SourceProvider::preflight);
        if (preflight.isEmpty() || job.source().location().isEmpty()) {
            return;
        }
        String subject = "jobs." + job.name();
        List<Preflight.Finding> found;
        try {
            Map<String, String> env = jobs.environment(provider.get(), job.source().environment(), job.source().password(),
                    subject + ".source", redactor);
            found = preflight.get().source(Sources.toUri(job.source().location().get()), job.source().options(), env,
                    subject + ".source");
        } catch (BackupException | IOException e) {
            out.add(Finding.problem("database", subject, redactor.message(e), "set what " + subject
                    + ".source refers to (its password or environment)"));
            return;
        }
        found.forEach(f -> out.add(finding(f, subject, redactor)));
        // Continuous archiving (PostgreSQL with wal-stall-after): stalled or failing on the server, stale in the
        // repository.
        JobStatus.continuity(jobs, job, clock.instant())
                .ifPresent(c -> c.findings().forEach(f -> out.add(finding(f, subject, redactor))));
    }

    /** A drill's server (not a directory), by its kind's {@link Preflight}. */
    private void drillServer(DrillConfig drill, List<Finding> out, Redactor redactor) {
        JobConfig job = config.jobs().get(drill.job());
        if (drill.target().isEmpty() || job == null) {
            return;
        }
        Optional<SourceProvider> provider = JobsConfig.providerOf(job);
        Optional<Preflight> preflight = provider.flatMap(SourceProvider::preflight);
        if (preflight.isEmpty() || provider.get().drills().map(DrillSupport::directoryTarget).orElse(true)) {
            return;
        }
        String subject = "drills." + drill.name();
        Map<String, String> env;
        try {
            env = jobs.environment(provider.get(), drill.environment(), drill.password(), subject, redactor);
        } catch (BackupException e) {
            out.add(Finding.problem("database", subject, redactor.message(e), "set what " + subject
                    + " refers to (its password or environment)"));
            return;
        }
        try {
            preflight.get().restoreServer(Sources.toUri(drill.target().get()), drill.options(), env, subject)
                    .forEach(f -> out.add(finding(f, subject, redactor)));
        } catch (BackupException | IOException e) {
            out.add(Finding.problem("database", subject, redactor.message(e), "correct " + subject + ".target and "
                    + subject + ".options"));
        }
    }

    private static Finding finding(Preflight.Finding f, String subject, Redactor redactor) {
        DoctorReport.Severity severity = switch (f.severity()) {
            case OK -> DoctorReport.Severity.OK;
            case WARNING -> DoctorReport.Severity.WARNING;
            case PROBLEM -> DoctorReport.Severity.PROBLEM;
        };
        return new Finding(f.check(), subject, severity, redactor.redact(f.message()), f.fix().map(redactor::redact));
    }

    // ---- temporary space and the audit log

    private void tempSpace(Map<String, Long> latestSizes, List<Finding> out) {
        Map<Path, Long> needs = new LinkedHashMap<>();
        Map<Path, Boolean> madeOnDemand = new LinkedHashMap<>();
        needs.put(tempDir, 0L);
        for (JobConfig job : config.jobs().values()) {
            long size = latestSizes.getOrDefault(job.name(), 0L);
            Optional<SourceProvider> provider = JobsConfig.providerOf(job);
            Optional<Preflight.Spool> spool = provider.flatMap(SourceProvider::preflight)
                    .flatMap(p -> p.restoreSpool(job.source().options(), tempDir));
            if (spool.isPresent()) {
                needs.merge(spool.get().directory(), spool.get().wholeSnapshot() ? size : 0L, Math::max);
            } else if (provider.flatMap(SourceProvider::drills).map(DrillSupport::directoryTarget).orElse(false)) {
                List<DrillConfig> drills = config.drills().values().stream().filter(d -> d.job().equals(job.name())).toList();
                if (drills.isEmpty()) {
                    needs.merge(tempDir, size, Math::max); // mint-backup drill restores it into the temporary directory
                }
                for (DrillConfig d : drills) {
                    needs.merge(d.target().map(Path::of).orElse(tempDir), size, Math::max);
                    d.target().map(Path::of).ifPresent(p -> madeOnDemand.put(p, true)); // a drill makes its target
                }
            }
        }
        needs.forEach((dir, need) -> out.add(space(dir, need, madeOnDemand.getOrDefault(dir, false))));
    }

    private static Finding space(Path dir, long need, boolean madeOnDemand) {
        String subject = dir.toString();
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            return Finding.problem("temp-space", subject, (existing == null ? dir : existing) + " is not a directory",
                    "give a directory, or create " + dir);
        }
        if (!existing.equals(dir.toAbsolutePath()) && !madeOnDemand) {
            return Finding.problem("temp-space", subject, dir + " does not exist", "create it (writable by the user"
                    + " that runs the jobs), or configure another directory");
        }
        try {
            Path probe = Files.createTempFile(existing, "mint-backup-doctor-", ".tmp");
            Files.delete(probe);
        } catch (IOException | RuntimeException e) {
            return Finding.problem("temp-space", subject, "cannot create a file in " + existing + ": " + e.getMessage(),
                    "make " + existing + " writable by the user that runs the jobs, or configure another directory");
        }
        long free;
        try {
            free = Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            return Finding.warning("temp-space", subject, "cannot tell the free space in " + existing + ": "
                    + e.getMessage(), "check the file system");
        }
        String text = bytes(free) + " free in " + existing + (need > 0 ? "; the largest latest snapshot that goes"
                + " through it (drills, directory-format and parallel PostgreSQL restores) needs " + bytes(need) : "");
        if (free < need) {
            return Finding.problem("temp-space", subject, text, "free space there, or point the drills' target,"
                    + " PostgreSQL's temp-dir option or the temporary directory (java.io.tmpdir) at a larger file system");
        }
        if (free < LOW_SPACE) {
            return Finding.warning("temp-space", subject, text, "free space there: restores and drills of growing"
                    + " data need room for a whole snapshot");
        }
        return Finding.ok("temp-space", subject, text);
    }

    private void auditLog(List<Finding> out) {
        if (config.audit().file().isEmpty()) {
            return;
        }
        Path file = config.audit().file().get().toAbsolutePath();
        Path dir = file.getParent();
        Path existing = dir;
        while (existing != null && !Files.isDirectory(existing)) {
            existing = existing.getParent();
        }
        boolean writable = existing != null && Files.isWritable(existing)
                && (!Files.exists(file) || Files.isWritable(file));
        if (writable) {
            out.add(Finding.ok("audit-log", file.toString(), Files.exists(file) ? "writable" : "can be created"));
        } else {
            out.add(Finding.problem("audit-log", file.toString(), "cannot be written by this user", "create "
                    + dir + " and give the user that runs the jobs write access to it"));
        }
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Builds a {@link Doctor}. */
    public static final class Builder {
        private final JobsConfig config;
        private Clock clock = Clock.systemUTC();
        private Map<String, String> environment = Map.of();
        private Path tempDir = Path.of(System.getProperty("java.io.tmpdir"));
        private String host = "localhost";
        private Optional<Path> cache = Optional.empty();

        private Builder(JobsConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** The clock compared with the stores' and keys' expiry dates (default: the system clock). */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** What {@code env:NAME} references and the sources read (default: none); the CLI passes the process's. */
        public Builder environment(Map<String, String> value) {
            environment = Objects.requireNonNull(value, "environment");
            return this;
        }

        /** The temporary directory restores and drills use (default: {@code java.io.tmpdir}). */
        public Builder tempDir(Path value) {
            tempDir = Objects.requireNonNull(value, "tempDir");
            return this;
        }

        /**
         * The cache directory the jobs' runner is given ({@link JobRunner.Builder#cacheDirectory}): the doctor reads
         * there which repository each location held, to name a missing one a problem, not a new one to create.
         */
        public Builder cacheDirectory(Path value) {
            cache = Optional.of(Objects.requireNonNull(value, "cacheDirectory"));
            return this;
        }

        /** This machine's name, written into the probe object. */
        public Builder host(String value) {
            host = Objects.requireNonNull(value, "host");
            return this;
        }

        public Doctor build() {
            return new Doctor(this);
        }
    }
}
