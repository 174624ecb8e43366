package com.mintreplica.backup.postgres;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link PostgresSource#preflight()} found before any backup: the server answered this login, and which
 * {@code pg_dump} and {@code pg_restore} would be used against it. A tool that is missing or older than the server is
 * a {@link Tool} with a {@link Tool#problem() problem} (the same message a backup or restore would fail with, naming
 * the binary, both versions and what to install), so every problem is reported at once.
 *
 * @param server {@code host:port/database}, without user or password
 * @param serverVersion the server's version, e.g. {@code 15.4}
 * @param tools {@code pg_dump} and {@code pg_restore}, in that order
 */
public record PostgresPreflight(String server, String serverVersion, List<Tool> tools) {
    public PostgresPreflight {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(serverVersion, "serverVersion");
        tools = List.copyOf(tools);
    }

    /** Whether every tool was found and is new enough. */
    public boolean ok() {
        return tools.stream().allMatch(t -> t.problem().isEmpty());
    }

    /**
     * One client tool.
     *
     * @param name {@code pg_dump} or {@code pg_restore}
     * @param path the binary that would be used, when one was found
     * @param version its version, when one was found
     * @param problem why it cannot be used (missing, older than the server), with what to do; empty when it can
     */
    public record Tool(String name, Optional<String> path, Optional<String> version, Optional<String> problem) {
        public Tool {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(problem, "problem");
        }
    }
}
