package com.mintreplica.backup.jobs.config;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.retention.RetentionPeriod;
import com.mintreplica.backup.jobs.internal.Retentions;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.jobs.internal.ConfigReader;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the jobs of one installation need: keys, repositories (with their copy targets), jobs and drills, the
 * audit log, and how replicas share the work. Load one from YAML with {@link #load(Path)}, or build one in Java with
 * {@link #builder()}; both check it whole before anything runs and report every problem with its field (and, from a
 * file, its line).
 *
 * <pre>{@code
 * JobsConfig config = JobsConfig.builder()
 *     .repository(RepositoryConfig.of("primary", "/srv/backup/mint"))
 *     .job(JobConfig.builder("etc")
 *         .source(SourceConfig.paths(Path.of("/etc/mint")).build())
 *         .repository("primary")
 *         .schedule(CronSchedule.parse("0 1 * * *"))
 *         .build())
 *     .build();
 * }</pre>
 *
 * @param file the file it was loaded from, for messages; empty when built in Java
 * @param host the host name recorded in snapshots of every job that names none; empty: this machine's
 * @param zone the time zone of schedules that name none (default UTC)
 * @param audit where audit lines go
 * @param lease how long a replica's claim on a run lasts without being renewed (default 2 minutes): when its holder
 *     dies, another replica takes the run over this long after the last renewal
 * @param stallTimeout how long a backup, copy, prune or drill restore may make no progress before it fails with a
 *     {@link com.mintreplica.backup.core.StallException} saying what it waits for (default 10 minutes; zero: never)
 * @param keys OpenPGP keys by name
 * @param repositories repositories by name
 * @param jobs jobs by name, in config order
 * @param drills restore drills by name
 */
public record JobsConfig(Optional<String> file, Optional<String> host, ZoneId zone, AuditConfig audit, Duration lease,
                         Duration stallTimeout,
                         Map<String, KeyConfig> keys, Map<String, RepositoryConfig> repositories,
                         Map<String, JobConfig> jobs, Map<String, DrillConfig> drills) {

    /** The default lease: two minutes. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(2);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SECRET_VARIABLE = Pattern.compile("(?i).*(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL).*");

    public JobsConfig {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(audit, "audit");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(stallTimeout, "stallTimeout");
        keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        repositories = Collections.unmodifiableMap(new LinkedHashMap<>(repositories));
        jobs = Collections.unmodifiableMap(new LinkedHashMap<>(jobs));
        drills = Collections.unmodifiableMap(new LinkedHashMap<>(drills));
    }

    /**
     * Loads and checks a YAML config file (see {@code docs/config-example.yaml}).
     *
     * @throws ConfigException listing every problem with file, line and field
     * @throws com.mintreplica.backup.core.InvalidInputException when the file cannot be read
     */
    public static JobsConfig load(Path file) {
        return ConfigReader.read(file);
    }

    /** Parses and checks YAML text; {@code name} stands for the file in messages. */
    public static JobsConfig parse(String yaml, String name) {
        return ConfigReader.read(yaml, name);
    }

    /**
     * Reads a config from flattened properties, as Spring's {@code application.yml} (below a prefix), a
     * {@code .properties} file or system properties hold it, with the same checks as {@link #load(Path)}. Keys are
     * the YAML config's paths: {@code repositories.primary.location}, {@code jobs.etc.source.paths[0]},
     * {@code jobs.etc.retention.keepDaily} ({@code keep-daily} and {@code keepdaily} are read as {@code keepDaily});
     * a name that holds dots is written in brackets ({@code jobs.[db.main].schedule}). Values are strings, numbers or
     * booleans; a string that reads as a number or a boolean in YAML counts as one. Lists are indexed items, not
     * comma-separated text. Problems name the field ({@code jobs.etc.schedule}) but no line: {@code name} stands for
     * the file. Relative paths are resolved against {@code base}.
     *
     * @throws ConfigException listing every problem
     */
    public static JobsConfig fromProperties(Map<String, ?> properties, String name, Path base) {
        return ConfigReader.read(properties, name, base);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The job named {@code name}.
     *
     * @throws com.mintreplica.backup.core.NotFoundException naming the jobs there are
     */
    public JobConfig job(String name) {
        JobConfig job = jobs.get(name);
        if (job == null) {
            throw new com.mintreplica.backup.core.NotFoundException("no job '" + name + "' in "
                    + file.orElse("the config") + ": jobs are " + jobs.keySet());
        }
        return job;
    }

    /** The repository named {@code name}; the config is checked, so it exists for every name a job uses. */
    public RepositoryConfig repository(String name) {
        RepositoryConfig repository = repositories.get(name);
        if (repository == null) {
            throw new com.mintreplica.backup.core.NotFoundException("no repository '" + name + "' in "
                    + file.orElse("the config") + ": repositories are " + repositories.keySet());
        }
        return repository;
    }

    /** Where {@code job}'s snapshots are copied: its own {@code copies}, else its repository's. */
    public List<CopyConfig> copiesOf(JobConfig job) {
        return job.copies().orElseGet(() -> repository(job.repository()).copies().stream().map(CopyConfig::to).toList());
    }

    /** The host name recorded in {@code job}'s snapshots, when the config sets one. */
    public Optional<String> hostOf(JobConfig job) {
        return job.host().or(() -> host);
    }

    private static final String READER_NEEDED = "this needs a reader's key";

    /** Whether this host only writes to {@code repository} (a writer key, no key that reads it). */
    public static boolean writeOnly(RepositoryConfig repository) {
        return repository.encryption().map(EncryptionConfig::writeOnly).orElse(false);
    }

    /** Every problem of this config (empty when it is valid), located by field. */
    public List<ConfigProblem> problems() {
        List<ConfigProblem> out = new ArrayList<>();
        if (lease.compareTo(Duration.ofSeconds(10)) < 0) {
            out.add(ConfigProblem.of("lease", "a lease of " + lease + " is too short to be renewed reliably: give at least 10s"));
        }
        if (stallTimeout.isNegative()) {
            out.add(ConfigProblem.of("stallTimeout", "the stall timeout cannot be negative: give e.g. 10m, or 0 to wait forever"));
        }
        host.ifPresent(h -> {
            if (h.isBlank()) {
                out.add(ConfigProblem.of("host", "the host name is empty"));
            }
        });
        keys.forEach((name, key) -> {
            checkName(out, "keys." + name, name, "key");
            if (key.publicKey().isEmpty() && key.secretKey().isEmpty()) {
                out.add(ConfigProblem.of("keys." + name, "key '" + name + "' needs a public key file (public) or a secret key file (secret)"));
            }
            if (key.passphrase().isPresent() && key.secretKey().isEmpty()) {
                out.add(ConfigProblem.of("keys." + name + ".passphrase", "a passphrase is for a secret key: add secret"));
            }
        });
        repositories.forEach((name, repo) -> {
            String at = "repositories." + name;
            checkName(out, at, name, "repository");
            if (repo.location().isBlank()) {
                out.add(ConfigProblem.of(at + ".location", "the location is empty: give a directory, s3://bucket/prefix or gs://bucket/prefix"));
            }
            if (repo.location().matches("^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*@.*")) {
                out.add(ConfigProblem.of(at + ".location", "the location carries credentials: remove them; S3 and GCS"
                        + " take theirs from their SDK's default chain (environment, profile or role)"));
            }
            for (int i = 0; i < repo.copies().size(); i++) {
                String target = repo.copies().get(i);
                checkRepository(out, at + ".copies[" + i + "]", target, name);
            }
            repo.encryption().ifPresent(e -> {
                for (int i = 0; i < e.recipients().size(); i++) {
                    String k = e.recipients().get(i);
                    KeyConfig key = keys.get(k);
                    if (key == null) {
                        out.add(ConfigProblem.of(at + ".encryption.recipients[" + i + "]", unknown("key", k, keys.keySet())));
                    }
                }
                if (e.unlock().isEmpty() && e.writer().isEmpty()) {
                    out.add(ConfigProblem.of(at + ".encryption.unlock", "an encrypted repository needs a key to open it:"
                            + " a secret key that reads it (unlock: [KEY]), or on a backup host a writer key that only"
                            + " writes to it (writer: FILE, from mint-backup key writer export)"));
                }
                if (!e.unlock().isEmpty() && e.writer().isPresent()) {
                    out.add(ConfigProblem.of(at + ".encryption.writer", "give either unlock (a secret key: this host reads"
                            + " the repository) or writer (a writer key: this host only writes to it), not both"));
                }
                if (e.cache().isPresent() && e.writer().isEmpty()) {
                    out.add(ConfigProblem.of(at + ".encryption.cache", "the cache is a writer's: add writer, or remove cache"));
                }
                if (e.writeOnly()) {
                    repo.prune().ifPresent(p -> out.add(ConfigProblem.of(at + ".prune", READER_NEEDED
                            + ": prune reads every snapshot and deletes data. Schedule it in the config of a host that holds"
                            + " a recipient's secret key (unlock), and remove it here")));
                }
                for (int i = 0; i < e.unlock().size(); i++) {
                    String k = e.unlock().get(i);
                    KeyConfig key = keys.get(k);
                    if (key == null) {
                        out.add(ConfigProblem.of(at + ".encryption.unlock[" + i + "]", unknown("key", k, keys.keySet())));
                    } else if (key.secretKey().isEmpty()) {
                        out.add(ConfigProblem.of(at + ".encryption.unlock[" + i + "]", "key '" + k
                                + "' has no secret key file: give keys." + k + ".secret"));
                    }
                }
            });
        });
        jobs.forEach((name, job) -> {
            String at = "jobs." + name;
            checkName(out, at, name, "job");
            if (!repositories.containsKey(job.repository())) {
                out.add(ConfigProblem.of(at + ".repository", unknown("repository", job.repository(), repositories.keySet())));
            }
            if (job.jitter().isNegative()) {
                out.add(ConfigProblem.of(at + ".jitter", "the jitter cannot be negative: " + job.jitter()));
            }
            job.schedule().ifPresent(s -> {
                if (job.jitter().compareTo(Duration.ofHours(12)) > 0) {
                    out.add(ConfigProblem.of(at + ".jitter", "a jitter of " + job.jitter() + " is longer than 12 hours"));
                }
            });
            checkSource(out, at + ".source", job.source());
            job.copies().ifPresent(copies -> {
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < copies.size(); i++) {
                    String target = copies.get(i).repository();
                    checkRepository(out, at + ".copies[" + i + "]", target, job.repository());
                    if (!seen.add(target)) {
                        out.add(ConfigProblem.of(at + ".copies[" + i + "]", "repository '" + target + "' is listed twice"));
                    }
                }
            });
            job.retention().ifPresent(r -> checkRetention(out, at + ".retention", r));
            RepositoryConfig own = repositories.get(job.repository());
            if (own != null && writeOnly(own)) {
                job.retention().ifPresent(r -> out.add(ConfigProblem.of(at + ".retention", READER_NEEDED + ": repository '"
                        + own.name() + "' is write-only here, and retention reads its snapshots to choose what to forget."
                        + " Prune with this retention where a recipient's secret key is, and remove it here")));
                if (!copiesOf(job).isEmpty()) {
                    out.add(ConfigProblem.of(at + ".copies", READER_NEEDED + ": repository '" + own.name() + "' is"
                            + " write-only here, and a copy reads the snapshot it copies. Back up into a repository this"
                            + " host reads (a local one) and copy from there into '" + own.name() + "'"));
                }
            }
            for (CopyConfig copy : own != null ? copiesOf(job) : job.copies().orElse(List.<CopyConfig>of())) {
                RepositoryConfig target = repositories.get(copy.repository());
                if (target != null && writeOnly(target) && (copy.retention().isPresent() || job.retention().isPresent())) {
                    out.add(ConfigProblem.of(at + ".copies", READER_NEEDED + ": repository '" + target.name() + "' is"
                            + " write-only here, and retention there reads its snapshots. Remove the retention of this copy"
                            + " (and of the job, which copies inherit) and prune '" + target.name() + "' where a"
                            + " recipient's secret key is"));
                }
            }
            for (String tag : job.tags()) {
                if (tag.isBlank() || tag.contains(",")) {
                    out.add(ConfigProblem.of(at + ".tags", "tag '" + tag + "' is empty or contains a comma"));
                }
            }
        });
        drills.forEach((name, drill) -> {
            String at = "drills." + name;
            checkName(out, at, name, "drill");
            if (!jobs.containsKey(drill.job())) {
                out.add(ConfigProblem.of(at + ".job", unknown("job", drill.job(), jobs.keySet())));
            }
            checkEnvironment(out, at + ".environment", drill.environment());
            JobConfig job = jobs.get(drill.job());
            if (job != null) {
                checkDrill(out, at, drill, job);
                RepositoryConfig repo = repositories.get(job.repository());
                if (repo != null && writeOnly(repo)) {
                    out.add(ConfigProblem.of(at + ".job", READER_NEEDED + ": job '" + job.name() + "' backs up into '"
                            + repo.name() + "', which is write-only here, and a drill restores its latest snapshot. Run"
                            + " drills where a recipient's secret key is"));
                }
            }
        });
        return out;
    }

    /**
     * The kind of snapshots {@code job} makes ({@code fs}, {@code postgresql}, ...), when its source's module is on the
     * class path.
     */
    public static Optional<String> kindOf(JobConfig job) {
        return providerOf(job).map(SourceProvider::kind);
    }

    /**
     * The provider of {@code job}'s source (for paths, the provider of {@code file:} locations), when its module is on
     * the class path: what the jobs layer asks about the kind, instead of naming it.
     */
    public static Optional<SourceProvider> providerOf(JobConfig job) {
        try {
            URI location = job.source().isFiles() ? job.source().paths().get(0).toUri()
                    : Sources.toUri(job.source().location().orElseThrow());
            return Optional.of(Sources.forLocation(location));
        } catch (BackupException | IndexOutOfBoundsException | java.util.NoSuchElementException e) {
            return Optional.empty();
        }
    }

    /** Every check a drill may list: the common ones and those of every kind on the class path. */
    private static Set<String> knownChecks() {
        Set<String> out = new java.util.TreeSet<>(DrillConfig.CHECKS);
        for (SourceProvider p : Sources.all()) {
            p.drills().ifPresent(d -> out.addAll(d.checks()));
        }
        return out;
    }

    private static void checkDrill(List<ConfigProblem> out, String at, DrillConfig drill, JobConfig job) {
        Optional<SourceProvider> provider = providerOf(job);
        if (provider.isEmpty()) {
            return; // the job's own source problem is reported
        }
        String kind = provider.get().kind();
        Optional<DrillSupport> support = provider.get().drills();
        Set<String> applies = new java.util.TreeSet<>(Set.of(DrillConfig.VERIFY, DrillConfig.SMOKE));
        support.ifPresent(d -> applies.addAll(d.checks()));
        Set<String> known = knownChecks();
        for (int i = 0; i < drill.checks().size(); i++) {
            String check = drill.checks().get(i);
            if (!known.contains(check)) {
                out.add(ConfigProblem.of(at + ".checks[" + i + "]", "unknown check '" + check + "': use some of "
                        + known));
            } else if (!applies.contains(check)) {
                out.add(ConfigProblem.of(at + ".checks[" + i + "]", "check '" + check + "' does not apply to job '"
                        + job.name() + "', a " + kind + " job: its checks are " + applies));
            }
        }
        if (drill.smoke().isPresent() && !support.map(DrillSupport::smokeQueries).orElse(false)) {
            out.add(ConfigProblem.of(at + ".smoke", "a smoke query is SQL, for PostgreSQL jobs; job '" + job.name()
                    + "' is a " + kind + " job: give the application's smoke check in Java instead"));
        }
        if (drill.smoke().isPresent() && drill.smoke().get().isBlank()) {
            out.add(ConfigProblem.of(at + ".smoke", "the smoke query is empty"));
        }
        Optional<String> target = drill.target();
        if (support.map(DrillSupport::directoryTarget).orElse(false)) {
            if (target.isPresent() && target.get().matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
                out.add(ConfigProblem.of(at + ".target", "job '" + job.name() + "' backs up files: the target is the"
                        + " directory scratch directories are made in, not a URI"));
            }
            if (drill.password().isPresent()) {
                out.add(ConfigProblem.of(at + ".password", "a password is for a database target"));
            }
        } else if (target.isPresent()) {
            try {
                String targetKind = Sources.forLocation(Sources.toUri(target.get())).kind();
                if (!targetKind.equals(kind)) {
                    out.add(ConfigProblem.of(at + ".target", "job '" + job.name() + "' makes " + kind
                            + " snapshots, which cannot be restored to a " + targetKind + " target"));
                }
            } catch (BackupException e) {
                out.add(ConfigProblem.of(at + ".target", e.getMessage()));
            }
            if (target.get().matches("^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*:[^/@]*@.*")) {
                out.add(ConfigProblem.of(at + ".target", "the target carries a password: give it as password: env:NAME"
                        + " or file:/path"));
            }
        } else if (drill.password().isPresent() || !drill.environment().isEmpty()) {
            out.add(ConfigProblem.of(at + (drill.password().isPresent() ? ".password" : ".environment"),
                    "password and environment are for a drill target: without one the drill uses the job's server and login"));
        }
    }

    private void checkRepository(List<ConfigProblem> out, String at, String target, String self) {
        if (!repositories.containsKey(target)) {
            out.add(ConfigProblem.of(at, unknown("repository", target, repositories.keySet())));
        } else if (target.equals(self)) {
            out.add(ConfigProblem.of(at, "repository '" + target + "' cannot be a copy of itself"));
        }
    }

    private static void checkSource(List<ConfigProblem> out, String at, SourceConfig source) {
        if (source.location().isPresent() == !source.paths().isEmpty()) {
            out.add(ConfigProblem.of(at, "give either location (a URI such as postgresql://host/db) or paths (directories and files), not "
                    + (source.location().isPresent() ? "both" : "neither")));
            return;
        }
        if (source.location().isPresent()) {
            if (!source.exclude().isEmpty() || !source.include().isEmpty()) {
                out.add(ConfigProblem.of(at + ".exclude", "exclude and include are for paths; a location takes options"));
            }
            try {
                URI location = Sources.toUri(source.location().get());
                for (String problem : Sources.forLocation(location).problems(location, source.options())) {
                    out.add(ConfigProblem.of(at, problem));
                }
            } catch (BackupException e) {
                out.add(ConfigProblem.of(at + ".location", e.getMessage()));
            }
        } else {
            for (Path p : source.paths()) {
                if (!p.isAbsolute()) {
                    out.add(ConfigProblem.of(at + ".paths", "path '" + p + "' is relative: give absolute paths, so the"
                            + " job does not depend on the directory it is started in"));
                }
            }
            if (!source.options().isEmpty()) {
                out.add(ConfigProblem.of(at + ".options", "options are for a location; paths take exclude and include"));
            }
            if (source.password().isPresent()) {
                out.add(ConfigProblem.of(at + ".password", "a password is for a location, not for paths"));
            }
            if (source.paths().stream().allMatch(Path::isAbsolute)) {
                try {
                    Sources.forLocation(source.paths().get(0).toUri());
                } catch (BackupException e) {
                    out.add(ConfigProblem.of(at + ".paths", e.getMessage()));
                }
            }
        }
        checkEnvironment(out, at + ".environment", source.environment());
    }

    private static void checkEnvironment(List<ConfigProblem> out, String at, Map<String, SecretRef> environment) {
        environment.forEach((variable, value) -> {
            if (!VARIABLE.matcher(variable).matches()) {
                out.add(ConfigProblem.of(at + "." + variable, "'" + variable + "' is not an environment variable name"));
            } else if (value.kind() == SecretRef.Kind.LITERAL && SECRET_VARIABLE.matcher(variable).matches()) {
                out.add(ConfigProblem.of(at + "." + variable, variable + " looks like a secret: give it by reference,"
                        + " env:NAME or file:/path, not inline"));
            }
        });
    }

    private static void checkRetention(List<ConfigProblem> out, String at, RetentionConfig r) {
        if (r.isEmpty()) {
            out.add(ConfigProblem.of(at, "the retention sets no rule, which would keep everything: leave it out, or"
                    + " set keepLast, keepDaily, ..."));
            return;
        }
        int[] counts = {r.keepLast(), r.keepHourly(), r.keepDaily(), r.keepWeekly(), r.keepMonthly(), r.keepYearly()};
        String[] names = {"keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"};
        boolean countsOk = true;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < Retention.UNLIMITED) {
                out.add(ConfigProblem.of(at + "." + names[i], "cannot be negative: " + counts[i] + " (-1 means unlimited)"));
                countsOk = false;
            }
        }
        if (r.keepWithin().isPresent()) {
            try {
                RetentionPeriod.parse(r.keepWithin().get());
            } catch (InvalidInputException e) {
                out.add(ConfigProblem.of(at + ".keepWithin", e.getMessage()));
                return;
            }
        }
        if (countsOk) {
            try {
                Retentions.policy(r, ZoneOffset.UTC, java.time.Clock.systemUTC());
            } catch (InvalidInputException e) {
                out.add(ConfigProblem.of(at, e.getMessage()));
            }
        }
    }

    private static void checkName(List<ConfigProblem> out, String at, String name, String what) {
        if (!NAME.matcher(name).matches()) {
            out.add(ConfigProblem.of(at, "'" + name + "' is not a valid " + what + " name: use letters, digits, '.', '_' and '-',"
                    + " starting with a letter or digit"));
        }
    }

    private static String unknown(String what, String name, Set<String> known) {
        return "no " + what + " '" + name + "'" + (known.isEmpty() ? ": none is defined" : ": defined are " + known);
    }

    /** Builds a {@link JobsConfig}; {@link #build()} checks it whole. */
    public static final class Builder {
        private String file;
        private String host;
        private ZoneId zone = ZoneOffset.UTC;
        private AuditConfig audit = AuditConfig.none();
        private Duration lease = DEFAULT_LEASE;
        private Duration stallTimeout = com.mintreplica.backup.core.Repository.DEFAULT_STALL_TIMEOUT;
        private final Map<String, KeyConfig> keys = new LinkedHashMap<>();
        private final Map<String, RepositoryConfig> repositories = new LinkedHashMap<>();
        private final Map<String, JobConfig> jobs = new LinkedHashMap<>();
        private final Map<String, DrillConfig> drills = new LinkedHashMap<>();

        private Builder() {
        }

        /** The name of the file the config came from, for messages. */
        public Builder file(String value) {
            file = value;
            return this;
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder zone(ZoneId value) {
            zone = Objects.requireNonNull(value, "zone");
            return this;
        }

        public Builder audit(AuditConfig value) {
            audit = Objects.requireNonNull(value, "audit");
            return this;
        }

        /**
         * How long a run may make no progress before it fails (default 10 minutes; {@link Duration#ZERO}: never).
         */
        public Builder stallTimeout(Duration value) {
            stallTimeout = Objects.requireNonNull(value, "stallTimeout");
            return this;
        }

        public Builder lease(Duration value) {
            lease = Objects.requireNonNull(value, "lease");
            return this;
        }

        public Builder key(KeyConfig value) {
            keys.put(value.name(), value);
            return this;
        }

        public Builder repository(RepositoryConfig value) {
            repositories.put(value.name(), value);
            return this;
        }

        public Builder job(JobConfig value) {
            jobs.put(value.name(), value);
            return this;
        }

        public Builder drill(DrillConfig value) {
            drills.put(value.name(), value);
            return this;
        }

        /**
         * What {@link #build()} would refuse, without building: the config reader places each problem at its line
         * before it builds. There is no public way to a config that was never checked.
         */
        public List<ConfigProblem> problems() {
            return buildUnchecked().problems();
        }

        private JobsConfig buildUnchecked() {
            return new JobsConfig(Optional.ofNullable(file), Optional.ofNullable(host), zone, audit, lease, stallTimeout, keys,
                    repositories, jobs, drills);
        }

        /**
         * The config, checked whole.
         *
         * @throws ConfigException listing every problem
         */
        public JobsConfig build() {
            JobsConfig config = buildUnchecked();
            List<ConfigProblem> problems = config.problems();
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            return config;
        }
    }
}
