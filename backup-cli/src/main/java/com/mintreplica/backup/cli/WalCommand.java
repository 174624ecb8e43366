package com.mintreplica.backup.cli;

import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import com.mintreplica.backup.postgres.wal.WalGap;
import com.mintreplica.backup.postgres.wal.WalTimeline;
import com.mintreplica.backup.postgres.wal.WalVerifyReport;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "wal", description = "The PostgreSQL WAL archive of a cluster: list it, verify its chain, expire old segments.",
        subcommands = {WalCommand.ListWal.class, WalCommand.VerifyWal.class, WalCommand.ExpireWal.class})
final class WalCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(root.out);
        return MintBackup.USAGE;
    }

    private static String time(java.time.Instant t) {
        return t == null ? "-" : Format.time(t);
    }

    @Command(name = "list", description = "Timelines (parent, switch point, oldest and newest segment, gaps); with --files, every archived file.")
    static final class ListWal implements Callable<Integer> {
        @ParentCommand
        WalCommand parent;

        @Mixin
        WalOptions wal;

        @Option(names = "--files", description = "List every archived file: name, start LSN, time, stored size.")
        boolean files;

        @Override
        public Integer call() throws Exception {
            MintBackup root = parent.root;
            try (WalOptions.Opened opened = wal.open(root)) {
                WalArchive archive = opened.archive();
                List<WalTimeline> timelines = archive.timelines();
                if (timelines.isEmpty()) {
                    root.out.println("nothing archived for cluster '" + archive.cluster() + "'");
                    return MintBackup.OK;
                }
                root.out.printf("%-9s %-7s %-12s %-12s %-12s %9s  %-20s %-20s %s%n", "TIMELINE", "PARENT", "SWITCH", "FROM",
                        "TO", "SEGMENTS", "FIRST", "LAST", "GAPS");
                for (WalTimeline t : timelines) {
                    root.out.printf("%-9d %-7s %-12s %-12s %-12s %9d  %-20s %-20s %d%n", t.timeline(),
                            t.parent() == 0 ? "-" : Integer.toString(t.parent()),
                            t.switchLsn() < 0 ? "-" : WalArchive.lsnText(t.switchLsn()),
                            t.firstLsn() < 0 ? "-" : WalArchive.lsnText(t.firstLsn()),
                            t.endLsn() < 0 ? "-" : WalArchive.lsnText(t.endLsn()), t.segments(), time(t.firstTime()),
                            time(t.lastTime()), t.gaps().size());
                }
                if (files) {
                    root.out.println();
                    for (WalFile f : archive.list()) {
                        root.out.printf("%-40s %-8s %-12s %-20s %10s%n", f.name(), f.type().name().toLowerCase(java.util.Locale.ROOT),
                                f.startLsnText(), time(f.time()), Format.bytes(f.storedSize()));
                    }
                }
            }
            return MintBackup.OK;
        }
    }

    @Command(name = "verify", description = "Check the chain of every timeline: a missing segment is named with the LSN"
            + " range it breaks; with --read-data, read every file and check it against its hash. Exits 1 on a problem.")
    static final class VerifyWal implements Callable<Integer> {
        @ParentCommand
        WalCommand parent;

        @Mixin
        WalOptions wal;

        @Option(names = "--read-data", description = "Read every archived file and check its hash.")
        boolean readData;

        @Override
        public Integer call() throws Exception {
            MintBackup root = parent.root;
            try (WalOptions.Opened opened = wal.open(root)) {
                WalVerifyReport report = opened.archive().verify(readData);
                return WalCommand.print(root, opened.archive(), report);
            }
        }
    }

    static int print(MintBackup root, WalArchive archive, WalVerifyReport report) {
        for (WalGap g : report.gaps()) {
            root.err.println("error: WAL archive '" + archive.cluster() + "': " + g
                    + ": no recovery can pass it, so no point after it is reachable from a base backup before it");
        }
        for (String p : report.problems()) {
            root.err.println("error: WAL archive '" + archive.cluster() + "': " + p);
        }
        if (!report.ok()) {
            return MintBackup.FAILED;
        }
        if (!root.quiet) {
            long segments = report.timelines().stream().mapToLong(WalTimeline::segments).sum();
            root.out.printf("no problems found in the WAL archive '%s': %d timeline%s, %d segment%s%s%n", archive.cluster(),
                    report.timelines().size(), report.timelines().size() == 1 ? "" : "s", segments, segments == 1 ? "" : "s",
                    report.filesChecked() > 0 ? ", " + report.filesChecked() + " files read" : "");
        }
        return MintBackup.OK;
    }

    @Command(name = "expire", description = "Remove the segments that recovery from LSN on TIMELINE does not need (those of"
            + " that timeline and its ancestors ending at or before it); history files and later segments are kept.")
    static final class ExpireWal implements Callable<Integer> {
        @ParentCommand
        WalCommand parent;

        @Mixin
        WalOptions wal;

        @Option(names = "--timeline", required = true, paramLabel = "T", description = "The timeline of the oldest base backup kept.")
        int timeline;

        @Option(names = "--before", required = true, paramLabel = "LSN", description = "Its start LSN (0/3000028).")
        String lsn;

        @Option(names = {"-n", "--dry-run"}, description = "Only say what would be removed.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            MintBackup root = parent.root;
            long at = WalArchive.parseLsn(lsn);
            try (WalOptions.Opened opened = wal.open(root)) {
                List<WalFile> removed = opened.archive().expire(timeline, at, dryRun);
                if (!root.quiet) {
                    root.out.printf("%s %d file%s of the WAL archive '%s'%n", dryRun ? "would remove" : "removed", removed.size(),
                            removed.size() == 1 ? "" : "s", opened.archive().cluster());
                }
            }
            return MintBackup.OK;
        }
    }
}
