package com.mintreplica.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.UnsupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresConnectionTest {
    @TempDir
    Path dir;

    private PostgresConnection.Builder withEnv(Map<String, String> env) {
        Map<String, String> e = new HashMap<>(env);
        e.putIfAbsent("HOME", dir.toString());
        e.putIfAbsent("USER", "osuser");
        return PostgresConnection.builder().environment(e);
    }

    @Test
    void a_libpq_uri_gives_host_port_database_user_password_and_sslmode() {
        PostgresConnection c = withEnv(Map.of())
                .url("postgresql://backup:p%40ss@db.example.com:6543/mint_replica?sslmode=verify-full&application_name=x")
                .build();
        assertThat(c.host()).isEqualTo("db.example.com");
        assertThat(c.port()).isEqualTo(6543);
        assertThat(c.database()).isEqualTo("mint_replica");
        assertThat(c.user()).isEqualTo("backup");
        assertThat(c.sslMode()).isEqualTo("verify-full");
        assertThat(c.parameters()).containsEntry("application_name", "x");
        assertThat(c.credentials().password()).contains(Secret.of("p@ss"));
        assertThat(c.describe()).isEqualTo("db.example.com:6543/mint_replica");
        assertThat(c.toString()).doesNotContain("p@ss");
    }

    @Test
    void a_jdbc_url_gives_the_same_with_jdbc_parameter_names() {
        PostgresConnection c = withEnv(Map.of())
                .url("jdbc:postgresql://[::1]:5433/ledger?user=u&password=pw&ssl=true&connectTimeout=3").build();
        assertThat(c.host()).isEqualTo("::1");
        assertThat(c.port()).isEqualTo(5433);
        assertThat(c.database()).isEqualTo("ledger");
        assertThat(c.user()).isEqualTo("u");
        assertThat(c.sslMode()).isEqualTo("require");
        assertThat(c.parameters()).containsEntry("connect_timeout", "3");
        assertThat(c.describe()).isEqualTo("[::1]:5433/ledger");
        assertThat(c.credentials().password()).contains(Secret.of("pw"));
    }

    @Test
    void a_key_value_string_is_read_with_quotes_and_escapes() {
        PostgresConnection c = withEnv(Map.of())
                .url("host=db port=5544 dbname='my db' user=bob password='it\\'s'").build();
        assertThat(c.describe()).isEqualTo("db:5544/my db");
        assertThat(c.user()).isEqualTo("bob");
        assertThat(c.credentials().password()).contains(Secret.of("it's"));
    }

    @Test
    void the_libpq_environment_fills_what_the_url_leaves_out_and_libpq_defaults_the_rest() {
        PostgresConnection c = withEnv(Map.of("PGHOST", "envhost", "PGPORT", "7777", "PGUSER", "envuser",
                "PGPASSWORD", "envpw", "PGSSLMODE", "require", "PGAPPNAME", "nightly"))
                .url("postgresql:///ledger").build();
        assertThat(c.host()).isEqualTo("envhost");
        assertThat(c.port()).isEqualTo(7777);
        assertThat(c.database()).isEqualTo("ledger");
        assertThat(c.user()).isEqualTo("envuser");
        assertThat(c.sslMode()).isEqualTo("require");
        assertThat(c.parameters()).containsEntry("application_name", "nightly");
        assertThat(c.credentials().password()).contains(Secret.of("envpw"));
        assertThat(c.credentials().origin()).isEqualTo("PGPASSWORD");

        PostgresConnection defaults = withEnv(Map.of()).build();
        assertThat(defaults.host()).isEqualTo("localhost");
        assertThat(defaults.port()).isEqualTo(5432);
        assertThat(defaults.user()).isEqualTo("osuser");
        assertThat(defaults.database()).isEqualTo("osuser");
        assertThat(defaults.sslMode()).isEqualTo("prefer");
    }

    @Test
    void the_url_wins_over_the_environment_and_the_builder_wins_over_the_url() {
        PostgresConnection c = withEnv(Map.of("PGHOST", "envhost", "PGPASSWORD", "envpw", "PGSSLMODE", "disable"))
                .url("postgresql://u:urlpw@urlhost/db?sslmode=require").user("builder").build();
        assertThat(c.host()).isEqualTo("urlhost");
        assertThat(c.sslMode()).isEqualTo("require");
        assertThat(c.user()).isEqualTo("builder");
        assertThat(c.credentials().password()).contains(Secret.of("urlpw"));
    }

    @Test
    void the_password_file_is_read_by_libpq_rules() throws Exception {
        Path pgpass = dir.resolve(".pgpass");
        Files.writeString(pgpass, """
                # comment
                otherhost:5432:*:app:wrong
                db.example.com:5432:ledger:app:first\\:with\\\\escapes
                *:*:*:app:second
                """);
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
        PostgresConnection c = withEnv(Map.of()).url("postgresql://app@db.example.com/ledger").build();
        assertThat(c.credentials().password()).contains(Secret.of("first:with\\escapes"));
        assertThat(c.credentials().origin()).contains(pgpass.toString());

        PostgresConnection other = withEnv(Map.of()).url("postgresql://app@db.example.com/other").build();
        assertThat(other.credentials().password()).contains(Secret.of("second"));

        PostgresConnection noMatch = withEnv(Map.of()).url("postgresql://nobody@db.example.com/ledger").build();
        assertThat(noMatch.credentials().password()).isEmpty();
    }

    @Test
    void pgpassfile_names_the_password_file_and_localhost_matches_the_default_host() throws Exception {
        Path file = dir.resolve("custom-pgpass");
        Files.writeString(file, "localhost:5432:*:*:fromfile\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        PostgresConnection c = withEnv(Map.of("PGPASSFILE", file.toString())).build();
        assertThat(c.credentials().password()).contains(Secret.of("fromfile"));
    }

    @Test
    void a_password_file_others_may_read_is_ignored_as_libpq_ignores_it() throws Exception {
        Path pgpass = dir.resolve(".pgpass");
        Files.writeString(pgpass, "*:*:*:*:exposed\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
        PostgresConnection c = withEnv(Map.of()).build();
        assertThat(c.credentials().password()).isEmpty();
    }

    @Test
    void pgpassword_wins_over_the_password_file() throws Exception {
        Path pgpass = dir.resolve(".pgpass");
        Files.writeString(pgpass, "*:*:*:*:fromfile\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
        PostgresConnection c = withEnv(Map.of("PGPASSWORD", "fromenv")).build();
        assertThat(c.credentials().password()).contains(Secret.of("fromenv"));
    }

    @Test
    void malformed_or_unsupported_connections_are_refused_without_echoing_the_password() {
        assertThatThrownBy(() -> withEnv(Map.of()).url("postgresql://u:topsecret@h/db?sslmode=sometimes").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("sslmode 'sometimes'")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> withEnv(Map.of()).url("postgresql://u:topsecret@h1,h2/db").build())
                .isInstanceOf(UnsupportedException.class).hasMessageContaining("several hosts")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> withEnv(Map.of()).url("postgresql://u:topsecret@h/db?frobnicate=1").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("frobnicate")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> withEnv(Map.of()).url("jdbc:mysql://u:topsecret@h/db").build())
                .isInstanceOf(UnsupportedException.class).hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> withEnv(Map.of("PGHOST", "/var/run/postgresql")).build())
                .isInstanceOf(UnsupportedException.class).hasMessageContaining("Unix-socket");
        assertThatThrownBy(() -> withEnv(Map.of()).url("postgresql://h:notaport/db").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("notaport");
    }
}
