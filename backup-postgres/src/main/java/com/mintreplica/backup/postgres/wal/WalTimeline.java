package com.mintreplica.backup.postgres.wal;

import java.time.Instant;
import java.util.List;

/**
 * One timeline of the archive.
 *
 * @param timeline its id
 * @param parent the timeline it branched from (0 for the first one, or when its history file is not archived)
 * @param switchLsn where it branched from {@code parent} (the parent's history ends there), or -1
 * @param firstLsn the start of its oldest archived segment (-1: none)
 * @param endLsn the end of its newest archived segment (-1: none)
 * @param segments how many segments it has archived
 * @param firstTime the time of its oldest archived segment (null: none)
 * @param lastTime the time of its newest archived segment (null: none)
 * @param gaps the segments missing between its oldest and newest ones
 */
public record WalTimeline(int timeline, int parent, long switchLsn, long firstLsn, long endLsn, long segments,
                          Instant firstTime, Instant lastTime, List<WalGap> gaps) {
    public WalTimeline {
        gaps = List.copyOf(gaps);
    }
}
