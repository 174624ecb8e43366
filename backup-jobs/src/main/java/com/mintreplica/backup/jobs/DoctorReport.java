package com.mintreplica.backup.jobs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Doctor} found: one finding per thing checked, each problem with its fix in words.
 *
 * @param findings every finding, in the order they were checked
 */
public record DoctorReport(List<Finding> findings) {
    private static final JsonFactory JSON = new JsonFactory();

    public DoctorReport {
        findings = List.copyOf(findings);
    }

    /** How a finding stands. */
    public enum Severity {
        /** Checked and fine. */
        OK,
        /** Works now, will not for long or not everywhere (a key expiring soon, little free space, a slightly off clock). */
        WARNING,
        /** Backups, restores or drills fail because of it. */
        PROBLEM;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One thing checked.
     *
     * @param check what kind of check: {@code pg_dump}, {@code pg_restore}, {@code database}, {@code key}, {@code storage},
     *     {@code repository}, {@code clock}, {@code temp-space}, {@code audit-log}
     * @param subject what it was checked for, as the config names it: {@code jobs.postgres-daily},
     *     {@code keys.ops}, {@code repositories.primary}, or a directory
     * @param severity how it stands
     * @param message what was found (never a secret)
     * @param fix what to do about it, for warnings and problems
     */
    public record Finding(String check, String subject, Severity severity, String message, Optional<String> fix) {
        public Finding {
            Objects.requireNonNull(check, "check");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(severity, "severity");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(fix, "fix");
        }

        public static Finding ok(String check, String subject, String message) {
            return new Finding(check, subject, Severity.OK, message, Optional.empty());
        }

        public static Finding warning(String check, String subject, String message, String fix) {
            return new Finding(check, subject, Severity.WARNING, message, Optional.of(fix));
        }

        public static Finding problem(String check, String subject, String message, String fix) {
            return new Finding(check, subject, Severity.PROBLEM, message, Optional.of(fix));
        }
    }

    /** Whether nothing is a problem (warnings allowed). */
    public boolean ok() {
        return problems().isEmpty();
    }

    public List<Finding> problems() {
        return findings.stream().filter(f -> f.severity() == Severity.PROBLEM).toList();
    }

    public List<Finding> warnings() {
        return findings.stream().filter(f -> f.severity() == Severity.WARNING).toList();
    }

    /** A readable report: a headline, then a line per finding, with the fix under each warning and problem. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        int problems = problems().size();
        int warnings = warnings().size();
        sb.append("mint-backup doctor: ").append(findings.size()).append(" checks, ").append(problems)
                .append(problems == 1 ? " problem, " : " problems, ").append(warnings)
                .append(warnings == 1 ? " warning" : " warnings").append('\n');
        for (Finding f : findings) {
            String label = switch (f.severity()) {
                case OK -> "ok";
                case WARNING -> "WARNING";
                case PROBLEM -> "PROBLEM";
            };
            sb.append(String.format(Locale.ROOT, "  %-8s %-12s %s: %s%n", label, f.check(), f.subject(),
                    f.message().replace("\n", "\n" + " ".repeat(24))));
            f.fix().ifPresent(fix -> sb.append(" ".repeat(24)).append("fix: ").append(fix).append('\n'));
        }
        return sb.toString();
    }

    /** The report as JSON: {@code {"ok": .., "findings": [{check, subject, severity, message, fix}, ..]}}. */
    public String toJson() {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeBooleanField("ok", ok());
            g.writeNumberField("problems", problems().size());
            g.writeNumberField("warnings", warnings().size());
            g.writeArrayFieldStart("findings");
            for (Finding f : findings) {
                g.writeStartObject();
                g.writeStringField("check", f.check());
                g.writeStringField("subject", f.subject());
                g.writeStringField("severity", f.severity().text());
                g.writeStringField("message", f.message());
                g.writeStringField("fix", f.fix().orElse(null));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
