package com.mintreplica.backup.postgres.wal;

/**
 * Segments missing from the chain of one timeline: recovery that needs any LSN from {@code fromLsn} (inclusive) to
 * {@code toLsn} (exclusive) on this timeline cannot pass. A base backup whose start LSN is before {@code fromLsn} can
 * be recovered only to a point before it.
 *
 * @param timeline the timeline
 * @param firstMissing the first missing segment's name
 * @param lastMissing the last missing segment's name (the same when one is missing)
 * @param count how many segments are missing
 * @param fromLsn the start of the first missing segment
 * @param toLsn the end of the last missing segment
 */
public record WalGap(int timeline, String firstMissing, String lastMissing, long count, long fromLsn, long toLsn) {
    @Override
    public String toString() {
        return "timeline " + timeline + ": segment" + (count == 1 ? " " + firstMissing : "s " + firstMissing + " to "
                + lastMissing + " (" + count + ")") + " missing (LSN " + WalArchive.lsnText(fromLsn) + " to "
                + WalArchive.lsnText(toLsn) + ")";
    }
}
