package com.mintreplica.backup.jobs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What one restore drill found: the snapshot it restored, how long the restore took (the measured RTO), how old the
 * snapshot was (the RPO at that moment), where it restored to, and each check with its outcome. {@link #toJson()} and
 * {@link #summary()} are what {@code mint-backup drill} prints; the same report goes into the audit log (operation
 * {@code drill}).
 *
 * @param drill the drill's name (a job's name for the drill a job gets by default)
 * @param job the job whose snapshot was restored
 * @param repository where the snapshot was read from (redacted)
 * @param snapshot the snapshot restored, when one was found
 * @param snapshotTime when that snapshot was taken
 * @param started when the drill started
 * @param finished when it ended (after the scratch target was removed)
 * @param restoreTime how long the restore took, checks of the restore target included: the measured RTO
 * @param snapshotAge the RPO: the age, when the drill started, of the newest moment the repository restores to (the
 *     snapshot's time; for a point-in-time drill the WAL archive's newest file): what would have been lost had the
 *     primary gone then
 * @param scratch where it was restored to (a directory, {@code host:port/database}), never with credentials
 * @param restoredBytes content bytes restored
 * @param checks every check, in the order they ran; {@code cleanup} is last
 */
public record DrillReport(String drill, String job, String repository, Optional<String> snapshot,
                          Optional<Instant> snapshotTime, Instant started, Instant finished,
                          Optional<Duration> restoreTime, Optional<Duration> snapshotAge, String scratch,
                          long restoredBytes, List<Check> checks) {
    private static final JsonFactory JSON = new JsonFactory();

    public DrillReport {
        Objects.requireNonNull(drill, "drill");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(snapshotTime, "snapshotTime");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(finished, "finished");
        Objects.requireNonNull(restoreTime, "restoreTime");
        Objects.requireNonNull(snapshotAge, "snapshotAge");
        Objects.requireNonNull(scratch, "scratch");
        checks = List.copyOf(checks);
    }

    /** How a check ended. */
    public enum Status {
        PASSED, FAILED,
        /** Not run: it does not apply, or an earlier step failed. */
        SKIPPED;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One check.
     *
     * @param name its name ({@code restore}, {@code file-hashes}, {@code row-counts}, {@code vacuum-analyze},
     *     {@code document-counts}, {@code verify}, {@code smoke}, {@code cleanup})
     * @param status how it ended
     * @param detail what it found, in words: on failure the reason (the damaged object, the tables that differ, ...)
     */
    public record Check(String name, Status status, String detail) {
        public Check {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(detail, "detail");
        }

        public static Check passed(String name, String detail) {
            return new Check(name, Status.PASSED, detail);
        }

        public static Check failed(String name, String detail) {
            return new Check(name, Status.FAILED, detail);
        }

        public static Check skipped(String name, String detail) {
            return new Check(name, Status.SKIPPED, detail);
        }
    }

    /** Whether the snapshot was restored and no check failed. */
    public boolean passed() {
        return checks.stream().anyMatch(c -> c.name().equals("restore") && c.status() == Status.PASSED)
                && checks.stream().noneMatch(c -> c.status() == Status.FAILED);
    }

    /** The checks that failed. */
    public List<Check> failures() {
        return checks.stream().filter(c -> c.status() == Status.FAILED).toList();
    }

    /** The check named {@code name}, if it ran or was skipped. */
    public Optional<Check> check(String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    public Duration duration() {
        return Duration.between(started, finished);
    }

    /** The reasons of the failed checks, one per line, for messages, the audit log and notifications. */
    public String failureSummary() {
        StringBuilder sb = new StringBuilder();
        for (Check c : failures()) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(c.name()).append(": ").append(c.detail());
        }
        return sb.toString();
    }

    /** A readable summary: a headline, then a line per check. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("drill ").append(drill).append(passed() ? ": PASSED" : ": FAILED");
        sb.append(" (job ").append(job).append(", snapshot ").append(snapshot.orElse("none"));
        snapshotTime.ifPresent(t -> sb.append(" taken ").append(t));
        sb.append(")\n");
        sb.append("  restore time (RTO) ").append(restoreTime.map(DrillReport::words).orElse("-"));
        sb.append(", snapshot age (RPO) ").append(snapshotAge.map(DrillReport::words).orElse("-"));
        sb.append(", restored ").append(restoredBytes).append(" bytes into ").append(scratch).append('\n');
        for (Check c : checks) {
            sb.append(String.format(Locale.ROOT, "  %-7s %-16s ", c.status().text(), c.name()));
            sb.append(c.detail().replace("\n", "\n" + " ".repeat(27))).append('\n');
        }
        return sb.toString();
    }

    /** The report as a JSON object (times ISO-8601 UTC, durations in milliseconds). */
    public String toJson() {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Writes the report as one JSON object, for callers that put several into one document. */
    void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("drill", drill);
        g.writeStringField("job", job);
        g.writeStringField("result", passed() ? "passed" : "failed");
        g.writeStringField("repository", repository);
        g.writeStringField("snapshot", snapshot.orElse(null));
        g.writeStringField("snapshotTime", snapshotTime.map(Instant::toString).orElse(null));
        g.writeStringField("started", started.toString());
        g.writeStringField("finished", finished.toString());
        writeMillis(g, "restoreMillis", restoreTime);
        writeMillis(g, "snapshotAgeMillis", snapshotAge);
        g.writeStringField("scratch", scratch);
        g.writeNumberField("restoredBytes", restoredBytes);
        g.writeArrayFieldStart("checks");
        for (Check c : checks) {
            g.writeStartObject();
            g.writeStringField("name", c.name());
            g.writeStringField("status", c.status().text());
            g.writeStringField("detail", c.detail());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeMillis(JsonGenerator g, String field, Optional<Duration> value) throws IOException {
        if (value.isPresent()) {
            g.writeNumberField(field, value.get().toMillis());
        } else {
            g.writeNullField(field);
        }
    }

    /** {@code 850 ms}, {@code 12.3 s}, {@code 4m 5s}, {@code 3h 2m}, {@code 2d 4h}. */
    static String words(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return s / 60 + "m " + s % 60 + "s";
        }
        return JobStatus.words(d);
    }
}
