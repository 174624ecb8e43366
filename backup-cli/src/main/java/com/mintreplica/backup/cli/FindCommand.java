package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
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

/**
 * Which snapshots hold an entry, as restic's {@code find}: the first question of many restores ("when was this file
 * last backed up, and where was it?").
 */
@Command(name = "find", description = {"List the entries that match a pattern, snapshot by snapshot (restic's find):"
        + " *.pdf a name at any depth, /srv/app/*.log the whole path, app/uploads the path's end from any directory on.",
    "Reads directory listings only."})
final class FindCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(arity = "1..*", paramLabel = "PATTERN", description = "What to look for (at least one; an entry matching"
            + " any is listed).")
    List<String> patterns = new ArrayList<>();

    @Option(names = {"-s", "--snapshot"}, paramLabel = "SNAPSHOT", description = "Only this snapshot (an id, unique"
            + " prefix, latest or latest@TIME; repeatable). Default: every snapshot, oldest first.")
    List<String> snapshots = new ArrayList<>();

    @Option(names = "--host", paramLabel = "NAME", description = "Only snapshots taken on this host.")
    String host;

    @Option(names = "--tag", paramLabel = "T", description = "Only snapshots with this tag (repeatable: all must match).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--json", description = "Print a JSON array: each entry with its snapshot's id.")
    boolean json;

    @Override
    public Integer call() {
        try (Repository repo = repository.open(root)) {
            List<Snapshot> chosen = new ArrayList<>();
            if (snapshots.isEmpty()) {
                chosen.addAll(repo.snapshots());
            } else {
                for (String s : snapshots) {
                    chosen.add(repo.snapshot(SnapshotSelector.parse(s)));
                }
            }
            chosen.removeIf(s -> !s.tags().containsAll(tags) || host != null && !s.host().equals(host));
            if (json) {
                try (Json.ArrayWriter out = new Json.ArrayWriter(root.out)) {
                    repo.find(chosen, patterns, (s, e) -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("snapshot", s.id());
                        m.putAll(Json.entry(e));
                        out.write(m);
                    });
                }
                return MintBackup.OK;
            }
            Snapshot[] shown = {null};
            int[] holding = {0};
            long found = repo.find(chosen, patterns, (s, e) -> {
                if (shown[0] != s) {
                    shown[0] = s;
                    holding[0]++;
                    root.out.printf("snapshot %s  %s  %s  %s%n", s.id(), Format.time(s.time()), s.host(), s.source());
                }
                root.out.println("  " + LsCommand.line(e));
            });
            root.out.printf("%d entr%s found in %d of %d snapshot%s%n", found, found == 1 ? "y" : "ies", holding[0],
                    chosen.size(), chosen.size() == 1 ? "" : "s");
        }
        return MintBackup.OK;
    }
}
