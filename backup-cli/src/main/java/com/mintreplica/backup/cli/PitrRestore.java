package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.postgres.physical.PhysicalFacts;
import com.mintreplica.backup.postgres.physical.PhysicalSourceProvider;
import com.mintreplica.backup.postgres.physical.PointInTimeRestore;
import com.mintreplica.backup.postgres.physical.RecoveryTarget;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code restore --target-dir PGDATA [--to-time|--to-lsn|--to-name|--to-xid]}: a PostgreSQL point-in-time restore.
 * The base backup is chosen among the repository's physical ones (the newest that ends before the target), the window
 * is checked against the WAL archive's listing before anything is written, and the restored server fetches WAL with
 * this launcher's {@code wal-fetch} unless {@code --restore-command} says otherwise.
 */
final class PitrRestore {
    private PitrRestore() {
    }

    record Request(String snapshot, Path dataDir, Map<String, String> targetOptions, Optional<String> restoreCommand,
                   Optional<String> cluster, boolean start, Optional<Integer> port, Duration timeout,
                   List<String> tablespaceMap, boolean silent) {
    }

    static int run(MintBackup root, RepositoryOptions repository, Request r, CliAudit.Facts facts) {
        RecoveryTarget target = PhysicalSourceProvider.recoveryTarget(r.targetOptions());
        Map<String, String> map = new LinkedHashMap<>();
        for (String pair : r.tablespaceMap()) {
            map.putAll(PhysicalSourceProvider.tablespaceMap(Map.of("tablespace-map", pair)));
        }
        try (Repository repo = repository.open(root)) {
            List<Snapshot> bases = PointInTimeRestore.baseBackups(repo, s -> true);
            if (bases.isEmpty()) {
                throw new InvalidInputException("no PostgreSQL physical base backup in " + Sinks.redact(repository.location(root))
                        + ": a point-in-time restore (--target-dir, --to-*) starts from one");
            }
            String snapshotId = null;
            if (!r.snapshot().equals("latest")) {
                Snapshot s = repo.snapshot(com.mintreplica.backup.core.SnapshotSelector.parse(r.snapshot()));
                if (PhysicalFacts.of(s).isEmpty()) {
                    throw new InvalidInputException("snapshot " + s.id() + " is a " + s.source().kind() + " snapshot, not"
                            + " a physical base backup: --target-dir and --to-* restore postgresql-physical snapshots");
                }
                snapshotId = s.id();
            }
            String cluster = r.cluster().orElseGet(() -> only(bases));
            PointInTimeRestore.Builder b = PointInTimeRestore.builder().repository(repo).source(cluster)
                    .dataDir(r.dataDir()).target(target).start(r.start()).timeout(r.timeout());
            if (snapshotId != null) {
                b.snapshot(snapshotId);
            }
            map.forEach((from, to) -> b.tablespace(from, Path.of(to)));
            r.port().ifPresent(b::port);
            archiveEnd(repo, cluster).ifPresent(b::archiveEnd);
            b.restoreCommand(r.restoreCommand().orElseGet(() -> walFetch(root, repository, cluster)));
            facts.detail = "to " + r.dataDir() + ", recovery target " + target + " (cluster " + cluster + ")";
            PointInTimeRestore.Result result = b.build().run();
            facts.snapshot = result.snapshot().id();
            facts.detail = "to " + r.dataDir() + ", recovery target " + target + " (cluster " + cluster + ", base backup"
                    + " ended " + result.facts().stopTime() + ")" + result.server().map(s -> ": server " + s.state()
                    + s.stoppedAt().map(x -> ", " + x).orElse("")).orElse("");
            if (!root.quiet && !r.silent()) {
                PhysicalFacts f = result.facts();
                root.out.printf("restored base backup %s (ended %s at %s, timeline %d) into %s; recovery target: %s%n",
                        result.snapshot().id(), f.stopTime(), f.stopLsn(), f.timeline(), r.dataDir(), target);
                result.server().ifPresentOrElse(s -> root.out.printf(
                        "server on port %d %s after %s%s%s%n", s.port(), s.state(), Format.duration(s.took()),
                        s.stoppedAt().map(x -> ": " + x).orElse(""),
                        s.lastTransaction().map(t -> "; last transaction at " + t).orElse("")),
                        () -> root.out.printf("start it with: pg_ctl -D %s start (recovery.signal is written)%n",
                                r.dataDir()));
            }
        }
        return MintBackup.OK;
    }

    /** The newest time the WAL archive of {@code cluster} covers: the push time of its newest segment. */
    static Optional<Instant> archiveEnd(Repository repo, String cluster) {
        List<WalFile> files = WalArchive.open(repo, cluster).list();
        return files.stream().filter(f -> f.type() == WalFile.Type.SEGMENT || f.type() == WalFile.Type.PARTIAL)
                .map(WalFile::time).max(Instant::compareTo);
    }

    private static String only(List<Snapshot> bases) {
        List<String> names = bases.stream().map(s -> s.source().name()).distinct().toList();
        if (names.size() > 1) {
            throw new InvalidInputException("the repository holds base backups of several clusters " + names
                    + ": say which with --cluster");
        }
        return names.get(0);
    }

    /**
     * This launcher's wal-fetch of the same repository and cluster, for restore_command: with the same secret key files
     * and passphrase file (an encrypted repository), never a secret itself.
     */
    private static String walFetch(MintBackup root, RepositoryOptions repository, String cluster) {
        String location = repository.location(root);
        if (!Sinks.redact(location).equals(location)) {
            throw new InvalidInputException("the repository location carries credentials, which must not be written"
                    + " into postgresql.auto.conf: give --restore-command (with the credentials in the server's"
                    + " environment)");
        }
        if (!location.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*")) {
            location = Path.of(location).toAbsolutePath().normalize().toString(); // the server runs elsewhere
        }
        String launcher = Optional.ofNullable(root.env.get("MINT_BACKUP_LAUNCHER")).filter(s -> !s.isBlank())
                .orElse("mint-backup");
        List<String> words = new ArrayList<>(List.of(launcher, "wal-fetch", "--repo", location));
        // The restored server runs wal-fetch with its own environment: the keys and the passphrase go in as files
        // (named, never their content: postgresql.auto.conf and process arguments hold no secret).
        List<Path> keys = repository.keyFiles(root);
        for (Path key : keys) {
            words.add("--key");
            words.add(key.toAbsolutePath().normalize().toString());
        }
        if (!keys.isEmpty() && repository.passphraseFile != null) {
            words.add("--passphrase-file");
            words.add(repository.passphraseFile.toAbsolutePath().normalize().toString());
        } else if (repository.passphraseFromEnvironment(root)
                && !keys.stream().allMatch(RepositoryOptions::opensWithoutPassphrase)) {
            throw new InvalidInputException("the secret key's passphrase came from $" + RepositoryOptions.PASSPHRASE_ENV
                    + ", which the restored server's restore_command does not have and which must not be written into"
                    + " postgresql.auto.conf: give it with --passphrase-file F (a file the server's user can read), or"
                    + " give --restore-command (for example wal-fetch --config F --job J)");
        }
        words.addAll(List.of("--cluster", cluster, "%f", "%p"));
        StringBuilder b = new StringBuilder();
        for (String w : words) {
            b.append(b.length() == 0 ? "" : " ").append(w.startsWith("%") ? w : Shell.quote(w));
        }
        return b.toString();
    }
}
