package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.mongo.internal.NamespaceFilter;
import java.util.List;
import org.junit.jupiter.api.Test;

class NamespaceFilterTest {

    @Test
    void by_default_every_database_but_the_system_ones_is_read_without_system_collections() {
        NamespaceFilter all = NamespaceFilter.all();
        assertThat(all.includesDatabase("mint")).isTrue();
        assertThat(all.includesDatabase("admin")).isFalse();
        assertThat(all.includesDatabase("local")).isFalse();
        assertThat(all.includesDatabase("config")).isFalse();
        assertThat(all.includes("mint", "ledger")).isTrue();
        assertThat(all.includes("mint", "system.profile")).isFalse();
        assertThat(all.includes("mint", "system.buckets.prices")).isFalse();
        assertThat(all.includes("mint", "system.js")).isTrue();
    }

    @Test
    void named_databases_include_system_ones_when_asked() {
        NamespaceFilter admin = new NamespaceFilter(List.of("admin"), List.of(), List.of());
        assertThat(admin.includesDatabase("admin")).isTrue();
        assertThat(admin.includesDatabase("mint")).isFalse();
    }

    @Test
    void include_and_exclude_patterns_match_namespaces_with_wildcards() {
        NamespaceFilter filter = new NamespaceFilter(List.of(), List.of("mint.ledger*", "crm"), List.of("mint.ledger_tmp*"));
        assertThat(filter.includes("mint", "ledger")).isTrue();
        assertThat(filter.includes("mint", "ledger_2026")).isTrue();
        assertThat(filter.includes("mint", "ledger_tmp1")).isFalse();
        assertThat(filter.includes("mint", "accounts")).isFalse();
        assertThat(filter.includes("crm", "anything")).isTrue();
        assertThat(filter.includesDatabase("audit")).isFalse();
        assertThat(new NamespaceFilter(List.of(), List.of("*.audit"), List.of()).includes("x", "audit")).isTrue();
        assertThat(new NamespaceFilter(List.of(), List.of("m.a.b"), List.of()).includes("m", "a.b")).isTrue();
    }

    @Test
    void bad_names_and_patterns_are_refused_with_what_to_give() {
        assertThatThrownBy(() -> new NamespaceFilter(List.of("mint.ledger"), List.of(), List.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not a database name");
        assertThatThrownBy(() -> new NamespaceFilter(List.of(), List.of("mint."), List.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("db.collection");
    }
}
