package com.mintreplica.backup.jobs.audit;

import java.util.Locale;

/** What an audit line records. Written in lower case ({@code backup}, {@code key}). */
public enum AuditOperation {
    /** A backup committed a snapshot, or failed. */
    BACKUP,
    /** A snapshot was restored. */
    RESTORE,
    /** A repository or snapshot was verified. */
    VERIFY,
    /** A retention policy forgot snapshots. */
    FORGET,
    /** A prune deleted data no snapshot needs. */
    PRUNE,
    /** Snapshots were copied to another repository. */
    COPY,
    /** A key was added, removed or rotated. */
    KEY,
    /** A restore drill ran. */
    DRILL,
    /** A repository was created. */
    INIT,
    /** The index or snapshots were repaired after damage. */
    REPAIR,
    /** Entries were left out of existing snapshots (an erasure). */
    REWRITE,
    /** The tags of snapshots were changed (a legal hold). */
    TAG;

    /** The name written in the log. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The operation written as {@code text}. */
    public static AuditOperation of(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
