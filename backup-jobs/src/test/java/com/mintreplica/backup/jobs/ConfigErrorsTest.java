package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config errors name the file, the line and the field, all of them at once, before anything runs. */
class ConfigErrorsTest {
    @TempDir
    Path temp;

    private static final String VALID = """
            repositories:
              primary:
                location: /srv/backup
            jobs:
              etc:
                source:
                  paths: [/etc/mint]
                repository: primary
                schedule: "0 1 * * *"
            """;

    private List<ConfigProblem> problems(String yaml) throws Exception {
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, yaml);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> JobsConfig.load(file));
        assertThat(e).as("the config should be refused").isNotNull();
        assertThat(e.getMessage()).contains(file.toString());
        return e.problems();
    }

    private static ConfigProblem only(List<ConfigProblem> problems) {
        assertThat(problems).hasSize(1);
        return problems.get(0);
    }

    @Test
    void the_stall_timeout_is_read_from_the_top_level_defaults_to_ten_minutes_and_must_be_a_duration() throws Exception {
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, VALID);
        assertThat(JobsConfig.load(file).stallTimeout()).isEqualTo(java.time.Duration.ofMinutes(10));
        Files.writeString(file, "stallTimeout: 90s\n" + VALID);
        assertThat(JobsConfig.load(file).stallTimeout()).isEqualTo(java.time.Duration.ofSeconds(90));
        Files.writeString(file, "stallTimeout: 0\n" + VALID);
        assertThat(JobsConfig.load(file).stallTimeout()).isZero();

        ConfigProblem p = only(problems("stallTimeout: soon\n" + VALID));
        assertThat(p.field()).isEqualTo("stallTimeout");
        assertThat(p.line()).isEqualTo(1);
        assertThat(p.message()).contains("'soon' is not a duration");
    }

    @Test
    void a_valid_config_loads() throws Exception {
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, VALID);
        JobsConfig config = JobsConfig.load(file);
        assertThat(config.jobs()).containsOnlyKeys("etc");
        assertThat(config.job("etc").schedule()).contains(CronSchedule.parse("0 1 * * *"));
    }

    @Test
    void an_unknown_key_is_named_with_its_line_and_the_key_probably_meant() throws Exception {
        ConfigProblem p = only(problems(VALID.replace("    schedule:", "    shedule:")));
        assertThat(p.line()).isEqualTo(9);
        assertThat(p.column()).isEqualTo(5);
        assertThat(p.field()).isEqualTo("jobs.etc.shedule");
        assertThat(p.message()).contains("unknown key 'shedule'").contains("did you mean 'schedule'");
        assertThat(p.toString()).startsWith(temp.resolve("jobs.yaml") + ":9:5: jobs.etc.shedule: ");
    }

    @Test
    void a_wrong_type_says_what_was_expected_and_what_was_found() throws Exception {
        ConfigProblem p = only(problems(VALID + """
                    retention:
                      keepDaily: [7]
                """));
        assertThat(p.line()).isEqualTo(11);
        assertThat(p.field()).isEqualTo("jobs.etc.retention.keepDaily");
        assertThat(p.message()).contains("expected a whole number").contains("a list");
    }

    @Test
    void a_missing_reference_is_located_at_the_field_that_makes_it() throws Exception {
        ConfigProblem p = only(problems(VALID.replace("repository: primary", "repository: primay")));
        assertThat(p.line()).isEqualTo(8);
        assertThat(p.field()).isEqualTo("jobs.etc.repository");
        assertThat(p.message()).contains("no repository 'primay'").contains("[primary]");
    }

    @Test
    void a_copy_to_an_unknown_repository_is_located_at_its_list_item() throws Exception {
        ConfigProblem p = only(problems(VALID + """
                    copies:
                      - primary-offsite
                """));
        assertThat(p.line()).isEqualTo(11);
        assertThat(p.field()).isEqualTo("jobs.etc.copies[0]");
        assertThat(p.message()).contains("no repository 'primary-offsite'");
    }

    @Test
    void a_bad_cron_expression_names_its_field() throws Exception {
        ConfigProblem p = only(problems(VALID.replace("0 1 * * *", "0 25 * * *")));
        assertThat(p.line()).isEqualTo(9);
        assertThat(p.field()).isEqualTo("jobs.etc.schedule");
        assertThat(p.message()).contains("hour").contains("0-23");
    }

    @Test
    void an_inline_password_is_refused_without_repeating_it() throws Exception {
        ConfigProblem p = only(problems("""
                repositories:
                  primary: {location: /srv/backup}
                jobs:
                  db:
                    source:
                      location: postgresql://backup@db/mint
                      password: hunter2-secret
                    repository: primary
                """));
        assertThat(p.line()).isEqualTo(7);
        assertThat(p.field()).isEqualTo("jobs.db.source.password");
        assertThat(p.message()).contains("by reference").contains("env:NAME").doesNotContain("hunter2");
    }

    @Test
    void a_secret_looking_environment_variable_must_be_a_reference() throws Exception {
        ConfigProblem p = only(problems("""
                repositories:
                  primary: {location: /srv/backup}
                jobs:
                  db:
                    source:
                      location: postgresql://backup@db/mint
                      environment:
                        PGSSLMODE: require
                        PGPASSWORD: hunter2-secret
                    repository: primary
                """));
        assertThat(p.field()).isEqualTo("jobs.db.source.environment.PGPASSWORD");
        assertThat(p.line()).isEqualTo(9);
        assertThat(p.message()).contains("by reference").doesNotContain("hunter2");
    }

    @Test
    void every_problem_is_reported_at_once_in_file_order() throws Exception {
        List<ConfigProblem> all = problems("""
                timezone: Mars/Olympus
                repositories:
                  primary:
                    location: /srv/backup
                    copies: [offsite]
                jobs:
                  etc:
                    source:
                      paths: [/etc/mint]
                    repository: primary
                    jitter: soon
                    tags: daily
                drills:
                  monthly:
                    job: etcetera
                """);
        assertThat(all).extracting(ConfigProblem::line).containsExactly(1, 11);
        assertThat(all).extracting(ConfigProblem::field).containsExactly("timezone", "jobs.etc.jitter");
        // References are checked once the file's own shape is right.
        List<ConfigProblem> references = problems("""
                repositories:
                  primary:
                    location: /srv/backup
                    copies: [offsite]
                jobs:
                  etc:
                    source:
                      paths: [/etc/mint]
                    repository: primary
                drills:
                  monthly:
                    job: etcetera
                """);
        assertThat(references).extracting(ConfigProblem::line).containsExactly(4, 12);
        assertThat(references).extracting(ConfigProblem::field).containsExactly("repositories.primary.copies[0]", "drills.monthly.job");
    }

    @Test
    void duplicate_keys_and_yaml_syntax_errors_have_lines() throws Exception {
        ConfigProblem duplicate = only(problems(VALID + "    repository: other\n"));
        assertThat(duplicate.line()).isEqualTo(10);
        assertThat(duplicate.message()).contains("appears twice").contains("line 8");

        ConfigProblem syntax = only(problems("jobs:\n  etc: [unclosed\nrepositories: {}\n"));
        assertThat(syntax.line()).isGreaterThan(0);
        assertThat(syntax.message()).contains("not valid YAML");
    }

    @Test
    void a_source_needs_paths_or_a_location_and_a_job_its_source() throws Exception {
        ConfigProblem neither = only(problems(VALID.replace("      paths: [/etc/mint]\n", "      exclude: ['*.log']\n")));
        assertThat(neither.field()).isEqualTo("jobs.etc.source");
        assertThat(neither.line()).isEqualTo(6);
        assertThat(neither.message()).contains("either location").contains("neither");

        ConfigProblem missing = only(problems(VALID.replace("    source:\n      paths: [/etc/mint]\n", "")));
        assertThat(missing.field()).isEqualTo("jobs.etc.source");
        assertThat(missing.line()).isEqualTo(5);
    }

    @Test
    void a_source_without_its_module_names_the_module_to_add() throws Exception {
        ConfigProblem p = only(problems(VALID.replace("      paths: [/etc/mint]", "      location: cassandra://db/ks")));
        assertThat(p.field()).isEqualTo("jobs.etc.source.location");
        assertThat(p.line()).isEqualTo(7);
        assertThat(p.message()).contains("cassandra");
    }

    @Test
    void a_config_without_jobs_or_that_is_not_a_mapping_says_what_a_config_is() throws Exception {
        assertThat(only(problems("repositories:\n  primary: {location: /srv}\n")).message()).contains("no jobs section");
        assertThat(only(problems("- just\n- a list\n")).message()).contains("mapping with the sections");
    }

    @Test
    void a_config_built_in_java_is_checked_the_same_way() {
        JobsConfig.Builder b = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", "/srv/backup"))
                .job(JobConfig.builder("db").source(SourceConfig.location("postgresql://backup@db/mint")
                                .environment("PGPASSWORD", SecretRef.literal("hunter2")).build())
                        .repository("nowhere").build());
        assertThatThrownBy(b::build).isInstanceOf(ConfigException.class)
                .hasMessageContaining("jobs.db.repository: no repository 'nowhere'")
                .hasMessageContaining("jobs.db.source.environment.PGPASSWORD")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void secret_references_resolve_from_the_given_environment_or_a_file_and_never_show_their_value() throws Exception {
        Path file = temp.resolve("pw");
        Files.writeString(file, "from-file\nignored\n");
        assertThat(SecretRef.parse("env:PW").resolve(Map.of("PW", "from-env"), "x").reveal()).isEqualTo("from-env");
        assertThat(SecretRef.parse("file:" + file).resolve(Map.of(), "x").reveal()).isEqualTo("from-file");
        assertThatThrownBy(() -> SecretRef.parse("env:PW").resolve(Map.of(), "jobs.db.source.password"))
                .hasMessageContaining("jobs.db.source.password").hasMessageContaining("PW").hasMessageContaining("not set");
        assertThat(SecretRef.literal("hunter2").toString()).doesNotContain("hunter2");
    }
}
