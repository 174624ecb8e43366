package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.config.CopyConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.internal.Redactor;
import com.mintreplica.backup.jobs.internal.Retentions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The state of a config's backups at one moment, as pure data for a report ({@code mint-backup report}): per job its
 * snapshots over time with the bytes read and stored (deduplication), what its retention keeps and why (the core's
 * {@link RetentionPolicy} decisions, exactly what the next run would apply), its drills with their RTO and RPO, the
 * copies in each repository; per repository its last verify and the keys that open it. Read with
 * {@link #collect(JobRunner, Instant, Optional, KeyReader)}; rendering is someone else's job.
 *
 * @param generated when it was collected
 * @param config the config file it was collected from, when known
 * @param jobs the jobs, in config order
 * @param repositories the repositories, in config order
 */
public record BackupReport(Instant generated, Optional<String> config, List<Job> jobs, List<RepositoryInfo> repositories) {
    public BackupReport {
        Objects.requireNonNull(generated, "generated");
        Objects.requireNonNull(config, "config");
        jobs = List.copyOf(jobs);
        repositories = List.copyOf(repositories);
    }

    /**
     * One job.
     *
     * @param name its name
     * @param repository its repository's name
     * @param schedule its schedule, when it has one
     * @param retention its retention rules in words ({@code keep 7 daily, 4 weekly}); empty: it keeps everything
     * @param snapshots its snapshots in its repository, oldest first, each with what retention decides for it
     * @param drills the drills of it the audit log recorded, oldest first
     * @param copies how many of its snapshots each repository holds: its own first, then its copy targets
     * @param lastRun its newest run record, when there is one
     * @param warnings what needs attention (status warnings, unreadable repositories)
     */
    public record Job(String name, String repository, Optional<String> schedule, Optional<String> retention,
                      List<SnapshotPoint> snapshots, List<Drill> drills, List<Copies> copies, Optional<JobResult> lastRun,
                      List<String> warnings) {
        public Job {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(repository, "repository");
            Objects.requireNonNull(schedule, "schedule");
            Objects.requireNonNull(retention, "retention");
            Objects.requireNonNull(lastRun, "lastRun");
            snapshots = List.copyOf(snapshots);
            drills = List.copyOf(drills);
            copies = List.copyOf(copies);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * One snapshot of a job.
     *
     * @param id its id
     * @param time when it was taken
     * @param host the host that took it
     * @param totalBytes the content size of its entries
     * @param bytesRead content bytes read from the source
     * @param bytesNew content bytes new to the repository (before compression)
     * @param bytesStored bytes written to the repository for it (after compression, with metadata)
     * @param kept whether the job's retention keeps it (when it has none: true)
     * @param reasons why it is kept ({@code daily snapshot}, {@code no retention policy}), or why it goes
     */
    public record SnapshotPoint(String id, Instant time, String host, long totalBytes, long bytesRead, long bytesNew,
                                long bytesStored, boolean kept, List<String> reasons) {
        public SnapshotPoint {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(host, "host");
            reasons = List.copyOf(reasons);
        }
    }

    /**
     * One restore drill, as its audit line recorded it.
     *
     * @param time when it started
     * @param passed whether it passed
     * @param snapshot the snapshot it restored, when one was found
     * @param restoreTime the measured RTO (restore and checks), when recorded
     * @param snapshotAge the snapshot's age when the drill started (the RPO at that moment), when known
     * @param detail what its audit line says (checks, or why it failed)
     */
    public record Drill(Instant time, boolean passed, Optional<String> snapshot, Optional<Duration> restoreTime,
                        Optional<Duration> snapshotAge, String detail) {
        public Drill {
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(snapshot, "snapshot");
            Objects.requireNonNull(restoreTime, "restoreTime");
            Objects.requireNonNull(snapshotAge, "snapshotAge");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /**
     * A job's snapshots in one repository.
     *
     * @param repository the repository's name
     * @param primary whether it is the job's own repository (else a copy target)
     * @param snapshots how many of the job's snapshots it holds; empty when it could not be read
     * @param newest when the newest of them was taken
     * @param problem why it could not be read
     */
    public record Copies(String repository, boolean primary, Optional<Integer> snapshots, Optional<Instant> newest,
                         Optional<String> problem) {
        public Copies {
            Objects.requireNonNull(repository, "repository");
            Objects.requireNonNull(snapshots, "snapshots");
            Objects.requireNonNull(newest, "newest");
            Objects.requireNonNull(problem, "problem");
        }
    }

    /**
     * One repository.
     *
     * @param name its name in the config
     * @param location where it is (redacted)
     * @param encrypted whether the config says it is encrypted
     * @param keys the keys that open it, with their expiry
     * @param lastVerify its newest verify the audit log recorded
     * @param problem why its keys could not be read
     */
    public record RepositoryInfo(String name, String location, boolean encrypted, List<Key> keys,
                                 Optional<Verify> lastVerify, Optional<String> problem) {
        public RepositoryInfo {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(location, "location");
            keys = List.copyOf(keys);
            Objects.requireNonNull(lastVerify, "lastVerify");
            Objects.requireNonNull(problem, "problem");
        }
    }

    /**
     * A key (recipient) that opens an encrypted repository.
     *
     * @param fingerprint its fingerprint
     * @param userIds its user ids
     * @param added when it was added to the repository
     * @param expires when its encryption key expires; empty: never, or unknown (see {@code note})
     * @param note what else to know ({@code public key not in the config: expiry unknown})
     */
    public record Key(String fingerprint, List<String> userIds, Optional<Instant> added, Optional<Instant> expires,
                      Optional<String> note) {
        public Key {
            Objects.requireNonNull(fingerprint, "fingerprint");
            userIds = List.copyOf(userIds);
            Objects.requireNonNull(added, "added");
            Objects.requireNonNull(expires, "expires");
            Objects.requireNonNull(note, "note");
        }
    }

    /**
     * A verify of a repository, as its audit line recorded it.
     *
     * @param time when it ran
     * @param ok whether it found no problem
     * @param detail what it checked, or what it found
     */
    public record Verify(Instant time, boolean ok, String detail) {
        public Verify {
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** Reads the keys of an encrypted repository; given by the edge that knows the encryption (the CLI). */
    @FunctionalInterface
    public interface KeyReader {
        /** The keys of {@code repository}, whose objects are on {@code sink}. */
        List<Key> keys(RepositoryConfig repository, Sink sink) throws Exception;

        /** Reads no keys. */
        static KeyReader none() {
            return (repository, sink) -> List.of();
        }
    }

    /**
     * Collects the report of {@code runner}'s config at {@code now}: reads every repository's snapshots and run records,
     * applies each job's retention as its next run would (changing nothing), and reads verifies and drills from the
     * audit log {@code audit} (when given and present). A repository that cannot be read becomes a warning of the jobs
     * that use it, never an exception.
     */
    public static BackupReport collect(JobRunner runner, Instant now, Optional<Path> audit, KeyReader keys) {
        JobsConfig config = runner.config();
        List<Map<String, String>> lines = audit.filter(Files::isRegularFile).map(f -> AuditLog.at(f).read()).orElse(List.of());
        Map<String, List<Snapshot>> snapshotsByRepository = new HashMap<>();
        Map<String, String> problems = new HashMap<>();
        List<Job> jobs = new ArrayList<>();
        for (JobConfig job : config.jobs().values()) {
            jobs.add(job(runner, job, now, lines, snapshotsByRepository, problems));
        }
        List<RepositoryInfo> repositories = new ArrayList<>();
        for (RepositoryConfig repo : config.repositories().values()) {
            repositories.add(repository(repo, lines, keys));
        }
        return new BackupReport(now, config.file(), jobs, repositories);
    }

    private static Job job(JobRunner runner, JobConfig job, Instant now, List<Map<String, String>> lines,
                           Map<String, List<Snapshot>> cache, Map<String, String> problems) {
        JobsConfig config = runner.config();
        JobStatus status = JobStatus.check(runner, job, now);
        List<String> warnings = new ArrayList<>(status.warnings());
        List<Snapshot> own = snapshots(runner, config.repository(job.repository()), cache, problems).stream()
                .filter(s -> s.job().filter(job.name()::equals).isPresent())
                .sorted(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id)).toList();
        Map<String, RetentionDecision.Kept> kept = new HashMap<>();
        Map<String, Boolean> decided = new HashMap<>();
        Optional<String> rules = job.retention().filter(r -> !r.isEmpty()).map(BackupReport::words);
        if (rules.isPresent()) {
            try {
                java.time.ZoneId zone = job.schedule().map(CronSchedule::zone).orElse(config.zone());
                RetentionPolicy policy = Retentions.policy(job.retention().get(), zone, Clock.fixed(now, ZoneOffset.UTC));
                for (RetentionDecision decision : Retentions.decide(own, policy)) {
                    decision.kept().forEach(k -> {
                        kept.put(k.snapshot().id(), k);
                        decided.put(k.snapshot().id(), true);
                    });
                    decision.removed().forEach(s -> decided.put(s.id(), false));
                }
            } catch (RuntimeException e) {
                warnings.add("its retention cannot be applied: " + new Redactor().message(e));
            }
        }
        List<SnapshotPoint> points = new ArrayList<>();
        Map<String, Instant> times = new HashMap<>();
        for (Snapshot s : own) {
            times.put(s.id(), s.time());
            boolean keep = rules.isEmpty() || decided.getOrDefault(s.id(), true);
            List<String> reasons = rules.isEmpty() ? List.of("no retention policy: everything is kept")
                    : kept.containsKey(s.id()) ? kept.get(s.id()).reasons()
                    : List.of("no rule keeps it: the next run forgets it");
            Snapshot.Stats st = s.stats();
            points.add(new SnapshotPoint(s.id(), s.time(), s.host(), st.totalBytes(), st.bytesRead(), st.bytesNew(),
                    st.bytesStored(), keep, reasons));
        }
        List<Drill> drills = new ArrayList<>();
        for (Map<String, String> line : lines) {
            if ("drill".equals(line.get("operation")) && job.name().equals(line.get("job"))) {
                drill(line, times).ifPresent(drills::add);
            }
        }
        drills.sort(Comparator.comparing(Drill::time));
        List<Copies> copies = new ArrayList<>();
        copies.add(copies(runner, config.repository(job.repository()), job, true, cache, problems));
        for (CopyConfig copy : config.copiesOf(job)) {
            copies.add(copies(runner, config.repository(copy.repository()), job, false, cache, problems));
        }
        return new Job(job.name(), job.repository(), status.schedule(), rules, points, drills, copies, status.lastRun(),
                warnings);
    }

    private static Copies copies(JobRunner runner, RepositoryConfig repo, JobConfig job, boolean primary,
                                 Map<String, List<Snapshot>> cache, Map<String, String> problems) {
        List<Snapshot> all = snapshots(runner, repo, cache, problems);
        if (problems.containsKey(repo.name())) {
            return new Copies(repo.name(), primary, Optional.empty(), Optional.empty(), Optional.of(problems.get(repo.name())));
        }
        List<Snapshot> of = all.stream().filter(s -> s.job().filter(job.name()::equals).isPresent()).toList();
        return new Copies(repo.name(), primary, Optional.of(of.size()),
                of.stream().map(Snapshot::time).max(Comparator.naturalOrder()), Optional.empty());
    }

    /** The snapshots of {@code repo}, read once per report; none (and a problem) when it cannot be read. */
    private static List<Snapshot> snapshots(JobRunner runner, RepositoryConfig repo, Map<String, List<Snapshot>> cache,
                                            Map<String, String> problems) {
        List<Snapshot> cached = cache.get(repo.name());
        if (cached != null) {
            return cached;
        }
        List<Snapshot> out = List.of();
        Redactor redactor = new Redactor();
        if (JobsConfig.writeOnly(repo)) {
            problems.put(repo.name(), "a writer key cannot read its snapshots: run the report where a recipient's key is");
        } else {
            try (Sink sink = Sinks.open(repo.location())) {
                if (Repository.exists(sink)) {
                    try (Repository r = runner.openRepository(repo, sink, redactor)) {
                        out = r.snapshots();
                    }
                }
            } catch (Exception e) {
                problems.put(repo.name(), "cannot read " + Sinks.redact(repo.location()) + ": " + redactor.message(e));
            }
        }
        cache.put(repo.name(), out);
        return out;
    }

    private static RepositoryInfo repository(RepositoryConfig repo, List<Map<String, String>> lines, KeyReader reader) {
        String location = Sinks.redact(repo.location());
        Optional<Verify> verify = Optional.empty();
        for (Map<String, String> line : lines) {
            if ("verify".equals(line.get("operation")) && location.equals(line.get("repository")) && line.get("time") != null) {
                boolean ok = "ok".equals(line.get("result"));
                String detail = Optional.ofNullable(ok ? line.get("detail") : line.get("error")).orElse(
                        Optional.ofNullable(line.get("detail")).orElse(""));
                Verify v = new Verify(Instant.parse(line.get("time")), ok, detail);
                if (verify.isEmpty() || !v.time().isBefore(verify.get().time())) {
                    verify = Optional.of(v);
                }
            }
        }
        List<Key> keys = List.of();
        Optional<String> problem = Optional.empty();
        if (repo.encryption().isPresent()) {
            Redactor redactor = new Redactor();
            try (Sink sink = Sinks.open(repo.location())) {
                keys = reader.keys(repo, sink);
            } catch (Exception e) {
                problem = Optional.of("cannot read its keys: " + redactor.message(e));
            }
        }
        return new RepositoryInfo(repo.name(), location, repo.encryption().isPresent(), keys, verify, problem);
    }

    private static final Pattern DRILL_DETAIL = Pattern.compile("^drill .*?: restore (.+?), snapshot age (.+?), into ");

    private static Optional<Drill> drill(Map<String, String> line, Map<String, Instant> snapshotTimes) {
        if (line.get("time") == null) {
            return Optional.empty();
        }
        Instant time = Instant.parse(line.get("time"));
        boolean passed = "ok".equals(line.get("result"));
        String detail = Optional.ofNullable(line.get("detail")).orElse("");
        Optional<String> snapshot = Optional.ofNullable(line.get("snapshot"));
        Optional<Duration> restore = Optional.empty();
        Optional<Duration> age = Optional.empty();
        Matcher m = DRILL_DETAIL.matcher(detail);
        if (m.find()) {
            restore = duration(m.group(1));
            age = duration(m.group(2));
        }
        // The RPO exactly, when the snapshot is still there (the audit line has it in words only).
        Optional<Instant> taken = snapshot.map(snapshotTimes::get);
        if (taken.isPresent()) {
            age = Optional.of(Duration.between(taken.get(), time));
        }
        String words = passed ? detail : Optional.ofNullable(line.get("error")).orElse(detail);
        return Optional.of(new Drill(time, passed, snapshot, restore, age, words));
    }

    private static final Pattern WORDS = Pattern.compile(
            "^(?:(\\d+) ms|(\\d+(?:\\.\\d+)?) s|(\\d+)m (\\d+)s|(\\d+)h (\\d+)m|(\\d+)d (\\d+)h|(\\d+)s|(\\d+)m)$");

    /** Reads a duration back from {@link DrillReport}'s words ({@code 850 ms}, {@code 12.3 s}, {@code 4m 5s}, ...). */
    static Optional<Duration> duration(String words) {
        Matcher m = WORDS.matcher(words.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        if (m.group(1) != null) {
            return Optional.of(Duration.ofMillis(Long.parseLong(m.group(1))));
        }
        if (m.group(2) != null) {
            return Optional.of(Duration.ofMillis(Math.round(Double.parseDouble(m.group(2)) * 1000)));
        }
        if (m.group(3) != null) {
            return Optional.of(Duration.ofMinutes(Long.parseLong(m.group(3))).plusSeconds(Long.parseLong(m.group(4))));
        }
        if (m.group(5) != null) {
            return Optional.of(Duration.ofHours(Long.parseLong(m.group(5))).plusMinutes(Long.parseLong(m.group(6))));
        }
        if (m.group(7) != null) {
            return Optional.of(Duration.ofDays(Long.parseLong(m.group(7))).plusHours(Long.parseLong(m.group(8))));
        }
        if (m.group(9) != null) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(m.group(9))));
        }
        return Optional.of(Duration.ofMinutes(Long.parseLong(m.group(10))));
    }

    private static String words(com.mintreplica.backup.jobs.config.RetentionConfig r) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("last", r.keepLast());
        counts.put("hourly", r.keepHourly());
        counts.put("daily", r.keepDaily());
        counts.put("weekly", r.keepWeekly());
        counts.put("monthly", r.keepMonthly());
        counts.put("yearly", r.keepYearly());
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> {
            if (v != 0) {
                parts.add((v < 0 ? "all" : String.valueOf(v)) + " " + k);
            }
        });
        r.keepWithin().ifPresent(w -> parts.add("all within " + w));
        r.keepTags().forEach(t -> parts.add("tagged " + t));
        return "keep " + String.join(", ", parts);
    }
}
