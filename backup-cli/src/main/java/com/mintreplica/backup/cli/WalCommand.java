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
                window(root, archive, timelines);
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

    /**
     * The cluster's base backups and the window they and the archive make recoverable: from the oldest base backup's end
     * to the newest archived WAL file's push time (what {@code restore --to-time} accepts).
     */
    private static void window(MintBackup root, WalArchive archive, List<WalTimeline> timelines) {
        List<com.mintreplica.backup.core.Snapshot> bases = com.mintreplica.backup.postgres.physical.PointInTimeRestore
                .baseBackups(archive.repository(), s -> s.source().name().equals(archive.cluster()));
        root.out.println();
        if (bases.isEmpty()) {
            root.out.println("no base backup of cluster '" + archive.cluster() + "': nothing is recoverable from this"
                    + " archive until one is taken");
            return;
        }
        root.out.printf("%-26s %-20s %-12s %-12s %s%n", "BASE BACKUP", "ENDED", "START", "STOP", "TIMELINE");
        for (com.mintreplica.backup.core.Snapshot s : bases) {
            var f = com.mintreplica.backup.postgres.physical.PhysicalFacts.of(s).orElseThrow();
            root.out.printf("%-26s %-20s %-12s %-12s %d%n", s.id(), time(f.stopTime()), f.startLsn(), f.stopLsn(),
                    f.timeline());
        }
        java.time.Instant from = com.mintreplica.backup.postgres.physical.PhysicalFacts.of(bases.get(0)).orElseThrow()
                .stopTime();
        java.time.Instant to = PitrRestore.archiveEnd(archive.repository(), archive.cluster()).orElse(null);
        int gaps = timelines.stream().mapToInt(t -> t.gaps().size()).sum();
        if (to == null || to.isBefore(from)) {
            root.out.printf("recoverable window: none yet (no WAL archived after the oldest base backup ended, %s)%n",
                    time(from));
        } else {
            // ISO-8601 as restore --to-time takes it, to the instant the refusal compares with
            root.out.printf("recoverable window: %s to %s (%d base backup%s)%s%n", from, to, bases.size(),
                    bases.size() == 1 ? "" : "s", gaps == 0 ? "" : "; " + gaps + " gap" + (gaps == 1 ? "" : "s")
                            + " break it: see wal verify");
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
            if (dryRun) {
                return expire(root, at, new CliAudit.Facts());
            }
            // Deletions are audited like prune's: one line per expiry, naming the archive and what went.
            CliAudit.Facts facts = new CliAudit.Facts();
            return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.PRUNE, facts,
                    () -> expire(root, at, facts));
        }

        private int expire(MintBackup root, long at, CliAudit.Facts facts) throws Exception {
            try (WalOptions.Opened opened = wal.open(root)) {
                facts.repository = opened.repository().location();
                facts.detail = "WAL archive '" + opened.archive().cluster() + "': expiring before " + lsn + " on timeline "
                        + timeline;
                List<WalFile> removed = opened.archive().expire(timeline, at, dryRun);
                facts.bytes = removed.stream().mapToLong(WalFile::storedSize).sum();
                facts.detail = "WAL archive '" + opened.archive().cluster() + "': removed " + removed.size() + " file"
                        + (removed.size() == 1 ? "" : "s") + " before " + lsn + " on timeline " + timeline
                        + removed.stream().map(WalFile::name).sorted().findFirst().map(f -> " (" + f + " to "
                        + removed.stream().map(WalFile::name).sorted().reduce((a, b) -> b).orElse(f) + ")").orElse("");
                if (!root.quiet) {
                    root.out.printf("%s %d file%s of the WAL archive '%s'%n", dryRun ? "would remove" : "removed", removed.size(),
                            removed.size() == 1 ? "" : "s", opened.archive().cluster());
                }
            }
            return MintBackup.OK;
        }
    }
}
