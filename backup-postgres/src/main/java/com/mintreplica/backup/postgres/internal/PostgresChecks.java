package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.drill.Preflight.Finding;
import com.mintreplica.backup.postgres.PostgresPreflight;
import com.mintreplica.backup.postgres.PostgresSource;
import com.mintreplica.backup.postgres.PostgresSourceProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A PostgreSQL source's preflight ({@link PostgresSource#preflight()}: the login, and pg_dump and pg_restore against
 * the server's version, found exactly where a backup looks) as doctor findings.
 */
public final class PostgresChecks implements Preflight {

    @Override
    public List<Finding> source(URI location, Map<String, String> options, Map<String, String> environment, String field)
            throws IOException {
        PostgresSource source = (PostgresSource) new PostgresSourceProvider(environment).source(location, options);
        return check(source, field, Set.of("pg_dump", "pg_restore"));
    }

    @Override
    public List<Finding> restoreServer(URI location, Map<String, String> options, Map<String, String> environment,
                                       String field) throws IOException {
        PostgresSource source = (PostgresSource) new PostgresSourceProvider(environment).source(location, options);
        return check(source, field, Set.of("pg_restore"));
    }

    /**
     * With {@code wal-stall-after}: WAL archiving on the server ({@code pg_stat_archiver}, the files waiting) and the
     * newest WAL of the job's archive in the repository.
     */
    @Override
    public Optional<Continuity> continuity(URI location, Map<String, String> options, Map<String, String> environment,
                                           com.mintreplica.backup.core.Repository repository, String name,
                                           java.time.Instant now) {
        if (!options.containsKey(com.mintreplica.backup.postgres.internal.receive.ArchiveHealth.STALL_AFTER)) {
            return Optional.empty();
        }
        PostgresSource source = (PostgresSource) new PostgresSourceProvider(environment).source(location, options);
        return com.mintreplica.backup.postgres.internal.receive.ArchiveHealth.check(source.connection(), options,
                repository, name, now);
    }

    /** Directory-format and parallel restores go through {@code temp-dir} (default: the temporary directory). */
    @Override
    public Optional<Spool> restoreSpool(Map<String, String> options, Path tempDir) {
        boolean throughTemp = "directory".equals(options.get("format"))
                || Integer.parseInt(options.getOrDefault("jobs", "1").strip()) > 1;
        Path dir = Optional.ofNullable(options.get("temp-dir")).map(Path::of).orElse(tempDir);
        return Optional.of(new Spool(dir, throughTemp));
    }

    private static String message(Exception e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static List<Finding> check(PostgresSource source, String field, Set<String> tools) {
        List<Finding> out = new ArrayList<>();
        String where = source.connection().describe();
        PostgresPreflight preflight;
        try {
            preflight = source.preflight();
        } catch (AccessDeniedException e) {
            out.add(Finding.problem("database", message(e), "give the right password in " + field
                    + ".password (env:NAME or file:/path) and check that user '" + source.connection().user()
                    + "' may log in from this host (pg_hba.conf)"));
            return out;
        } catch (NotFoundException e) {
            out.add(Finding.problem("database", message(e), "correct the database in " + field
                    + ".location, or create the database"));
            return out;
        } catch (BackupException e) {
            out.add(Finding.problem("database", message(e), "check " + field + ".location (host and"
                    + " port), that the server runs and accepts TCP connections from this host, and the network between"));
            return out;
        }
        out.add(Finding.ok("database", "logged in to " + where + " as " + source.connection().user()
                + " (PostgreSQL " + preflight.serverVersion() + ")"));
        for (PostgresPreflight.Tool tool : preflight.tools()) {
            if (!tools.contains(tool.name())) {
                continue;
            }
            if (tool.problem().isPresent()) {
                out.add(Finding.problem(tool.name(), tool.problem().get(), "install the"
                        + " PostgreSQL client tools of the server's major version (or newer) on this machine, or point "
                        + field + ".options.pg-bin-dir at the directory that holds them"));
            } else {
                out.add(Finding.ok(tool.name(), tool.name() + " " + tool.version().orElse("?") + " at "
                        + tool.path().orElse("?") + " can " + (tool.name().equals("pg_dump") ? "dump" : "restore")
                        + " PostgreSQL " + preflight.serverVersion() + " at " + where));
            }
        }
        return out;
    }
}
