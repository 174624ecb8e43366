package com.mintreplica.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.testkit.SourceContract;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Source kit over a small database on a real server: every restore goes into a new database. */
class PostgresSourceContractIT extends SourceContract {
    private static PostgresCluster pg;
    private static final AtomicInteger RESTORES = new AtomicInteger();
    private String restoredInto;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        pg.createDatabase("shop");
        pg.sql("shop", """
                create table customers (id serial primary key, name text not null);
                create table orders (id bigserial primary key, customer_id int references customers(id),
                                     total numeric(10,2), placed_at timestamptz);
                insert into customers(name) select 'customer ' || i from generate_series(1, 200) i;
                insert into orders(customer_id, total, placed_at)
                  select 1 + i % 200, (i * 37 % 10000) / 100.0, timestamptz '2026-01-01' + i * interval '1 minute'
                  from generate_series(1, 5000) i;
                """);
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Override
    protected Source newSource() {
        return PostgresSource.builder().url(pg.uri("shop")).password(pg.password()).environment(env()).build();
    }

    @Override
    protected java.util.Set<String> secrets() {
        return java.util.Set.of(pg.password().reveal());
    }

    @Override
    protected RestoreTarget newTarget() {
        restoredInto = "shop_restored_" + RESTORES.incrementAndGet();
        return PostgresTarget.builder().url(pg.uri("postgres")).password(pg.password()).database(restoredInto)
                .environment(env()).build();
    }

    @Override
    protected void assertRestored(RestoreTarget target) {
        assertThat(TableChecksums.of(pg, restoredInto)).isEqualTo(TableChecksums.of(pg, "shop"));
        assertThat(((PostgresTarget) target).lastCheck()).get().satisfies(c -> {
            assertThat(c.ok()).isTrue();
            assertThat(c.tables()).hasSize(2);
        });
    }

    private static Map<String, String> env() {
        return Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), "HOME", "/nonexistent");
    }
}
