package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mint-backup report --config F --html OUT.html} over real backups, drills, a verify and encrypted repositories. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReportCommandTest {
    @TempDir
    Path temp;

    @Test
    void the_report_of_real_backups_has_a_point_per_snapshot_and_drill() throws Exception {
        ReportFixture f = ReportFixture.build(temp);
        Path out = temp.resolve("report.html");
        Cli.Result r = Cli.run("report", "--config", f.config.toString(), "--html", out.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("report written to " + out);
        String page = Files.readString(out);
        int kept = HtmlReportTest.points(page, "timeline", "kept");
        int gone = HtmlReportTest.points(page, "timeline", "gone");
        assertThat(kept + gone).isEqualTo(ReportFixture.DAYS);
        assertThat(kept).isEqualTo(2); // keep 2 last and 1 weekly: the newest is both
        assertThat(HtmlReportTest.points(page, "bytes", "size")).isEqualTo(ReportFixture.DAYS);
        assertThat(HtmlReportTest.points(page, "bytes", "read")).isEqualTo(ReportFixture.DAYS);
        assertThat(HtmlReportTest.points(page, "bytes", "stored")).isEqualTo(ReportFixture.DAYS);
        assertThat(HtmlReportTest.points(page, "rto", "rto")).isEqualTo(2);
        assertThat(HtmlReportTest.points(page, "rpo", "rpo")).isEqualTo(2);
        assertThat(page).contains("no problems, ").contains("snapshots checked") // the CLI's verify, from the audit log
                .contains("<td>offsite</td><td>copy</td><td>" + ReportFixture.DAYS + "</td>")
                .contains("keep 2 last, 1 weekly").contains("forgotten next run").contains("last snapshot")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain(ReportFixture.HOST);
        // the report changed nothing: every snapshot is still there
        Cli.Result list = Cli.run("list", "--repo", f.primary.toString(), "--json");
        assertThat(list.out().split("\"id\"", -1)).hasSize(ReportFixture.DAYS + 1);
    }

    @Test
    void keys_are_listed_with_their_expiry_read_from_the_configs_key_files() throws Exception {
        try (GnuPG gpg = GnuPG.start()) {
            Key ops = key(gpg, "Ops <ops@example.com>", "2y");
            Key escrow = key(gpg, "Escrow <escrow@example.com>", "5d");
            Path data = Files.createDirectories(temp.resolve("data"));
            Files.writeString(data.resolve("secret.txt"), "the books\n");
            Path config = temp.resolve("jobs.yaml");
            Files.writeString(config, """
                    keys:
                      ops:
                        secret: %s
                        passphrase: file:%s
                      escrow:
                        public: %s
                    repositories:
                      vault:
                        location: %s
                        encryption:
                          recipients: [ops, escrow]
                          unlock: [ops]
                    jobs:
                      books:
                        source:
                          paths: [%s]
                        repository: vault
                    """.formatted(ops.secret, gpg.passphraseFile, escrow.pub, temp.resolve("vault"), data));
            JobsConfig cfg = JobsConfig.load(config);
            JobResult run = JobRunner.builder(cfg).host("h").build().run(cfg.job("books"), Instant.now());
            assertThat(run.succeeded()).as(run.toString()).isTrue();

            Cli.Result r = Cli.run("report", "--config", config.toString(), "--html", "-");
            assertThat(r.code()).as(r.toString()).isZero();
            String page = r.out();
            assertThat(page).contains("encrypted").contains(ops.fingerprint).contains(escrow.fingerprint)
                    .contains("Ops &lt;ops@example.com&gt;");
            assertThat(page).contains("<td class=\"ok\">" + ops.expires + "</td>");
            assertThat(page).contains("<td class=\"warn\">" + escrow.expires + "</td>"); // within 30 days
            assertThat(HtmlReportTest.points(page, "timeline", "kept")).isEqualTo(1);
        }
    }

    @Test
    void a_report_into_a_missing_directory_is_a_usage_error() throws Exception {
        Path config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                repositories:
                  primary:
                    location: %s
                jobs:
                  files:
                    source:
                      paths: [%s]
                    repository: primary
                """.formatted(temp.resolve("repo"), temp));
        Cli.Result r = Cli.run("report", "--config", config.toString(), "--html", temp.resolve("nope/report.html").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("does not exist").doesNotContain("\tat ");
        // a config whose repository does not exist yet still reports: no snapshots
        Cli.Result empty = Cli.run("report", "--config", config.toString(), "--html", "-");
        assertThat(empty.code()).as(empty.toString()).isZero();
        assertThat(empty.out()).contains("Job files").contains("No snapshots.");
    }

    record Key(String fingerprint, Path pub, Path secret, String expires) {
    }

    /** A new ed25519/cv25519 key that expires in {@code expiry}, and its expiry as the report shows it. */
    static Key key(GnuPG gpg, String userId, String expiry) throws Exception {
        gpg.run(null, "--quick-gen-key", userId, "future-default", "default", expiry).check("gpg --quick-gen-key");
        String colons = new String(gpg.run(null, "--with-colons", "--list-keys", userId).check("list").stdout(), StandardCharsets.UTF_8);
        String fingerprint = colons.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
        long expires = colons.lines().filter(l -> l.startsWith("pub:") || l.startsWith("sub:"))
                .map(l -> l.split(":")[6]).filter(e -> !e.isEmpty()).mapToLong(Long::parseLong).min().orElseThrow();
        Path pub = gpg.home.resolve(fingerprint + ".asc");
        Files.write(pub, gpg.run(null, "--armor", "--export", fingerprint).check("export").stdout());
        Path sec = gpg.home.resolve(fingerprint + "-secret.asc");
        Files.write(sec, gpg.run(null, "--armor", "--export-secret-keys", fingerprint).check("export secret").stdout());
        String shown = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC)
                .format(Instant.ofEpochSecond(expires));
        return new Key(fingerprint, pub, sec, shown);
    }
}
