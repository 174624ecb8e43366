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
    "Every byte is checked before it is written; a damaged repository fails the restore and nothing corrupt is left."})
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

    @Option(names = "--mirror", description = "Delete what lies under the snapshot's directories but is not in the snapshot.")
    boolean mirror;

    @Option(names = "--no-sparse", description = "Write every byte of a file; by default blocks of zeros become holes,"
            + " so sparse files come back sparse.")
    boolean noSparse;

    @Option(names = "--target-database", paramLabel = "NAME", description = "Restore a database snapshot into this database name.")
    String targetDatabase;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "A target option (repeatable).")
    Map<String, String> options = new LinkedHashMap<>();

    @picocli.CommandLine.Mixin
    StallOption stall;

    @Override
    public Integer call() throws Exception {
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.RESTORE, facts, () -> restore(facts));
    }

    private int restore(CliAudit.Facts facts) throws Exception {
        facts.repository = repository.location(root);
        stall.get(); // a bad duration is reported before anything is read
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
            RestoreResult result = repo.restore(SnapshotSelector.id(s.id())).to(restoreTarget).include(includes)
                    .stallTimeout(stall.get()).run();
            facts.bytes = result.bytes();
            if (!root.quiet) {
                root.out.printf("restored snapshot %s: %d entries, %s in %s%n", s.id(), result.entries(),
                        Format.bytes(result.bytes()), Format.duration(result.duration()));
            }
        }
        return MintBackup.OK;
    }
}
