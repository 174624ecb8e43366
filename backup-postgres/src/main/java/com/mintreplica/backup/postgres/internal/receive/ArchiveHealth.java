package com.mintreplica.backup.postgres.internal.receive;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.drill.Preflight.Continuity;
import com.mintreplica.backup.core.drill.Preflight.Finding;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The continuity check of a PostgreSQL job with {@code wal-stall-after}: from the server, {@code pg_stat_archiver}
 * (is {@code archive_command} failing: its last attempt failed) and {@code pg_ls_archive_statusdir()} (has archiving
 * stalled: a segment has waited for archiving longer than {@code wal-stall-after}); from the repository, the newest WAL
 * file of the job's archive (nothing reached the repository for longer than {@code wal-stall-after}: also what shows a
 * stopped {@code wal-receive}, and what a copy of the bucket shows without the server).
 */
public final class ArchiveHealth {
    /** The option that turns the check on, with the time after which archiving counts as stalled. */
    public static final String STALL_AFTER = "wal-stall-after";
    /** The option naming the WAL archive (default: the job's name). */
    public static final String CLUSTER = "wal-cluster";
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|min|h|d)?");

    private ArchiveHealth() {
    }

    /** {@code 90s}, {@code 15m}, {@code 2h}, {@code 1d} (no unit: seconds). */
    public static Duration parseDuration(String option, String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new InvalidInputException("option " + option + " must be a duration such as 90s, 15m, 2h or 1d: '"
                    + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m", "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
        if (d.isZero()) {
            throw new InvalidInputException("option " + option + " must be longer than 0");
        }
        return d;
    }

    /** The check, when the options ask for it. */
    public static Optional<Continuity> check(PostgresConnection server, Map<String, String> options,
                                             Repository repository, String name, Instant now) {
        String stall = options.get(STALL_AFTER);
        if (stall == null || stall.isBlank()) {
            return Optional.empty();
        }
        Duration stallAfter = parseDuration(STALL_AFTER, stall);
        String cluster = Optional.ofNullable(options.get(CLUSTER)).map(String::strip).orElse(name);
        List<Finding> findings = new ArrayList<>();
        Optional<Instant> lastArchived = Optional.empty();
        Optional<Instant> lastFailed = Optional.empty();
        long failures = 0;
        boolean stalled = false;
        boolean failing = false;
        String where = server.describe();
        try (Connection c = server.connect(); Statement st = c.createStatement()) {
            String mode;
            try (ResultSet rs = st.executeQuery("select a.failed_count, a.last_archived_wal, a.last_archived_time,"
                    + " a.last_failed_wal, a.last_failed_time, current_setting('archive_mode')"
                    + " from pg_stat_archiver a")) {
                rs.next();
                failures = rs.getLong(1);
                String lastWal = rs.getString(2);
                lastArchived = instant(rs.getTimestamp(3));
                String failedWal = rs.getString(4);
                lastFailed = instant(rs.getTimestamp(5));
                mode = rs.getString(6);
                if ("off".equals(mode)) {
                    findings.add(Finding.ok("wal-archiving", "archive_mode is off on " + where
                            + ": WAL reaches the repository only through wal-receive"));
                } else {
                    failing = lastFailed.isPresent()
                            && (lastArchived.isEmpty() || lastFailed.get().isAfter(lastArchived.get()));
                    if (failing) {
                        findings.add(Finding.problem("wal-archiving", "archive_command is failing on " + where + ": "
                                + failures + " failures since the statistics were reset, the last for " + failedWal
                                + " at " + lastFailed.get() + "; the last success: "
                                + (lastWal == null ? "never" : lastWal + " at " + lastArchived.orElseThrow()),
                                "the server log says why (grep 'archive command failed'); run the archive_command by"
                                        + " hand as the server's user to see its error"));
                    }
                }
            }
            if (!"off".equals(mode)) {
                try (ResultSet rs = st.executeQuery("select count(*), min(modification) from pg_ls_archive_statusdir()"
                        + " where name like '%.ready'")) {
                    rs.next();
                    long waiting = rs.getLong(1);
                    Optional<Instant> oldest = instant(rs.getTimestamp(2));
                    if (waiting > 0 && oldest.isPresent() && Duration.between(oldest.get(), now).compareTo(stallAfter) > 0) {
                        stalled = true;
                        findings.add(Finding.problem("wal-archiving", "WAL archiving has stalled on " + where + ": "
                                + waiting + " WAL files wait, the oldest for " + words(Duration.between(oldest.get(), now))
                                + " (more than " + STALL_AFTER + " " + words(stallAfter) + "); the last archived at "
                                + lastArchived.map(Instant::toString).orElse("never"),
                                "check that archive_command ends (a hung command blocks every segment after it) and"
                                        + " can reach the repository; pg_wal grows until it does"));
                    } else if (!failing) {
                        findings.add(Finding.ok("wal-archiving", waiting + " WAL files wait for archiving on " + where
                                + "; the last archived at " + lastArchived.map(Instant::toString).orElse("never")));
                    }
                } catch (SQLException e) {
                    findings.add(Finding.warning("wal-archiving", "cannot see which WAL files wait for archiving on "
                            + where + ": " + e.getMessage(), "grant the job's user pg_monitor (GRANT pg_monitor TO ...)"));
                }
            }
        } catch (SQLException | BackupException e) {
            findings.add(Finding.warning("wal-archiving", "cannot read pg_stat_archiver on " + where + ": "
                    + e.getMessage(), "check the job's login; the repository side is checked regardless"));
        }
        Optional<Instant> newest = Optional.empty();
        try {
            List<WalFile> files = WalArchive.open(repository, cluster).list();
            Optional<WalFile> last = files.stream().max(Comparator.comparing(WalFile::time));
            newest = last.map(WalFile::time);
            if (last.isEmpty()) {
                stalled = true;
                findings.add(Finding.warning("wal-repository", "the repository holds no WAL for '" + cluster + "'",
                        "point archive_command (mint-backup wal-push) or mint-backup wal-receive at this job"
                                + " (--config F --job " + name + ")"));
            } else if (Duration.between(last.get().time(), now).compareTo(stallAfter) > 0) {
                stalled = true;
                findings.add(Finding.warning("wal-repository", "the newest WAL in the repository for '" + cluster + "' ("
                        + last.get().name() + ") was archived " + words(Duration.between(last.get().time(), now))
                        + " ago, more than " + STALL_AFTER + " " + words(stallAfter),
                        "check that archive_command or wal-receive runs and reaches the repository; on a quiet server"
                                + " set archive_timeout below " + words(stallAfter) + " so a segment is archived anyway"));
            } else {
                findings.add(Finding.ok("wal-repository", "the newest WAL in the repository for '" + cluster + "' ("
                        + last.get().name() + ") was archived " + words(Duration.between(last.get().time(), now))
                        + " ago"));
            }
        } catch (BackupException e) {
            findings.add(Finding.warning("wal-repository", "cannot list the WAL archive '" + cluster + "': "
                    + e.getMessage(), "mint-backup wal list --config F --job " + name + " tells more"));
        }
        return Optional.of(new Continuity(stallAfter, lastArchived, lastFailed, failures, newest, stalled, failing,
                findings));
    }

    private static Optional<Instant> instant(Timestamp t) {
        return Optional.ofNullable(t).map(Timestamp::toInstant);
    }

    private static String words(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s >= 86_400) {
            return s / 86_400 + "d " + (s % 86_400) / 3600 + "h";
        }
        if (s >= 3600) {
            return s / 3600 + "h " + (s % 3600) / 60 + "m";
        }
        if (s >= 60) {
            return s / 60 + "m " + s % 60 + "s";
        }
        return s + "s";
    }
}
