package com.mintreplica.backup.postgres.physical;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.postgres.physical.internal.PgDataTarget;
import com.mintreplica.backup.postgres.physical.internal.ServerStarter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Restores a PostgreSQL cluster to a point: picks the newest base backup that ends before the target, checks the
 * target lies inside the recoverable window, writes the base backup into an empty data directory with
 * {@code recovery.signal} and the recovery settings ({@code restore_command}, the target), and optionally starts the
 * server and waits until recovery ended.
 *
 * <pre>{@code
 * PointInTimeRestore.Result r = PointInTimeRestore.builder()
 *     .repository(repository)
 *     .job("ledger-base")
 *     .dataDir(Path.of("/var/lib/postgresql/15/restored"))
 *     .target(RecoveryTarget.time(Instant.parse("2026-12-05T03:14:00Z")))
 *     .restoreCommand("mint-backup --config /etc/mint-backup.yaml wal-fetch --job ledger %f %p")
 *     .archiveEnd(walArchiveEnd)                      // the newest time the WAL archive covers
 *     .start(true)
 *     .build().run();
 * }</pre>
 *
 * <p>Nothing is written before every check passed: a time outside the window (earlier than the oldest base backup's
 * stop time, or later than {@link Builder#archiveEnd}), a non-empty data or tablespace directory are refused with an
 * {@link InvalidInputException} naming the window or the directory.
 */
public final class PointInTimeRestore {
    private final Builder b;

    private PointInTimeRestore(Builder b) {
        this.b = b;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * What was restored and, when the server was started, what it reached.
     *
     * @param snapshot the base backup restored
     * @param facts its facts
     * @param settings the recovery settings written
     * @param server the started server's outcome, when started
     */
    public record Result(Snapshot snapshot, PhysicalFacts facts, Map<String, String> settings,
                         Optional<Server> server) {
    }

    /**
     * The server started on the restored directory.
     *
     * @param port its port
     * @param state {@code paused} (at the target, read-only), {@code promoted} (read-write on a new timeline) or
     *     {@code shut down}
     * @param stoppedAt PostgreSQL's words on where replay stopped ({@code recovery stopping before commit of
     *     transaction 1234, time ...}), when it stopped at a target
     * @param lastTransaction the commit time of the last transaction replayed, when PostgreSQL logged it
     * @param redoDoneAt where redo ended, when logged
     * @param took from start to the end of recovery
     * @param log the server's log file
     */
    public record Server(int port, String state, Optional<String> stoppedAt, Optional<Instant> lastTransaction,
                         Optional<String> redoDoneAt, Duration took, Path log) {
    }

    /** The physical base backups of the selected job or source, oldest first. */
    public static List<Snapshot> baseBackups(Repository repository, Predicate<Snapshot> filter) {
        return repository.snapshots().stream()
                .filter(s -> PhysicalFacts.of(s).isPresent())
                .filter(filter)
                .sorted(Comparator.comparing(s -> PhysicalFacts.of(s).orElseThrow().stopTime()))
                .toList();
    }

    /** Chooses the base backup, checks the window and the directories, then restores. */
    public Result run() {
        Predicate<Snapshot> filter = s -> b.job.map(j -> s.job().map(j::equals).orElse(false)).orElse(true)
                && b.source.map(n -> s.source().name().equals(n)).orElse(true)
                && b.snapshot.map(id -> s.id().equals(id)).orElse(true);
        List<Snapshot> all = baseBackups(b.repository, filter);
        if (all.isEmpty()) {
            throw new NotFoundException("no physical base backup" + b.job.map(j -> " of job '" + j + "'").orElse("")
                    + b.source.map(n -> " of cluster '" + n + "'").orElse("") + " in " + b.repository.location());
        }
        Snapshot chosen = choose(all);
        PhysicalFacts facts = PhysicalFacts.of(chosen).orElseThrow();
        PgDataTarget.checkEmpty(b.dataDir, "the target directory");
        for (Path p : PgDataTarget.tablespaces(chosen.facts(), b.tablespaces).values()) {
            PgDataTarget.checkEmpty(p, "the tablespace directory");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("restore_command", b.restoreCommand);
        settings.putAll(b.target.settings());
        settings.putAll(b.extraSettings);
        b.repository.restore(SnapshotSelector.id(chosen.id()))
                .to(new PgDataTarget(b.dataDir, b.tablespaces, settings, true))
                .run();
        Optional<Server> server = Optional.empty();
        if (b.start) {
            Path bin = ServerStarter.binDir(b.binDir, facts.version());
            int port = b.port.orElseGet(ServerStarter::freePort);
            try {
                ServerStarter.Outcome o = ServerStarter.start(b.dataDir.toAbsolutePath(), bin, port, b.listen, b.timeout);
                server = Optional.of(new Server(o.port(), o.state(), o.stoppedAt(), o.lastTransaction(),
                        o.redoDoneAt(), o.took(), o.log()));
            } catch (IOException e) {
                throw new BackupException("cannot start the restored server in " + b.dataDir + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackupException("interrupted while the restored server recovered", e);
            }
        }
        return new Result(chosen, facts, Map.copyOf(settings), server);
    }

    /** Stops a server {@link Builder#start} started on {@code dataDir}. */
    public static void stopServer(Path dataDir, String version, Optional<Path> binDir) {
        try {
            ServerStarter.stop(dataDir.toAbsolutePath(), ServerStarter.binDir(binDir, version));
        } catch (IOException e) {
            throw new BackupException("cannot stop the server in " + dataDir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("interrupted while stopping the server in " + dataDir, e);
        }
    }

    private Snapshot choose(List<Snapshot> all) {
        Instant earliest = PhysicalFacts.of(all.get(0)).orElseThrow().stopTime();
        String window = "the recoverable window is " + earliest + " to "
                + b.archiveEnd.map(Instant::toString).orElse("the end of the WAL archive");
        if (b.target.time().isPresent()) {
            Instant t = b.target.time().get();
            if (b.archiveEnd.isPresent() && t.isAfter(b.archiveEnd.get())) {
                throw new InvalidInputException("target time " + t + " is after the newest archived WAL: " + window
                        + "; nothing was written");
            }
            Snapshot best = null;
            for (Snapshot s : all) {
                if (!PhysicalFacts.of(s).orElseThrow().stopTime().isAfter(t)) {
                    best = s;
                }
            }
            if (best == null) {
                throw new InvalidInputException("target time " + t + " is before the oldest base backup ended: " + window
                        + "; nothing was written");
            }
            return best;
        }
        if (b.target.lsn().isPresent()) {
            Lsn target = b.target.lsn().get();
            Snapshot best = null;
            for (Snapshot s : all) {
                if (PhysicalFacts.of(s).orElseThrow().stopLsn().compareTo(target) <= 0) {
                    best = s;
                }
            }
            if (best == null) {
                throw new InvalidInputException("target LSN " + target + " is before the oldest base backup ended (at "
                        + PhysicalFacts.of(all.get(0)).orElseThrow().stopLsn() + "); nothing was written");
            }
            return best;
        }
        return all.get(all.size() - 1);
    }

    /** Builds a {@link PointInTimeRestore}. */
    public static final class Builder {
        private Repository repository;
        private Optional<String> job = Optional.empty();
        private Optional<String> source = Optional.empty();
        private Optional<String> snapshot = Optional.empty();
        private Path dataDir;
        private RecoveryTarget target = RecoveryTarget.latest();
        private String restoreCommand;
        private Optional<Instant> archiveEnd = Optional.empty();
        private final Map<String, String> tablespaces = new LinkedHashMap<>();
        private final Map<String, String> extraSettings = new LinkedHashMap<>();
        private boolean start;
        private Optional<Integer> port = Optional.empty();
        private String listen = "127.0.0.1";
        private Duration timeout = Duration.ofMinutes(30);
        private Optional<Path> binDir = Optional.empty();

        private Builder() {
        }

        public Builder repository(Repository value) {
            this.repository = Objects.requireNonNull(value);
            return this;
        }

        /** Only base backups of this job. */
        public Builder job(String value) {
            this.job = Optional.of(value);
            return this;
        }

        /** Only base backups of this cluster (the source's name). */
        public Builder source(String value) {
            this.source = Optional.of(value);
            return this;
        }

        /** This base backup (its snapshot id) instead of the newest that ends before the target. */
        public Builder snapshot(String id) {
            this.snapshot = Optional.of(id);
            return this;
        }

        /** The data directory to create; it must be absent or empty. */
        public Builder dataDir(Path value) {
            this.dataDir = value.toAbsolutePath().normalize();
            return this;
        }

        /** Where replay stops (default: {@link RecoveryTarget#latest()}). */
        public Builder target(RecoveryTarget value) {
            this.target = Objects.requireNonNull(value);
            return this;
        }

        /** The {@code restore_command} the restored server fetches WAL with ({@code %f}, {@code %p}). */
        public Builder restoreCommand(String value) {
            if (value == null || value.isBlank() || !value.contains("%f") || !value.contains("%p")) {
                throw new InvalidInputException("restore_command '" + value + "' must name the segment (%f) and where"
                        + " to write it (%p)");
            }
            this.restoreCommand = value;
            return this;
        }

        /** The newest time the WAL archive covers: a later target time is refused. */
        public Builder archiveEnd(Instant value) {
            this.archiveEnd = Optional.of(value);
            return this;
        }

        /** Restores tablespace {@code oidOrPath} (its OID, or where it was) to {@code to} instead. */
        public Builder tablespace(String oidOrPath, Path to) {
            tablespaces.put(oidOrPath, to.toAbsolutePath().normalize().toString());
            return this;
        }

        /** Another setting for {@code postgresql.auto.conf} (say {@code archive_mode = off} for a drill's copy). */
        public Builder setting(String name, String value) {
            if (!name.matches("[a-z_][a-z0-9_.]*")) {
                throw new InvalidInputException("'" + name + "' is not a PostgreSQL setting name");
            }
            extraSettings.put(name, value);
            return this;
        }

        /** Whether to start the server and wait until recovery ended (default false). */
        public Builder start(boolean value) {
            this.start = value;
            return this;
        }

        /** The port of the started server (default: a free one). */
        public Builder port(int value) {
            if (value < 1 || value > 65535) {
                throw new InvalidInputException("port " + value + " is not between 1 and 65535");
            }
            this.port = Optional.of(value);
            return this;
        }

        /** The address the started server listens on (default 127.0.0.1). */
        public Builder listen(String value) {
            this.listen = value;
            return this;
        }

        /** How long to wait for recovery to end (default 30 minutes). */
        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /** The PostgreSQL binaries (default: Debian's directory of the backup's major version, else PATH). */
        public Builder binDir(Path value) {
            this.binDir = Optional.of(value);
            return this;
        }

        public PointInTimeRestore build() {
            if (repository == null) {
                throw new InvalidInputException("a point-in-time restore needs a repository");
            }
            if (dataDir == null) {
                throw new InvalidInputException("a point-in-time restore needs the data directory to create");
            }
            if (restoreCommand == null) {
                throw new InvalidInputException("a point-in-time restore needs a restore_command (%f, %p) that fetches"
                        + " WAL from the archive: mint-backup wal-fetch %f %p");
            }
            return new PointInTimeRestore(this);
        }
    }
}
