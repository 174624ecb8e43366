package com.mintreplica.backup.postgres.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The catalog queries a backup and a restore share, so that both count rows the same way. */
public final class Catalog {
    /** The prefix of the row-count facts: {@code postgresql.rows.<schema>.<table>}. */
    public static final String ROWS = "postgresql.rows.";

    /**
     * The tables whose data pg_dump dumps: ordinary tables (partitions included, partitioned parents excluded: their
     * rows are their partitions') outside the system schemas, not temporary, not members of an extension.
     */
    private static final String TABLES = """
            select n.nspname, c.relname
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where c.relkind = 'r'
               and c.relpersistence <> 't'
               and n.nspname not in ('pg_catalog', 'information_schema')
               and n.nspname not like 'pg\\_toast%'
               and n.nspname not like 'pg\\_temp%'
               and not exists (select 1 from pg_depend d
                                where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
             order by 1, 2""";

    private Catalog() {
    }

    /** What a backup records about the server and the database. */
    public record ServerInfo(String version, int versionNum, long databaseSize, String encoding, String collate,
                             String ctype) {
        /** The major as {@link PgTools#majorOf} gives it. */
        public int major() {
            return PgTools.majorOfVersionNum(versionNum);
        }
    }

    public static ServerInfo serverInfo(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select current_setting('server_version'),"
                     + " current_setting('server_version_num')::int, pg_database_size(current_database()),"
                     + " pg_encoding_to_char(d.encoding), d.datcollate, d.datctype"
                     + " from pg_database d where d.datname = current_database()")) {
            rs.next();
            return new ServerInfo(rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                    rs.getString(6));
        }
    }

    /** {@code schema.table} of every table whose data is dumped, sorted. */
    public static List<String[]> tables(Connection c) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(TABLES)) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        return out;
    }

    /**
     * The exact row count of every dumped table, by {@code schema.table}, counted with {@code ONLY} as pg_dump copies
     * each table without its inheritance children. Runs in the caller's transaction, so in its snapshot.
     */
    public static Map<String, Long> rowCounts(Connection c) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String[] table : tables(c)) {
            String sql = "select count(*) from only " + quoteIdent(table[0]) + "." + quoteIdent(table[1]);
            try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
                rs.next();
                out.put(table[0] + "." + table[1], rs.getLong(1));
            }
        }
        return out;
    }

    /** Whether a database exists. */
    public static boolean databaseExists(Connection c, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The other sessions connected to a database: their application names (or pids). */
    public static List<String> otherSessions(Connection c, String database) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("select pid, application_name, usename from pg_stat_activity"
                + " where datname = ? and pid <> pg_backend_pid()")) {
            s.setString(1, database);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String app = rs.getString(2);
                    out.add("pid " + rs.getInt(1) + (app == null || app.isEmpty() ? "" : " (" + app + ")"));
                }
            }
        }
        return out;
    }

    /** Terminates the other sessions connected to a database; returns how many. */
    public static int terminateSessions(Connection c, String database) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("select count(pg_terminate_backend(pid)) from pg_stat_activity"
                + " where datname = ? and pid <> pg_backend_pid()")) {
            s.setString(1, database);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** An SQL identifier in double quotes. */
    public static String quoteIdent(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** An SQL string literal. */
    public static String quoteLiteral(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** A libpq connection string holding only {@code dbname}, safe to pass as {@code -d}. */
    public static String dbnameConninfo(String database) {
        return "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
