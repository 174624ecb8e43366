package com.mintreplica.backup.jobs.config;

import java.util.Objects;
import java.util.Optional;

/**
 * One thing wrong with a config, located as precisely as known.
 *
 * @param file the config file, when the config came from one
 * @param line the line (1-based), or 0 when unknown (a config built in Java)
 * @param column the column (1-based), or 0 when unknown
 * @param field the field's path, such as {@code jobs.postgres-daily.schedule}
 * @param message what is wrong and what to do
 */
public record ConfigProblem(Optional<String> file, int line, int column, String field, String message) {
    public ConfigProblem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    /** A problem of a config built in Java, located by its field only. */
    public static ConfigProblem of(String field, String message) {
        return new ConfigProblem(Optional.empty(), 0, 0, field, message);
    }

    /** {@code /etc/mint-backup.yaml:12:5: jobs.pg.schedule: ...}, as compilers print errors. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        file.ifPresent(f -> sb.append(f).append(':'));
        if (line > 0) {
            sb.append(line).append(':');
            if (column > 0) {
                sb.append(column).append(':');
            }
        }
        if (sb.length() > 0) {
            sb.append(' ');
        }
        if (!field.isEmpty()) {
            sb.append(field).append(": ");
        }
        return sb.append(message).toString();
    }
}
