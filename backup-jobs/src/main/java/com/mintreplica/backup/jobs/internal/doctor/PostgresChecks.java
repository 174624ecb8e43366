package com.mintreplica.backup.jobs.internal.doctor;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.jobs.DoctorReport.Finding;
import com.mintreplica.backup.jobs.internal.Redactor;
import com.mintreplica.backup.postgres.PostgresPreflight;
import com.mintreplica.backup.postgres.PostgresSource;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A PostgreSQL source's preflight ({@link PostgresSource#preflight()}: the login, and pg_dump and pg_restore against
 * the server's version, found exactly where a backup looks) as doctor findings.
 */
public final class PostgresChecks {
    private PostgresChecks() {
    }

    /**
     * The findings for a job's source: login, pg_dump and pg_restore.
     *
     * @param field the config field of the source, for fixes: {@code jobs.NAME.source}
     */
    public static List<Finding> source(Source source, String subject, String field, Redactor redactor) {
        return check((PostgresSource) source, subject, field, Set.of("pg_dump", "pg_restore"), redactor);
    }

    /** The findings for a drill's server: login and pg_restore. */
    public static List<Finding> server(String url, Map<String, String> environment, Map<String, String> options,
                                       String subject, String field, Redactor redactor) throws java.io.IOException {
        Source source = Sources.requireKind("postgresql").withEnvironment(environment).source(URI.create(url), options);
        return check((PostgresSource) source, subject, field, Set.of("pg_restore"), redactor);
    }

    private static List<Finding> check(PostgresSource source, String subject, String field, Set<String> tools,
                                       Redactor redactor) {
        List<Finding> out = new ArrayList<>();
        String where = source.connection().describe();
        PostgresPreflight preflight;
        try {
            preflight = source.preflight();
        } catch (AccessDeniedException e) {
            out.add(Finding.problem("database", subject, redactor.message(e), "give the right password in " + field
                    + ".password (env:NAME or file:/path) and check that user '" + source.connection().user()
                    + "' may log in from this host (pg_hba.conf)"));
            return out;
        } catch (NotFoundException e) {
            out.add(Finding.problem("database", subject, redactor.message(e), "correct the database in " + field
                    + ".location, or create the database"));
            return out;
        } catch (BackupException e) {
            out.add(Finding.problem("database", subject, redactor.message(e), "check " + field + ".location (host and"
                    + " port), that the server runs and accepts TCP connections from this host, and the network between"));
            return out;
        }
        out.add(Finding.ok("database", subject, "logged in to " + where + " as " + source.connection().user()
                + " (PostgreSQL " + preflight.serverVersion() + ")"));
        for (PostgresPreflight.Tool tool : preflight.tools()) {
            if (!tools.contains(tool.name())) {
                continue;
            }
            if (tool.problem().isPresent()) {
                out.add(Finding.problem(tool.name(), subject, redactor.redact(tool.problem().get()), "install the"
                        + " PostgreSQL client tools of the server's major version (or newer) on this machine, or point "
                        + field + ".options.pg-bin-dir at the directory that holds them"));
            } else {
                out.add(Finding.ok(tool.name(), subject, tool.name() + " " + tool.version().orElse("?") + " at "
                        + tool.path().orElse("?") + " can " + (tool.name().equals("pg_dump") ? "dump" : "restore")
                        + " PostgreSQL " + preflight.serverVersion() + " at " + where));
            }
        }
        return out;
    }
}
