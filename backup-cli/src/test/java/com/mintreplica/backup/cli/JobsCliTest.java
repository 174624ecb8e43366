package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run, status, daemon and audit verify, and the audit lines of the other commands. */
class JobsCliTest {
    @TempDir
    Path temp;
    Path data;
    Path repo;
    Path audit;
    Path config;

    @BeforeEach
    void setUp() throws Exception {
        data = temp.resolve("data");
        Files.createDirectories(data.resolve("etc"));
        Files.writeString(data.resolve("etc/app.yaml"), "db: postgresql://db/mint\n");
        repo = temp.resolve("repo");
        audit = temp.resolve("audit/audit.jsonl");
        config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                audit:
                  file: %s
                  repository: true
                repositories:
                  primary:
                    location: %s
                jobs:
                  etc:
                    source:
                      paths: [%s]
                    repository: primary
                    schedule: "0 * * * *"
                    tags: [hourly]
                """.formatted(audit, repo, data));
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private List<JsonNode> auditLines() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            out.add(new ObjectMapper().readTree(line));
        }
        return out;
    }

    @Test
    void run_backs_up_each_job_once_per_slot_and_writes_audit_lines() throws Exception {
        Cli.Result first = ok("run", "--config", config.toString());
        assertThat(first.out()).contains("job etc: snapshot ");
        Cli.Result again = ok("run", "--config", config.toString(), "--job", "etc");
        assertThat(again.out()).contains("job etc: skipped").contains("made already").contains("--force");
        Cli.Result forced = ok("run", "--config", config.toString(), "--job", "etc", "--force", "--json");
        JsonNode results = new ObjectMapper().readTree(forced.out());
        assertThat(results.get(0).get("outcome").asText()).isEqualTo("succeeded");

        assertThat(ok("list", "--repo", repo.toString(), "--json").out()).contains("\"job\" : \"etc\"");
        List<JsonNode> lines = auditLines();
        assertThat(lines).extracting(l -> l.get("operation").asText()).containsExactly("init", "backup", "backup");
        assertThat(lines.get(1).get("job").asText()).isEqualTo("etc");
        assertThat(lines.get(1).get("result").asText()).isEqualTo("ok");
        assertThat(lines.get(1).get("snapshot").asText()).isNotEmpty();
        assertThat(lines.get(1).get("bytes").asLong()).isEqualTo(Files.size(data.resolve("etc/app.yaml")));
        assertThat(ok("audit", "verify", "--config", config.toString()).out()).contains("3 lines match their copies");
    }

    @Test
    void config_errors_name_the_file_line_and_field_and_exit_2() throws Exception {
        Files.writeString(config, Files.readString(config).replace("    repository: primary", "    repository: primay")
                .replace("    tags:", "    tag:"));
        Cli.Result r = Cli.run("run", "--config", config.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains(config + ":13:5: jobs.etc.tag: unknown key 'tag'")
                .contains("did you mean 'tags'");
        Files.writeString(config, Files.readString(config).replace("    tag:", "    tags:"));
        Cli.Result missing = Cli.run("status", "--config", config.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains(config + ":11:5: jobs.etc.repository: no repository 'primay'");
        assertThat(Files.exists(repo)).as("nothing ran").isFalse();
    }

    @Test
    void status_shows_each_job_and_warns_with_exit_1_when_there_is_no_good_snapshot() throws Exception {
        Cli.Result before = Cli.run("status", "--config", config.toString());
        assertThat(before.code()).isEqualTo(1);
        assertThat(before.err()).contains("warning: job etc: it has no snapshot yet");
        ok("run", "--config", config.toString());
        Cli.Result after = ok("status", "--config", config.toString());
        assertThat(after.out()).contains("etc").contains("succeeded").contains("old (");
        JsonNode json = new ObjectMapper().readTree(ok("status", "--config", config.toString(), "--json").out());
        assertThat(json.get(0).get("lastRun").get("outcome").asText()).isEqualTo("succeeded");
        assertThat(json.get(0).get("nextRun").asText()).endsWith(":00:00Z");
        assertThat(json.get(0).get("warnings")).isEmpty();
    }

    @Test
    void status_and_run_name_the_scheduled_prunes_too() throws Exception {
        // A repository's scheduled prune runs as the job _prune-<repository>: status showed only the jobs, and
        // `run --job` with a wrong name listed the jobs alone, so neither told an operator the prune's name.
        Files.writeString(config, Files.readString(config).replace("    location: " + repo, "    location: " + repo
                + "\n    prune:\n      schedule: \"30 4 * * 0\""));
        Cli.Result unknown = Cli.run("run", "--config", config.toString(), "--job", "nope");
        assertThat(unknown.code()).as(unknown.toString()).isEqualTo(2);
        assertThat(unknown.err()).contains("no job 'nope'").contains("etc").contains("_prune-primary");

        ok("run", "--config", config.toString());
        Cli.Result status = ok("status", "--config", config.toString());
        assertThat(status.out()).contains("_prune-primary").contains("succeeded");
        JsonNode json = new ObjectMapper().readTree(ok("status", "--config", config.toString(), "--json").out());
        assertThat(json).hasSize(2);
        assertThat(json.get(1).get("job").asText()).isEqualTo("_prune-primary");
        assertThat(json.get(1).get("schedule").asText()).startsWith("30 4 * * 0");
        assertThat(json.get(1).get("lastRun").get("outcome").asText()).isEqualTo("succeeded");
        assertThat(json.get(1).get("nextRun").asText()).endsWith("T04:30:00Z");
        assertThat(json.get(1).get("warnings")).isEmpty();
    }

    @Test
    void audit_verify_finds_an_edited_a_removed_and_a_swapped_line() throws Exception {
        for (int i = 0; i < 3; i++) {
            ok("run", "--config", config.toString(), "--force");
        }
        List<String> original = Files.readAllLines(audit);
        assertThat(original).hasSize(4);
        Path plain = temp.resolve("plain.jsonl"); // the file alone, without the repository copies
        Files.write(plain, original);
        ok("audit", "verify", "--file", plain.toString());

        List<String> edited = new ArrayList<>(original);
        edited.set(2, edited.get(2).replace("\"result\":\"ok\"", "\"result\":\"failed\""));
        Files.write(plain, edited);
        Cli.Result e = Cli.run("audit", "verify", "--file", plain.toString());
        assertThat(e.code()).isEqualTo(1);
        assertThat(e.err()).contains("line 3").contains("edited");

        List<String> removed = new ArrayList<>(original);
        removed.remove(2);
        Files.write(plain, removed);
        Cli.Result r = Cli.run("audit", "verify", "--file", plain.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("line 3").contains("removed");

        List<String> swapped = new ArrayList<>(original);
        swapped.set(1, original.get(2));
        swapped.set(2, original.get(1));
        Files.write(plain, swapped);
        Cli.Result s = Cli.run("audit", "verify", "--file", plain.toString());
        assertThat(s.code()).isEqualTo(1);
        assertThat(s.err()).contains("line 2").contains("moved");

        // The end cut off: only the copies in the repository can tell.
        Files.write(audit, original.subList(0, 3));
        Cli.Result cut = Cli.run("audit", "verify", "--config", config.toString());
        assertThat(cut.code()).isEqualTo(1);
        assertThat(cut.err()).contains("line number 4").contains("cut off");
    }

    @Test
    void backup_restore_verify_prune_and_copy_append_audit_lines_when_an_audit_log_is_given() throws Exception {
        Path log = temp.resolve("cli-audit.jsonl");
        ok("init", "--repo", repo.toString());
        ok("backup", "--repo", repo.toString(), data.toString(), "--audit-log", log.toString());
        ok("verify", "--repo", repo.toString(), "--read-data", "--audit-log", log.toString());
        Cli.Result restore = Cli.run(Map.of(CliAudit.ENV, log.toString()), "restore", "--repo", repo.toString(), "latest",
                "--target", temp.resolve("restored").toString());
        assertThat(restore.code()).as(restore.toString()).isZero();
        ok("prune", "--repo", repo.toString(), "--keep-last", "1", "--audit-log", log.toString());
        ok("init", "--repo", temp.resolve("other").toString());
        ok("copy", "--from", repo.toString(), "--to", temp.resolve("other").toString(), "--audit-log", log.toString());
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(5);
        assertThat(lines.get(3)).contains("\"operation\":\"prune\"").contains("\"result\":\"ok\"");
        assertThat(lines.get(4)).contains("\"operation\":\"copy\"").contains("\"result\":\"ok\"").contains("1 snapshots copied");
        assertThat(lines.get(0)).contains("\"operation\":\"backup\"").contains("\"result\":\"ok\"");
        assertThat(lines.get(1)).contains("\"operation\":\"verify\"").contains("\"result\":\"ok\"");
        assertThat(lines.get(2)).contains("\"operation\":\"restore\"").contains("\"result\":\"ok\"");
        ok("audit", "verify", "--file", log.toString());
    }

    @Test
    void a_failed_command_is_audited_without_the_secrets_of_its_arguments() throws Exception {
        Path log = temp.resolve("cli-audit.jsonl");
        Cli.Result r = Cli.run("backup", "--repo", "s3://AKIAEXAMPLE:wJalrSecret@bucket/p?token=hunter2", data.toString(),
                "--audit-log", log.toString());
        assertThat(r.code()).isNotZero();
        String line = Files.readString(log);
        assertThat(line).contains("\"operation\":\"backup\"").contains("\"result\":\"failed\"")
                .doesNotContain("wJalrSecret").doesNotContain("hunter2").doesNotContain("AKIAEXAMPLE");
        assertThat(r.err()).doesNotContain("wJalrSecret").doesNotContain("hunter2");
    }

    @Test
    void daemon_runs_until_its_thread_is_interrupted_and_stops_cleanly() throws Exception {
        // Every minute: a slot less than a minute old is due at start, so a run is under way when the thread is
        // interrupted. The daemon used to return while that run still wrote (in CI, only in an hour's first minute).
        Files.writeString(config, Files.readString(config).replace("0 * * * *", "* * * * *"));
        InProcessDaemon daemon = InProcessDaemon.start(Map.of(), "--config", config.toString());
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!daemon.output().contains("job etc: started")) {
            assertThat(System.nanoTime()).as("the daemon starts its job").isLessThan(deadline);
            Thread.sleep(5);
        }
        daemon.stop(Duration.ofSeconds(20));
        assertThat(daemon.isAlive()).isFalse();
        assertThat(daemon.exitCode()).isZero();
        String printed = daemon.output();
        assertThat(printed).contains("1 jobs scheduled").contains("daemon: stopped");
        assertThat(printed.indexOf("job etc")).as(printed).isLessThan(printed.indexOf("daemon: stopped"));
        assertThat(printed.lastIndexOf("job etc")).as("the run's end is heard before the daemon stops: " + printed)
                .isGreaterThan(printed.indexOf("job etc: started")).isLessThan(printed.indexOf("daemon: stopped"));
    }
}
