package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpSecretKey;
import com.mintreplica.backup.jobs.JobStatus;
import com.mintreplica.backup.jobs.Recovery;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import com.mintreplica.backup.postgres.physical.PhysicalFacts;
import com.mintreplica.backup.storage.s3.S3Sink;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "recover", description = {"Disaster recovery from the repository alone, on a fresh machine: no config,"
        + " no local state. Lists the jobs (and sources) the repository holds with their latest snapshots; restores"
        + " the chosen ones.",
    "  mint-backup recover --repo R --key K.asc                                  # what is there",
    "  mint-backup recover --repo R --key K.asc --restore JOB=TARGET ...         # some, each to its target",
    "  mint-backup recover --repo R --key K.asc --all --target-dir DIR --target postgresql://postgres@HOST:5432/",
    "Everything is checked before anything is restored; directories must be new or empty. Each database keeps its name"
        + " with --all. Exits 1 when a restore failed, 2 when the command line or the plan is wrong."})
final class RecoverCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--restore", paramLabel = "NAME=TARGET", description = "Restore the latest snapshot of NAME (a job,"
            + " or a source kind:name as listed) to TARGET: a directory, or a database server URI (repeatable).")
    Map<String, String> restores = new LinkedHashMap<>();

    @Option(names = "--all", description = "Restore every job's latest snapshot: files under --target-dir, databases"
            + " to the --target server of their kind.")
    boolean all;

    @Option(names = "--target-dir", paramLabel = "DIR", description = "With --all: restore each files job into DIR/NAME."
            + " Without --all and --restore: the directory the printed restore commands use.")
    Path targetDir;

    @Option(names = "--target", paramLabel = "URI", description = "With --all: the server for database snapshots, one per"
            + " kind (postgresql://user@host:5432/, mongodb://host/). Passwords come from PGPASSWORD (or ~/.pgpass) and"
            + " MINT_BACKUP_MONGODB_PASSWORD, never from the command line.")
    List<String> targets = new ArrayList<>();

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "An option of the database targets (repeatable),"
            + " e.g. no-owner=true or jobs=4 for PostgreSQL; prefix it with the kind (postgresql.no-owner=true) when"
            + " restoring several kinds.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--as-of", paramLabel = "TIME", description = "Read an S3 bucket as it was at TIME (ISO-8601, e.g."
            + " 2026-11-20T00:00:00Z), from its object versions: snapshots deleted or overwritten since come back.")
    String asOf;

    @Option(names = "--dry-run", description = "Show what would be restored where; restore nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Print the groups (and what was restored) as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!all && !restores.isEmpty() && (targetDir != null || !targets.isEmpty())) {
            throw new InvalidInputException("--target-dir and --target go with --all (or, without --restore, name the"
                    + " targets of the commands printed); to choose one job give --restore NAME=TARGET");
        }
        String location = repository.location(root);
        List<OpenPgpSecretKey> keys = repository.secretKeys(root);
        try (Sink base = Sinks.open(location); Repository repo = open(base, keys)) {
            List<Recovery.Group> groups = Recovery.groups(repo);
            boolean restoring = all || !restores.isEmpty();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("repository", Sinks.redact(location));
            out.put("groups", groups.stream().map(RecoverCommand::group).toList());
            if (!json) {
                printGroups(repo, groups);
            }
            List<Recovery.Step> plan = restoring
                    ? Recovery.plan(groups, restores, Optional.ofNullable(targetDir), targets, all, options) : List.of();
            if (!restoring) {
                if (json) {
                    root.out.println(Json.write(out));
                } else {
                    printHints(location, groups);
                }
                return MintBackup.OK;
            }
            List<Map<String, Object>> done = new ArrayList<>();
            boolean failed = false;
            for (Recovery.Step step : plan) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", step.group().name());
                m.put("snapshot", step.group().latest().id());
                m.put("target", Sinks.redact(step.target()));
                String headline = "restore " + step.group().name() + ": snapshot " + step.group().latest().id() + " ("
                        + Format.time(step.group().latest().time()) + " UTC) to " + Sinks.redact(step.target())
                        + (step.options().containsKey("target-database") ? " database " + step.options().get("target-database") : "")
                        + ("true".equals(step.options().get(Recovery.ORIGINAL_NAMES)) ? " (databases keep their names: "
                        + step.group().latest().facts().getOrDefault("mongodb.databases", "as in the snapshot") + ")" : "");
                if (dryRun) {
                    if (!json) {
                        root.out.println("would " + headline);
                    }
                    m.put("result", "dry-run");
                    done.add(m);
                    continue;
                }
                if (!json) {
                    root.out.println(headline + " ...");
                }
                CliAudit.Facts facts = new CliAudit.Facts();
                facts.repository = location;
                facts.snapshot = step.group().latest().id();
                facts.detail = "recover " + step.group().name() + " to " + Sinks.redact(step.target());
                Instant start = Instant.now();
                if (step.group().kind().equals(PhysicalFacts.KIND)) {
                    failed |= !recoverCluster(step, facts, start, m);
                    done.add(m);
                    continue;
                }
                try {
                    RestoreResult r = Recovery.restore(repo, step, root.env);
                    facts.bytes = r.bytes();
                    CliAudit.record(root, AuditOperation.RESTORE, start, facts, null);
                    m.put("result", "ok");
                    m.put("entries", r.entries());
                    m.put("bytes", r.bytes());
                    m.put("durationMillis", r.duration().toMillis());
                    if (!json) {
                        root.out.printf("  restored %d entries, %s in %s; every block checked%s%n", r.entries(),
                                Format.bytes(r.bytes()), Format.duration(r.duration()), checks(step));
                    }
                } catch (RuntimeException e) {
                    failed = true;
                    CliAudit.record(root, AuditOperation.RESTORE, start, facts, e);
                    m.put("result", "failed");
                    m.put("error", e.getMessage());
                    root.err.println("  FAILED: " + step.group().name() + ": " + e.getMessage());
                }
                done.add(m);
            }
            out.put("restored", done);
            if (json) {
                root.out.println(Json.write(out));
            } else if (!dryRun) {
                root.out.println(failed ? "some restores FAILED (above); the others are done"
                        : "all " + plan.size() + " restores done");
            }
            return failed ? MintBackup.FAILED : MintBackup.OK;
        }
    }

    /**
     * A PostgreSQL physical base backup, recovered as {@code restore --target-dir DIR} does to the end of the WAL
     * archive: the data directory with recovery.signal and a restore_command of this launcher's wal-fetch (the same
     * repository and key files), for the operator to start. The restore_command reads the repository as it is now.
     */
    private boolean recoverCluster(Recovery.Step step, CliAudit.Facts facts, Instant start, Map<String, Object> m) {
        try {
            if (asOf != null) {
                throw new InvalidInputException("--as-of reads old object versions, but a recovered cluster's"
                        + " restore_command reads the WAL archive as it is now: recover " + step.group().name()
                        + " without --as-of");
            }
            try {
                java.nio.file.Files.createDirectories(Path.of(step.target()));
            } catch (java.io.IOException e) {
                throw new com.mintreplica.backup.core.BackupException("cannot create the data directory " + step.target()
                        + ": " + e.getMessage(), e);
            }
            PitrRestore.run(root, repository, new PitrRestore.Request(step.group().latest().id(), Path.of(step.target()),
                    Map.of(), Optional.empty(), Optional.of(step.group().latest().source().name()), false,
                    Optional.empty(), Duration.ofMinutes(30), List.of(), json), facts);
            CliAudit.record(root, AuditOperation.RESTORE, start, facts, null);
            m.put("result", "ok");
            m.put("durationMillis", Duration.between(start, Instant.now()).toMillis());
            return true;
        } catch (RuntimeException e) {
            CliAudit.record(root, AuditOperation.RESTORE, start, facts, e);
            m.put("result", "failed");
            m.put("error", e.getMessage());
            root.err.println("  FAILED: " + step.group().name() + ": " + e.getMessage());
            return false;
        }
    }

    private Repository open(Sink base, List<OpenPgpSecretKey> keys) {
        Sink sink = base;
        if (asOf != null) {
            Instant time;
            try {
                time = Instant.parse(asOf);
            } catch (DateTimeParseException e) {
                throw new InvalidInputException("--as-of '" + asOf + "' is not an ISO-8601 time such as 2026-11-20T00:00:00Z");
            }
            if (!(base instanceof S3Sink s3)) {
                throw new InvalidInputException("--as-of reads the object versions of an S3 bucket; " + base.describe()
                        + " is not one");
            }
            sink = s3.asOf(time);
        }
        return keys.isEmpty() ? Repository.open(sink) : Repository.open(sink, OpenPgpEncryption.unlockWith(keys));
    }

    private static String checks(Recovery.Step step) {
        return switch (step.group().kind()) {
            case "postgresql" -> ", row counts of every table match the backup's";
            case "mongodb" -> ", document counts of every collection match the backup's";
            default -> "";
        };
    }

    private void printGroups(Repository repo, List<Recovery.Group> groups) {
        int total = groups.stream().mapToInt(Recovery.Group::snapshots).sum();
        root.out.printf("repository %s%s: %d snapshots of %d jobs and sources%n", repo.location(),
                repo.encryption().map(e -> " (encrypted, " + e + ")").orElse(""), total, groups.size());
        if (groups.isEmpty()) {
            return;
        }
        int kindWidth = Math.max(8, groups.stream().mapToInt(g -> g.kind().length()).max().orElse(0));
        String format = "%-24s %-" + kindWidth + "s %-16s %5s  %-24s %-19s %8s %10s  %s%n";
        root.out.printf(format, "NAME", "KIND", "HOST", "SNAPS", "LATEST SNAPSHOT", "TAKEN (UTC)", "AGE", "SIZE", "SOURCE");
        Instant now = Instant.now();
        for (Recovery.Group g : groups) {
            root.out.printf(format, g.name(), g.kind(), g.host(), g.snapshots(), g.latest().id(), Format.time(g.latest().time()),
                    JobStatus.words(Duration.between(g.latest().time(), now)), Format.bytes(g.latest().stats().totalBytes()),
                    g.source());
        }
    }

    /**
     * Restore commands that run as printed in a POSIX shell: every argument shell-quoted (an {@code &} in an S3 URI
     * must not end the command), with the {@code --key} and {@code --passphrase-file} this command was given (keys and
     * passphrases from the environment stay there), and the targets of {@code --target-dir} and {@code --target}
     * when given.
     */
    private void printHints(String location, List<Recovery.Group> groups) {
        if (groups.isEmpty()) {
            return;
        }
        StringBuilder base = new StringBuilder("mint-backup recover --repo ").append(Shell.quote(Sinks.redact(location)));
        repository.keys.forEach(k -> base.append(" --key ").append(Shell.quote(k.toString())));
        if (repository.passphraseFile != null) {
            base.append(" --passphrase-file ").append(Shell.quote(repository.passphraseFile.toString()));
        }
        String dir = targetDir != null ? targetDir.toString() : "/srv/restore";
        Map<String, String> servers = new LinkedHashMap<>();
        servers.put("postgresql", "postgresql://postgres@NEW-HOST:5432/");
        servers.put("mongodb", "mongodb://NEW-HOST:27017/");
        for (String t : targets) {
            String scheme = t.contains(":") ? t.substring(0, t.indexOf(':')) : "";
            servers.put(scheme.startsWith("mongodb") ? "mongodb" : scheme.startsWith("postgres") ? "postgresql" : scheme, t);
        }
        root.out.println();
        root.out.println("To restore (add --dry-run to see the plan first):");
        for (Recovery.Group g : groups) {
            String target = switch (g.kind()) {
                case "fs", PhysicalFacts.KIND -> Path.of(dir, Recovery.safe(g.name())).toString();
                case "postgresql" -> servers.get("postgresql").endsWith("/") ? servers.get("postgresql")
                        + g.latest().facts().getOrDefault("postgresql.database", "") : servers.get("postgresql");
                case "mongodb" -> servers.get("mongodb");
                default -> "TARGET";
            };
            root.out.println("  " + base + " --restore " + Shell.quote(g.name() + "=" + target));
        }
        StringBuilder everything = new StringBuilder(base).append(" --all --target-dir ").append(Shell.quote(dir));
        for (String kind : List.of("postgresql", "mongodb")) {
            if (groups.stream().anyMatch(g -> g.kind().equals(kind))) {
                everything.append(" --target ").append(Shell.quote(servers.get(kind)));
            }
        }
        root.out.println("  or everything: " + everything);
    }

    private static Map<String, Object> group(Recovery.Group g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", g.name());
        m.put("job", g.job().orElse(null));
        m.put("kind", g.kind());
        m.put("source", g.source().toString());
        m.put("host", g.host());
        m.put("snapshots", g.snapshots());
        m.put("latest", Json.snapshot(g.latest()));
        return m;
    }
}
