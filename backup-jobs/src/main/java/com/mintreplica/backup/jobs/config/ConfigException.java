package com.mintreplica.backup.jobs.config;

import com.mintreplica.backup.core.InvalidInputException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A config is not valid. Every problem found is reported at once, each with its file, line and field, before any job
 * runs. The CLI exits with 2.
 */
public class ConfigException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    private final transient List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(message(problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, in the order of the file. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String message(List<ConfigProblem> problems) {
        if (problems.size() == 1) {
            return "invalid config: " + problems.get(0);
        }
        return "invalid config, " + problems.size() + " problems:\n" + problems.stream().map(p -> "  " + p)
                .collect(Collectors.joining("\n"));
    }
}
