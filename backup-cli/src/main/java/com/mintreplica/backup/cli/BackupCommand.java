package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupPipeline;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.fs.DirectorySource;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "backup", description = {"Back up directories (PATH...) or a database (URI) into the repository.",
    "Unchanged files are not read again; unchanged data is not stored again."})
final class BackupCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(arity = "1..*", paramLabel = "PATH|URI", description = "Directories or files, or one source URI (postgresql://..., mongodb://...).")
    List<String> locations;

    @Option(names = "--tag", paramLabel = "T", description = "A tag for the snapshot (repeatable).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--time", paramLabel = "ISO-8601", description = "The snapshot's time instead of now (for imports and tests), e.g. 2026-11-24T01:00:00Z.")
    String time;

    @Option(names = "--exclude", paramLabel = "GLOB", description = "Leave out what matches (repeatable): *.log, cache/**.")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--include", paramLabel = "GLOB", description = "Back up only what matches (repeatable).")
    List<String> includes = new ArrayList<>();

    @Option(names = "--host", paramLabel = "NAME", description = "The host name to record (default: this machine's).")
    String host;

    @Option(names = "--job", paramLabel = "NAME", description = "The job name to record.")
    String job;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "A source option (repeatable), e.g. --option format=directory.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin
    StallOption stall;

    @Override
    public Integer call() throws Exception {
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.BACKUP, facts, () -> backup(facts));
    }

    private int backup(CliAudit.Facts facts) throws Exception {
        facts.repository = repository.location(root);
        stall.get(); // a bad duration is reported before anything is read
        Source source = source();
        Instant at = time == null ? null : parseTime(time);
        try (Repository repo = repository.open(root)) {
            BackupPipeline.Builder pipeline = Backup.pipeline().source(source).to(repo).tags(tags.toArray(String[]::new))
                    .stallTimeout(stall.get());
            if (at != null) {
                pipeline.time(at);
            }
            if (host != null) {
                pipeline.host(host);
            }
            if (job != null) {
                pipeline.job(job);
            }
            ProgressLine progress = null;
            if (root.terminal && !root.quiet && !json) {
                progress = new ProgressLine(root.err);
                pipeline.listener(progress);
            }
            BackupResult result = pipeline.build().run();
            if (progress != null) {
                progress.clear();
            }
            Snapshot s = result.snapshot();
            facts.snapshot = s.id();
            facts.bytes = s.stats().bytesRead();
            for (Snapshot.Warning w : s.warnings()) {
                root.err.println("warning: " + com.mintreplica.backup.core.source.FileNames.display(w.path()) + ": " + w.message());
            }
            if (json) {
                root.out.println(Json.write(Json.snapshot(s)));
            } else if (!root.quiet) {
                root.out.printf("snapshot %s saved: %d entries, %s (%s read, %s new, %s stored) in %s%n", s.id(),
                        s.stats().entries(), Format.bytes(s.stats().totalBytes()), Format.bytes(s.stats().bytesRead()),
                        Format.bytes(s.stats().bytesNew()), Format.bytes(s.stats().bytesStored()),
                        Format.duration(result.duration()));
            }
            if (result.entriesLeftOut() > 0) {
                // saved, but incomplete: restic's status 3, so that cron and monitoring notice
                root.err.println("mint-backup: snapshot " + s.id() + " was saved without " + result.entriesLeftOut()
                        + (result.entriesLeftOut() == 1 ? " entry that" : " entries that") + " could not be read (see"
                        + " the warnings above); exit status " + MintBackup.INCOMPLETE);
                return MintBackup.INCOMPLETE;
            }
        }
        return MintBackup.OK;
    }

    private Source source() throws Exception {
        // a source path that is not valid UTF-8: its exact bytes, as a file: URI (see ProcessArguments)
        java.util.Set<String> unused = new java.util.HashSet<>(root.rawArguments.keySet());
        List<String> locations = this.locations.stream().map(l -> {
            byte[] raw = root.rawArguments.get(l);
            if (raw == null) {
                return l;
            }
            unused.remove(l);
            return ProcessArguments.fileUri(raw);
        }).toList();
        if (!unused.isEmpty()) {
            throw new InvalidInputException("the argument '" + ProcessArguments.display(root.rawArguments.get(
                    unused.iterator().next())) + "' is not valid UTF-8; only a source path may be. backup's --include"
                    + " and --exclude patterns match names as the JVM decodes them: write such a byte as ? there");
        }
        boolean allPaths = locations.stream().allMatch(l -> Sources.toUri(l).getScheme().equals("file"));
        if (allPaths) {
            if (!options.isEmpty()) {
                throw new InvalidInputException("--option is for database sources; for directories use --exclude and --include");
            }
            List<Path> roots = locations.stream().map(l -> Path.of(Sources.toUri(l))).toList();
            return DirectorySource.builder().roots(roots).excludes(excludes).includes(includes).build();
        }
        if (locations.size() != 1) {
            throw new InvalidInputException("back up one database URI at a time (or only paths): got " + locations.size() + " locations");
        }
        if (!excludes.isEmpty() || !includes.isEmpty()) {
            throw new InvalidInputException("--exclude and --include are for directories; a database source takes --option KEY=VALUE");
        }
        URI uri = Sources.toUri(locations.get(0));
        SourceProvider provider = Sources.forLocation(uri).withEnvironment(root.env);
        return provider.source(uri, options);
    }

    static Instant parseTime(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                try {
                    return LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException e3) {
                    throw new InvalidInputException("'" + text + "' is not an ISO-8601 time: use e.g. 2026-11-24T01:00:00Z"
                            + " (a time without zone is UTC)");
                }
            }
        }
    }
}
