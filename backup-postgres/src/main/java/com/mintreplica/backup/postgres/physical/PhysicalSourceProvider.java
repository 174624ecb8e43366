package com.mintreplica.backup.postgres.physical;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.postgres.internal.ConnectionUri;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.postgres.physical.internal.PgDataTarget;
import com.mintreplica.backup.postgres.physical.internal.PitrScratch;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The kind {@code postgresql-physical}: physical base backups, opened from {@code postgresql-physical://user@host:port/db}
 * locations (the libpq URI of the server, with the scheme naming the kind, so a job's {@code location} says which kind
 * it is without the jobs layer knowing either). Registered in {@code META-INF/services}.
 *
 * <p>Source options: {@code cluster} (required in a job: the name the WAL archive files this cluster's WAL under, and
 * the name its base backups are grouped by), {@code pgdata} (the data directory as this host sees it; default the
 * server's {@code data_directory}), {@code fast-checkpoint} (default true), {@code archive-wait} (how long
 * {@code pg_backup_stop} may wait for the last segment to be archived, default 10m), {@code spool} (the WAL archive's
 * local spool directory, for {@code wal-push}). Target options (a restore into a directory): {@code restore-command},
 * {@code to-time}, {@code to-lsn}, {@code to-name}, {@code to-xid}, {@code target-action}, {@code inclusive},
 * {@code timeline}, {@code tablespace-map} ({@code OID=DIR,OLD=NEW}).
 */
public final class PhysicalSourceProvider implements SourceProvider {
    /** The scheme of physical locations. */
    public static final String SCHEME = "postgresql-physical";
    private static final Set<String> SOURCE_OPTIONS = Set.of("cluster", "pgdata", "fast-checkpoint", "archive-wait",
            "spool");
    private static final Set<String> TARGET_OPTIONS = Set.of("restore-command", "to-time", "to-lsn", "to-name", "to-xid",
            "target-action", "inclusive", "timeline", "tablespace-map");

    /**
     * Continuous archiving (i16-receive): wal-stall-after turns the status/doctor/metrics check on; wal-receive,
     * wal-slot and wal-create-slot make the daemon stream the job's WAL (into the archive named by cluster).
     */
    private static final Set<String> CONTINUITY_OPTIONS = Set.of("wal-stall-after", "wal-receive", "wal-slot",
            "wal-create-slot");

    private final Map<String, String> environment;

    /** The provider {@code ServiceLoader} creates: the process environment. */
    public PhysicalSourceProvider() {
        this(System.getenv());
    }

    /** A provider reading the libpq environment from {@code environment}. */
    public PhysicalSourceProvider(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public SourceProvider withEnvironment(Map<String, String> value) {
        return new PhysicalSourceProvider(value);
    }

    @Override
    public String kind() {
        return PhysicalFacts.KIND;
    }

    @Override
    public Set<String> schemes() {
        return Set.of(SCHEME);
    }

    @Override
    public String module() {
        return "backup-postgres";
    }

    @Override
    public Optional<String> passwordVariable() {
        return Optional.of("PGPASSWORD");
    }

    @Override
    public Source source(URI location, Map<String, String> options) {
        check(options);
        PhysicalBackupSource.Builder b = PhysicalBackupSource.builder().url(libpqUri(location)).environment(environment);
        option(options, "cluster").ifPresent(b::name);
        option(options, "pgdata").map(Path::of).ifPresent(b::pgdata);
        option(options, "fast-checkpoint").map(v -> bool("fast-checkpoint", v)).ifPresent(b::fastCheckpoint);
        option(options, "archive-wait").map(v -> duration("archive-wait", v)).ifPresent(b::archiveWait);
        return b.build();
    }

    /**
     * What a job of this kind lacks: a {@code cluster} name (the WAL archive and its expiry need it), a relative
     * {@code pgdata}, options of other kinds.
     */
    @Override
    public List<String> problems(URI location, Map<String, String> options) {
        List<String> out = new ArrayList<>();
        try {
            check(options);
        } catch (InvalidInputException e) {
            out.add(e.getMessage());
        }
        if (option(options, "cluster").filter(v -> !v.isEmpty()).isEmpty()) {
            out.add("a postgresql-physical job needs options.cluster: the name its WAL is archived under (the same"
                    + " name wal-push and wal-fetch are given), such as cluster: mint-replica");
        } else if (!option(options, "cluster").get().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            out.add("options.cluster '" + options.get("cluster") + "' must be letters, digits, '.', '_' or '-'");
        }
        option(options, "pgdata").filter(v -> !Path.of(v).isAbsolute()).ifPresent(v -> out.add("options.pgdata '" + v
                + "' is relative: give the data directory's absolute path"));
        option(options, "spool").filter(v -> !Path.of(v).isAbsolute()).ifPresent(v -> out.add("options.spool '" + v
                + "' is relative: give an absolute path"));
        try {
            option(options, "archive-wait").ifPresent(v -> duration("archive-wait", v));
        } catch (InvalidInputException e) {
            out.add(e.getMessage());
        }
        if (location.getHost() == null) {
            out.add("the location '" + ConnectionUri.redact(location.toString()) + "' names no server: give postgresql-physical://USER@HOST:PORT/postgres");
        }
        return out;
    }

    /**
     * Point-in-time drills: the base backup is restored into a scratch data directory with a recovery target drawn at
     * random inside the archived window, started on a free port (archive_mode off) until recovery ended, checked
     * ({@code recovery}: the target reached, the RTO with replay, the achieved RPO) and smoke-queried, then removed.
     * Drill options: {@code restore-command} (required), {@code run-as} (the server's user when run as root, default
     * postgres), {@code timeout} (default 30m), {@code pg-bin-dir}.
     */
    @Override
    public Optional<DrillSupport> drills() {
        return Optional.of(new DrillSupport() {
            @Override
            public Set<String> checks() {
                return Set.of(PitrScratch.RECOVERY);
            }

            @Override
            public boolean directoryTarget() {
                return false;
            }

            @Override
            public boolean smokeQueries() {
                return true;
            }

            @Override
            public Scratch scratch(Request request) throws java.io.IOException {
                if (request.target().isPresent()) {
                    throw new InvalidInputException("a point-in-time drill restores into a scratch data directory on"
                            + " this host and starts its own server: give it no target");
                }
                return PitrScratch.create(request);
            }
        });
    }

    /**
     * Expires the job's WAL archive ({@code options.cluster}) up to the start of the oldest retained base backup, on
     * its timeline and that timeline's ancestors ({@link WalArchive#expire}): WAL a retained base backup needs, later
     * timelines and history files stay. Nothing is removed when no completed base backup is retained.
     */
    /**
     * Copies the job's WAL archive ({@code options.cluster}) into the copy target: every file the target lacks
     * ({@link WalArchive#copyTo}), so a restore to a point works from the copy as from the original.
     */
    @Override
    public Optional<String> afterCopy(Repository repository, Repository target, URI location,
                                      Map<String, String> options) {
        Optional<String> cluster = option(options, "cluster");
        if (cluster.isEmpty() || !WalArchive.clusters(repository).contains(cluster.get())) {
            return Optional.empty();
        }
        List<WalFile> copied = WalArchive.open(repository, cluster.get()).copyTo(target);
        if (copied.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("WAL archive '" + cluster.get() + "': copied " + copied.size() + " file"
                + (copied.size() == 1 ? "" : "s"));
    }

    @Override
    public Optional<String> afterRetention(Repository repository, URI location, Map<String, String> options,
                                           List<Snapshot> retained) {
        Optional<String> cluster = option(options, "cluster");
        if (cluster.isEmpty()) {
            return Optional.empty();
        }
        Optional<PhysicalFacts> oldest = retained.stream().map(PhysicalFacts::of).flatMap(Optional::stream)
                .min(java.util.Comparator.comparing(PhysicalFacts::startLsn));
        if (oldest.isEmpty()) {
            return Optional.empty();
        }
        PhysicalFacts f = oldest.get();
        WalArchive archive = WalArchive.open(repository, cluster.get());
        if (!f.systemIdentifier().isEmpty()) {
            archive = archive.system(Long.parseUnsignedLong(f.systemIdentifier()));
        }
        if (archive.list().isEmpty()) {
            return Optional.empty();
        }
        List<WalFile> removed = archive.expire(f.timeline(), f.startLsn().value(), false);
        if (removed.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("WAL archive '" + cluster.get() + "': removed " + removed.size() + " file"
                + (removed.size() == 1 ? "" : "s") + " before " + f.startLsn() + " on timeline " + f.timeline()
                + " (the start of the oldest retained base backup)");
    }

    /**
     * A target writing the base backup into an empty data directory ({@code location} a directory) with the recovery
     * settings the options give. The window checks and the choice of base backup are
     * {@link PointInTimeRestore}'s; this is what {@code restore SNAPSHOT --target DIR} does with one snapshot.
     */
    @Override
    public RestoreTarget target(Optional<URI> location, Map<String, String> options) {
        check(options);
        URI uri = location.orElseThrow(() -> new InvalidInputException("a physical base backup is restored into a new"
                + " data directory: give --target DIR"));
        if (uri.getScheme() != null && !uri.getScheme().equals("file")) {
            throw new InvalidInputException("a physical base backup is restored into a directory, not '" + uri + "'");
        }
        return new PgDataTarget(Path.of(uri), tablespaceMap(options), recoverySettings(options), true);
    }

    @Override
    public Optional<RestoreTarget> directoryTarget(Path directory, Map<String, String> options) {
        return Optional.of(target(Optional.of(directory.toUri()), options));
    }

    /**
     * With {@code wal-stall-after}: WAL archiving on the server and the newest WAL of the archive named by
     * {@code cluster}, as for the logical kind ({@code docs/postgresql-pitr.md}); no other doctor checks yet.
     */
    @Override
    public Optional<com.mintreplica.backup.core.drill.Preflight> preflight() {
        return Optional.of(new com.mintreplica.backup.core.drill.Preflight() {
            @Override
            public List<Finding> source(URI location, Map<String, String> options, Map<String, String> env,
                                        String field) {
                return List.of();
            }

            @Override
            public Optional<Continuity> continuity(URI location, Map<String, String> options, Map<String, String> env,
                                                   Repository repository, String name, Instant now) {
                com.mintreplica.backup.postgres.PostgresConnection server = com.mintreplica.backup.postgres
                        .PostgresConnection.builder().url(libpqUri(location)).environment(env).build();
                return com.mintreplica.backup.postgres.internal.receive.ArchiveHealth.check(server, options, repository,
                        option(options, "cluster").orElse(name), now);
            }
        });
    }

    @Override
    public String targetExample() {
        return "an empty directory (the new PGDATA)";
    }

    /** A base backup is recovered into a new data directory. */
    @Override
    public boolean recoversIntoDirectory() {
        return true;
    }

    /** The recovery target the options {@code to-time}, {@code to-lsn}, ... give (latest when none). */
    public static RecoveryTarget recoveryTarget(Map<String, String> options) {
        List<String> given = new ArrayList<>();
        for (String k : List.of("to-time", "to-lsn", "to-name", "to-xid")) {
            if (option(options, k).isPresent()) {
                given.add(k);
            }
        }
        if (given.size() > 1) {
            throw new InvalidInputException("give one recovery target, not " + String.join(" and ", given));
        }
        RecoveryTarget t = RecoveryTarget.latest();
        if (option(options, "to-time").isPresent()) {
            t = RecoveryTarget.time(time(options.get("to-time")));
        } else if (option(options, "to-lsn").isPresent()) {
            t = RecoveryTarget.lsn(Lsn.parse(options.get("to-lsn")));
        } else if (option(options, "to-name").isPresent()) {
            t = RecoveryTarget.name(options.get("to-name").strip());
        } else if (option(options, "to-xid").isPresent()) {
            t = RecoveryTarget.xid(options.get("to-xid"));
        }
        if (option(options, "target-action").isPresent()) {
            t = t.action(RecoveryTarget.Action.of(options.get("target-action")));
        }
        if (option(options, "inclusive").isPresent()) {
            t = t.inclusive(bool("inclusive", options.get("inclusive")));
        }
        if (option(options, "timeline").isPresent()) {
            t = t.timeline(options.get("timeline"));
        }
        return t;
    }

    /** Parses a target time: an ISO instant ({@code 2026-12-05T03:14:00Z}) or a local date-time with an offset. */
    public static Instant time(String text) {
        String t = text.strip().replace(' ', 'T');
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            try {
                return java.time.OffsetDateTime.parse(t).toInstant();
            } catch (DateTimeParseException e2) {
                throw new InvalidInputException("target time '" + text + "' is not a time with a zone: give it as"
                        + " 2026-12-05T03:14:00Z or 2026-12-05T04:14:00+01:00");
            }
        }
    }

    /** The {@code tablespace-map} option ({@code OID=DIR,/old/place=/new/place}) as a map. */
    public static Map<String, String> tablespaceMap(Map<String, String> options) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : option(options, "tablespace-map").orElse("").split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) {
                throw new InvalidInputException("tablespace-map '" + pair + "': give OID=DIR or /old/place=/new/place");
            }
            out.put(pair.substring(0, eq).strip(), Path.of(pair.substring(eq + 1).strip()).toAbsolutePath().toString());
        }
        return out;
    }

    private static Map<String, String> recoverySettings(Map<String, String> options) {
        Map<String, String> out = new LinkedHashMap<>();
        String command = option(options, "restore-command").orElseThrow(() -> new InvalidInputException("a physical"
                + " restore needs option restore-command (the command the restored server fetches WAL with, %f %p),"
                + " such as: mint-backup --config /etc/mint-backup/config.yaml wal-fetch %f %p"));
        if (!command.contains("%f") || !command.contains("%p")) {
            throw new InvalidInputException("restore-command '" + command + "' must name the segment (%f) and where to"
                    + " write it (%p)");
        }
        out.put("restore_command", command);
        out.putAll(recoveryTarget(options).settings());
        return out;
    }

    static String libpqUri(URI location) {
        String text = location.toString();
        if (!text.toLowerCase(Locale.ROOT).startsWith(SCHEME + "://")) {
            throw new InvalidInputException("'" + ConnectionUri.redact(text) + "' is not a " + SCHEME + ":// location");
        }
        return "postgresql" + text.substring(SCHEME.length());
    }

    private static void check(Map<String, String> options) {
        TreeSet<String> known = new TreeSet<>(SOURCE_OPTIONS);
        known.addAll(TARGET_OPTIONS);
        known.addAll(CONTINUITY_OPTIONS);
        for (String name : options.keySet()) {
            if (!known.contains(name)) {
                throw new InvalidInputException("unknown postgresql-physical option '" + name + "': use one of " + known);
            }
        }
    }

    static Optional<String> option(Map<String, String> options, String name) {
        return Optional.ofNullable(options.get(name)).map(String::strip);
    }

    private static boolean bool(String name, String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "", "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new InvalidInputException("option " + name + " must be true or false: '" + value + "'");
        };
    }

    private static Duration duration(String name, String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        try {
            if (v.matches("\\d+(ms|s|m|h)")) {
                long n = Long.parseLong(v.replaceAll("[a-z]+$", ""));
                return switch (v.replaceAll("^\\d+", "")) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            }
            return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new InvalidInputException("option " + name + " '" + value + "' is not a duration: give 90s, 10m or 1h");
        }
    }
}
