package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.UntrustedSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "list", aliases = "snapshots", description = "List the snapshots in the repository, oldest first.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--json", description = "Print a JSON array: id, time (UTC), host, source, job, tags, entries, bytes, ...")
    boolean json;

    @Option(names = "--tag", paramLabel = "T", description = "Only snapshots with this tag (repeatable: all must match).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--host", paramLabel = "NAME", description = "Only snapshots taken on this host.")
    String host;

    @Override
    public Integer call() {
        try (Repository repo = repository.open(root)) {
            List<Snapshot> snapshots = repo.snapshots().stream()
                    .filter(s -> s.tags().containsAll(tags))
                    .filter(s -> host == null || s.host().equals(host))
                    .toList();
            List<UntrustedSnapshot> untrusted = repo.untrustedSnapshots();
            if (json) {
                List<Map<String, Object>> out = new ArrayList<>();
                snapshots.forEach(s -> out.add(Json.snapshot(s)));
                root.out.println(Json.write(out));
                untrusted.forEach(u -> root.err.println("warning: snapshot " + u.snapshot().id() + " is not trusted and not"
                        + " listed: " + u.reason()));
                return MintBackup.OK;
            }
            printUntrusted(untrusted);
            if (snapshots.isEmpty()) {
                root.out.println("no snapshots in " + repo.location());
                return MintBackup.OK;
            }
            String format = "%-24s  %-19s  %-16s  %-16s  %8s  %10s  %s%n";
            root.out.printf(format, "ID", "TIME (UTC)", "HOST", "TAGS", "ENTRIES", "SIZE", "SOURCE");
            for (Snapshot s : snapshots) {
                root.out.printf(format, s.id(), Format.time(s.time()), clip(s.host(), 16), clip(String.join(",", s.tags()), 16),
                        s.stats().entries(), Format.bytes(s.stats().totalBytes()), s.source());
            }
            root.out.println(snapshots.size() + " snapshot" + (snapshots.size() == 1 ? "" : "s"));
        }
        return MintBackup.OK;
    }

    /** Snapshots the keys do not trust: never listed as snapshots, never silent. */
    private void printUntrusted(List<UntrustedSnapshot> untrusted) {
        if (untrusted.isEmpty()) {
            return;
        }
        root.out.println(untrusted.size() + " snapshot" + (untrusted.size() == 1 ? " is" : "s are") + " NOT TRUSTED and"
                + " left out below (not restored, not counted by retention, kept by prune until forgotten):");
        for (UntrustedSnapshot u : untrusted) {
            root.out.printf("  %-24s  %-19s  %s: %s%n", u.snapshot().id(), Format.time(u.snapshot().time()),
                    clip(u.snapshot().host(), 16), u.reason());
        }
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
