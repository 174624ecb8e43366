package com.mintreplica.backup.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Names that need quoting, against a real server: the adapter's one quoting helper ({@link Catalog#quoteIdent},
 * {@link Catalog#quoteLiteral}) quotes as PostgreSQL's own quote_ident/quote_literal do, and the test kit's cluster
 * (which leaves quoting to psql variables) creates, finds and drops databases of such names.
 */
@Timeout(180)
class SqlQuotingIT {
    private static final List<String> NAMES = List.of("o\"dd 'name", "Mixed Case", "semi;colon--", "\"\"", "ünï cödé");
    private static PostgresCluster pg;

    @BeforeAll
    static void start() {
        pg = PostgresCluster.start();
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void the_adapter_quotes_identifiers_and_literals_as_the_server_does() {
        for (String name : NAMES) {
            assertThat(Catalog.quoteIdent(name)).as(name)
                    .isEqualTo(pg.query("postgres", "select quote_ident(" + Catalog.quoteLiteral(name) + ")").strip());
            assertThat(Catalog.quoteLiteral(name)).as(name)
                    .isEqualTo(pg.query("postgres", "select quote_literal(" + Catalog.quoteLiteral(name) + ")").strip());
        }
    }

    @Test
    void the_test_cluster_creates_finds_and_drops_databases_whose_names_need_quoting() {
        for (String name : NAMES) {
            assertThat(pg.databaseExists(name)).as(name).isFalse();
            pg.createDatabase(name);
            assertThat(pg.databaseExists(name)).as(name).isTrue();
            assertThat(pg.query("postgres", "select count(*) from pg_database where datname = "
                    + Catalog.quoteLiteral(name)).strip()).isEqualTo("1");
            pg.dropDatabase(name);
            assertThat(pg.databaseExists(name)).as(name).isFalse();
        }
    }
}
