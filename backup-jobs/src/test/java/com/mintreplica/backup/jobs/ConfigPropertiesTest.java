package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link JobsConfig#fromProperties}: the config as flattened properties (what the Spring Boot starter reads from
 * {@code mint.backup.*}) means what the YAML file means and is checked by the same rules, naming the same fields.
 */
class ConfigPropertiesTest {
    private static final Path EXAMPLE = Path.of("..", "docs", "config-example.yaml");

    @Test
    void the_example_config_as_properties_is_the_same_config_as_the_file() throws IOException {
        Map<String, Object> properties = flatten(Files.readString(EXAMPLE));
        assertThat(properties).containsKey("jobs.config-files.source.paths[0]");

        JobsConfig fromFile = JobsConfig.load(EXAMPLE);
        JobsConfig fromProperties = JobsConfig.fromProperties(properties, "application.yml",
                EXAMPLE.toAbsolutePath().getParent());

        assertThat(fromProperties.file()).contains("application.yml");
        assertThat(fromProperties.host()).isEqualTo(fromFile.host());
        assertThat(fromProperties.zone()).isEqualTo(fromFile.zone());
        assertThat(fromProperties.audit()).isEqualTo(fromFile.audit());
        assertThat(fromProperties.lease()).isEqualTo(fromFile.lease());
        assertThat(fromProperties.keys()).isEqualTo(fromFile.keys());
        assertThat(fromProperties.repositories()).isEqualTo(fromFile.repositories());
        assertThat(fromProperties.jobs()).isEqualTo(fromFile.jobs());
        assertThat(fromProperties.drills()).isEqualTo(fromFile.drills());
    }

    @Test
    void relaxed_spellings_of_keys_and_numbers_given_as_text_are_read_as_spring_would_bind_them() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("repositories.primary.location", "/srv/backup");
        p.put("jobs.etc.source.paths[0]", "/etc/mint");
        p.put("jobs.etc.repository", "primary");
        p.put("jobs.etc.schedule", "0 1 * * *");
        p.put("jobs.etc.alert-after", "30m");
        p.put("jobs.etc.retention.keep-daily", "14");   // from an environment variable: text
        p.put("jobs.etc.retention.keepmonthly", 12);
        p.put("jobs.etc.tags[0]", "daily");
        p.put("jobs.etc.tags[1]", "2026");

        JobsConfig config = JobsConfig.fromProperties(p, "application.yml", Path.of("/"));

        assertThat(config.job("etc").retention().orElseThrow().keepDaily()).isEqualTo(14);
        assertThat(config.job("etc").retention().orElseThrow().keepMonthly()).isEqualTo(12);
        assertThat(config.job("etc").alertAfter()).contains(java.time.Duration.ofMinutes(30));
        assertThat(config.job("etc").tags()).containsExactlyInAnyOrder("daily", "2026");
        assertThat(config.job("etc").source().paths()).containsExactly(Path.of("/etc/mint"));
    }

    @Test
    void every_problem_names_its_field_as_the_file_reader_does() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("repositories.primary.location", "/srv/backup");
        p.put("jobs.etc.source.paths[0]", "/etc/mint");
        p.put("jobs.etc.repository", "primay");
        p.put("jobs.etc.schedule", "0 25 * * *");
        p.put("jobs.etc.tag", "daily");
        p.put("jobs.etc.retention.keep-daily", "many");
        p.put("jobs.logs.source.paths[0]", "/var/log");
        p.put("jobs.logs.source.paths[2]", "/var/log/mint");
        p.put("jobs.logs.repository", "primary");
        p.put("jobs.logs.retention.keep-daily", 7);
        p.put("jobs.logs.retention.keepDaily", 8);

        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> JobsConfig.fromProperties(p, "application.yml", Path.of("/")));

        assertThat(e).as("the config should be refused").isNotNull();
        assertThat(e.problems()).extracting(ConfigProblem::file).containsOnly(Optional.of("application.yml"));
        assertThat(e.problems()).extracting(ConfigProblem::field).contains("jobs.logs.source.paths[1]");
        // the structure is checked first; once it holds, every field's problem is reported at once
        p.remove("jobs.logs.source.paths[2]");
        e = catchThrowableOfType(ConfigException.class, () -> JobsConfig.fromProperties(p, "application.yml", Path.of("/")));
        assertThat(e.problems()).extracting(ConfigProblem::field).contains("jobs.etc.tag", "jobs.etc.schedule",
                "jobs.etc.retention.keepDaily", "jobs.logs.retention.keepDaily");
        assertThat(e.getMessage()).contains("jobs.etc.tag: unknown key 'tag': did you mean 'tags'?")
                .contains("'keepDaily' and 'keep-daily' are the same key");
        p.put("jobs.etc.tags[0]", "daily");
        p.remove("jobs.etc.tag");
        p.put("jobs.etc.schedule", "0 1 * * *");
        p.put("jobs.etc.retention.keep-daily", 14);
        p.remove("jobs.logs.retention.keepDaily");
        e = catchThrowableOfType(ConfigException.class, () -> JobsConfig.fromProperties(p, "application.yml", Path.of("/")));
        assertThat(e.problems()).singleElement().satisfies(problem -> {
            assertThat(problem.field()).isEqualTo("jobs.etc.repository");
            assertThat(problem.message()).isEqualTo("no repository 'primay': defined are [primary]");
        });
    }

    @Test
    void malformed_property_names_and_a_value_that_is_also_a_section_are_problems() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobs..etc", "x");
        p.put("repositories.primary", "/srv");
        p.put("repositories.primary.location", "/srv");
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> JobsConfig.fromProperties(p, "application.yml", Path.of("/")));
        assertThat(e.problems()).extracting(ConfigProblem::field).containsExactlyInAnyOrder("jobs..etc", "repositories.primary");
    }

    /** The YAML document as the flat key/value pairs Spring's YAML loader makes of it. */
    static Map<String, Object> flatten(String yaml) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        try (JsonParser p = YAMLFactory.builder().build().createParser(yaml)) {
            p.nextToken();
            flatten(p, "", out);
        }
        return out;
    }

    private static void flatten(JsonParser p, String at, Map<String, Object> out) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                flatten(p, at.isEmpty() ? key : at + "." + (key.contains(".") ? "[" + key + "]" : key), out);
            }
        } else if (t == JsonToken.START_ARRAY) {
            int i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                flatten(p, at + "[" + i++ + "]", out);
            }
        } else if (t == JsonToken.VALUE_NUMBER_INT) {
            out.put(at, p.getLongValue());
        } else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            out.put(at, t == JsonToken.VALUE_TRUE);
        } else if (t == JsonToken.VALUE_NULL) {
            out.put(at, "");
        } else {
            out.put(at, p.getText());
        }
    }
}
