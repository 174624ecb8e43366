package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Changes the tags of snapshots after the fact, as restic's {@code tag}: a legal hold ({@code --add hold}, kept by
 * {@code prune --keep-tag hold}), or a tag given by mistake.
 */
@Command(name = "tag", description = {"Add, remove or set the tags of snapshots (restic's tag): a legal hold is"
        + " tag --add hold SNAPSHOT, kept by prune --keep-tag hold.",
    "Each snapshot whose tags change gets a new id (the same content, time, host and source); the old id is removed."})
final class TagCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(arity = "1..*", paramLabel = "SNAPSHOT", description = "A snapshot id (or unique prefix), latest, or"
            + " latest@TIME.")
    List<String> snapshots = new ArrayList<>();

    @Option(names = "--add", paramLabel = "T", description = "Add this tag (repeatable).")
    List<String> add = new ArrayList<>();

    @Option(names = "--remove", paramLabel = "T", description = "Remove this tag (repeatable).")
    List<String> remove = new ArrayList<>();

    @Option(names = "--set", paramLabel = "T", description = "Replace the tags with these (repeatable; --add and"
            + " --remove then apply).")
    List<String> set = new ArrayList<>();

    @Option(names = "--dry-run", description = "Show which snapshots would change; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        if (add.isEmpty() && remove.isEmpty() && set.isEmpty()) {
            throw new InvalidInputException("nothing to change: give --add, --remove or --set");
        }
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, AuditOperation.TAG, facts, () -> {
            facts.repository = repository.location(root);
            try (Repository repo = repository.open(root)) {
                // every name is resolved before anything changes: a typo in the third changes none of them
                Set<String> ids = new LinkedHashSet<>();
                for (String s : snapshots) {
                    ids.add(repo.snapshot(SnapshotSelector.parse(s)).id());
                }
                Map<String, Optional<String>> changed = repo.tag(List.copyOf(ids), add, remove,
                        set.isEmpty() ? Optional.empty() : Optional.of(set), dryRun);
                for (String id : ids) {
                    Optional<String> now = changed.get(id);
                    if (now == null) {
                        root.out.println("snapshot " + id + ": its tags are as asked already");
                    } else if (now.isEmpty()) {
                        root.out.println("snapshot " + id + ": would change its tags (and get a new id)");
                    } else {
                        Snapshot s = repo.snapshot(SnapshotSelector.id(now.get()));
                        root.out.println("snapshot " + id + " is now " + s.id() + ", tagged " + String.join(",", s.tags()));
                    }
                }
                facts.snapshot = changed.size() == 1 ? changed.values().iterator().next().orElse(null) : null;
                facts.detail = (dryRun ? "dry run: " : "") + changed.size() + " snapshots retagged (add " + add
                        + ", remove " + remove + (set.isEmpty() ? "" : ", set " + set) + ")";
            }
            return MintBackup.OK;
        });
    }
}
