package com.mintreplica.backup.postgres;

import com.mintreplica.backup.testkit.postgres.PostgresCluster;
import java.util.Map;
import java.util.TreeMap;

/** The content of every user table of a database as one checksum per table, computed by the server. */
final class TableChecksums {
    private TableChecksums() {
    }

    /** {@code schema.table -> rows:md5}, the md5 over every row's text form in primary-key (or full-row) order. */
    static Map<String, String> of(PostgresCluster pg, String database) {
        Map<String, String> out = new TreeMap<>();
        String tables = pg.query(database, """
                select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')
                   and n.nspname not like 'pg_toast%' order by 1""");
        for (String table : tables.strip().split("\n")) {
            if (table.isBlank()) {
                continue;
            }
            String[] parts = table.split("\\.", 2);
            String qualified = "\"" + parts[0] + "\".\"" + parts[1] + "\"";
            String sum = pg.query(database, "select count(*) || ':' || coalesce(md5(string_agg(md5(t::text), ''"
                    + " order by t::text)), '-') from " + qualified + " t").strip();
            out.put(table, sum);
        }
        return out;
    }
}
