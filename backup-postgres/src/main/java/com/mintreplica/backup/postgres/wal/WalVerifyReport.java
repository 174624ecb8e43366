package com.mintreplica.backup.postgres.wal;

import java.util.List;

/**
 * What {@link WalArchive#verify} found.
 *
 * @param systemIdentifier the cluster's system identifier
 * @param timelines every timeline, with its parent, switch point and gaps
 * @param gaps every gap, all timelines
 * @param problems damaged or unreadable objects, objects whose name is not the archive's, history files missing for a
 *     timeline that has segments (each names the object or file)
 * @param filesChecked objects read and checked against their hash (0 without reading data)
 */
public record WalVerifyReport(long systemIdentifier, List<WalTimeline> timelines, List<WalGap> gaps,
                              List<String> problems, long filesChecked) {
    public WalVerifyReport {
        timelines = List.copyOf(timelines);
        gaps = List.copyOf(gaps);
        problems = List.copyOf(problems);
    }

    /** No gap and no problem. */
    public boolean ok() {
        return gaps.isEmpty() && problems.isEmpty();
    }
}
