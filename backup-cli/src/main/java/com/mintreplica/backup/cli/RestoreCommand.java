package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "restore", description = {"Restore a snapshot into a directory or a database.",
    "Every byte is checked before it is written; a damaged repository fails the restore and nothing corrupt is left.",
    "A file already in the target directory with the snapshot's size is read and checked blob by blob against the"
        + " snapshot; when it matches, it is kept and given the snapshot's metadata, and nothing of it is read from"
        + " the repository."})
final class RestoreCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "A snapshot id (or unique prefix), latest, or latest@TIME (the latest at or before TIME).")
    String snapshot;

    @Option(names = "--target", paramLabel = "DIR|URI", description = "Where to restore: a directory, or a database URI."
            + " Without it, files go back to their original paths. A MongoDB snapshot restored to a directory is"
            + " written as a mongodump directory (mongorestore reads it).")
    String target;

    @Option(names = "--include", paramLabel = "PATH", description = "Restore only this entry path and what is below it (repeatable).")
    List<String> includes = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "PATTERN", description = "Leave out entries this glob matches, and all below"
            + " a directory it matches, as restic's: /a/b the whole path, *.log a name, a/b the path's end from any"
            + " directory on; \\xe9 a byte and \\n a newline as ls shows them. --mirror leaves them alone in the"
            + " target (repeatable).")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--mirror", description = "Delete what lies under the snapshot's directories but is not in the"
            + " snapshot, except what the backup's own --exclude and --include patterns kept out of it (-v names each).")
    boolean mirror;

    @Option(names = "--dry-run", description = "Change nothing: count what would be restored and, with --mirror, name"
            + " each path that would be deleted (as restic's restore --dry-run). Reads directory listings, no file content.")
    boolean dryRun;

    @Option(names = "--no-sparse", description = "Write every byte of a file; by default blocks of zeros become holes,"
            + " so sparse files come back sparse.")
    boolean noSparse;

    @Option(names = "--numeric-owner", description = "As root: give entries their stored user and group ids, as restic"
            + " does (for a container's or another machine's files); by default a stored name's id on this machine wins.")
    boolean numericOwner;

    @Option(names = "--target-database", paramLabel = "NAME", description = "Restore a database snapshot into this database name.")
    String targetDatabase;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "A target option (repeatable).")
    Map<String, String> options = new LinkedHashMap<>();

    @picocli.CommandLine.Mixin
    StallOption stall;

    @Option(names = "--target-dir", paramLabel = "PGDATA", description = "PostgreSQL point-in-time restore: the new, empty"
            + " data directory. SNAPSHOT latest picks the newest base backup that ends before the target.")
    Path targetDir;

    @Option(names = "--to-time", paramLabel = "TIME", description = "Recover to this time (2026-12-05T03:14:00Z); outside"
            + " the archived window it is refused before anything is written.")
    String toTime;

    @Option(names = "--to-lsn", paramLabel = "LSN", description = "Recover to this WAL position (0/3000028).")
    String toLsn;

    @Option(names = "--to-name", paramLabel = "NAME", description = "Recover to this restore point (pg_create_restore_point).")
    String toName;

    @Option(names = "--to-xid", paramLabel = "XID", description = "Recover to the commit of this transaction.")
    String toXid;

    @Option(names = "--target-action", paramLabel = "ACTION", description = "At the target: pause (default: read-only,"
            + " inspect, then pg_wal_replay_resume() promotes), promote or shutdown.")
    String targetAction;

    @Option(names = "--exclusive", description = "Stop just before the target instead of just after it.")
    boolean exclusive;

    @Option(names = "--target-timeline", paramLabel = "TL", description = "The timeline to recover along: latest"
            + " (default), current or a number.")
    String targetTimeline;

    @Option(names = "--tablespace-map", paramLabel = "OID=DIR", description = "Restore a tablespace (its OID or its"
            + " original directory) into DIR instead (repeatable).")
    List<String> tablespaceMap = new ArrayList<>();

    @Option(names = "--restore-command", paramLabel = "CMD", description = "The restored server's restore_command"
            + " (default: this launcher's wal-fetch of the same repository and cluster).")
    String restoreCommand;

    @Option(names = "--cluster", paramLabel = "C", description = "The cluster whose base backups and WAL to use, when the"
            + " repository holds several.")
    String cluster;

    @Option(names = "--start", description = "Start the server (as the directory's owner) and wait until recovery ended.")
    boolean start;

    @Option(names = "--port", paramLabel = "PORT", description = "With --start: the port (default: a free one).")
    Integer port;

    @Option(names = "--start-timeout", paramLabel = "DURATION", description = "With --start: how long recovery may take"
            + " (default 30m).")
    String startTimeout;

    @Override
    public Integer call() throws Exception {
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.RESTORE, facts, () -> restore(facts));
    }

    private int restore(CliAudit.Facts facts) throws Exception {
        facts.repository = repository.location(root);
        if (targetDir != null || toTime != null || toLsn != null || toName != null || toXid != null) {
            return pointInTime(facts);
        }
        stall.get(); // a bad duration is reported before anything is read
        if (target != null && target.isBlank()) {
            // it was "a source location is empty": the parser of locations is shared with backup's sources
            throw new com.mintreplica.backup.core.InvalidInputException("--target is empty: give the directory to restore"
                    + " into (or a database URI), or leave --target out to restore to the original locations");
        }
        try (Repository repo = repository.open(root)) {
            Snapshot s = repo.snapshot(SnapshotSelector.parse(snapshot));
            facts.snapshot = s.id();
            facts.detail = "to " + (target == null ? "the original location" : com.mintreplica.backup.core.sink.Sinks.redact(target));
            SourceProvider provider = Sources.requireKind(s.source().kind()).withEnvironment(root.env);
            Map<String, String> targetOptions = new LinkedHashMap<>(options);
            if (mirror) {
                targetOptions.put("mirror", "true");
            }
            if (noSparse) {
                targetOptions.put("sparse", "false");
            }
            if (numericOwner) {
                targetOptions.put("numeric-owner", "true");
            }
            if (targetDatabase != null) {
                targetOptions.put("target-database", targetDatabase);
            }
            Optional<URI> location = Optional.ofNullable(target).map(Sources::toUri);
            RestoreTarget restoreTarget;
            if (location.isPresent() && !provider.schemes().contains(location.get().getScheme())) {
                // a directory for a database snapshot: its export in the form its own tools read (a mongodump directory)
                Optional<RestoreTarget> export = "file".equals(location.get().getScheme())
                        ? provider.directoryTarget(Path.of(location.get()), targetOptions) : Optional.empty();
                restoreTarget = export.orElseThrow(() -> new InvalidInputException("snapshot " + s.id() + " is a "
                        + s.source().kind() + " snapshot and cannot be restored to '"
                        + com.mintreplica.backup.core.sink.Sinks.redact(target) + "': give a " + provider.schemes() + " target"));
            } else {
                restoreTarget = provider.target(location, targetOptions);
            }
            com.mintreplica.backup.core.Restore restore = repo.restore(SnapshotSelector.id(s.id())).to(restoreTarget)
                    .include(includes).exclude(excludes).stallTimeout(stall.get());
            if (dryRun) {
                long[] deletions = {0};
                RestoreResult planned = restore.dryRun(path -> {
                    deletions[0]++;
                    root.out.println("would delete " + path);
                }).run();
                facts.detail = facts.detail + " (dry run)";
                if (!root.quiet) {
                    root.out.printf("dry run of snapshot %s: would restore %d entries, %s%s; nothing was changed%n", s.id(),
                            planned.entries(), Format.bytes(planned.bytes()),
                            mirror ? ", and delete " + deletions[0] + " not in the snapshot" : "");
                }
                return MintBackup.OK;
            }
            RestoreResult result = restore.run();
            facts.bytes = result.bytes();
            if (!root.quiet) {
                root.out.printf("restored snapshot %s: %d entries, %s%s in %s%n", s.id(), result.entries(),
                        Format.bytes(result.bytes()), result.unchangedFiles() == 0 ? ""
                                : " (" + result.unchangedFiles() + (result.unchangedFiles() == 1 ? " file was" : " files were")
                                + " there already, checked and kept)", Format.duration(result.duration()));
            }
        }
        return MintBackup.OK;
    }

    private int pointInTime(CliAudit.Facts facts) {
        if (targetDir == null) {
            throw new InvalidInputException("--to-time, --to-lsn, --to-name and --to-xid restore a PostgreSQL cluster:"
                    + " give the new data directory with --target-dir");
        }
        if (target != null || !includes.isEmpty() || !excludes.isEmpty() || mirror || numericOwner || dryRun || targetDatabase != null
                || !options.isEmpty()) {
            throw new InvalidInputException("--target-dir restores a whole PostgreSQL data directory: --target,"
                    + " --include, --exclude, --mirror, --numeric-owner, --dry-run, --target-database and --option do not apply");
        }
        Map<String, String> targetOptions = new LinkedHashMap<>();
        Optional.ofNullable(toTime).ifPresent(v -> targetOptions.put("to-time", v));
        Optional.ofNullable(toLsn).ifPresent(v -> targetOptions.put("to-lsn", v));
        Optional.ofNullable(toName).ifPresent(v -> targetOptions.put("to-name", v));
        Optional.ofNullable(toXid).ifPresent(v -> targetOptions.put("to-xid", v));
        Optional.ofNullable(targetAction).ifPresent(v -> targetOptions.put("target-action", v));
        Optional.ofNullable(targetTimeline).ifPresent(v -> targetOptions.put("timeline", v));
        if (exclusive) {
            targetOptions.put("inclusive", "false");
        }
        facts.detail = "to " + targetDir;
        return PitrRestore.run(root, repository, new PitrRestore.Request(snapshot, targetDir, targetOptions,
                Optional.ofNullable(restoreCommand), Optional.ofNullable(cluster), start, Optional.ofNullable(port),
                startTimeout == null ? java.time.Duration.ofMinutes(30) : StallOption.parse(startTimeout),
                tablespaceMap, false), facts);
    }
}
