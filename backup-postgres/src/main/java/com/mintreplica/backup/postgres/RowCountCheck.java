package com.mintreplica.backup.postgres;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * The comparison, after a restore, of every table's row count with the count the backup recorded in the dump's own
 * snapshot. Kept as data so that restore drills can store and report it.
 *
 * @param database the database that was checked
 * @param snapshotId the snapshot whose counts it was compared with
 * @param tables one line per table, sorted by {@code schema.table}
 */
public record RowCountCheck(String database, String snapshotId, List<Table> tables) {
    public RowCountCheck {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(snapshotId, "snapshotId");
        tables = List.copyOf(tables);
    }

    /** Whether every table has the recorded number of rows and no table is missing or extra. */
    public boolean ok() {
        return tables.stream().allMatch(Table::matches);
    }

    /** The tables whose counts differ, or that are missing or extra. */
    public List<Table> mismatches() {
        return tables.stream().filter(t -> !t.matches()).toList();
    }

    /** A table-by-table report of the mismatches, a line each: {@code public.accounts: expected 120, found 119}. */
    public String report() {
        List<Table> bad = mismatches();
        if (bad.isEmpty()) {
            return "all " + tables.size() + " tables of " + database + " have the row counts of snapshot " + snapshotId;
        }
        return bad.size() + " of " + tables.size() + " tables of " + database + " differ from snapshot " + snapshotId
                + ":\n" + bad.stream().map(t -> "  " + t).collect(Collectors.joining("\n"));
    }

    /**
     * One table.
     *
     * @param table {@code schema.table}
     * @param expected the count the backup recorded; empty for a table the backup did not have
     * @param actual the count found after the restore; empty for a table that was not restored
     */
    public record Table(String table, OptionalLong expected, OptionalLong actual) {
        public Table {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(expected, "expected");
            Objects.requireNonNull(actual, "actual");
        }

        public boolean matches() {
            return expected.isPresent() && actual.isPresent() && expected.getAsLong() == actual.getAsLong();
        }

        @Override
        public String toString() {
            if (expected.isEmpty()) {
                return table + ": not in the backup, found " + actual.getAsLong() + " rows";
            }
            if (actual.isEmpty()) {
                return table + ": expected " + expected.getAsLong() + " rows, table missing";
            }
            return table + ": expected " + expected.getAsLong() + " rows, found " + actual.getAsLong();
        }
    }
}
