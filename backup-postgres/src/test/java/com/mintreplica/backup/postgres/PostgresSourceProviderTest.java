package com.mintreplica.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PostgresSourceProviderTest {
    private final PostgresSourceProvider provider = new PostgresSourceProvider(Map.of("HOME", "/nonexistent",
            "USER", "me"));

    @Test
    void postgresql_postgres_and_jdbc_locations_find_this_provider_through_the_service_loader() {
        for (String location : new String[] {"postgresql://db/mint", "postgres://db/mint",
                "jdbc:postgresql://db:5432/mint"}) {
            SourceProvider found = Sources.forLocation(Sources.toUri(location));
            assertThat(found).isInstanceOf(PostgresSourceProvider.class);
            assertThat(found.kind()).isEqualTo("postgresql");
        }
    }

    @Test
    void the_source_id_names_host_port_and_database_never_the_login() {
        PostgresSource source = (PostgresSource) provider.source(URI.create("postgresql://bob:hunter2@db:6000/mint"),
                Map.of("format", "directory", "jobs", "3", "globals", "true"));
        assertThat(source.id().kind()).isEqualTo("postgresql");
        assertThat(source.id().name()).isEqualTo("db:6000/mint");
        assertThat(source.format()).isEqualTo(DumpFormat.DIRECTORY);
        assertThat(source.toString()).doesNotContain("hunter2").doesNotContain("bob");

        PostgresSource jdbc = (PostgresSource) provider.source(
                URI.create("jdbc:postgresql://db/mint?user=bob&password=hunter2"), Map.of());
        assertThat(jdbc.id().name()).isEqualTo("db:5432/mint");
    }

    @Test
    void restore_options_reach_the_target_and_the_url_path_names_the_database() {
        PostgresTarget target = (PostgresTarget) provider.target(Optional.of(URI.create("postgresql://db/copy")),
                Map.of("jobs", "4", "terminate-sessions", "true", "no-owner", "yes"));
        assertThat(target.settings().database()).contains("copy");
        assertThat(target.settings().jobs()).isEqualTo(4);
        assertThat(target.settings().terminateSessions()).isTrue();
        assertThat(target.settings().noOwner()).isTrue();

        PostgresTarget named = (PostgresTarget) provider.target(Optional.of(URI.create("postgresql://db")),
                Map.of("target-database", "drill"));
        assertThat(named.settings().database()).contains("drill");

        PostgresTarget original = (PostgresTarget) provider.target(Optional.empty(), Map.of());
        assertThat(original.settings().database()).isEmpty();
        assertThat(original.settings().connection()).isEmpty();
    }

    @Test
    void unknown_options_and_bad_values_are_refused_with_what_is_accepted() {
        assertThatThrownBy(() -> provider.source(URI.create("postgresql://db/mint"), Map.of("exclude", "x")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("exclude")
                .hasMessageContaining("target-database");
        assertThatThrownBy(() -> provider.source(URI.create("postgresql://db/mint"), Map.of("format", "tar")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("custom or directory");
        assertThatThrownBy(() -> provider.source(URI.create("postgresql://db/mint"), Map.of("jobs", "many")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("jobs");
        assertThatThrownBy(() -> provider.source(URI.create("postgresql://db/mint"), Map.of("jobs", "4")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("directory format");
        assertThatThrownBy(() -> provider.source(URI.create("jdbc:mysql://db/mint"), Map.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("jdbc:postgresql");
    }

    @Test
    void verify_has_a_pg_restore_verifier() {
        assertThat(provider.verifier(Map.of("read-data", "false"))).get().isInstanceOf(PostgresVerifier.class);
    }
}
