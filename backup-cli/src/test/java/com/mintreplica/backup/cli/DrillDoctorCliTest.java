package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** drill and doctor through the CLI: the readable report, JSON, exit codes 0 / 1 / 2, the audit line. */
class DrillDoctorCliTest {
    @TempDir
    Path temp;
    Path config;
    Path repo;
    Path scratch;
    Path audit;

    @BeforeEach
    void setUp() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("app.yaml"), "db: postgresql://db/mint\n");
        repo = temp.resolve("repo");
        scratch = Files.createDirectories(temp.resolve("scratch"));
        audit = temp.resolve("audit.jsonl");
        config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                audit: {file: %s}
                repositories:
                  primary: {location: %s}
                jobs:
                  etc:
                    source: {paths: [%s]}
                    repository: primary
                drills:
                  etc-weekly:
                    job: etc
                    schedule: "0 8 * * 1"
                    target: %s
                    checks: [file-hashes, verify]
                """.formatted(audit, repo, data, scratch));
    }

    private static Cli.Result run(int expected, String... args) {
        Cli.Result r = Cli.run(Map.of(), args);
        assertThat(r.code()).as(r.toString()).isEqualTo(expected);
        return r;
    }

    @Test
    void drill_prints_each_check_exits_0_when_all_pass_and_1_when_one_fails() throws Exception {
        Cli.Result cron = run(0, "run", "--config", config.toString());
        assertThat(cron.out()).as("run also runs the scheduled drill's newest slot, once").contains("job etc: snapshot")
                .contains("job _drill-etc-weekly: drill passed");

        Cli.Result ok = run(0, "drill", "--config", config.toString());
        assertThat(ok.out()).contains("drill etc-weekly: PASSED").contains("restore time (RTO)")
                .contains("snapshot age (RPO)").contains("passed  file-hashes").contains("passed  verify")
                .contains("passed  cleanup");
        JsonNode json = new ObjectMapper().readTree(run(0, "drill", "--config", config.toString(), "--job", "etc", "--json").out());
        assertThat(json).hasSize(1);
        assertThat(json.get(0).get("result").asText()).isEqualTo("passed");
        assertThat(json.get(0).get("checks")).extracting(c -> c.get("name").asText())
                .containsExactly("restore", "file-hashes", "verify", "cleanup");

        try (Stream<Path> packs = Files.walk(repo.resolve("data"))) {
            for (Path p : packs.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                b[10] ^= 1;
                Files.write(p, b);
            }
        }
        Cli.Result failed = run(1, "drill", "--config", config.toString(), "--drill", "etc-weekly");
        assertThat(failed.err()).contains("drill etc-weekly: FAILED").contains("failed  restore").contains("failed  verify");
        try (Stream<Path> left = Files.list(scratch)) {
            assertThat(left).isEmpty();
        }
        List<String> operations = Files.readAllLines(audit).stream()
                .map(l -> l.replaceAll(".*\"operation\":\"([a-z]+)\".*", "$1")).toList();
        assertThat(operations).containsExactly("init", "backup", "drill", "drill", "drill", "drill");

        Cli.Result unknown = run(2, "drill", "--config", config.toString(), "--job", "nope");
        assertThat(unknown.err()).contains("no job 'nope'").contains("[etc]");
    }

    @Test
    void doctor_exits_0_for_a_sound_setup_and_1_with_the_fix_for_a_problem() throws Exception {
        Cli.Result ok = run(0, "doctor", "--config", config.toString(), "--temp-dir", temp.toString());
        assertThat(ok.out()).contains("0 problems").contains("storage").contains("repositories.primary");

        Path key = Files.writeString(temp.resolve("ops.pub.asc"), "not a key");
        Files.writeString(config, Files.readString(config) + "keys:\n  ops: {public: " + key + "}\n");
        Cli.Result bad = run(1, "doctor", "--config", config.toString(), "--temp-dir", temp.toString());
        assertThat(bad.out()).contains("1 problem").contains("PROBLEM  key          keys.ops")
                .contains("fix: export the key again");
        JsonNode json = new ObjectMapper().readTree(run(1, "doctor", "--config", config.toString(), "--json").out());
        assertThat(json.get("ok").asBoolean()).isFalse();
        assertThat(json.get("findings")).anySatisfy(f -> assertThat(f.get("subject").asText()).isEqualTo("keys.ops"));

        run(2, "doctor", "--config", temp.resolve("missing.yaml").toString());
    }

    @Test
    void a_drill_is_a_config_error_when_its_check_does_not_fit_its_job() throws Exception {
        Files.writeString(config, Files.readString(config).replace("checks: [file-hashes, verify]", "checks: [row-counts]"));
        Cli.Result r = run(2, "drill", "--config", config.toString());
        assertThat(r.err()).contains("drills.etc-weekly.checks[0]").contains("'row-counts' does not apply to job 'etc'");
        try (Stream<Path> s = Files.walk(temp)) {
            assertThat(s.sorted(Comparator.reverseOrder()).filter(p -> p.getFileName().toString().startsWith("mint-backup-drill")))
                    .isEmpty();
        }
    }
}
