package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.DamagedSnapshot;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.UntrustedSnapshot;
import com.mintreplica.backup.core.SnapshotListing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
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

    @Option(names = "--json", description = "Print a JSON array: id, time (UTC), host, source, job, tags, entries, bytes, ..."
            + " and damaged (true, with the problem, for a snapshot whose manifest cannot be read).")
    boolean json;

    @Option(names = "--tag", paramLabel = "T", description = "Only snapshots with this tag (repeatable: all must match).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--host", paramLabel = "NAME", description = "Only snapshots taken on this host.")
    String host;

    @Override
    public Integer call() {
        try (Repository repo = repository.open(root)) {
            // A damaged manifest affects only its own snapshot: the others are listed, and it is marked.
            SnapshotListing listing = repo.listSnapshots();
            List<Snapshot> snapshots = listing.snapshots().stream()
                    .filter(s -> s.tags().containsAll(tags))
                    .filter(s -> host == null || s.host().equals(host))
                    .toList();
            List<UntrustedSnapshot> untrusted = listing.untrusted();
            List<DamagedSnapshot> damaged = listing.damaged();
            for (DamagedSnapshot d : damaged) {
                root.err.println("warning: snapshot " + d.id() + " cannot be read: " + d.problem());
            }
            if (!damaged.isEmpty()) {
                root.err.println("the other snapshots are not affected; `mint-backup repair snapshots --forget "
                        + damaged.get(0).id() + "` removes " + (damaged.size() == 1 ? "it" : "one"));
            }
            if (json) {
                List<Map<String, Object>> out = new ArrayList<>();
                forEachInOrder(snapshots, damaged, s -> out.add(Json.snapshot(s)), d -> out.add(Json.damaged(d)));
                root.out.println(Json.write(out));
                untrusted.forEach(u -> root.err.println("warning: snapshot " + u.snapshot().id() + " is not trusted and not"
                        + " listed: " + u.reason()));
                return MintBackup.OK;
            }
            printUntrusted(untrusted);
            if (snapshots.isEmpty() && damaged.isEmpty()) {
                root.out.println("no snapshots in " + repo.location());
                return MintBackup.OK;
            }
            // One row of 10,000 through printf cost 25 us (its format string parsed, a write each): built here instead,
            // and written a block at a time.
            StringBuilder rows = new StringBuilder(1 << 16);
            row(rows, "ID", "TIME (UTC)", "HOST", "TAGS", "ENTRIES", "SIZE", "SOURCE");
            forEachInOrder(snapshots, damaged,
                    s -> {
                        row(rows, s.id(), Format.time(s.time()), clip(s.host(), 16), clip(String.join(",", s.tags()), 16),
                                Long.toString(s.stats().entries()), Format.bytes(s.stats().totalBytes()), s.source().toString());
                        if (rows.length() > 60_000) {
                            root.out.print(rows);
                            rows.setLength(0);
                        }
                    },
                    d -> pad(rows, d.id(), 24, false).append("  DAMAGED: ").append(d.problem()).append(System.lineSeparator()));
            root.out.print(rows);
            root.out.println(snapshots.size() + " snapshot" + (snapshots.size() == 1 ? "" : "s")
                    + (damaged.isEmpty() ? "" : ", " + damaged.size() + " damaged"));
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

    /** The readable snapshots in their order, each damaged one before the first readable one with a later id. */
    private static void forEachInOrder(List<Snapshot> snapshots, List<DamagedSnapshot> damaged,
                                       Consumer<Snapshot> readable, Consumer<DamagedSnapshot> unreadable) {
        int next = 0;
        for (Snapshot s : snapshots) {
            while (next < damaged.size() && damaged.get(next).id().compareTo(s.id()) < 0) {
                unreadable.accept(damaged.get(next++));
            }
            readable.accept(s);
        }
        while (next < damaged.size()) {
            unreadable.accept(damaged.get(next++));
        }
    }

    /** A row as {@code %-24s  %-19s  %-16s  %-16s  %8s  %10s  %s%n} prints it. */
    static void row(StringBuilder out, String id, String time, String host, String tags, String entries,
                            String size, String source) {
        pad(out, id, 24, false).append("  ");
        pad(out, time, 19, false).append("  ");
        pad(out, host, 16, false).append("  ");
        pad(out, tags, 16, false).append("  ");
        pad(out, entries, 8, true).append("  ");
        pad(out, size, 10, true).append("  ");
        out.append(source).append(System.lineSeparator());
    }

    /** {@code s} padded with spaces to {@code width}, on the left ({@code right}-aligned) or the right; never cut. */
    static StringBuilder pad(StringBuilder out, String s, int width, boolean right) {
        if (!right) {
            out.append(s);
        }
        for (int i = s.length(); i < width; i++) {
            out.append(' ');
        }
        return right ? out.append(s) : out;
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
