package com.mintreplica.backup.jobs.audit;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link AuditLog#verify} found.
 *
 * @param file the log checked
 * @param lines how many lines it holds
 * @param problems every sign of an edited, removed, moved or cut-off line; empty when the log is whole
 * @param notes what was compared, for the reader
 */
public record AuditReport(Path file, int lines, List<Problem> problems, List<String> notes) {
    public AuditReport {
        problems = List.copyOf(problems);
        notes = List.copyOf(notes);
    }

    /** Whether no problem was found. */
    public boolean ok() {
        return problems.isEmpty();
    }

    /**
     * One problem.
     *
     * @param line the line of the file (1-based) it concerns, or 0 when it concerns a line the file lacks
     * @param message what is wrong
     */
    public record Problem(int line, String message) {
        @Override
        public String toString() {
            return line > 0 ? "line " + line + " " + message : message;
        }
    }
}
