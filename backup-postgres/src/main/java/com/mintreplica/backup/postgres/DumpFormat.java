package com.mintreplica.backup.postgres;

/** The pg_dump archive formats a {@link PostgresSource} writes. */
public enum DumpFormat {
    /**
     * pg_dump's custom format ({@code -Fc}), streamed from pg_dump's standard output into the pipeline as one entry,
     * {@code <database>.dump}, with no temporary file. The default.
     */
    CUSTOM("custom"),
    /**
     * pg_dump's directory format ({@code -Fd}), which dumps tables in parallel ({@code --jobs}) for large databases.
     * pg_dump writes it to a temporary directory first (it cannot stream it), whose files become the entries
     * {@code <database>/toc.dat}, {@code <database>/<id>.dat}, ...
     */
    DIRECTORY("directory");

    private final String option;

    DumpFormat(String option) {
        this.option = option;
    }

    /** The name pg_dump's {@code --format} takes and the manifest records: {@code custom}, {@code directory}. */
    public String option() {
        return option;
    }

    /** The format named {@code custom} or {@code directory}. */
    public static DumpFormat of(String name) {
        for (DumpFormat f : values()) {
            if (f.option.equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new com.mintreplica.backup.core.InvalidInputException("dump format '" + name
                + "' is not supported: use custom or directory");
    }
}
