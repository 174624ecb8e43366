package com.mintreplica.backup.postgres;

import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.testkit.DrillSupportContract;
import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL drills pass the kit on a real server: a scratch database beside the original, VACUUM ANALYZE and row
 * counts, the database dropped afterwards; the preflight logs in and checks pg_dump and pg_restore.
 */
@Timeout(300)
class PostgresDrillSupportIT extends DrillSupportContract {
    private static PostgresCluster pg;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
        pg.createDatabase("shop");
        pg.sql("shop", """
                create table customers (id serial primary key, name text not null);
                insert into customers(name) select 'customer ' || i from generate_series(1, 300) i;
                """);
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Override
    protected Map<String, String> environment() {
        return Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), "HOME", "/nonexistent",
                "PGPASSWORD", pg.password().reveal());
    }

    @Override
    protected SourceProvider provider() {
        return new PostgresSourceProvider(environment());
    }

    @Override
    protected String location() {
        return pg.uri("shop");
    }

    @Override
    protected boolean originalIntact() {
        return TableChecksums.of(pg, "shop").size() == 1 && pg.query("postgres",
                "select count(*) from pg_database where datname like '%\\_drill\\_%'").strip().equals("0");
    }
}
