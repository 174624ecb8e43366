package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.DrillReport;
import com.mintreplica.backup.jobs.DrillRunner;
import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.testkit.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Real backups for report tests: job {@code files} backed up on {@value #DAYS} days through the jobs layer into a
 * local repository copied to {@code offsite} (a fake clock sets the days), a drill after each of the last two, and a
 * verify by the CLI, all in the config's audit log. The config the report reads then keeps the last 2 and 1 weekly,
 * so the report shows snapshots the next run forgets. The host is named like markup, to show it is escaped.
 */
final class ReportFixture {
    static final int DAYS = 6;
    static final String HOST = "<script>alert(1)</script>";
    static final Instant T0 = Instant.parse("2026-11-20T01:00:00Z");

    final Path config;
    final Path audit;
    final Path primary;
    final List<Instant> taken = new ArrayList<>();
    final List<DrillReport> drills = new ArrayList<>();

    private ReportFixture(Path config, Path audit, Path primary) {
        this.config = config;
        this.audit = audit;
        this.primary = primary;
    }

    static ReportFixture build(Path temp) throws IOException {
        Path data = Files.createDirectories(temp.resolve("data"));
        for (int i = 0; i < DAYS; i++) {
            byte[] bytes = new byte[150_000];
            new Random(i).nextBytes(bytes);
            Files.write(data.resolve("ledger-" + i + ".bin"), bytes);
        }
        ReportFixture f = new ReportFixture(temp.resolve("jobs.yaml"), temp.resolve("audit.jsonl"), temp.resolve("primary"));
        f.write(data, "");
        JobsConfig config = JobsConfig.load(f.config);
        FakeClock clock = new FakeClock(T0);
        for (int day = 0; day < DAYS; day++) {
            clock.advance(Duration.between(clock.instant(), T0.plus(Duration.ofDays(day))));
            byte[] more = new byte[10_000 * (day + 1)];
            new Random(100 + day).nextBytes(more);
            Files.write(data.resolve("ledger-" + day + ".bin"), more, StandardOpenOption.APPEND);
            JobResult r = JobRunner.builder(config).clock(clock).host("h").build().run(config.job("files"), clock.instant());
            assertThat(r.succeeded()).as(r.toString()).isTrue();
            f.taken.add(clock.instant());
            if (day >= DAYS - 2) {
                clock.advance(Duration.ofHours(day));
                Path scratch = Files.createDirectories(temp.resolve("scratch-" + day));
                f.drills.addAll(DrillRunner.builder(config).clock(clock).host("h").tempDir(scratch).build().runForJob("files"));
            }
        }
        assertThat(f.drills).hasSize(2).allMatch(DrillReport::passed);
        Cli.Result verify = Cli.run("--audit-log", f.audit.toString(), "verify", "--repo", f.primary.toString());
        assertThat(verify.code()).as(verify.toString()).isZero();
        f.write(data, """
                    retention:
                      keepLast: 2
                      keepWeekly: 1
                """);
        return f;
    }

    private void write(Path data, String retention) throws IOException {
        Files.writeString(config, """
                host: "%s"
                audit:
                  file: %s
                repositories:
                  primary:
                    location: %s
                    copies: [offsite]
                  offsite:
                    location: %s
                jobs:
                  files:
                    source:
                      paths: [%s]
                    repository: primary
                %s""".formatted(HOST, audit, primary, primary.resolveSibling("offsite"), data, retention));
    }
}
