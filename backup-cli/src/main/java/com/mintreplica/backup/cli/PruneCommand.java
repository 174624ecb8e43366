package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.retention.GroupBy;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.retention.RetentionDecision;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "prune", description = {"Remove the snapshots the policy does not keep, then the data only they used.",
    "Policies follow restic's forget: counts per period (the newest snapshot of each period is kept), keep-within"
        + " durations measured back from each group's newest snapshot, and tags. Counts take a number or 'unlimited'.",
    "Example (Mint Replica): --keep-within-daily 30d --keep-within-monthly 1y, or --keep-daily 30 --keep-monthly 12."})
final class PruneCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--keep-last", paramLabel = "N", description = "Keep the N newest snapshots.")
    String keepLast;

    @Option(names = "--keep-hourly", paramLabel = "N", description = "Keep the newest snapshot of each of the N newest hours that have one.")
    String keepHourly;

    @Option(names = "--keep-daily", paramLabel = "N", description = "... of each of the N newest days.")
    String keepDaily;

    @Option(names = "--keep-weekly", paramLabel = "N", description = "... of each of the N newest ISO weeks (Monday first).")
    String keepWeekly;

    @Option(names = "--keep-monthly", paramLabel = "N", description = "... of each of the N newest months.")
    String keepMonthly;

    @Option(names = "--keep-yearly", paramLabel = "N", description = "... of each of the N newest years.")
    String keepYearly;

    @Option(names = "--keep-within", paramLabel = "D", description = "Keep every snapshot within D (e.g. 30d, 1y2m, 12h) of the newest.")
    String keepWithin;

    @Option(names = "--keep-within-hourly", paramLabel = "D", description = "Keep the newest snapshot of each hour within D of the newest.")
    String keepWithinHourly;

    @Option(names = "--keep-within-daily", paramLabel = "D", description = "... of each day within D.")
    String keepWithinDaily;

    @Option(names = "--keep-within-weekly", paramLabel = "D", description = "... of each week within D.")
    String keepWithinWeekly;

    @Option(names = "--keep-within-monthly", paramLabel = "D", description = "... of each month within D.")
    String keepWithinMonthly;

    @Option(names = "--keep-within-yearly", paramLabel = "D", description = "... of each year within D.")
    String keepWithinYearly;

    @Option(names = "--keep-tag", paramLabel = "T", description = "Keep every snapshot with this tag (repeatable).")
    List<String> keepTags = new ArrayList<>();

    @Option(names = "--group-by", paramLabel = "FIELDS", defaultValue = "host,source,job",
            description = "Apply the policy per group of snapshots with the same host, source, job and/or tags"
                    + " (default host,source,job: one job's history never removes another's).")
    String groupBy;

    @Option(names = "--time-zone", paramLabel = "ZONE", description = "The zone of hours, days, weeks, months and years (default UTC).")
    String timeZone;

    @Option(names = "--dry-run", description = "Show what would be removed and freed; change nothing.")
    boolean dryRun;

    @picocli.CommandLine.Mixin
    StallOption stall;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--max-unused", paramLabel = "PERCENT", defaultValue = "5",
            description = "Repack partly used packs once unused data exceeds this share of the repository (default 5).")
    double maxUnusedPercent;

    @Option(names = "--unindexed-grace", paramLabel = "D",
            description = "Delete packs that no index lists (left by a backup that failed or was killed) once they are"
                    + " older than D (default 24h). 0 deletes them now: for when no backup can be running beside this"
                    + " one, such as after a backup failed for lack of space and left its packs filling the disk.")
    String unindexedGrace;

    @Option(names = "--allow-empty-groups", description = "Let the policy remove a group's newest snapshot too (by default it is always kept).")
    boolean allowEmptyGroups;

    @Override
    public Integer call() throws Exception {
        CliAudit.Facts facts = new CliAudit.Facts();
        return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.PRUNE, facts, () -> prune(facts));
    }

    private int prune(CliAudit.Facts facts) {
        facts.repository = repository.location(root);
        Retention.Builder policy = Retention.builder();
        count(keepLast, "--keep-last", policy::keepLast);
        count(keepHourly, "--keep-hourly", policy::keepHourly);
        count(keepDaily, "--keep-daily", policy::keepDaily);
        count(keepWeekly, "--keep-weekly", policy::keepWeekly);
        count(keepMonthly, "--keep-monthly", policy::keepMonthly);
        count(keepYearly, "--keep-yearly", policy::keepYearly);
        if (keepWithin != null) {
            policy.keepWithin(keepWithin);
        }
        if (keepWithinHourly != null) {
            policy.keepWithinHourly(keepWithinHourly);
        }
        if (keepWithinDaily != null) {
            policy.keepWithinDaily(keepWithinDaily);
        }
        if (keepWithinWeekly != null) {
            policy.keepWithinWeekly(keepWithinWeekly);
        }
        if (keepWithinMonthly != null) {
            policy.keepWithinMonthly(keepWithinMonthly);
        }
        if (keepWithinYearly != null) {
            policy.keepWithinYearly(keepWithinYearly);
        }
        keepTags.forEach(policy::keepTag);
        if (timeZone != null) {
            try {
                policy.zone(ZoneId.of(timeZone));
            } catch (DateTimeException e) {
                throw new InvalidInputException("--time-zone '" + timeZone + "' is not a time zone: use e.g. UTC or Europe/Berlin");
            }
        }
        Retention retention = policy.build();
        stall.get(); // a bad duration is reported before anything is read
        java.time.Duration grace = com.mintreplica.backup.core.Prune.DEFAULT_UNINDEXED_GRACE;
        if (unindexedGrace != null) {
            try {
                grace = StallOption.parse(unindexedGrace);
            } catch (InvalidInputException e) {
                throw new InvalidInputException("--unindexed-grace '" + unindexedGrace + "' is not a duration: write"
                        + " e.g. 0, 30m or 24h");
            }
        }
        try (Repository repo = repository.open(root)) {
            PruneReport report = repo.prune().policy(retention).groupBy(GroupBy.parse(groupBy)).dryRun(dryRun)
                    .maxUnused(maxUnusedPercent / 100.0).protectNewest(!allowEmptyGroups).stallTimeout(stall.get())
                    .unindexedGrace(grace).run();
            facts.bytes = report.bytesFreed();
            facts.detail = (dryRun ? "dry run: " : "") + report.removed().size() + " snapshots removed, "
                    + report.packsDeleted() + " packs deleted, " + report.packsRepacked() + " repacked";
            if (json) {
                root.out.println(Json.write(json(report)));
            } else {
                print(report);
            }
            // the prune's own listing: listing 10,000 snapshots again for these took a tenth of a cached dry run
            for (com.mintreplica.backup.core.UntrustedSnapshot u : report.untrusted()) {
                root.err.println("warning: snapshot " + u.snapshot().id() + " is not trusted (" + u.reason() + "); prune"
                        + " kept it and its data, and no retention rule counted it");
            }
        }
        return MintBackup.OK;
    }

    private static void count(String value, String option, Consumer<Integer> setter) {
        if (value == null) {
            return;
        }
        if (value.equalsIgnoreCase("unlimited") || value.equals("-1")) {
            setter.accept(Retention.UNLIMITED);
            return;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 0) {
                throw new NumberFormatException();
            }
            setter.accept(n);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(option + " takes a count (0 or more) or 'unlimited', not '" + value + "'");
        }
    }

    private void print(PruneReport report) {
        for (PruneReport.Group g : report.groups()) {
            root.out.println("group " + g.description());
            for (RetentionDecision.Kept k : g.kept()) {
                root.out.printf("  keep    %s  %s  %s%n", k.snapshot().id(), Format.time(k.snapshot().time()), String.join(", ", k.reasons()));
            }
            for (Snapshot s : g.removed()) {
                root.out.printf("  remove  %s  %s%n", s.id(), Format.time(s.time()));
            }
        }
        int removed = report.removed().size();
        root.out.printf("%s %d snapshot%s, %d pack%s deleted, %d repacked; %s %s%s%n",
                report.dryRun() ? "would remove" : "removed", removed, removed == 1 ? "" : "s",
                report.packsDeleted() + report.unindexedPacksDeleted(), report.packsDeleted() + report.unindexedPacksDeleted() == 1 ? "" : "s",
                report.packsRepacked(), report.dryRun() ? "would free" : "freed", Format.bytes(Math.max(0, report.bytesFreed())),
                report.dryRun() ? " (dry run: nothing changed)" : "");
        if (report.unindexedPacksKept() > 0) {
            // Said, not silent: a failed backup's packs filled a small disk and "freed 0 B" left the operator stuck.
            root.out.printf("kept %d pack%s that no index lists, younger than the grace period: a backup may still be"
                    + " writing %s; `--unindexed-grace 0` deletes them now when none can be%n", report.unindexedPacksKept(),
                    report.unindexedPacksKept() == 1 ? "" : "s", report.unindexedPacksKept() == 1 ? "it" : "them");
        }
    }

    private static Map<String, Object> json(PruneReport report) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dryRun", report.dryRun());
        List<Map<String, Object>> groups = new ArrayList<>();
        for (PruneReport.Group g : report.groups()) {
            Map<String, Object> gm = new LinkedHashMap<>();
            Map<String, String> key = new LinkedHashMap<>();
            g.key().forEach((f, v) -> key.put(f.key(), v));
            gm.put("key", key);
            List<Map<String, Object>> kept = new ArrayList<>();
            for (RetentionDecision.Kept k : g.kept()) {
                kept.add(Map.of("id", k.snapshot().id(), "time", k.snapshot().time().toString(), "reasons", k.reasons()));
            }
            gm.put("kept", kept);
            List<Map<String, Object>> removed = new ArrayList<>();
            for (Snapshot s : g.removed()) {
                removed.add(Map.of("id", s.id(), "time", s.time().toString()));
            }
            gm.put("removed", removed);
            groups.add(gm);
        }
        m.put("groups", groups);
        m.put("packsDeleted", report.packsDeleted());
        m.put("packsRepacked", report.packsRepacked());
        m.put("unindexedPacksDeleted", report.unindexedPacksDeleted());
        m.put("bytesDeleted", report.bytesDeleted());
        m.put("bytesWritten", report.bytesWritten());
        m.put("bytesFreed", report.bytesFreed());
        m.put("durationMillis", report.duration().toMillis());
        return m;
    }
}
