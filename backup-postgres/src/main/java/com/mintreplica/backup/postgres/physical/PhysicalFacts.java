package com.mintreplica.backup.postgres.physical;

import com.mintreplica.backup.core.Snapshot;
import java.time.Instant;
import java.util.Optional;

/**
 * What a physical base backup recorded in its snapshot's facts (keys {@code postgresql.physical.*}): where its WAL
 * starts and ends, on which timeline, of which cluster, and when it ended.
 *
 * @param startLsn the LSN {@code pg_backup_start} returned: WAL from here on is needed to restore it
 * @param stopLsn the LSN {@code pg_backup_stop} returned: the copy is consistent once replay passed it
 * @param timeline the timeline the backup started on
 * @param systemIdentifier the cluster's system identifier ({@code pg_control_system()})
 * @param stopTime the server's clock right after {@code pg_backup_stop}: the earliest time it can be restored to
 * @param version the server's version ({@code server_version})
 */
public record PhysicalFacts(Lsn startLsn, Lsn stopLsn, int timeline, String systemIdentifier, Instant stopTime,
                            String version) {
    /** The source kind of physical base backups. */
    public static final String KIND = "postgresql-physical";
    static final String PREFIX = "postgresql.physical.";
    static final String START_LSN = PREFIX + "startLsn";
    static final String STOP_LSN = PREFIX + "stopLsn";
    static final String TIMELINE = PREFIX + "timeline";
    static final String SYSTEM_ID = PREFIX + "systemIdentifier";
    static final String STOP_TIME = PREFIX + "stopTime";
    static final String START_TIME = PREFIX + "startTime";
    static final String VERSION = PREFIX + "version";
    static final String PGDATA = PREFIX + "pgdata";
    static final String TABLESPACES = PREFIX + "tablespaces";

    /** The facts of {@code snapshot}, when it is a physical base backup that completed. */
    public static Optional<PhysicalFacts> of(Snapshot snapshot) {
        if (!KIND.equals(snapshot.source().kind())) {
            return Optional.empty();
        }
        var f = snapshot.facts();
        if (!f.containsKey(START_LSN) || !f.containsKey(STOP_LSN) || !f.containsKey(STOP_TIME)) {
            return Optional.empty();
        }
        return Optional.of(new PhysicalFacts(Lsn.parse(f.get(START_LSN)), Lsn.parse(f.get(STOP_LSN)),
                Integer.parseInt(f.getOrDefault(TIMELINE, "1")), f.getOrDefault(SYSTEM_ID, ""),
                Instant.parse(f.get(STOP_TIME)), f.getOrDefault(VERSION, "")));
    }
}
